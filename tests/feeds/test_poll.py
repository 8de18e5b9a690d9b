"""Polling through a real server on 127.0.0.1 into a real store: real feeds, re-polls, faults."""

from __future__ import annotations

from datetime import timedelta

import feedparser
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from monitor.db import session_scope
from monitor.feeds.fetch import make_client
from monitor.feeds.manage import add_feed
from monitor.feeds.poll import PollResult, due_feeds, poll_feed, poll_many
from monitor.models import Article, AuditEvent, Feed, utcnow
from tests.conftest import shared_path
from tests.support.concurrency import at_once
from tests.support.feed_server import FeedServer, rss


def _add(engine: Engine, *urls: str) -> list[int]:
    with session_scope(engine) as s:
        return [int(add_feed(s, u)[0].id or 0) for u in urls]


def _feed(engine: Engine, feed_id: int) -> Feed:
    with Session(engine) as s:
        feed = s.get(Feed, feed_id)
        assert feed is not None
        return feed


def _count(engine: Engine, feed_id: int | None = None) -> int:
    with Session(engine) as s:
        stmt = select(func.count()).select_from(Article)
        if feed_id is not None:
            stmt = stmt.where(col(Article.feed_id) == feed_id)
        return int(s.execute(stmt).scalar_one())


def _make_due(engine: Engine) -> None:
    with session_scope(engine) as s:
        s.execute(update(Feed).values(next_poll_at=utcnow() - timedelta(seconds=1)))


def test_every_real_feed_then_conditional_repoll(sqlite_engine, make_settings, feed_server: FeedServer) -> None:
    folder = shared_path("feeds")
    settings = make_settings()
    files = sorted(folder.glob("*.xml"))
    ids = _add(sqlite_engine, *[feed_server.url(f"/{p.name}") for p in files])
    for path in files:
        feed_server.add_file(f"/{path.name}", path, content_type="application/xml")
    results = poll_many(sqlite_engine, settings, ids, threads=4)
    by_name = {p.name: r for p, r in zip(files, results, strict=True)}
    assert by_name["feedrs_rss_2.0_invalid_1.xml"].status == "error"
    assert "malformed" in (by_name["feedrs_rss_2.0_invalid_1.xml"].error or "")
    assert by_name["feedreader_AtomSpecialCharacters.xml"].status == "warning"
    for name, result in by_name.items():
        if name not in ("feedrs_rss_2.0_invalid_1.xml", "feedreader_AtomSpecialCharacters.xml"):
            assert result.status == "ok", (name, result.error)
    # Every item of every feed stored once: compare with feedparser's own count of distinct items.
    for path, feed_id in zip(files, ids, strict=True):
        entries = feedparser.parse(path.read_bytes()).entries
        # The same story is the same GUID, else the same link, else the same title and text.
        seen: set[object] = set()
        distinct = 0
        for e in entries:
            keys = {("id", e.get("id")), ("link", e.get("link")), ("text", e.get("title"), e.get("summary"))}
            keys = {k for k in keys if any(x is not None for x in k[1:])}
            distinct += not (keys & seen)
            seen |= keys
        expected = 0 if path.name == "feedrs_rss_2.0_invalid_1.xml" else distinct
        assert _count(sqlite_engine, feed_id) == expected, path.name
    total = _count(sqlite_engine)
    assert total > 1000
    # Re-poll everything: served unchanged, so every healthy feed answers 304 and nothing is stored.
    _make_due(sqlite_engine)
    again = poll_many(sqlite_engine, settings, ids, threads=4)
    healthy = [r for r in again if r.feed_id not in (by_name["feedrs_rss_2.0_invalid_1.xml"].feed_id,)]
    assert {r.status for r in healthy} <= {"not_modified", "warning"}
    assert sum(r.status == "not_modified" for r in again) >= len(files) - 2
    assert _count(sqlite_engine) == total
    conditional = [h for h in feed_server.hits if h.status == 304]
    assert len(conditional) >= len(files) - 2
    assert all(h.if_none_match for h in conditional)
    feed = _feed(sqlite_engine, by_name["headlines_bbc.xml"].feed_id)
    assert feed.etag and feed.last_modified and feed.last_status == 304 and feed.title
    assert feed.next_poll_at > utcnow() + timedelta(seconds=settings.poll_min_interval - 5)


