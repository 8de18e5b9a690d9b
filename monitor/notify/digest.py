"""The daily digest: one message per (subscription, local date), claimed by a unique row.

A beat tick every 5 minutes computes each digest subscription's send time for its
own local date with zoneinfo (a time that does not exist on a spring-forward day is
read with the offset before the change, so it still happens once that day), claims
(subscription, local date) by inserting the Digest row (the unique constraint lets
exactly one process win), and sends the matching alerts that no digest of this
subscription has included yet. Which alerts a digest includes is recorded as
DigestItem rows, written in the claim's transaction and keyed by (subscription,
alert): an alert is in at most one digest per subscription, and an alert committed
late with a lower id than alerts already sent still goes out in the next digest
(gathering by "id after the last one sent" would lose it). A failed send is retried
on later ticks that day with the same items; a digest that never went out hands its
items to the next date's digest.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from time import perf_counter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, literal, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from monitor.alerts.queries import AlertFilter, filter_conditions
from monitor.links import web_link
from monitor.matching.types import SEVERITIES
from monitor.models import Alert, Article, Digest, DigestItem, Entity, Feed, Subscription, utcnow
from monitor.notify import apprise_channel, email, render
from monitor.notify.payload import review_url
from monitor.notify.secretbox import SecretError
from monitor.notify.subscriptions import signing_secrets
from monitor.notify.webhook import SendResult, send_webhook, webhook_client
from monitor.settings import Settings
from monitor.stories.queries import stories_of_alerts

log = logging.getLogger("monitor.notify.digest")

MAX_LISTED = 200  # alerts shown one by one; the counts cover all of them
STALE_CLAIM = timedelta(minutes=15)  # a claim older than this with no result is taken over
FAILED_RETRY = timedelta(minutes=10)
DONE = ("sent", "empty")  # a digest in these states holds exactly what it sent, for good


@dataclass
class DigestContent:
    """Everything one digest says, ready to render."""

    subscription: Subscription
    local_date: date
    scheduled_at: datetime
    alerts: list[Alert]
    total: int
    by_rule: list[tuple[str, int]]
    by_severity: list[tuple[str, int]]
    top_entities: list[dict[str, Any]]
    items: list[dict[str, Any]]
    failing: list[dict[str, Any]] = field(default_factory=list)
    stories: list[dict[str, Any]] = field(default_factory=list)  # the alerts by story, with outlet counts
    first_alert_id: int | None = None
    last_alert_id: int | None = None

    @property
    def empty(self) -> bool:
        """True on a day without alerts."""
        return self.total == 0

    @property
    def subject(self) -> str:
        """The message subject line."""
        if self.empty:
            return f"Sanctions monitor digest {self.local_date.isoformat()}: no new alerts"
        return f"Sanctions monitor digest {self.local_date.isoformat()}: {self.total} new alert(s)"


def scheduled_at(sub: Subscription, local_date: date) -> datetime:
    """The UTC instant of this subscription's digest on `local_date` in its time zone."""
    hh, mm = (int(p) for p in (sub.digest_time or "08:00").split(":"))
    local = datetime.combine(local_date, time(hh, mm), tzinfo=ZoneInfo(sub.timezone or "UTC"))
    return local.astimezone(ZoneInfo("UTC"))


def local_today(sub: Subscription, now: datetime) -> date:
    """The subscription's local date at `now`."""
    return now.astimezone(ZoneInfo(sub.timezone or "UTC")).date()


def digest_subscriptions(session: Session, subscription_id: int | None = None) -> list[Subscription]:
    """Active subscriptions that want a digest (or just the one asked for)."""
    stmt = select(Subscription).where(col(Subscription.digest).is_(True)).order_by(col(Subscription.id))
    if subscription_id is not None:
        stmt = select(Subscription).where(col(Subscription.id) == subscription_id)
    else:
        stmt = stmt.where(col(Subscription.active).is_(True), col(Subscription.status) != "disabled")
    return list(session.exec(stmt))


def _filter(sub: Subscription, since: datetime) -> AlertFilter:
    return AlertFilter(
        rules=list(sub.rules or []),
        categories=list(sub.categories or []),
        min_severity=sub.min_severity,  # type: ignore[arg-type]
        min_score=sub.min_score,
        entity_ids=list(sub.entity_ids or []),
        datasets=list(sub.datasets or []),
        feed_ids=list(sub.feed_ids or []),
        since=since,
    )


