"""Feed actions shared by the API, the console and the CLI: add, import, pause and resume, list.

URLs from users are checked twice: `validate_feed_url` (an absolute http(s) URL) and `netguard.check_url`
(after DNS, the address must not be private, loopback, link-local... unless allowed), so a user cannot
point the poller at an internal service; the fetcher checks again on every hop. Refusals are
`FeedActionError` with an HTTP-like status; the API turns them into its JSON errors, the console
shows their message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from monitor.feeds.opml import OpmlFeed
from monitor.models import Article, AuditEvent, Feed, utcnow
from monitor.netguard import BlockedAddressError, Resolver, check_url
from monitor.settings import Settings

ALREADY_SUBSCRIBED = "already subscribed"


class FeedActionError(ValueError):
    """A feed action refused: status 404 (no such feed), 409 (URL taken) or 422 (bad URL), and why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class FeedUrlError(ValueError):
    """A feed URL that cannot be polled (message says why)."""


def validate_feed_url(url: str) -> str:
    """The URL stripped, or FeedUrlError when it is not an absolute http(s) URL.

    Whether its address may be reached is decided at every fetch (after DNS), not here.
    """
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FeedUrlError(f"feed URL must start with http:// or https://: {url!r}")
    if not parts.hostname:
        raise FeedUrlError(f"feed URL has no host: {url!r}")
    if len(url) > 2048:
        raise FeedUrlError("feed URL is longer than 2048 characters")
    return url


def add_feed(session: Session, url: str, title: str | None = None) -> tuple[Feed, bool]:
    """Subscribe to a feed (idempotent by URL); returns the feed and whether it is new."""
    url = validate_feed_url(url)
    existing = session.exec(select(Feed).where(col(Feed.url) == url)).first()
    if existing is not None:
        return existing, False
    feed = Feed(url=url, title=(title or None) and title[:512])
    session.add(feed)
    session.flush()
    return feed, True


def checked_url(url: str, settings: Settings | None, resolver: Resolver | None = None) -> str:
    """The URL when it is a well-formed http(s) URL whose addresses may be reached (checked when
    `settings` is given); FeedUrlError or BlockedAddressError otherwise."""
    url = validate_feed_url(url)
    if settings is not None:
        check_url(url, settings, resolver=resolver)
    return url


@dataclass
class ImportResult:
    """What an OPML import did: the feeds added, and the URLs skipped with the reason, in file order."""

    added: list[Feed] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def existing(self) -> list[str]:
        """The URLs skipped because the feed was already subscribed."""
        return [url for url, reason in self.skipped if reason == ALREADY_SUBSCRIBED]

    @property
    def invalid(self) -> list[tuple[str, str]]:
        """The URLs skipped as unusable, with the reason."""
        return [(url, reason) for url, reason in self.skipped if reason != ALREADY_SUBSCRIBED]


def import_feeds(
    session: Session,
    items: Iterable[OpmlFeed],
    *,
    actor: str = "cli",
    settings: Settings | None = None,
    resolver: Resolver | None = None,
) -> ImportResult:
    """Subscribe to every feed of an OPML list (audited as `feed.import`); bad URLs are reported, not fatal.

    With `settings` (the API and the console), every URL's addresses are checked as `checked_url` does."""
    result = ImportResult()
    for item in items:
        try:
            url = checked_url(item.url, settings, resolver)
        except (FeedUrlError, BlockedAddressError) as exc:
            result.skipped.append((item.url, str(exc)))
            continue
        feed, created = add_feed(session, url, item.title)
        if created:
            result.added.append(feed)
        else:
            result.skipped.append((item.url, ALREADY_SUBSCRIBED))
    audit(session, actor, "feed.import", None, {"added": [f.url for f in result.added],
                                                 "skipped": len(result.skipped)})
    return result


def audit(session: Session, actor: str, action: str, feed_id: int | None, detail: dict[str, Any]) -> None:
    """Record a feed action in the audit trail (an import names no single feed)."""
    object_id = "" if feed_id is None else str(feed_id)
    session.add(AuditEvent(actor=actor, action=action, object_type="feed", object_id=object_id, detail=detail))


def create_feed(
    session: Session,
    settings: Settings,
    url: str,
    title: str | None = None,
    *,
    actor: str,
    poll_interval: int | None = None,
    enabled: bool = True,
    resolver: Resolver | None = None,
) -> Feed:
    """Subscribe to a new feed whose URL is checked (`checked_url`); 422 for a bad URL, 409 for one taken."""
    try:
        url = checked_url(url, settings, resolver)
    except (FeedUrlError, BlockedAddressError) as exc:
        raise FeedActionError(422, str(exc)) from None
    if session.exec(select(Feed.id).where(col(Feed.url) == url)).first() is not None:
        raise FeedActionError(409, f"feed {url} already exists")
    feed, _ = subscribe(session, url, title, actor=actor)  # new: the check above ruled out an existing one
    feed.poll_interval = poll_interval
    feed.enabled = enabled
    session.add(feed)
    session.flush()
    return feed


def get_feed(session: Session, feed_id: int) -> Feed:
    """The feed with this id; FeedActionError 404 when there is none."""
    feed = session.get(Feed, feed_id)
    if feed is None:
        raise FeedActionError(404, f"feed {feed_id} not found")
    return feed


def set_feed_enabled(session: Session, feed_id: int, enabled: bool, *, actor: str) -> Feed:
    """Pause a feed (no more polls; its articles and alerts stay) or resume it, starting now (audited)."""
    feed = get_feed(session, feed_id)
    feed.enabled = enabled
    if enabled:
        feed.next_poll_at = utcnow()
    session.add(feed)
    audit(session, actor, "feed.resume" if enabled else "feed.pause", feed_id, {})
    session.flush()
    return feed


def subscribe(session: Session, url: str, title: str | None = None, *, actor: str = "cli") -> tuple[Feed, bool]:
    """`add_feed`, audited as `feed.create` when the feed is new (the CLI's and start-up's way in)."""
    feed, created = add_feed(session, url, title)
    if created:
        session.add(AuditEvent(actor=actor, action="feed.create", object_type="feed", object_id=str(feed.id),
                               detail={"url": feed.url}))
    return feed, created


def list_feeds(session: Session) -> list[Feed]:
    """Every feed, oldest first."""
    return list(session.exec(select(Feed).order_by(col(Feed.id))).all())


def list_articles(session: Session, limit: int = 50, feed_id: int | None = None) -> list[Article]:
    """The most recently fetched articles first."""
    stmt = select(Article).order_by(col(Article.fetched_at).desc(), col(Article.id).desc()).limit(limit)
    if feed_id is not None:
        stmt = stmt.where(col(Article.feed_id) == feed_id)
    return list(session.exec(stmt).all())
