"""Rules: the list with hit counts, an editor that shows syntax errors where they are, a backtest, save.

Checking, backtesting and saving call the same service functions as the API
(`monitor.alerts.rule_admin`), so a rule behaves here exactly as through `/api/v1/rules`;
which rules and vocabularies exist comes from `monitor.rules.source`. An unsaved draft is
backtested as a RuleSpec built from the form: nothing is written (no write lock held on
SQLite) until the analyst presses Save. Every refusal (a syntax error, an unknown vocabulary,
a query over the size bounds, an id taken) is shown on the page, never only in the browser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import case, func, select
from sqlmodel import Session, col

from monitor.alerts import rule_admin
from monitor.alerts.rule_admin import RuleActionError
from monitor.alerts.rule_views import all_rules, backtest_result, rule_public
from monitor.console.session import ConsoleUser, UserDep
from monitor.console.web import redirect, render
from monitor.matching.query import MAX_QUERY_CHARS
from monitor.matching.types import CATEGORIES
from monitor.matching.vocabulary import Vocabularies
from monitor.models import Alert, AlertLabel, Rule, utcnow
from monitor.rules.failures import current_failures
from monitor.rules.source import active_rules
from monitor.schemas import RuleCreate, RuleTestResult, RuleUpdate
from monitor.settings import Settings
from monitor.web.deps import SessionDep, SettingsDep

router = APIRouter()


@dataclass
class Draft:
    """The editor's fields as typed."""

    id: str = ""
    title: str = ""
    description: str = ""
    category: str = "sanctions"
    severity: str = "medium"
    query: str = ""
    enabled: bool = True
    source: str = "new"

    def spec(self) -> dict[str, Any]:
        """The fields the API's RuleCreate takes."""
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "category": self.category,
            "severity": self.severity,
            "query": self.query,
            "enabled": self.enabled,
        }


@dataclass
class QueryCheck:
    """The result of parsing the query: ok, or the error with its position and the lines to show."""

    ok: bool
    message: str = ""
    line: int | None = None
    column: int | None = None
    lines: list[tuple[int, str]] = field(default_factory=list)


def hit_counts(session: Session) -> dict[str, tuple[int, int]]:
    """Alerts carrying each rule's label over the last 7 and 30 days (suppressed labels not counted)."""
    now = utcnow()
    week, month = now - timedelta(days=7), now - timedelta(days=30)
    rows = session.execute(
        select(
            col(AlertLabel.rule_id),
            func.sum(case((col(Alert.created_at) >= week, 1), else_=0)),
            func.count(),
        )
        .join(Alert, col(Alert.id) == col(AlertLabel.alert_id))
        .where(col(Alert.created_at) >= month, col(AlertLabel.suppressed).is_(False))
        .group_by(AlertLabel.rule_id)
    ).all()
    return {str(rule): (int(w or 0), int(m)) for rule, w, m in rows}


def check(query: str, vocabularies: Vocabularies) -> QueryCheck:
    """Parse the query with the service's check; on error, where it is and the query's lines to show it."""
    if not query.strip():
        return QueryCheck(ok=False, message="the query is empty")
    try:
        rule_admin.check_query(query, vocabularies)
    except RuleActionError as exc:
        detail = (exc.details or [{}])[0]
        message = re.sub(r"^line \d+, column \d+: ", "", str(detail.get("message") or exc.message))
        return QueryCheck(
            ok=False,
            message=message,
            line=detail.get("line"),
            column=detail.get("column"),
            lines=list(enumerate(query.split("\n"), start=1)) if detail.get("line") else [],
        )
    return QueryCheck(ok=True)


def _page(
    request: Request,
    session: Session,
    settings: Settings,
    user: ConsoleUser,
    draft: Draft,
    status: int = 200,
    **extra: Any,
) -> Response:
    rules = all_rules(session, settings)
    active = active_rules(session, settings)
    return render(
        request,
        "rules.html",
        user,
        status_code=status,
        section="rules",
        rules=rules,
        counts=hit_counts(session),
        week_ago=(utcnow() - timedelta(days=7)).date().isoformat(),
        month_ago=(utcnow() - timedelta(days=30)).date().isoformat(),
        draft=draft,
        categories=CATEGORIES,
        vocabularies=[active.vocabularies[n] for n in sorted(active.vocabularies)],
        rule_errors=[str(e) for e in active.errors],
        failures=current_failures(session, active.rules),
        flash={"saved": "Rule saved."}.get(request.query_params.get("done", "")),
        **extra,
    )