def lookback_start(settings: Settings, sub: Subscription, now: datetime) -> datetime:
    """The oldest creation time an alert not yet in a digest may have to be gathered.

    Bounds the anti-join: at most `digest_lookback_days` back, and for a new subscription
    the day before it was made (its first digest covers the last day, as before).
    """
    return max(now - timedelta(days=settings.digest_lookback_days), sub.created_at - timedelta(days=1))


def pending_conditions(settings: Settings, sub: Subscription, now: datetime) -> list[Any]:
    """Alerts matching `sub`, created in the look-back window up to `now`, in no digest of `sub` yet."""
    conds = filter_conditions(_filter(sub, lookback_start(settings, sub, now)))
    conds.append(col(Alert.created_at) <= now)
    # Anti-join on digest_item's primary key (subscription_id, alert_id).
    conds.append(
        ~exists().where(and_(col(DigestItem.subscription_id) == sub.id, col(DigestItem.alert_id) == col(Alert.id)))
    )
    return conds


def _unfinished(sub_id: int, local_date: date, now: datetime, *, before: bool) -> Any:
    """Ids of this subscription's digests that never went out and whose items the digest of `local_date` takes.

    Failed ones and claims whose sender died (older than STALE_CLAIM); with `before`,
    only earlier dates, else also the date's own row.
    """
    day = col(Digest.local_date) < local_date if before else col(Digest.local_date) <= local_date
    return select(Digest.id).where(
        Digest.subscription_id == sub_id,
        day,
        or_(
            col(Digest.status) == "failed",
            and_(col(Digest.status) == "claimed", col(Digest.claimed_at) < now - STALE_CLAIM),
        ),
    )


def _own(session: Session, sub_id: int, local_date: date) -> Digest | None:
    return session.exec(
        select(Digest).where(Digest.subscription_id == sub_id, Digest.local_date == local_date)
    ).first()


def digest_conditions(
    session: Session, settings: Settings, sub: Subscription, local_date: date, now: datetime
) -> list[Any]:
    """SQL conditions on Alert selecting exactly the alerts of this digest.

    A digest that was sent (or is being sent right now) holds its items; otherwise the
    digest would take the items of unfinished digests (its own failed try, earlier dates
    that never went out) plus the pending alerts - what `run_digest` will record.
    """
    own = _own(session, sub.id or 0, local_date)
    if own is not None and (
        own.status in (*DONE, "superseded") or (own.status == "claimed" and own.claimed_at >= now - STALE_CLAIM)
    ):
        return [col(Alert.id).in_(select(DigestItem.alert_id).where(DigestItem.digest_id == own.id))]
    held = select(DigestItem.alert_id).where(
        col(DigestItem.digest_id).in_(_unfinished(sub.id or 0, local_date, now, before=False))
    )
    return [or_(col(Alert.id).in_(held), and_(*pending_conditions(settings, sub, now)))]


def build_digest(
    session: Session, settings: Settings, sub: Subscription, local_date: date, now: datetime | None = None
) -> DigestContent:
    """What the digest of `sub` for `local_date` says (read-only: preview, CLI and send share it)."""
    now = now or utcnow()
    conds = digest_conditions(session, settings, sub, local_date, now)
    total, first_id, last_id = session.execute(
        select(func.count(), func.min(col(Alert.id)), func.max(col(Alert.id))).select_from(Alert).where(*conds)
    ).one()
    alerts = list(session.exec(select(Alert).where(*conds).order_by(col(Alert.id)).limit(MAX_LISTED * 5)))
    by_rule = Counter(rule for a in alerts for rule in (a.rules or [a.rule_id]))
    by_sev = Counter(a.severity for a in alerts)
    ent_counts = Counter(e for a in alerts for e in (a.entity_ids or []))
    top_ids = [e for e, _ in ent_counts.most_common(10)]
    names = {e.id: e.name for e in session.exec(select(Entity).where(col(Entity.id).in_(top_ids)))} if top_ids else {}
    top_entities = [{"entity_id": e, "name": names.get(e, e), "count": ent_counts[e]} for e in top_ids]
    # Highest severity first, then score: what a reader should look at first.
    listed = sorted(alerts, key=lambda a: (-a.severity_rank, -a.score, a.id or 0))[:MAX_LISTED]
    articles = {
        a.id: a
        for a in session.exec(select(Article).where(col(Article.id).in_([x.article_id for x in listed])))
    } if listed else {}
    feed_ids = {a.feed_id for a in listed if a.feed_id}
    feeds = {f.id: f for f in session.exec(select(Feed).where(col(Feed.id).in_(feed_ids)))} if feed_ids else {}
    items = []
    for a in listed:
        art = articles.get(a.article_id)
        feed = feeds.get(a.feed_id) if a.feed_id else None
        evidence = (a.evidence or [{}])[0].get("text", "") if a.evidence else ""
        items.append(
            {
                "id": a.id,
                "title": a.title or (art.title if art else ""),
                "rule": a.rule_id,
                "language": a.language,
                "rules": list(a.rules or [a.rule_id]),
                "severity": a.severity,
                "score": a.score,
                "source": (feed.title or feed.url) if feed else (art.url if art and art.url else "scanned document"),
                "article_url": web_link(art.url) if art else None,
                "evidence": evidence,
                "review_url": review_url(settings, a.id),
            }
        )
    severity_order = list(reversed(SEVERITIES))
    not_ok = select(Subscription).where(col(Subscription.status) != "ok").order_by(col(Subscription.id))
    failing = [
        {"id": s.id, "name": s.name or f"{s.channel} #{s.id}", "status": s.status, "detail": s.status_detail or ""}
        for s in session.exec(not_ok)
    ]
    return DigestContent(
        subscription=sub,
        local_date=local_date,
        scheduled_at=scheduled_at(sub, local_date),
        alerts=alerts,
        total=int(total),
        by_rule=by_rule.most_common(),
        by_severity=[(s, by_sev[s]) for s in severity_order if by_sev.get(s)],
        top_entities=top_entities,
        items=items,
        failing=failing,
        stories=stories_of_alerts(session, alerts),
        first_alert_id=first_id,
        last_alert_id=last_id,
    )


