"""An alert's labels: every rule that fired on its article, and the alert's summary of them.

One alert per article; each rule that fired on it is a label with its own category,
severity, score, explanation, entities and evidence, and its own `suppressed` flag (every
entity it names is covered by a suppression). The alert's own fields summarise the labels
that are not suppressed (all of them when every one is): `rule_id`, `category` and
`explanation` are those of the top label (highest severity, then score, then rule id),
`severity` and `score` are the highest, `entity_ids` and `evidence` the union, `rules` the
rule ids best first, and the alert is suppressed only when every label is.

Pure: plain dicts in and out (the label JSON as stored), no database; `apply` writes the
summary onto any object with the alert's attributes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from monitor.matching.types import SEVERITY_RANK, AlertFinding

SUMMARY_FIELDS = ("rule_id", "category", "severity", "severity_rank", "score", "explanation",
                  "entity_ids", "evidence", "rules", "suppressed")


def label_from_finding(finding: AlertFinding, *, suppressed: bool, at: datetime) -> dict[str, Any]:
    """The stored label of one rule that fired (`at`: when the label was added to the alert)."""
    return {
        "rule_id": finding.rule,
        "category": finding.category,
        "severity": finding.severity,
        "score": finding.score,
        "explanation": finding.explanation,
        "entity_ids": list(dict.fromkeys(finding.entity_ids)),
        "evidence": [e.to_json() for e in finding.evidence],
        "suppressed": suppressed,
        "created_at": at.isoformat(),
    }


def label_from_fields(alert: Any) -> dict[str, Any]:
    """A single label read off an alert's own fields (an alert written without labels)."""
    return {
        "rule_id": alert.rule_id,
        "category": alert.category,
        "severity": alert.severity,
        "score": alert.score,
        "explanation": alert.explanation or "",
        "entity_ids": list(alert.entity_ids or []),
        "evidence": list(alert.evidence or []),
        "suppressed": bool(alert.suppressed),
        "created_at": alert.created_at.isoformat() if alert.created_at else None,
    }


def labels_of(alert: Any) -> list[dict[str, Any]]:
    """The alert's labels, best first; an alert stored without labels has one, from its fields."""
    return ordered(alert.labels) if alert.labels else [label_from_fields(alert)]


def rank(label: dict[str, Any]) -> int:
    """Severity rank of a label (low=1 ... critical=4; unknown 2, as stored alerts default)."""
    return SEVERITY_RANK.get(str(label.get("severity", "")), 2)


def ordered(labels: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Labels best first: highest severity, then highest score, then rule id."""
    return sorted(labels, key=lambda lab: (-rank(lab), -float(lab.get("score") or 0.0), str(lab["rule_id"])))


def active(labels: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The labels that are not suppressed."""
    return [lab for lab in labels if not lab.get("suppressed")]


def summary(labels: list[dict[str, Any]]) -> dict[str, Any]:
    """The alert's fields summarising its labels (see the module docstring); needs one label at least."""
    if not labels:
        raise ValueError("an alert needs at least one label")
    everything = ordered(labels)
    shown = active(everything) or everything
    top = shown[0]
    entity_ids: list[str] = []
    evidence: list[dict[str, Any]] = []
    spans: set[tuple[Any, ...]] = set()
    for lab in shown:
        entity_ids.extend(lab.get("entity_ids") or [])
        for span in lab.get("evidence") or []:
            key = (span.get("field"), span.get("start"), span.get("end")) if isinstance(span, dict) else (repr(span),)
            if key not in spans:
                spans.add(key)
                evidence.append(span)
    return {
        "rule_id": top["rule_id"],
        "category": top.get("category") or "sanctions",
        "severity": top.get("severity") or "medium",
        "severity_rank": rank(top),
        "score": max(float(lab.get("score") or 0.0) for lab in shown),
        "explanation": top.get("explanation") or "",
        "entity_ids": list(dict.fromkeys(entity_ids)),
        "evidence": evidence,
        "rules": [lab["rule_id"] for lab in shown if not lab.get("suppressed")],
        "suppressed": not active(everything),
    }


def apply(alert: Any, labels: list[dict[str, Any]]) -> None:
    """Store `labels` (best first) on the alert and set its summary fields from them."""
    alert.labels = ordered(labels)
    for name, value in summary(labels).items():
        setattr(alert, name, value)


def merge(existing: list[dict[str, Any]], found: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """`existing` plus the labels of `found` whose rule is not there yet, and the rule ids added.

    A label already on the alert is kept as it was first stored (its evidence is what was
    reviewed), so re-matching the same article changes nothing.
    """
    have = {lab["rule_id"] for lab in existing}
    added = [lab for lab in found if lab["rule_id"] not in have]
    return [*existing, *added], [lab["rule_id"] for lab in added]


def all_entity_ids(labels: Iterable[dict[str, Any]]) -> list[str]:
    """Every entity named by any label, suppressed or not (the alert's entity links)."""
    return list(dict.fromkeys(e for lab in labels for e in lab.get("entity_ids") or []))
