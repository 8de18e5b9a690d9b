"""The outbox: one Delivery row per (alert, subscription), written in the alert's transaction.

A label added to an alert later (a rule that fires on re-matching) notifies the subscriptions
that label matches and that had no delivery of the alert yet; one already notified of the
alert is not notified again (the API, Atom feed and SSE carry the alert's current labels).

Rows are inserted with ON CONFLICT DO NOTHING on the (alert, subscription) unique
constraint, so calling this twice for one alert (a re-run match, a crash between
flush and commit) never creates a second delivery. Each row carries its own
`message_id`, the Standard Webhooks `webhook-id`, fixed for every retry.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from monitor.models import Alert, AlertEntity, Delivery, Subscription, utcnow
from monitor.notify.filters import alert_matches


def new_message_id() -> str:
    """A fresh, globally unique webhook message id (`msg_...`)."""
    return f"msg_{uuid.uuid4().hex}"


def realtime_subscriptions(session: Session) -> list[Subscription]:
    """Active subscriptions that receive alerts as they happen, oldest first."""
    stmt = (
        select(Subscription)
        .where(col(Subscription.active).is_(True), col(Subscription.realtime).is_(True))
        .where(col(Subscription.status) != "disabled")
        .order_by(col(Subscription.id))
    )
    return list(session.scalars(stmt))


def entity_datasets(session: Session, alert: Alert) -> set[str]:
    """Datasets of the alert's entities: the prefix of each `<dataset>:<id>` entity id,
    read from the link table only for ids that do not follow that form."""
    found = {e.split(":", 1)[0] for e in alert.entity_ids or () if ":" in e}
    if alert.id is not None and any(":" not in e for e in alert.entity_ids or ()):
        stmt = select(col(AlertEntity.dataset)).where(col(AlertEntity.alert_id) == alert.id)
        found.update(d for d in session.scalars(stmt) if d)
    return found


def enqueue_for_alert(session: Session, alert: Alert, labels: list[dict[str, Any]] | None = None) -> list[Delivery]:
    """Create a pending Delivery for every active realtime subscription the alert matches
    (with `labels`, the subscriptions one of these labels matches: the ones just added).

    Returns the deliveries this call created (none when they existed already); the
    caller queues `monitor.deliver` for each after commit.
    """
    if alert.suppressed:
        return []
    if alert.id is None:
        session.flush()
    datasets = entity_datasets(session, alert)
    subs = [s for s in realtime_subscriptions(session) if alert_matches(s, alert, datasets, labels)]
    if not subs:
        return []
    now = utcnow()
    rows = [
        {
            "alert_id": alert.id,
            "subscription_id": s.id,
            "message_id": new_message_id(),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for s in subs
    ]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(Delivery)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["alert_id", "subscription_id"])
        .returning(Delivery)
    )
    # ORM-enabled INSERT ... RETURNING: the new rows come back as Delivery objects
    created = list(session.scalars(stmt))
    return sorted(created, key=lambda d: d.id or 0)