def render_digest(content: DigestContent, settings: Settings) -> tuple[str, str]:
    """The (text, html) of a digest."""
    ctx = {
        "d": content,
        "sub": content.subscription,
        "alerts_url": f"{settings.public_base_url}/",  # the console's alert list
        "shown": len(content.items),
    }
    return render.render_pair("digest", **ctx)


def digest_json(content: DigestContent) -> dict[str, Any]:
    """The digest as JSON (webhook payload, API preview)."""
    return {
        "subscription_id": content.subscription.id,
        "local_date": content.local_date.isoformat(),
        "scheduled_at": content.scheduled_at.isoformat(),
        "total": content.total,
        "by_rule": dict(content.by_rule),
        "by_severity": dict(content.by_severity),
        "top_entities": content.top_entities,
        "stories": content.stories,
        "alerts": content.items,
        "failing_subscriptions": content.failing,
    }


def send_digest(session: Session, settings: Settings, content: DigestContent) -> SendResult:
    """Send a rendered digest over the subscription's channel."""
    sub = content.subscription
    text, html = render_digest(content, settings)
    msg_id = f"msg_digest_{sub.id}_{content.local_date.isoformat()}"
    if sub.channel == "email":
        msg = email.build_message(settings, sub.target, content.subject, text, html, msg_id)
        return email.send_email(settings, msg)
    if sub.channel == "apprise":
        return apprise_channel.send_apprise(settings, sub.target, content.subject, text, body_format="text")
    if sub.channel == "webhook":
        try:
            secrets = signing_secrets(sub, settings)
        except SecretError as exc:
            return SendResult(False, error=str(exc))
        now = utcnow()
        body = json.dumps(
            {"type": "digest.created", "timestamp": now.isoformat(), "data": digest_json(content)},
            ensure_ascii=False, separators=(",", ":"),
        ).encode()
        with webhook_client(settings) as client:
            return send_webhook(client, sub.target, msg_id, body, secrets, int(now.timestamp()),
                                total_timeout=settings.webhook_timeout)
    return SendResult(False, error=f"unknown channel {sub.channel!r}")


def claim(session: Session, sub_id: int, local_date: date, now: datetime | None = None) -> Digest | None:
    """Claim (subscription, local date): the inserted row, or None when someone else holds it.

    A claim left by a crashed process (no result after STALE_CLAIM) and a failed send
    (after FAILED_RETRY) can be taken over; a sent or skipped digest never again.
    """
    now = now or utcnow()
    new_id = _claim_row(session, sub_id, local_date, now)
    session.commit()
    if new_id is None:
        return None
    return session.get(Digest, new_id, populate_existing=True)


