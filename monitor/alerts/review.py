"""Review workflow: an analyst moves an alert between new, confirmed, dismissed and escalated.

Every review appends an AlertReview row (who, when, from what to what, reason, note), even
when the status stays the same (a note for the record), so the trail is complete for an auditor.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from monitor.alerts.queries import STATUSES
from monitor.models import Alert, AlertReview, utcnow


class ReviewError(ValueError):
    """A review that cannot be recorded (unknown alert, unknown status)."""


def review(
    session: Session, alert_id: int, status: str, *, actor: str, reason: str | None = None, note: str | None = None
) -> AlertReview:
    """Set the alert's status and append the change to its audit trail."""
    if status not in STATUSES:
        raise ReviewError(f"unknown status {status!r}; expected one of {', '.join(STATUSES)}")
    # Lock the row so two analysts reviewing at once each see the other's status as "from".
    alert = session.exec(select(Alert).where(Alert.id == alert_id).with_for_update()).first()
    if alert is None:
        raise ReviewError(f"alert {alert_id} not found")
    entry = AlertReview(
        alert_id=alert_id, actor=actor, from_status=alert.status, to_status=status, reason=reason, note=note
    )
    alert.status = status
    alert.updated_at = utcnow()
    session.add(alert)
    session.add(entry)
    session.flush()
    return entry


def history(session: Session, alert_id: int) -> list[AlertReview]:
    """The alert's audit trail, oldest first."""
    return list(
        session.exec(
            select(AlertReview)
            .where(AlertReview.alert_id == alert_id)
            .order_by(col(AlertReview.at), col(AlertReview.id))
        ).all()
    )