def test_bbc_snapshot_series_dedupes_across_repolls(sqlite_engine, make_settings, feed_server) -> None:
    snapshots = sorted(shared_path("feeds", "bbc_snapshots_series").glob("*.xml"))
    settings = make_settings()
    (feed_id,) = _add(sqlite_engine, feed_server.url("/bbc.xml"))
    stories: set[str] = set()
    new_total = updated_total = 0
    client = make_client(settings)
    for snap in snapshots:
        feed_server.replace("/bbc.xml", snap.read_bytes(), content_type="application/rss+xml")
        stories |= {e.get("id") or e.link for e in feedparser.parse(snap.read_bytes()).entries}
        _make_due(sqlite_engine)
        with Session(sqlite_engine) as s:
            result = poll_feed(s, feed_id, settings, client=client)
        assert result.status == "ok", result.error
        new_total += len(result.new_ids)
        updated_total += len(result.updated_ids)
        assert _count(sqlite_engine, feed_id) == new_total
        # Polled again at once: 304, nothing new.
        _make_due(sqlite_engine)
        with Session(sqlite_engine) as s:
            assert poll_feed(s, feed_id, settings, client=client).status == "not_modified"
    client.close()
    assert len(snapshots) >= 5
    # Each story stored once although many appear in several snapshots.
    assert new_total == len(stories) == _count(sqlite_engine, feed_id)
    appearances = sum(len(feedparser.parse(p.read_bytes()).entries) for p in snapshots)
    assert appearances > len(stories)
    with Session(sqlite_engine) as s:
        keys = s.execute(select(Article.dedupe_key).where(col(Article.feed_id) == feed_id)).scalars().all()
    assert len(keys) == len(set(keys))


def test_edited_item_updates_its_row(sqlite_engine, make_settings, feed_server) -> None:
    settings = make_settings()
    (feed_id,) = _add(sqlite_engine, feed_server.url("/f.xml"))
    feed_server.add("/f.xml", rss([{"guid": "a", "title": "Shells", "description": "First version."},
                                   {"guid": "b", "title": "Other", "description": "Unrelated."}]))
    with Session(sqlite_engine) as s:
        first = poll_feed(s, feed_id, settings)
    assert len(first.new_ids) == 2
    feed_server.replace("/f.xml", rss([{"guid": "a", "title": "Shells", "description": "Corrected version."},
                                       {"guid": "b", "title": "Other", "description": "Unrelated."}]))
    _make_due(sqlite_engine)
    with Session(sqlite_engine) as s:
        second = poll_feed(s, feed_id, settings)
        assert second.new_ids == [] and len(second.updated_ids) == 1
        row = s.get(Article, second.updated_ids[0])
        assert row is not None and row.text == "Corrected version." and row.updated_at is not None


