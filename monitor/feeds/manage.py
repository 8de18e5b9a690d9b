"""Adding, importing and listing feeds and articles (shared by the CLI and the API)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from monitor.feeds.opml import read_opml
from monitor.models import Article, AuditEvent, Feed


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


@dataclass
class ImportResult:
    """What an OPML import did."""

    added: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)


def import_opml(session: Session, data: bytes, *, actor: str = "cli") -> ImportResult:
    """Subscribe to every feed of an OPML document (audited as `feed.import`); bad URLs are reported, not fatal."""
    result = ImportResult()
    for item in read_opml(data):
        try:
            _, created = add_feed(session, item.url, item.title)
        except FeedUrlError as exc:
            result.invalid.append((item.url, str(exc)))
            continue
        (result.added if created else result.existing).append(item.url)
    session.add(AuditEvent(actor=actor, action="feed.import", object_type="feed", object_id="",
                           detail={"added": result.added, "skipped": len(result.existing) + len(result.invalid)}))
    return result


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
