"""Why a backtest scores an article differently from the alert stored for it.

A stored alert's label keeps the severity and score the rule got when it fired; a backtest
scores with the lists and rules as they are now. `StoredScores` finds the label of the same
rule on the same article's alert and, when severity or score differ, names what changed since
it was stored: list versions loaded after it, the rule edited in the database or its rule
file modified after it, or the rule run being an unsaved draft. When nothing of that
changed, the matcher itself did (a new release).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from monitor.alertlabels import labels_of
from monitor.matching.rulefile import rule_files
from monitor.matching.types import AlertFinding, RuleSpec
from monitor.models import Alert, ListVersion, Rule, as_utc
from monitor.settings import Settings

MAX_LISTED = 4  # list loads named one by one; more are counted


@dataclass
class StoredDifference:
    """The stored alert of a backtest hit, and what changed since it was stored."""

    alert_id: int
    severity: str
    score: float
    created_at: datetime
    changes: list[str] = field(default_factory=list)

    def note(self) -> str:
        """One sentence for people: the stored figures and the reasons."""
        why = "; ".join(self.changes) if self.changes else (
            "no list was loaded and the rule did not change since: the matcher itself changed (a new release)")
        return (f"stored alert {self.alert_id} has {self.severity} {self.score:.2f} "
                f"(raised {self.created_at:%Y-%m-%d %H:%M} UTC); since then: {why}")

    def to_json(self) -> dict[str, Any]:
        """The JSON of this difference (CLI and API)."""
        return {"alert_id": self.alert_id, "severity": self.severity, "score": self.score,
                "created_at": self.created_at.isoformat(), "changes": self.changes, "note": self.note()}


class StoredScores:
    """Compares backtest findings of one rule with the alerts stored for the same articles."""

    def __init__(self, session: Session, settings: Settings, spec: RuleSpec) -> None:
        self.session, self.spec = session, spec
        self.versions = list(session.exec(
            select(ListVersion).where(col(ListVersion.status) != "failed").order_by(col(ListVersion.loaded_at))))
        row = session.get(Rule, spec.id)
        self.rule_edited = as_utc(row.updated_at) if row is not None else None
        self.saved = (row.query, row.severity) if row is not None else None
        self.files: list[tuple[str, datetime]] = []
        if row is None:
            from monitor.rules.source import rule_paths

            self.files = [(p.name, datetime.fromtimestamp(p.stat().st_mtime, UTC))
                          for p in rule_files(rule_paths(settings))]
            self.saved = self._file_definition(settings)

    def _file_definition(self, settings: Settings) -> tuple[str, str] | None:
        from monitor.rules.source import active_rules

        spec = active_rules(self.session, settings).get(self.spec.id)
        return (spec.query, spec.severity) if spec is not None else None

    def difference(self, article_id: int, finding: AlertFinding) -> StoredDifference | None:
        """The stored alert and the reasons, when its severity or score differ from `finding`; else None."""
        alert = self.session.exec(select(Alert).where(col(Alert.article_id) == article_id)).first()
        if alert is None or alert.id is None:
            return None
        # the article's one alert; this rule's label on it, with the figures and time it was stored with
        label = next((lab for lab in labels_of(alert) if lab["rule_id"] == self.spec.id), None)
        if label is None:
            return None
        severity, score = str(label.get("severity")), float(label.get("score") or 0.0)
        if severity == finding.severity and round(score, 3) == round(finding.score, 3):
            return None
        stamp = label.get("created_at")
        since = as_utc(datetime.fromisoformat(stamp)) if stamp else as_utc(alert.created_at)
        return StoredDifference(alert.id, severity, score, since, self._changes(since))

    def _changes(self, since: datetime) -> list[str]:
        changes: list[str] = []
        if self.saved is not None and (self.spec.query, self.spec.severity) != self.saved:
            changes.append("this run used an unsaved draft of the rule")
        if self.rule_edited is not None and self.rule_edited > since:
            changes.append(f"the rule was edited ({self.rule_edited:%Y-%m-%d %H:%M} UTC)")
        changes += [f"rule file {name} changed ({at:%Y-%m-%d %H:%M} UTC)" for name, at in self.files if at > since]
        loads = [v for v in self.versions if as_utc(v.loaded_at) > since]
        changes += [f"list {v.dataset} version {v.number or v.id} loaded ({as_utc(v.loaded_at):%Y-%m-%d %H:%M} UTC)"
                    for v in loads[:MAX_LISTED]]
        if len(loads) > MAX_LISTED:
            changes.append(f"{len(loads) - MAX_LISTED} more list loads")
        return changes