def test_faults_are_recorded_with_backoff_and_isolated(sqlite_engine, make_settings, feed_server) -> None:
    feeds_dir = shared_path("feeds")
    settings = make_settings(fetch_timeout=0.6, fetch_connect_timeout=0.6, fetch_max_bytes=200_000,
                             fetch_max_redirects=3)
    srv = feed_server
    srv.add("/good.xml", rss([{"guid": "g1", "title": "Good", "description": "Fine."}]))
    srv.add_file("/malformed1.xml", feeds_dir / "feedrs_rss_2.0_invalid_1.xml")
    srv.add_file("/malformed2.xml", feeds_dir / "feedreader_AtomSpecialCharacters.xml")
    srv.add_file("/wrong-encoding.xml", feeds_dir / "feedrs_rss_1.0_iso8859.xml",
                 content_type="application/xml; charset=utf-8")
    srv.add("/html.xml", b"<!DOCTYPE html><html><body><h1>Welcome</h1></body></html>", content_type="text/html")
    srv.add("/empty.xml", b"")
    srv.add("/e500.xml", status=500)
    srv.add("/slow.xml", rss([]), delay=2.0)
    srv.add("/huge.xml", rss([]), stream_bytes=1_000_000)
    srv.add("/loop-a", redirect_to="/loop-b")
    srv.add("/loop-b", redirect_to="/loop-a")
    srv.add("/busy.xml", status=429, headers={"Retry-After": "7200"})
    expected = {
        "/good.xml": None,
        "/malformed1.xml": "malformed feed",
        "/malformed2.xml": "malformed feed, 1 item(s) recovered",
        "/wrong-encoding.xml": "wrong encoding declaration",
        "/html.xml": "got an HTML page",
        "/empty.xml": "empty body",
        "/missing.xml": "HTTP 404",
        "/e500.xml": "HTTP 500",
        "/slow.xml": "timed out",
        "/huge.xml": "body too large",
        "/loop-a": "redirect loop",
        "/busy.xml": "HTTP 429",
    }
    urls = [srv.url(p) for p in expected]
    urls.append(f"http://intranet.test:{srv.port}/good.xml")
    urls.append(f"http://127.0.0.2:{srv.port}/good.xml")
    ids = _add(sqlite_engine, *urls)

    def resolver(host: str, port: int) -> list[str]:
        # Stand-in DNS: the intranet name answers with a private address.
        assert host == "intranet.test"
        return ["10.0.0.1"]

    # A feed whose articles are already stored must keep them when it starts failing.
    with Session(sqlite_engine) as s:
        assert poll_feed(s, ids[0], settings).status == "ok"
    srv.add("/good.xml", rss([{"guid": "g1", "title": "Good", "description": "Fine."}]))
    _make_due(sqlite_engine)
    started = utcnow()
    results = {r.feed_id: r for r in poll_many(sqlite_engine, settings, ids, threads=14, resolver=resolver)}
    assert results[ids[0]].status == "not_modified"
    for (path, message), feed_id in zip(expected.items(), ids, strict=False):
        feed = _feed(sqlite_engine, feed_id)
        if message is None:
            assert feed.last_error is None and feed.consecutive_errors == 0
            continue
        assert feed.last_error and message in feed.last_error, (path, feed.last_error)
        assert feed.consecutive_errors == 1 and feed.lease_until is None
        assert feed.next_poll_at >= started + timedelta(seconds=settings.poll_min_interval - 5), path
    blocked = _feed(sqlite_engine, ids[-1])
    assert blocked.last_error and "refused to connect to 127.0.0.2" in blocked.last_error
    resolved = _feed(sqlite_engine, ids[-2])
    assert resolved.last_error and "refused to connect to 10.0.0.1" in resolved.last_error
    assert resolved.consecutive_errors == 1
    # /good.xml was reached only by its own feed (first poll and the 304), never via the refused URLs.
    assert len(srv.hits_for("/good.xml")) == 2
    throttled = _feed(sqlite_engine, ids[list(expected).index("/busy.xml")])
    assert throttled.next_poll_at >= started + timedelta(seconds=7200 - 5)
    assert _count(sqlite_engine, ids[0]) == 1
    assert _count(sqlite_engine, ids[list(expected).index("/malformed2.xml")]) == 1
    # Failing again backs off further; the good feed is still fine and keeps its article.
    srv.add("/good.xml", status=500)
    _make_due(sqlite_engine)
    poll_many(sqlite_engine, settings, [ids[0], ids[list(expected).index("/e500.xml")]], threads=2)
    e500 = _feed(sqlite_engine, ids[list(expected).index("/e500.xml")])
    assert e500.consecutive_errors == 2
    assert e500.next_poll_at - e500.last_error_at >= timedelta(seconds=2 * settings.poll_min_interval - 5)
    assert _count(sqlite_engine, ids[0]) == 1


def test_concurrent_polls_of_one_feed_store_no_duplicate(any_engine, make_settings, feed_server) -> None:
    settings = make_settings()
    items = [{"guid": f"id-{i}", "title": f"Story {i}", "description": f"Text {i}."} for i in range(30)]
    feed_server.add("/f.xml", rss(items), delay=0.2)
    (feed_id,) = _add(any_engine, feed_server.url("/f.xml"))

    def _poll() -> PollResult:
        with Session(any_engine) as s:
            return poll_feed(s, feed_id, settings)

    results = at_once(4, _poll)
    assert sum(len(r.new_ids) for r in results) == 30
    assert {r.status for r in results} <= {"ok", "busy"}
    assert _count(any_engine, feed_id) == 30
    # Lease expired (a worker died mid-poll) and two polls race through: the unique key still holds.
    feed_server.replace("/f.xml", rss([*items, {"guid": "late", "title": "Late", "description": "New."}]), delay=0.2)

    def _poll_ignoring_lease() -> PollResult:
        with Session(any_engine) as s:
            s.execute(update(Feed).where(col(Feed.id) == feed_id).values(lease_until=None, etag=None,
                                                                          last_modified=None))
            s.commit()
            return poll_feed(s, feed_id, settings)

    at_once(2, _poll_ignoring_lease)
    assert _count(any_engine, feed_id) == 31
    with Session(any_engine) as s:
        keys = s.execute(select(Article.dedupe_key).where(col(Article.feed_id) == feed_id)).scalars().all()
    assert len(keys) == len(set(keys)) == 31


