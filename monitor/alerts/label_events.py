"""Labels added to alerts that already exist (a rule that fired on re-matching, a list update), as
the live stream tells them: for each such alert, the labels added since the stream last looked.

A label's time (`created_at`) is taken when it is found, before its transaction commits, so a
label committed a little late has an earlier time than one already seen. Each look therefore reaches
back `OVERLAP` before the newest label time seen, and drops what it already sent by (alert, rule).
Alerts are read by `updated_at` (indexed), a page at a time, so a burst of reviews (which move
`updated_at` too) cannot hide a label behind them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from monitor import alertlabels as labels
from monitor.alerts.queries import AlertFilter, filter_conditions
from monitor.modelbase import as_utc
from monitor.models import Alert

OVERLAP = timedelta(seconds=60)
PAGE = 200
MAX_PAGES = 10  # per look: at most this many alerts' rows are read (the rest at the next look)


@dataclass
class LabelWatch:
    """Where a stream is in the labels: nothing at or before `start`; newest label time seen; what was sent."""

    start: datetime
    since: datetime = field(init=False)
    sent: dict[tuple[int, str], datetime] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.since = self.start


def _label_time(label: dict[str, Any]) -> datetime | None:
    value = label.get("created_at")
    if not isinstance(value, str):
        return None
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        return None


def added_labels(session: Session, flt: AlertFilter, up_to_id: int, watch: LabelWatch) -> list[tuple[Alert, list[str]]]:
    """Alerts (id at most `up_to_id`: newer ones are sent whole) matching `flt` that got labels since the
    watch's last look, each with the rule ids added; advances the watch."""
    lower = max(watch.since - OVERLAP, watch.start)
    found: list[tuple[Alert, list[str]]] = []
    newest = watch.since
    after: tuple[datetime, int] | None = None
    for _ in range(MAX_PAGES):
        query = select(Alert).where(*filter_conditions(flt), col(Alert.id) <= up_to_id, col(Alert.updated_at) > lower)
        if after is not None:
            query = query.where(or_(col(Alert.updated_at) > after[0],
                                    and_(col(Alert.updated_at) == after[0], col(Alert.id) > after[1])))
        rows = session.exec(query.order_by(col(Alert.updated_at), col(Alert.id)).limit(PAGE)).all()
        for alert in rows:
            created = as_utc(alert.created_at)
            added = []
            for label in labels.active(labels.labels_of(alert)):
                at = _label_time(label)
                key = (alert.id or 0, label["rule_id"])
                if at is None or at <= lower or at <= created or key in watch.sent:
                    continue
                watch.sent[key] = at
                newest = max(newest, at)
                added.append(label["rule_id"])
            if added:
                found.append((alert, added))
        if len(rows) < PAGE:
            break
        after = (rows[-1].updated_at, rows[-1].id or 0)
    watch.since = newest
    keep_after = watch.since - OVERLAP
    watch.sent = {k: at for k, at in watch.sent.items() if at > keep_after}
    return found
