"""Delivering the outbox: claim a delivery, send it, record the attempt, schedule the retry.

Rules this module keeps:
- The database is the only queue that matters. A delivery is claimed with a
  conditional UPDATE (status -> sending, lease); a worker killed mid-send leaves a
  `sending` row whose lease runs out, and `claim_due` hands it out again. The
  endpoint may then see that message twice, with the same `webhook-id`.
- Per subscription, messages go out in creation order: a delivery waits while an
  earlier one of its subscription is still open, and whoever finishes the earlier one
  sends the next at once (in-process), so a healthy endpoint sees no extra latency.
- Any exception while a message is built or sent is a failed attempt of that delivery,
  recorded and retried like a refused one.
- Retries at 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h (±10 % jitter),
  or after Retry-After on 429/502/503/504. After the last one the delivery fails and
  the subscription is marked failing (the digest and the API show it). 410 disables it.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import and_, exists, func, or_, text, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from monitor.models import Alert, Article, Delivery, DeliveryAttempt, Subscription, utcnow
from monitor.notify import apprise_channel, email, render
from monitor.notify.payload import alert_data, webhook_payload
from monitor.notify.secretbox import SecretError
from monitor.notify.story_outbox import story_message_data
from monitor.notify.subscriptions import signing_secrets
from monitor.notify.webhook import SendResult, send_webhook, webhook_client
from monitor.settings import Settings

log = logging.getLogger("monitor.notify")

RETRY_DELAYS = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.1
CLAIM_LEASE = timedelta(seconds=60)
PAUSED_RECHECK = timedelta(minutes=5)
MAX_RETRY_AFTER = 86400.0
MAX_CHAIN = 200
OPEN = ("pending", "sending")


@dataclass
class Outcome:
    """What `deliver_one` did with one delivery."""

    delivery_id: int
    result: str  # delivered | retry | failed | deferred | paused | skipped
    attempt: SendResult | None = None
    next_id: int | None = None  # the subscription's next message, to send now
    chained: int = 0  # how many later messages of the subscription were sent in the same call


def send_lease(settings: Settings) -> timedelta:
    """How long a claimed delivery is held: well past the endpoint's timeout."""
    return timedelta(seconds=settings.webhook_timeout * 3 + 30)


def retry_delay(attempts: int, retry_after: float | None = None) -> float:
    """Seconds to wait after failed attempt number `attempts` (1-based)."""
    if retry_after is not None:
        return min(max(retry_after, 1.0), MAX_RETRY_AFTER)
    base = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    return base * random.uniform(1 - JITTER, 1 + JITTER)


