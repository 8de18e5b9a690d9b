"""The outbox: one Delivery row per (alert, subscription), written in the alert's transaction.

A label added to an alert later (a rule that fires on re-matching) notifies the subscriptions
that label matches: a new delivery for those that had none, and for those already sent the
alert the same row armed again as a new message (`alert.updated`, a new webhook-id); one whose
message is still waiting sends the current labels anyway.

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

SETTLED = ("delivered", "failed")


def new_message_id() -> str:
    """A fresh, globally unique webhook message id (`msg_...`)."""
    return f"msg_{uuid.uuid4().hex}"


def realtime_subscriptions(session: Session) -> list[Subscription]:
    """Active subscriptions that receive each alert as it happens (delivered per article), oldest first."""
    stmt = (
        select(Subscription)
        .where(col(Subscription.active).is_(True), col(Subscription.realtime).is_(True),
               col(Subscription.deliver_per) == "article")
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

    Returns the deliveries this call created or armed again (none when nothing is new); the
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
    if labels is not None:
        told = {s.id for s in subs if s.id is not None} - {d.subscription_id for d in created}
        created.extend(_send_again(session, alert, told, now))
    return sorted(created, key=lambda d: d.id or 0)


def _send_again(session: Session, alert: Alert, subscription_ids: set[int], now: Any) -> list[Delivery]:
    """Arm these subscriptions' settled deliveries of the alert again as a new message (a new
    `webhook-id`, created now): the alert got a label they match after they were sent it.

    A delivery still open (pending, sending) needs nothing: its message is built from the alert,
    labels included, when it is sent. The attempts of the earlier message stay on the row.
    """
    if not subscription_ids:
        return []
    stmt = (
        select(Delivery)
        .where(col(Delivery.alert_id) == alert.id, col(Delivery.subscription_id).in_(subscription_ids),
               col(Delivery.status).in_(SETTLED))
        .with_for_update()
    )
    rows = list(session.scalars(stmt))
    for delivery in rows:
        delivery.status, delivery.message_id, delivery.attempts = "pending", new_message_id(), 0
        delivery.next_attempt_at, delivery.created_at = now, now
        delivery.lease_until, delivery.last_error = None, None
        session.add(delivery)
    session.flush()
    return rows
