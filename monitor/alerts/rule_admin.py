"""Rule actions shared by the API, the console and the CLI: check, create, update, delete, backtest.

Every caller goes through these functions, so a rule is checked, stored, audited and
backtested the same way wherever it is edited. Which rules exist comes from
`monitor.rules.source`; after a write its cache is dropped (other processes see the change
by its stamp). Errors are `RuleActionError` with an HTTP-like status and a code; the API turns
them into its JSON errors, the console shows them on the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from monitor.alerts.drift import StoredDifference
from monitor.matching.query import QuerySyntaxError, parse_query
from monitor.matching.rulefile import RuleError, validate_rule
from monitor.matching.types import AlertFinding, RuleSpec
from monitor.matching.vocabulary import Vocabularies
from monitor.models import Article, AuditEvent, Rule, utcnow
from monitor.rules.failures import clear_failure
from monitor.rules.source import active_rules, invalidate
from monitor.settings import Settings

RULE_FIELDS = ("id", "title", "description", "category", "severity", "query", "enabled")


class RuleActionError(ValueError):
    """A rule action refused: status (404, 409, 422), a code and details naming the field and position."""

    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []


def check_query(query: str, vocabularies: Vocabularies, field: str = "query") -> None:
    """Parse a query with the active vocabularies; a syntax error names the field, line, column and expectation."""
    try:
        parse_query(query, vocabularies=vocabularies)
    except QuerySyntaxError as exc:
        message = str(exc)
        if exc.vocabulary is not None:
            vocab = vocabularies.get(exc.vocabulary)
            where = f" ({vocab.where()})" if vocab is not None else ""
            message = f"vocabulary @{exc.vocabulary}{where} is invalid: expected {exc.expected}, found {exc.found}"
        raise RuleActionError(422, "invalid_query", f"{field}: {message}", [
            {"field": field, "message": message, "line": None if exc.vocabulary else exc.line,
             "column": None if exc.vocabulary else exc.column, "expected": exc.expected},
        ]) from None


def _audit(session: Session, actor: str, action: str, rule_id: str, detail: dict[str, Any]) -> None:
    session.add(AuditEvent(actor=actor, action=action, object_type="rule", object_id=rule_id, detail=detail))


def _spec(data: dict[str, Any], vocabularies: Vocabularies, source: str) -> RuleSpec:
    try:
        return validate_rule({k: data[k] for k in RULE_FIELDS if k in data}, source=source, vocabularies=vocabularies)
    except RuleError as exc:
        raise RuleActionError(422, "invalid_rule", exc.message, [{"field": "query", "message": exc.message}]) from None


def draft_spec(session: Session, settings: Settings, data: dict[str, Any]) -> RuleSpec:
    """A RuleSpec for a draft as typed (nothing stored), with the active vocabularies; raises on a bad query."""
    vocabularies = active_rules(session, settings).vocabularies
    check_query(str(data.get("query") or ""), vocabularies)
    rule_id = str(data.get("id") or "") or "draft"
    return RuleSpec(id=rule_id, title=str(data.get("title") or rule_id), description=str(data.get("description") or ""),
                    category=str(data.get("category") or "sanctions"), severity=str(data.get("severity") or "medium"),
                    query=str(data["query"]), enabled=True, vocabularies=vocabularies)


def db_rule(session: Session, settings: Settings, rule_id: str) -> Rule:
    """The database row of a rule; 409 for a rule that only a file defines, 404 for an unknown id."""
    row = session.get(Rule, rule_id)
    if row is not None:
        return row
    if active_rules(session, settings).is_file_rule(rule_id):
        raise RuleActionError(409, "read_only", f"rule {rule_id} is defined in a rule file and is read-only here; "
                              "copy it under a new id to change it")
    raise RuleActionError(404, "not_found", f"rule {rule_id} not found")


def create_rule(session: Session, settings: Settings, data: dict[str, Any], actor: str) -> Rule:
    """Store a new database rule after checking its query; 409 when the id is taken (by a row or a file)."""
    active = active_rules(session, settings)
    check_query(str(data.get("query") or ""), active.vocabularies)
    rule_id = str(data["id"])
    if session.get(Rule, rule_id) is not None or active.get(rule_id) is not None or active.is_file_rule(rule_id):
        raise RuleActionError(409, "conflict", f"rule {rule_id} already exists",
                              [{"field": "body.id", "message": "already exists"}])
    row = Rule(**{k: data[k] for k in RULE_FIELDS if k in data})
    session.add(row)
    _audit(session, actor, "rule.create", rule_id, dict(data))
    session.flush()
    invalidate()
    return row


def update_rule(session: Session, settings: Settings, rule_id: str, changes: dict[str, Any], actor: str) -> Rule:
    """Change fields of a database rule (`enabled: false` disables it); the query is checked first."""
    row = db_rule(session, settings, rule_id)
    if changes.get("query") is not None:
        check_query(changes["query"], active_rules(session, settings).vocabularies)
    for name, value in changes.items():
        if value is None and name != "description":
            continue
        setattr(row, name, value if value is not None else "")
    row.updated_at = utcnow()
    session.add(row)
    _audit(session, actor, "rule.update", rule_id, dict(changes))
    clear_failure(session, rule_id)
    session.flush()
    invalidate()
    return row


def delete_rule(session: Session, settings: Settings, rule_id: str, actor: str) -> None:
    """Delete a database rule (its past alerts stay)."""
    row = db_rule(session, settings, rule_id)
    session.delete(row)
    _audit(session, actor, "rule.delete", rule_id, {"query": row.query})
    clear_failure(session, rule_id)
    session.flush()
    invalidate()


@dataclass
class Backtest:
    """What a rule would flag over stored articles: counts, the first hits, and whether every article was read."""

    rule_id: str
    articles_requested: int = 0
    articles_scanned: int = 0
    hits: int = 0
    # each kept hit with the stored alert of this rule on that article, when it scored differently
    items: list[tuple[Article, AlertFinding, StoredDifference | None]] = field(default_factory=list)
    complete: bool = True
    stopped: str | None = None
    elapsed: float = 0.0


def backtest(session: Session, settings: Settings, spec: RuleSpec, *, articles: int, limit: int) -> Backtest:
    """Run `spec` alone over the newest `articles` stored articles (at most `limit` hits kept), within the
    configured budget (422 `backtest_too_costly` when over it) and deadline (a partial result says so)."""
    from monitor.alerts.backtest import BacktestTooCostly, LimitedBacktest
    from monitor.alerts.drift import StoredScores

    try:
        run = LimitedBacktest(session, spec, settings, articles=articles)
    except BacktestTooCostly as exc:
        raise RuleActionError(422, "backtest_too_costly", str(exc), [
            {"field": "query.articles", "message": str(exc), "cost": exc.cost, "max_cost": exc.max_cost,
             "clauses": exc.clauses, "articles": exc.articles},
        ]) from None
    stored = StoredScores(session, settings, spec)
    result = Backtest(spec.id, articles_requested=articles)
    for article, findings in run:
        for finding in findings:
            result.hits += 1
            if len(result.items) < limit and article.id is not None:
                result.items.append((article, finding, stored.difference(article.id, finding)))
    result.articles_scanned, result.complete, result.stopped = run.scanned, run.complete, run.stopped
    result.elapsed = run.elapsed
    return result
