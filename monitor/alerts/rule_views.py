"""Rules as the API and the console show them (RulePublic), from the one rules source.

No cache of its own: `monitor.rules.source.active_rules` decides which rules are active.
Database rows are listed as stored (an invalid one too, so it can be fixed), then the file
rules whose id no row overrides.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from monitor.alerts.rule_admin import RULE_FIELDS, Backtest
from monitor.matching.types import RuleSpec
from monitor.models import Rule
from monitor.rules.source import active_rules
from monitor.schemas import RulePublic, RuleTestHit, RuleTestResult
from monitor.settings import Settings


def spec_public(spec: RuleSpec, source: str) -> RulePublic:
    """A rule file's RuleSpec as the API shows it (escalations are not part of RulePublic)."""
    return RulePublic.model_validate({**{name: getattr(spec, name) for name in RULE_FIELDS}, "source": source})


def db_rule_public(rule: Rule) -> RulePublic:
    """A database rule row as RulePublic."""
    return RulePublic.model_validate({**rule.model_dump(), "source": "db"})


def all_rules(session: Session, settings: Settings) -> list[RulePublic]:
    """Every rule: the database's, then those from files whose id the database does not override."""
    rows = [db_rule_public(r) for r in session.exec(select(Rule).order_by(col(Rule.id))).all()]
    taken = {r.id for r in rows}
    files = active_rules(session, settings).file_rules
    return rows + [spec_public(r, "file") for r in files if r.id not in taken]


def rule_public(session: Session, settings: Settings, rule_id: str) -> RulePublic | None:
    """One rule by id, from the database first, then the files; None when unknown."""
    row = session.get(Rule, rule_id)
    if row is not None:
        return db_rule_public(row)
    spec = next((r for r in active_rules(session, settings).file_rules if r.id == rule_id), None)
    return spec_public(spec, "file") if spec is not None else None


def backtest_result(outcome: Backtest) -> RuleTestResult:
    """A backtest as the API answers it and the console shows it."""
    items = [
        RuleTestHit.model_validate({
            "article_id": article.id, "title": article.title, "severity": finding.severity, "score": finding.score,
            "entity_ids": list(finding.entity_ids),
            "evidence": [{"field": e.field, "start": e.start, "end": e.end, "text": e.text} for e in finding.evidence],
            "stored": stored.to_json() if stored is not None else None,
        })
        for article, finding, stored in outcome.items
    ]
    return RuleTestResult(rule_id=outcome.rule_id, articles_scanned=outcome.articles_scanned,
                          articles_requested=outcome.articles_requested, hits=outcome.hits, items=items,
                          complete=outcome.complete, stopped=outcome.stopped,
                          elapsed_ms=round(outcome.elapsed * 1000, 1))