def _relaxed_commit(session: Session) -> None:
    """On PostgreSQL, let this transaction's commit skip the WAL flush wait.

    Safe for delivery bookkeeping only: a commit lost in a database crash means at
    worst a message sent again with the same webhook-id (at-least-once still holds);
    the outbox rows themselves are written by the matcher's ordinary transaction.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))


def _claim(session: Session, delivery_id: int, now: datetime, lease: timedelta) -> bool:
    _relaxed_commit(session)
    earlier = aliased(Delivery)
    stmt = (
        update(Delivery)
        .where(col(Delivery.id) == delivery_id, col(Delivery.next_attempt_at) <= now)
        .where(
            or_(
                col(Delivery.status) == "pending",
                and_(col(Delivery.status) == "sending", col(Delivery.lease_until) < now),
            )
        )
        # per-subscription order: never while an earlier message of the subscription is open
        .where(
            ~exists().where(
                col(earlier.subscription_id) == col(Delivery.subscription_id),
                col(earlier.id) < col(Delivery.id),
                col(earlier.status).in_(OPEN),
            )
        )
        .values(status="sending", lease_until=now + lease)
    )
    claimed = session.execute(stmt).rowcount == 1  # type: ignore[attr-defined]
    session.commit()
    return claimed


def _earliest_open(session: Session, delivery: Delivery) -> tuple[int, str, datetime, datetime | None] | None:
    """The oldest still-open delivery of the same subscription created before this one."""
    stmt = (
        select(Delivery.id, Delivery.status, Delivery.next_attempt_at, Delivery.lease_until)
        .where(
            col(Delivery.subscription_id) == delivery.subscription_id,
            col(Delivery.id) < delivery.id,
            col(Delivery.status).in_(OPEN),
        )
        .order_by(col(Delivery.id))
        .limit(1)
    )
    row = session.exec(stmt).first()
    return None if row is None else (row[0] or 0, row[1], row[2], row[3])


def _next_in_line(session: Session, delivery: Delivery, now: datetime) -> int | None:
    """After `delivery` is settled: the subscription's next waiting message, made due now.

    None when nothing waits or the head is in its own retry back-off (attempts > 0).
    """
    head = (
        select(func.min(Delivery.id))
        .where(col(Delivery.subscription_id) == delivery.subscription_id, col(Delivery.status).in_(OPEN))
        .scalar_subquery()
    )
    # No relaxed commit here: usually nothing is updated, and PostgreSQL does not wait
    # for a flush on a commit that wrote nothing.
    stmt = (
        update(Delivery)
        .where(col(Delivery.id) == head, col(Delivery.status) == "pending", col(Delivery.attempts) == 0)
        .values(next_attempt_at=now)
        .returning(col(Delivery.id))
    )
    next_id = session.execute(stmt).scalar()
    session.commit()
    return next_id


def _defer_if_blocked(session: Session, delivery_id: int, now: datetime) -> Outcome:
    """The claim failed: if an earlier message of the subscription holds this one back,
    park it until that one's next try (its sender will pull this one forward)."""
    row = session.exec(
        select(Delivery).where(col(Delivery.id) == delivery_id).execution_options(populate_existing=True)
    ).first()
    due = row is not None and row.next_attempt_at <= now and (
        row.status == "pending" or (row.status == "sending" and row.lease_until is not None and row.lease_until < now)
    )
    if row is None or not due:
        return Outcome(delivery_id, "skipped")  # delivered, in flight elsewhere, or not due yet
    blocker = _earliest_open(session, row)
    if blocker is None:
        session.commit()
        return Outcome(delivery_id, "deferred", next_id=delivery_id)  # freed meanwhile: claim again
    _, b_status, b_next, b_lease = blocker
    wait_until = b_next if b_status == "pending" else (b_lease or now + CLAIM_LEASE)
    _relaxed_commit(session)
    session.execute(
        update(Delivery)
        .where(col(Delivery.id) == delivery_id, col(Delivery.status) == "pending")
        .values(next_attempt_at=max(wait_until, now + timedelta(seconds=1)))
    )
    session.commit()
    # The earlier message may have settled while we deferred; its sender looked for a
    # successor before our deferral was visible, so look again ourselves.
    if _earliest_open(session, row) is None:
        session.execute(
            update(Delivery)
            .where(col(Delivery.id) == delivery_id, col(Delivery.status) == "pending")
            .values(next_attempt_at=now)
        )
        session.commit()
        return Outcome(delivery_id, "deferred", next_id=delivery_id)
    session.commit()
    return Outcome(delivery_id, "deferred")


def _message_text(session: Session, delivery: Delivery, alert: Alert | None,
                  settings: Settings) -> tuple[str, str, str]:
    """(subject, text, html) of a message for people: an alert's, or a story message's."""
    if alert is None:
        story = story_message_data(delivery, settings)
        text, html = render.render_pair("story", story=story, updated=delivery.kind == "story.updated")
        what = "Story update" if delivery.kind == "story.updated" else "Story"
        sources = story.get("source_count") or 0
        severity = (story.get("severity") or "none").upper()
        count = f"{sources} source" + ("" if sources == 1 else "s")
        return f"[{severity}] {what}: {story.get('title', '')} ({count})"[:250], text, html
    data = alert_data(session, alert, settings)
    text, html = render.render_pair("alert", alert=data)
    return f"[{alert.severity.upper()}] {alert.title}"[:250], text, html


def _send(
    session: Session, delivery: Delivery, sub: Subscription, alert: Alert | None, settings: Settings,
    client: httpx.Client | None,
) -> tuple[SendResult, httpx.Client | None]:
    if sub.channel == "webhook":
        try:
            secrets = signing_secrets(sub, settings)
        except SecretError as exc:
            return SendResult(False, error=str(exc)), client
        now = utcnow()
        if alert is None:  # a story message: its data was frozen when it was made
            payload = {"type": delivery.kind, "timestamp": now.isoformat(), "subscription_id": sub.id,
                       "data": story_message_data(delivery, settings)}
        else:
            payload = webhook_payload(session, alert, sub, settings, now.isoformat())
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        client = client or webhook_client(settings)
        return send_webhook(client, sub.target, delivery.message_id, body, secrets, int(now.timestamp()),
                            total_timeout=settings.webhook_timeout), client
    subject, text, html = _message_text(session, delivery, alert, settings)
    if sub.channel == "email":
        msg = email.build_message(settings, sub.target, subject, text, html, delivery.message_id)
        return email.send_email(settings, msg), client
    if sub.channel == "apprise":
        return apprise_channel.send_apprise(settings, sub.target, subject, text, body_format="text"), client
    return SendResult(False, error=f"unknown channel {sub.channel!r}"), client


