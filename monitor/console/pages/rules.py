"""Rules: the list with hit counts, an editor that shows syntax errors where they are, a backtest, save.

Checking, backtesting and saving call the API's own rule functions (`check_query`,
`backtest`, `create_rule`, `update_rule`), so a rule behaves here exactly as through
`/api/v1/rules`. An unsaved draft is backtested as a RuleSpec built from the form: nothing
is written (no write lock held on SQLite) until the analyst presses Save.
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

from monitor.api.deps import SessionDep, SettingsDep
from monitor.api.errors import ApiError
from monitor.api.routers.rules import backtest, check_query, create_rule, update_rule
from monitor.api.rules_source import rule_public
from monitor.api.schemas import RuleCreate, RuleTestResult, RuleUpdate
from monitor.console.rulecache import all_rules_cached
from monitor.console.session import ConsoleUser, UserDep
from monitor.console.web import redirect, render
from monitor.matching.types import CATEGORIES, RuleSpec
from monitor.models import Alert, Rule, utcnow
from monitor.settings import Settings

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
    """Alerts per rule over the last 7 and 30 days (suppressed ones not counted)."""
    now = utcnow()
    week, month = now - timedelta(days=7), now - timedelta(days=30)
    rows = session.execute(
        select(
            col(Alert.rule_id),
            func.sum(case((col(Alert.created_at) >= week, 1), else_=0)),
            func.count(),
        )
        .where(col(Alert.created_at) >= month, col(Alert.suppressed).is_(False))
        .group_by(Alert.rule_id)
    ).all()
    return {str(rule): (int(w or 0), int(m)) for rule, w, m in rows}


def check(query: str) -> QueryCheck:
    """Parse the query with the API's check; on error, where it is and the query's lines to show it."""
    if not query.strip():
        return QueryCheck(ok=False, message="the query is empty")
    try:
        check_query(query, field="query")
    except ApiError as exc:
        detail = (exc.details or [{}])[0]
        message = re.sub(r"^line \d+, column \d+: ", "", str(detail.get("message") or exc.message))
        return QueryCheck(
            ok=False,
            message=message,
            line=detail.get("line"),
            column=detail.get("column"),
            lines=list(enumerate(query.split("\n"), start=1)),
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
    rules = all_rules_cached(session, settings)
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
    return _page(request, session, settings, user, draft, check=check(draft.query) if draft.query else None)


Field = Annotated[str, Form(max_length=300)]


def draft_form(
    rule_id: Field = "",
    title: Field = "",
    description: Annotated[str, Form(max_length=10000)] = "",
    category: Field = "sanctions",
    severity: Field = "medium",
    query: Annotated[str, Form(max_length=20000)] = "",
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
    query: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    """Parse the query; htmx gets the status fragment, a plain form the whole page."""
    result = check(query)
    if request.headers.get("hx-request"):
        return render(request, "_query_check.html", user, check=result)
    return _page(request, session, settings, user, Draft(query=query), check=result)


def draft_backtest(session: Session, settings: Settings, draft: Draft) -> RuleTestResult:
    """Run the API's backtest (same budget and deadline) on the draft as typed; nothing is written."""
    draft_id = draft.id or "console-draft"
    spec = RuleSpec(**{**draft.spec(), "id": draft_id, "title": draft.title or draft_id})
    return backtest(session, settings, spec, articles=500, limit=25)


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
    result = check(draft.query)
    outcome, refused = None, None
    if result.ok:
        try:
            outcome = draft_backtest(session, settings, draft)
        except ApiError as exc:  # over the backtest budget: said on the page, with what to change
            refused = exc.message
    if request.headers.get("hx-request"):
        # 200 so that htmx swaps the fragment in: the refusal is shown where the result would be.
        return render(request, "_backtest.html", user, check=result, outcome=outcome, backtest_error=refused,
                      inline_check=True)
    return _page(request, session, settings, user, draft, 422 if refused else 200, check=result, outcome=outcome,
                 backtest_error=refused)


@router.post("/rules/save")
def save_rule(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: UserDep,
    draft: DraftForm,
) -> Response:
    """Create or update a database rule through the API's own functions (admin)."""
    user.require("admin")
    result = check(draft.query)
    if not result.ok:
        return _page(request, session, settings, user, draft, 422, check=result)
    try:
        if session.get(Rule, draft.id) is not None:
            update_rule(draft.id, RuleUpdate(**{k: v for k, v in draft.spec().items() if k != "id"}), session,
                        settings, user.key)
        else:
            create_rule(RuleCreate(**draft.spec()), session, settings, user.key)
    except ValidationError as exc:
        session.rollback()
        errors = {str(e["loc"][0]): e["msg"] for e in exc.errors() if e.get("loc")}
        return _page(request, session, settings, user, draft, 422, check=result, errors=errors)
    except ApiError as exc:
        session.rollback()
        return _page(request, session, settings, user, draft, exc.status_code, check=result, save_error=exc.message)
    session.commit()
    return redirect("/rules", rule=draft.id, done="saved")