@router.get("/rules")
def rules_page(request: Request, session: SessionDep, settings: SettingsDep, user: UserDep) -> Response:
    """Every rule with its hit counts; `?rule=ID` opens that rule in the editor."""
    draft = Draft()
    wanted = request.query_params.get("rule")
    if wanted:
        rule = rule_public(session, settings, wanted[:100])
        if rule is not None:
            draft = Draft(**rule.model_dump(exclude={"created_at", "updated_at"}))
        else:
            return _page(request, session, settings, user, draft, 404, save_error=f"No rule {wanted[:100]!r}.")
    vocabularies = active_rules(session, settings).vocabularies
    return _page(request, session, settings, user, draft,
                 check=check(draft.query, vocabularies) if draft.query else None)


Field = Annotated[str, Form(max_length=300)]
# Long enough for any query the parser accepts, so an over-long one gets the parser's message on
# the page (with its position) instead of a bare 422 from the form validation.
QueryField = Annotated[str, Form(max_length=4 * MAX_QUERY_CHARS)]


def draft_form(
    rule_id: Field = "",
    title: Field = "",
    description: Annotated[str, Form(max_length=10000)] = "",
    category: Field = "sanctions",
    severity: Field = "medium",
    query: QueryField = "",
    enabled: Field = "",
) -> Draft:
    """The editor's form as a Draft (an unchecked 'enabled' box sends nothing, so it is off)."""
    return Draft(
        id=rule_id.strip(),
        title=title.strip(),
        description=description.strip(),
        category=category,
        severity=severity,
        query=query,
        enabled=enabled in ("on", "true", "1"),
    )


DraftForm = Annotated[Draft, Depends(draft_form)]


@router.post("/rules/check")
def check_rule(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: UserDep,
    query: QueryField = "",
) -> Response:
    """Parse the query; htmx gets the status fragment, a plain form the whole page."""
    result = check(query, active_rules(session, settings).vocabularies)
    if request.headers.get("hx-request"):
        return render(request, "_query_check.html", user, check=result)
    return _page(request, session, settings, user, Draft(query=query), check=result)


def draft_backtest(session: Session, settings: Settings, draft: Draft) -> RuleTestResult:
    """Run the service's backtest on the draft as typed (shown as the API answers it); nothing is written."""
    spec = rule_admin.draft_spec(session, settings, {**draft.spec(), "id": draft.id or "console-draft"})
    return backtest_result(rule_admin.backtest(session, settings, spec, articles=500, limit=25))


@router.post("/rules/backtest")
def backtest_rule(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: UserDep,
    draft: DraftForm,
) -> Response:
    """What the draft would have flagged over the newest stored articles, before saving it."""
    user.require("analyst")
    result = check(draft.query, active_rules(session, settings).vocabularies)
    outcome = None
    error = None
    if result.ok:
        try:
            outcome = draft_backtest(session, settings, draft)
        except RuleActionError as exc:  # over the backtest budget, a vocabulary gone: said on the page
            error = exc.message
    if request.headers.get("hx-request"):
        # 200 so that htmx swaps the fragment in: the refusal is shown where the result would be.
        return render(request, "_backtest.html", user, check=result, outcome=outcome, inline_check=True,
                      backtest_error=error)
    return _page(request, session, settings, user, draft, 422 if error else 200, check=result, outcome=outcome,
                 backtest_error=error)


@router.post("/rules/save")
def save_rule(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: UserDep,
    draft: DraftForm,
) -> Response:
    """Create or update a database rule through the service functions the API calls (admin)."""
    user.require("admin")
    result = check(draft.query, active_rules(session, settings).vocabularies)
    if not result.ok:
        return _page(request, session, settings, user, draft, 422, check=result)
    try:
        if session.get(Rule, draft.id) is not None:
            changes = RuleUpdate(**{k: v for k, v in draft.spec().items() if k != "id"}).model_dump(exclude_unset=True)
            rule_admin.update_rule(session, settings, draft.id, changes, user.key.actor)
        else:
            rule_admin.create_rule(session, settings, RuleCreate(**draft.spec()).model_dump(), user.key.actor)
    except ValidationError as exc:
        session.rollback()
        errors = {str(e["loc"][0]): e["msg"] for e in exc.errors() if e.get("loc")}
        return _page(request, session, settings, user, draft, 422, check=result, errors=errors,
                     save_error="Not saved: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))
    except RuleActionError as exc:
        session.rollback()
        return _page(request, session, settings, user, draft, exc.status, check=result, save_error=exc.message)
    session.commit()
    return redirect("/rules", rule=draft.id, done="saved")