def _about(delivery: Delivery) -> str:
    if delivery.story_id is not None and delivery.alert_id is None:
        return f"{delivery.kind} of story {delivery.story_id}"
    return f"alert {delivery.alert_id}"


def _fail_open_deliveries(session: Session, sub_id: int, reason: str) -> None:
    session.execute(
        update(Delivery)
        .where(col(Delivery.subscription_id) == sub_id, col(Delivery.status) == "pending")
        .values(status="failed", last_error=reason, lease_until=None)
    )


def _deliver(
    session: Session, delivery_id: int, settings: Settings, client: httpx.Client | None
) -> tuple[Outcome, httpx.Client | None]:
    now = utcnow()
    if not _claim(session, delivery_id, now, send_lease(settings)):
        return _defer_if_blocked(session, delivery_id, now), client
    # one round trip for the delivery, its subscription, alert and article
    loaded = session.exec(
        select(Delivery, Subscription, Alert, Article)
        .join(Subscription, col(Subscription.id) == col(Delivery.subscription_id), isouter=True)
        .join(Alert, col(Alert.id) == col(Delivery.alert_id), isouter=True)
        .join(Article, col(Article.id) == col(Alert.article_id), isouter=True)
        .where(col(Delivery.id) == delivery_id)
        .execution_options(populate_existing=True)
    ).first()
    assert loaded is not None
    delivery, sub, alert, _article = loaded
    if sub is None or (alert is None and delivery.story_id is None) or sub.status == "disabled":
        delivery.status, delivery.lease_until = "failed", None
        delivery.last_error = "subscription disabled" if sub is not None else "subscription deleted"
        session.add(delivery)
        session.commit()
        return Outcome(delivery_id, "failed"), client
    if not sub.active:
        delivery.status, delivery.lease_until = "pending", None
        delivery.next_attempt_at = now + PAUSED_RECHECK
        session.add(delivery)
        session.commit()
        return Outcome(delivery_id, "paused"), client

    started = time.perf_counter()
    try:
        result, client = _send(session, delivery, sub, alert, settings, client)
    except Exception as exc:
        # Whatever the message held (a hostile title, a target saved by an older release),
        # it is this delivery's failure, retried like any other: never a row left `sending`
        # that holds back every later message of the subscription.
        log.exception("delivery %s: the message could not be built or sent", delivery_id)
        session.rollback()
        result = SendResult.of_exception(exc, started)
    finished = utcnow()
    _relaxed_commit(session)
    session.add(
        DeliveryAttempt(
            delivery_id=delivery_id, at=finished, ok=result.ok, status_code=result.status_code,
            error=result.error, response_body=(result.body or None) and result.body[:2048],
            duration_ms=round(result.duration_ms, 2),
        )
    )
    delivery.attempts += 1
    delivery.last_attempt_at = finished
    delivery.lease_until = None
    outcome: str
    if result.ok:
        delivery.status, delivery.delivered_at, delivery.last_error = "delivered", finished, None
        if sub.status == "failing":
            sub.status, sub.status_detail = "ok", None
        outcome = "delivered"
    elif result.gone:
        delivery.status, delivery.last_error = "failed", result.error
        sub.status = "disabled"
        sub.status_detail = f"endpoint answered 410 Gone at {finished.isoformat()}; resume to re-enable"
        _fail_open_deliveries(session, sub.id or 0, "subscription disabled (410 Gone)")
        outcome = "failed"
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.last_error = "failed", result.error
        sub.status = "failing"
        sub.status_detail = (
            f"delivery {delivery.id} ({_about(delivery)}) failed after {delivery.attempts} attempts"
            f" at {finished.isoformat()}: {result.error}"
        )
        outcome = "failed"
    else:
        delivery.status, delivery.last_error = "pending", result.error
        delivery.next_attempt_at = finished + timedelta(seconds=retry_delay(delivery.attempts, result.retry_after))
        outcome = "retry"
    session.add(delivery)
    session.add(sub)
    session.commit()
    log.info("delivery %s: %s (%s)", delivery_id, outcome, result.status_code or result.error)
    next_id = None
    if outcome == "delivered" or (outcome == "failed" and sub.status != "disabled"):
        next_id = _next_in_line(session, delivery, finished)
    return Outcome(delivery_id, outcome, result, next_id), client


