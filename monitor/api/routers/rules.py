"""/rules: list and read every rule; create, update, disable, delete DB rules (admin); backtest a rule."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlmodel import Session

from monitor.api.auth import AdminKey, AnalystKey
from monitor.api.deps import SessionDep, SettingsDep
from monitor.api.errors import ApiError, not_found
from monitor.api.rules_source import all_rules, db_rule_public, file_rules, rule_public, rule_spec
from monitor.api.schemas import RuleCreate, RulePublic, RuleTestHit, RuleTestResult, RuleUpdate
from monitor.matching.types import RuleSpec
from monitor.models import AuditEvent, Rule, utcnow
from monitor.settings import Settings

router = APIRouter(prefix="/rules", tags=["rules"])


def check_query(query: str, field: str = "body.query") -> None:
    """Parse the query; a syntax error becomes a 422 naming the field, line, column and what was expected."""
    from monitor.matching.query import QuerySyntaxError, parse_query

    try:
        parse_query(query)
    except QuerySyntaxError as exc:
        raise ApiError(
            422,
            f"{field}: {exc}",
            code="invalid_query",
            details=[
                {
                    "field": field,
                    "message": str(exc),
                    "line": exc.line,
                    "column": exc.column,
                    "expected": exc.expected,
                }
            ],
        ) from None


def _audit(session: Session, actor: str, action: str, rule_id: str, detail: dict[str, Any]) -> None:
    session.add(AuditEvent(actor=actor, action=action, object_type="rule", object_id=rule_id, detail=detail))


def _db_rule(session: Session, settings: Any, rule_id: str) -> Rule:
    row = session.get(Rule, rule_id)
    if row is not None:
        return row
    if any(r.id == rule_id for r in file_rules(settings)):
        raise ApiError(409, f"rule {rule_id} is defined in a rule file and is read-only here", code="read_only")
    raise not_found("rule", rule_id)


@router.get("", response_model=list[RulePublic], summary="List rules")
def list_rules(session: SessionDep, settings: SettingsDep) -> list[RulePublic]:
    """Every rule, from the database (editable) and the rule files (read-only)."""
    return all_rules(session, settings)


@router.get("/{rule_id}", response_model=RulePublic, summary="One rule")
def get_rule(rule_id: str, session: SessionDep, settings: SettingsDep) -> RulePublic:
    """A rule by id."""
    rule = rule_public(session, settings, rule_id)
    if rule is None:
        raise not_found("rule", rule_id)
    return rule


@router.post("", response_model=RulePublic, status_code=201, summary="Create a rule (admin)")
def create_rule(body: RuleCreate, session: SessionDep, settings: SettingsDep, key: AdminKey) -> RulePublic:
    """Store a new rule; the query is checked first and errors point at the exact position."""
    check_query(body.query)
    if rule_public(session, settings, body.id) is not None:
        raise ApiError(409, f"rule {body.id} already exists", code="conflict", details={"field": "body.id"})
    row = Rule(**body.model_dump())
    session.add(row)
    _audit(session, key.actor, "rule.create", body.id, body.model_dump())
    session.flush()
    return db_rule_public(row)


@router.patch("/{rule_id}", response_model=RulePublic, summary="Update or disable a rule (admin)")
def update_rule(
    rule_id: str, body: RuleUpdate, session: SessionDep, settings: SettingsDep, key: AdminKey
) -> RulePublic:
    """Change fields of a DB rule (`enabled: false` disables it)."""
    row = _db_rule(session, settings, rule_id)
    changes = body.model_dump(exclude_unset=True)
    if changes.get("query") is not None:
        check_query(changes["query"])
    for name, value in changes.items():
        if value is None and name != "description":
            continue
        setattr(row, name, value if value is not None else "")
    row.updated_at = utcnow()
    session.add(row)
    _audit(session, key.actor, "rule.update", rule_id, changes)
    session.flush()
    return db_rule_public(row)


@router.delete("/{rule_id}", status_code=204, response_class=Response, summary="Delete a rule (admin)")
def delete_rule(rule_id: str, session: SessionDep, settings: SettingsDep, key: AdminKey) -> Response:
    """Delete a DB rule (its past alerts stay)."""
    row = _db_rule(session, settings, rule_id)
    session.delete(row)
    _audit(session, key.actor, "rule.delete", rule_id, {"query": row.query})
    return Response(status_code=204)


@router.post("/{rule_id}/test", response_model=RuleTestResult, summary="Backtest a rule over stored articles")
def test_rule(
    rule_id: str,
    session: SessionDep,
    settings: SettingsDep,
    _key: AnalystKey,
    articles: Annotated[int, Query(ge=1, le=5000, description="how many of the newest articles to scan")] = 500,
    limit: Annotated[int, Query(ge=1, le=200, description="hits listed at most")] = 50,
) -> RuleTestResult:
    """Run the rule alone over the newest stored articles and report where it would fire."""
    rule = rule_public(session, settings, rule_id)
    if rule is None:
        raise not_found("rule", rule_id)
    return backtest(session, settings, rule_spec(rule), articles=articles, limit=limit)


def backtest(session: Session, settings: Settings, spec: RuleSpec, *, articles: int, limit: int) -> RuleTestResult:
    """What `spec` would flag over the newest `articles` stored articles (at most `limit` hits listed).

    Within the configured budget and deadline: a run over budget is a 422 (`backtest_too_costly`),
    one that reaches the deadline answers with what it scanned and `complete: false`."""
    from monitor.alerts.backtest import BacktestTooCostly, LimitedBacktest

    try:
        run = LimitedBacktest(session, spec, settings, articles=articles)
    except BacktestTooCostly as exc:
        raise ApiError(
            422,
            str(exc),
            code="backtest_too_costly",
            details=[{"field": "query.articles", "message": str(exc), "cost": exc.cost, "max_cost": exc.max_cost,
                      "clauses": exc.clauses, "articles": exc.articles}],
        ) from None
    from monitor.alerts.drift import StoredScores

    stored = StoredScores(session, settings, spec)
    hits: list[RuleTestHit] = []
    count = 0
    for article, findings in run:
        for finding in findings:
            count += 1
            if len(hits) < limit and article.id is not None:
                diff = stored.difference(article.id, finding)
                hits.append(
                    RuleTestHit.model_validate(
                        {
                            "article_id": article.id,
                            "title": article.title,
                            "severity": finding.severity,
                            "score": finding.score,
                            "entity_ids": list(finding.entity_ids),
                            "evidence": [
                                {"field": e.field, "start": e.start, "end": e.end, "text": e.text}
                                for e in finding.evidence
                            ],
                            "stored": diff.to_json() if diff else None,
                        }
                    )
                )
    return RuleTestResult(
        rule_id=spec.id,
        articles_scanned=run.scanned,
        articles_requested=articles,
        hits=count,
        items=hits,
        complete=run.complete,
        stopped=run.stopped,
        elapsed_ms=round(run.elapsed * 1000, 1),
    )
