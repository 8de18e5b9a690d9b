"""Rules that failed while matching an article: recorded, shown in the console and /healthz.

The matcher isolates a rule that raises during evaluation (it gives no alert on that article,
every other rule still runs) and reports it in `ScanResult.rule_errors`. `record_failures`
keeps the last error of each rule in the database (KeyValue `rule-failure:<id>`, with a count
and the first and last article), so an operator sees it whichever process matched. A record is
shown only while the rule is unchanged (its query and vocabularies fingerprint): fixing or
deleting the rule clears it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from monitor.matching.types import RuleFailure, RuleSpec
from monitor.models import KeyValue, utcnow

log = logging.getLogger(__name__)

PREFIX = "rule-failure:"


def rule_fingerprint(spec: RuleSpec) -> str:
    """What a failure record is tied to: the rule's query, escalations and vocabularies."""
    text = "\x1f".join([spec.query, *(e.when for e in spec.escalate), spec.vocabularies.fingerprint])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class FailureRecord:
    """The last evaluation error of one rule."""

    rule: str
    error: str
    count: int
    first_at: str
    last_at: str
    last_article_id: int | None
    fingerprint: str


def record_failures(session: Session, failures: Iterable[RuleFailure], rules: Iterable[RuleSpec],
                    article_id: int | None) -> None:
    """Remember each failed rule's error on this article (upsert; a concurrent writer's row stands)."""
    specs = {r.id: r for r in rules}
    now = utcnow().isoformat()
    for failure in failures:
        log.error("rule %s failed on article %s: %s", failure.rule, article_id, failure.error)
        spec = specs.get(failure.rule)
        fingerprint = rule_fingerprint(spec) if spec is not None else ""
        row = session.get(KeyValue, PREFIX + failure.rule)
        old = json.loads(row.value) if row is not None else {}
        same = old.get("fingerprint") == fingerprint
        value = json.dumps({
            "rule": failure.rule, "error": failure.error, "fingerprint": fingerprint,
            "count": (int(old.get("count", 0)) if same else 0) + 1,
            "first_at": old.get("first_at", now) if same else now, "last_at": now, "last_article_id": article_id,
        })
        try:
            with session.begin_nested():
                if row is None:
                    session.add(KeyValue(key=PREFIX + failure.rule, value=value, updated_at=utcnow()))
                else:
                    row.value, row.updated_at = value, utcnow()
                    session.add(row)
                session.flush()
        except IntegrityError:
            continue


def current_failures(session: Session, rules: Iterable[RuleSpec]) -> list[FailureRecord]:
    """Failure records of the active rules that are still as they were when they failed."""
    fingerprints = {r.id: rule_fingerprint(r) for r in rules}
    out: list[FailureRecord] = []
    for row in session.exec(select(KeyValue).where(col(KeyValue.key).startswith(PREFIX))).all():
        try:
            data = json.loads(row.value)
        except ValueError:
            continue
        rule = str(data.get("rule", row.key[len(PREFIX):]))
        if fingerprints.get(rule) != data.get("fingerprint"):
            continue
        out.append(FailureRecord(rule, str(data.get("error", "")), int(data.get("count", 1)),
                                 str(data.get("first_at", "")), str(data.get("last_at", "")),
                                 data.get("last_article_id"), str(data.get("fingerprint", ""))))
    return sorted(out, key=lambda f: f.rule)


def clear_failure(session: Session, rule_id: str) -> None:
    """Forget a rule's failure (after it was edited or deleted)."""
    row = session.get(KeyValue, PREFIX + rule_id)
    if row is not None:
        session.delete(row)