def deliver_one(session: Session, delivery_id: int, settings: Settings, client: httpx.Client | None = None) -> Outcome:
    """Try one delivery now (if it is due and nobody holds it), then its subscription's next ones in order."""
    own = client is None
    try:
        first, client = _deliver(session, delivery_id, settings, client)
        outcome = first
        while outcome.next_id is not None and first.chained < MAX_CHAIN:
            outcome, client = _deliver(session, outcome.next_id, settings, client)
            if outcome.result != "skipped":
                first.chained += 1
        return first
    finally:
        if own and client is not None:
            client.close()


def claim_due(session: Session, limit: int = 500, now: datetime | None = None) -> list[int]:
    """Claim up to `limit` due deliveries (and ones whose sender died) for a short lease; returns their ids.

    PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED, so concurrent sweeps split the rows.
    SQLite: one UPDATE ... RETURNING (SQLite runs one writer at a time).
    """
    now = now or utcnow()
    earlier = aliased(Delivery)
    due = or_(
        and_(
            col(Delivery.status) == "pending",
            col(Delivery.next_attempt_at) <= now,
            or_(col(Delivery.lease_until).is_(None), col(Delivery.lease_until) < now),
            # A message queued behind an open earlier one of its subscription is not due: the
            # earlier one's sender pulls it forward, or a later sweep finds it once unblocked.
            # So a long-failing endpoint costs one row per sweep, not its whole backlog.
            ~exists().where(
                col(earlier.subscription_id) == col(Delivery.subscription_id),
                col(earlier.id) < col(Delivery.id),
                col(earlier.status).in_(OPEN),
            ),
        ),
        and_(col(Delivery.status) == "sending", col(Delivery.lease_until) < now),
    )
    pick = select(Delivery.id).where(due).order_by(col(Delivery.next_attempt_at), col(Delivery.id)).limit(limit)
    # A dead sender's row goes back to pending: its attempt's fate is unknown, so it is
    # not counted, and the endpoint may see the message again with the same webhook-id.
    values = {"status": "pending", "lease_until": now + CLAIM_LEASE}
    if session.get_bind().dialect.name == "postgresql":
        ids = [i for i in session.exec(pick.with_for_update(skip_locked=True)).all() if i is not None]
        if ids:
            session.execute(update(Delivery).where(col(Delivery.id).in_(ids)).values(**values))
    else:
        stmt = (
            update(Delivery)
            .where(col(Delivery.id).in_(pick.scalar_subquery()), due)
            .values(**values)
            .returning(col(Delivery.id))
        )
        ids = [i for i in session.execute(stmt).scalars() if i is not None]
    session.commit()
    return sorted(ids)


def redeliver(session: Session, delivery_id: int, *, actor: str = "cli") -> Delivery:
    """Send a delivery again (same webhook-id) with a fresh retry schedule."""
    from monitor.models import AuditEvent

    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise LookupError(f"delivery {delivery_id} not found")
    delivery.status, delivery.attempts = "pending", 0
    delivery.next_attempt_at, delivery.lease_until = utcnow(), None
    session.add(delivery)
    session.add(
        AuditEvent(actor=actor, action="delivery.redeliver", object_type="delivery", object_id=str(delivery_id))
    )
    session.flush()
    return delivery


def redeliver_range(
    session: Session, since: datetime, until: datetime, *, subscription_id: int | None = None,
    only_failed: bool = False, actor: str = "cli",
) -> list[int]:
    """Send again every delivery created in [since, until) (optionally one subscription's, or failed ones only)."""
    stmt = select(Delivery).where(col(Delivery.created_at) >= since, col(Delivery.created_at) < until)
    stmt = stmt.where(col(Delivery.status).not_in(OPEN))
    if subscription_id is not None:
        stmt = stmt.where(col(Delivery.subscription_id) == subscription_id)
    if only_failed:
        stmt = stmt.where(col(Delivery.status) == "failed")
    ids = []
    for delivery in session.exec(stmt.order_by(col(Delivery.id))):
        redeliver(session, delivery.id or 0, actor=actor)
        ids.append(delivery.id or 0)
    return ids