def test_due_feeds_claims_and_skips_leased(sqlite_engine, make_settings) -> None:
    settings = make_settings()
    a, b, c = _add(sqlite_engine, "http://127.0.0.1:9/a", "http://127.0.0.1:9/b", "http://127.0.0.1:9/c")
    now = utcnow()
    with session_scope(sqlite_engine) as s:
        s.execute(update(Feed).where(col(Feed.id) == b).values(next_poll_at=now + timedelta(hours=1)))
        s.execute(update(Feed).where(col(Feed.id) == c).values(lease_until=now + timedelta(minutes=5)))
    with Session(sqlite_engine) as s:
        assert due_feeds(s, settings, claim=True) == [a]
    with Session(sqlite_engine) as s:
        # Claimed: the next beat tick does not queue it again before the poll reschedules it.
        assert due_feeds(s, settings) == []
        # Later, with the lease of c expired too: oldest due first.
        assert due_feeds(s, settings, now=now + timedelta(hours=2)) == [c, a, b]


def test_ttl_sets_the_interval_and_quiet_feeds_are_flagged(sqlite_engine, make_settings, feed_server) -> None:
    settings = make_settings(poll_interval=600, poll_min_interval=300, quiet_after_hours=72)
    feed_server.add("/ttl.xml", rss([{"guid": "1", "title": "T", "description": "x"}], ttl=120),
                    headers={"Cache-Control": "max-age=60"})
    (feed_id,) = _add(sqlite_engine, feed_server.url("/ttl.xml"))
    before = utcnow()
    with Session(sqlite_engine) as s:
        assert poll_feed(s, feed_id, settings).status == "ok"
    feed = _feed(sqlite_engine, feed_id)
    assert timedelta(seconds=7200 - 5) <= feed.next_poll_at - before <= timedelta(seconds=7200 + 60)
    assert not feed.quiet
    # It used to publish several items a day and has been silent for four days.
    with session_scope(sqlite_engine) as s:
        s.execute(update(Feed).values(items_per_day=5.0, last_new_item_at=utcnow() - timedelta(days=4),
                                      next_poll_at=utcnow()))
    with Session(sqlite_engine) as s:
        assert poll_feed(s, feed_id, settings).status == "not_modified"
    assert _feed(sqlite_engine, feed_id).quiet
    feed_server.replace("/ttl.xml", rss([{"guid": "2", "title": "New", "description": "y"}]))
    _make_due(sqlite_engine)
    with Session(sqlite_engine) as s:
        assert len(poll_feed(s, feed_id, settings).new_ids) == 1
    assert not _feed(sqlite_engine, feed_id).quiet


def test_a_feed_that_moved_permanently_is_polled_at_its_new_address(any_engine, make_settings, feed_server) -> None:
    settings = make_settings()
    body = rss([{"guid": "m1", "title": "Moved", "description": "Same feed, new address."}])
    feed_server.add("/new.xml", body)
    feed_server.add("/old.xml", redirect_to=feed_server.url("/new.xml"), status=301)
    feed_server.add("/other.xml", body)
    feed_server.add("/temp.xml", redirect_to="/other.xml", status=307)
    feed_server.add("/dupe.xml", redirect_to="/other.xml", status=308)
    moved, temp, dupe, other = _add(any_engine, *(feed_server.url(p) for p in
                                                  ("/old.xml", "/temp.xml", "/dupe.xml", "/other.xml")))
    with Session(any_engine) as s:
        assert poll_feed(s, moved, settings).status == "ok"
        assert poll_feed(s, temp, settings).status == "ok"
        assert poll_feed(s, dupe, settings).status == "ok"
    assert _feed(any_engine, moved).url == feed_server.url("/new.xml")
    assert _feed(any_engine, temp).url == feed_server.url("/temp.xml")  # temporary: kept
    assert _feed(any_engine, dupe).url == feed_server.url("/dupe.xml")  # feed 4 has that URL: kept
    assert _feed(any_engine, other).url == feed_server.url("/other.xml")
    with Session(any_engine) as s:
        events = s.execute(select(AuditEvent).where(col(AuditEvent.action) == "feed.moved")).scalars().all()
        assert [(e.object_id, e.actor, e.detail) for e in events] == [
            (str(moved), "poller", {"from": feed_server.url("/old.xml"), "to": feed_server.url("/new.xml")})
        ]
    # The next poll goes straight to the new address, with its validators: a 304, no detour.
    old_hits = len(feed_server.hits_for("/old.xml"))
    _make_due(any_engine)
    with Session(any_engine) as s:
        assert poll_feed(s, moved, settings).status == "not_modified"
    assert len(feed_server.hits_for("/old.xml")) == old_hits
    assert feed_server.hits_for("/new.xml")[-1].if_none_match is not None
    assert _count(any_engine, moved) == 1