def _insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _claim_row(session: Session, sub_id: int, local_date: date, now: datetime) -> int | None:
    """Insert or take over the (subscription, local date) row, uncommitted; its id, or None when held."""
    insert = _insert(session)
    stmt = (
        insert(Digest)
        .values(subscription_id=sub_id, local_date=local_date, status="claimed", claimed_at=now, alert_count=0)
        .on_conflict_do_nothing(index_elements=["subscription_id", "local_date"])
        .returning(col(Digest.id))
    )
    new_id = session.execute(stmt).scalar()
    if new_id is None:
        retake = (
            update(Digest)
            .where(Digest.subscription_id == sub_id, Digest.local_date == local_date)  # type: ignore[arg-type]
            .where(
                or_(
                    and_(col(Digest.status) == "claimed", col(Digest.claimed_at) < now - STALE_CLAIM),
                    and_(col(Digest.status) == "failed", col(Digest.claimed_at) < now - FAILED_RETRY),
                )
            )
            .values(status="claimed", claimed_at=now)
            .returning(col(Digest.id))
        )
        new_id = session.execute(retake).scalar()
    return int(new_id) if new_id is not None else None


def reserve_items(session: Session, settings: Settings, sub: Subscription, digest_id: int, local_date: date,
                  now: datetime) -> None:
    """Record in `digest_id` the alerts it includes (uncommitted: the caller commits with the claim).

    Earlier digests that never went out are marked superseded and their items move here;
    then every pending alert gets an item. A concurrent digest of another date that
    recorded an alert first keeps it (the key ignores the second insert).
    """
    gone = session.execute(
        update(Digest)
        .where(col(Digest.id).in_(_unfinished(sub.id or 0, local_date, now, before=True)))
        .values(status="superseded", error=f"its alerts went into the digest of {local_date.isoformat()}")
        .returning(col(Digest.id))
    ).scalars().all()
    if gone:
        session.execute(
            update(DigestItem)
            .where(col(DigestItem.subscription_id) == sub.id, col(DigestItem.digest_id).in_(list(gone)))
            .values(digest_id=digest_id)
        )
    pending = select(literal(sub.id), col(Alert.id), literal(digest_id)).where(
        *pending_conditions(settings, sub, now)
    )
    stmt = (
        _insert(session)(DigestItem)
        .from_select(["subscription_id", "alert_id", "digest_id"], pending)
        .on_conflict_do_nothing(index_elements=["subscription_id", "alert_id"])
    )
    session.execute(stmt)


def run_digest(
    session: Session, settings: Settings, sub: Subscription, local_date: date, now: datetime | None = None
) -> Digest | None:
    """Claim, build, send and record one digest; None when it was claimed already."""
    now = now or utcnow()
    # The claim and the record of what this digest includes commit together: a crash
    # leaves either neither or both (the items then wait for a retry or the next date).
    row_id = _claim_row(session, sub.id or 0, local_date, now)
    if row_id is None:
        session.commit()
        return None
    reserve_items(session, settings, sub, row_id, local_date, now)
    session.commit()
    row = session.get(Digest, row_id, populate_existing=True)
    assert row is not None
    content = build_digest(session, settings, sub, local_date, now)
    row.alert_count = content.total
    row.first_alert_id, row.last_alert_id = content.first_alert_id, content.last_alert_id
    if content.empty and settings.digest_skip_empty:
        row.status, row.sent_at = "empty", utcnow()
    else:
        started = perf_counter()
        try:
            result = send_digest(session, settings, content)
        except Exception as exc:  # recorded on the row and retried, never a claim left hanging
            log.exception("digest %s: the message could not be built or sent", row_id)
            result = SendResult.of_exception(exc, started)
        if result.ok:
            row.status, row.sent_at, row.error = "sent", utcnow(), None
        else:
            row.status, row.error = "failed", result.error
    session.add(row)
    session.commit()
    log.info("digest %s for subscription %s on %s: %s", row.id, sub.id, local_date, row.status)
    return row


def digest_tick(session: Session, settings: Settings, now: datetime | None = None) -> list[Digest]:
    """Send every digest whose local time has come today and that nobody has claimed yet."""
    now = now or utcnow()
    done = []
    for sub in digest_subscriptions(session):
        try:
            local_date = local_today(sub, now)
            due = scheduled_at(sub, local_date)
        except (ValueError, KeyError) as exc:  # a bad zone or time saved before validation existed
            log.warning("subscription %s has an unusable digest time: %s", sub.id, exc)
            continue
        # Not due yet today, or the subscription did not exist yet at today's send time.
        if now < due or sub.created_at > due:
            continue
        row = run_digest(session, settings, sub, local_date, now)
        if row is not None:
            done.append(row)
    return done
