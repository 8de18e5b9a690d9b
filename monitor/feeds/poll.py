"""Poll feeds: lease, fetch, parse, store, reschedule; one failure never touches another feed.

A poll first takes a short lease on the feed row (an UPDATE that only succeeds when
no other poll holds it), so two workers given the same feed do not both fetch it; the
unique (feed_id, dedupe_key) makes a duplicate impossible even if a lease expires.
No transaction is open while the network is used. Every outcome ends in one update
of the feed: conditional-GET validators, next poll time, error count and message,
and the lease released. A worker killed mid-poll leaves only a lease that expires.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from monitor.feeds import schedule
from monitor.feeds.fetch import FetchError, FetchResult, fetch, make_client
from monitor.feeds.manage import FeedUrlError, validate_feed_url
from monitor.feeds.parse import FeedParseError, ParsedFeed, parse_feed
from monitor.feeds.store import StoreResult, begin_write, store_drafts
from monitor.models import AuditEvent, Feed, utcnow
from monitor.netguard import Resolver
from monitor.settings import Settings

log = logging.getLogger(__name__)
# How long beat's hand-off of a due feed to a task holds it back from the next tick.
DISPATCH_HOLD = timedelta(minutes=10)


@dataclass
class PollResult:
    """Outcome of one poll: ok, not_modified, warning (stored, problem recorded), error, busy
    (another poll holds the feed) or missing."""

    feed_id: int
    new_ids: list[int] = field(default_factory=list)
    updated_ids: list[int] = field(default_factory=list)
    status: str = "ok"
    error: str | None = None


def _lease_seconds(settings: Settings) -> int:
    # Longer than any fetch (total deadline) plus parse and store.
    return int(settings.fetch_timeout * 2 + 60)


_FEED: Any = Feed.__table__  # type: ignore[attr-defined]
# Built once: the poll path runs thousands of times a minute, statement construction shows up.
_CLAIM = (
    _FEED.update()
    .where(_FEED.c.id == bindparam("b_id"),
           or_(_FEED.c.lease_until.is_(None), _FEED.c.lease_until < bindparam("b_now")))
    .values(lease_until=bindparam("b_lease"), last_polled_at=bindparam("b_now"))
    .returning(*(_FEED.c[name] for name in ("url", "etag", "last_modified", "poll_interval", "consecutive_errors",
                                           "items_per_day", "last_new_item_at", "title", "site_url")))
)
# The SET clause comes from the parameters given at execution.
_UPDATE_FEED = _FEED.update().where(_FEED.c.id == bindparam("b_id"))


def _set_feed(session: Session, feed_id: int, values: dict[str, Any]) -> None:
    session.connection().execute(_UPDATE_FEED, {"b_id": feed_id, **values})


def _claim(session: Session, feed_id: int, now: datetime, settings: Settings) -> Any:
    lease = now + timedelta(seconds=_lease_seconds(settings))
    row = session.connection().execute(_CLAIM, {"b_id": feed_id, "b_now": now, "b_lease": lease}).first()
    session.commit()
    return row


def poll_feed(
    session: Session,
    feed_id: int,
    settings: Settings,
    client: httpx.Client | None = None,
    resolver: Resolver | None = None,
) -> PollResult:
    """Poll one feed now and store what is new; errors are recorded on the feed, not raised."""
    now = utcnow()
    row = _claim(session, feed_id, now, settings)
    if row is None:
        exists = session.execute(select(col(Feed.id)).where(col(Feed.id) == feed_id)).first()
        session.commit()
        return PollResult(feed_id, status="busy" if exists else "missing",
                          error=None if exists else f"feed {feed_id} does not exist")
    try:
        fetched = fetch(row.url, settings, etag=row.etag, last_modified=row.last_modified, client=client,
                        resolver=resolver)
    except FetchError as exc:
        return _record_error(session, feed_id, row, settings, exc.message, status=exc.status,
                             retry_after=exc.retry_after)
    except Exception as exc:  # a bug must not leave the feed leased for good
        return _record_error(session, feed_id, row, settings, f"fetch failed: {exc.__class__.__name__}: {exc}")
    if fetched.not_modified:
        return _record_ok(session, feed_id, row, settings, fetched, None, StoreResult(), status="not_modified")
    try:
        parsed = parse_feed(fetched.body or b"", url=fetched.url, content_type=fetched.content_type)
    except FeedParseError as exc:
        return _record_error(session, feed_id, row, settings, str(exc), status=fetched.status)
    except Exception as exc:
        return _record_error(session, feed_id, row, settings, f"parse failed: {exc.__class__.__name__}: {exc}",
                             status=fetched.status)
    try:
        begin_write(session)
        stored = store_drafts(session, feed_id, parsed.drafts, now=utcnow())
        result = _record_ok(session, feed_id, row, settings, fetched, parsed, stored, commit=False)
        session.commit()
        return result
    except Exception as exc:
        session.rollback()
        return _record_error(session, feed_id, row, settings, f"store failed: {exc.__class__.__name__}: {exc}",
                             status=fetched.status)


def _record_ok(
    session: Session,
    feed_id: int,
    row: Any,
    settings: Settings,
    fetched: FetchResult,
    parsed: ParsedFeed | None,
    stored: StoreResult,
    *,
    status: str = "ok",
    commit: bool = True,
) -> PollResult:
    now = utcnow()
    values: dict[str, Any] = {
        "lease_until": None,
        "last_status": fetched.status,
        "etag": (fetched.etag or "")[:512] or None,
        "last_modified": (fetched.last_modified or "")[:128] or None,
    }
    last_new = row.last_new_item_at
    rate = row.items_per_day
    if stored.new_ids:
        last_new = now
        values["last_new_item_at"] = now
        published = [d.published_at for d in parsed.drafts if d.published_at] if parsed else []
        rate = schedule.publishing_rate(published, now) or rate
        values["items_per_day"] = rate
    if parsed is not None:
        if parsed.title and not row.title:
            values["title"] = parsed.title[:512]
        if parsed.site_url and not row.site_url:
            values["site_url"] = parsed.site_url[:2048]
    values["quiet"] = schedule.is_quiet(settings, now, items_per_day=rate, last_new_item_at=last_new)
    error = parsed.warning if parsed is not None else None
    if error:
        # A recovered malformed feed: items are stored, but the problem is shown and backed off.
        errors = (row.consecutive_errors or 0) + 1
        delay = schedule.error_backoff(settings, errors)
        values.update(consecutive_errors=errors, last_error=error, last_error_at=now, last_success_at=now)
        status = "warning"
    else:
        delay = schedule.ok_interval(settings, row.poll_interval,
                                     ttl_minutes=parsed.ttl_minutes if parsed else None, max_age=fetched.max_age)
        values.update(consecutive_errors=0, last_error=None, last_success_at=now)
    values["next_poll_at"] = schedule.next_poll(now, delay)
    if commit:
        begin_write(session)
    if fetched.moved_to:
        values.update(_follow_move(session, feed_id, row.url, fetched.moved_to))
    _set_feed(session, feed_id, values)
    if commit:
        session.commit()
    return PollResult(feed_id, list(stored.new_ids), list(stored.updated_ids), status=status, error=error)


def _follow_move(session: Session, feed_id: int, old: str, new: str) -> dict[str, Any]:
    """The feed's new URL after a permanent redirect, audited; nothing when the move cannot be taken.

    The publisher said the old address is gone for good, so later polls go straight to the new one
    (one request instead of two, and the feed survives the old address being switched off). A new
    URL that another feed already has is left alone: the two would then be the same feed.
    """
    try:
        new = validate_feed_url(new)
    except FeedUrlError as exc:
        log.warning("feed %s moved permanently to an unusable URL, kept %s: %s", feed_id, old, exc)
        return {}
    taken = session.execute(select(col(Feed.id)).where(col(Feed.url) == new, col(Feed.id) != feed_id)).first()
    if taken is not None:
        log.warning("feed %s moved permanently to %s, which is already feed %s; kept %s", feed_id, new, taken[0], old)
        return {}
    session.add(AuditEvent(actor="poller", action="feed.moved", object_type="feed", object_id=str(feed_id),
                           detail={"from": old, "to": new}))
    log.info("feed %s moved permanently: %s -> %s", feed_id, old, new)
    return {"url": new}


def _record_error(
    session: Session,
    feed_id: int,
    row: Any,
    settings: Settings,
    message: str,
    *,
    status: int | None = None,
    retry_after: int | None = None,
) -> PollResult:
    now = utcnow()
    errors = (row.consecutive_errors or 0) + 1
    delay = schedule.error_backoff(settings, errors, retry_after)
    _set_feed(session, feed_id, {
        "lease_until": None,
        "last_status": status,
        "consecutive_errors": errors,
        "last_error": message[:4000],
        "last_error_at": now,
        "next_poll_at": schedule.next_poll(now, delay),
    })
    session.commit()
    return PollResult(feed_id, status="error", error=message)


def due_feeds(
    session: Session,
    settings: Settings,
    now: datetime | None = None,
    limit: int | None = None,
    *,
    claim: bool = False,
) -> list[int]:
    """Ids of enabled feeds whose next poll time has come, oldest first; with `claim`, hold
    them back from the next tick (the poll itself sets the real next time)."""
    now = now or utcnow()
    stmt = (
        select(col(Feed.id))
        .where(col(Feed.enabled), col(Feed.next_poll_at) <= now,
               or_(col(Feed.lease_until).is_(None), col(Feed.lease_until) < now))
        .order_by(col(Feed.next_poll_at), col(Feed.id))
        .limit(limit or settings.poll_batch)
    )
    ids = [int(r[0]) for r in session.execute(stmt).all()]
    if claim and ids:
        begin_write(session)
        # Only the feeds this UPDATE moved are ours: a second beat ticking at the same moment
        # read the same ids, and must not queue them again (found by tests/faults).
        claimed = set(session.execute(
            update(Feed).where(col(Feed.id).in_(ids), col(Feed.next_poll_at) <= now)
            .values(next_poll_at=now + DISPATCH_HOLD)
            .returning(col(Feed.id))
        ).scalars())
        ids = [i for i in ids if i in claimed]
    session.commit()
    return ids


def all_feed_ids(session: Session) -> list[int]:
    """Ids of every enabled feed."""
    return [int(r[0]) for r in session.execute(select(col(Feed.id)).where(col(Feed.enabled)).order_by(col(Feed.id)))]


def poll_many(
    engine: Engine,
    settings: Settings,
    feed_ids: Sequence[int],
    *,
    threads: int = 8,
    client: httpx.Client | None = None,
    resolver: Resolver | None = None,
    on_done: Callable[[PollResult], None] | None = None,
) -> list[PollResult]:
    """Poll these feeds now with a small thread pool (one session per poll, one shared client)."""
    own = client is None
    http = client or make_client(settings, resolver)

    def _one(feed_id: int) -> PollResult:
        with Session(engine, expire_on_commit=False) as session:
            try:
                result = poll_feed(session, feed_id, settings, client=http, resolver=resolver)
            except Exception as exc:  # keep going: one feed's database error stops no other
                session.rollback()
                result = PollResult(feed_id, status="error", error=f"{exc.__class__.__name__}: {exc}")
        if on_done is not None:
            on_done(result)
        return result

    try:
        if threads <= 1 or len(feed_ids) <= 1:
            return [_one(f) for f in feed_ids]
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="poll") as pool:
            return list(pool.map(_one, feed_ids))
    finally:
        if own:
            http.close()
