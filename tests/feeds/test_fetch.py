"""Fetching against a real server on 127.0.0.1: conditional GET, gzip, caps, redirects, faults."""

from __future__ import annotations

import gzip

import pytest

from monitor.feeds.fetch import FetchError, fetch, make_client, parse_max_age, parse_retry_after
from tests.support.feed_server import rss

BODY = rss([{"guid": "1", "title": "One", "description": "First."}])


def test_conditional_get_round_trip(make_settings, feed_server) -> None:
    settings = make_settings()
    feed_server.add("/f.xml", BODY, headers={"Cache-Control": "public, max-age=1200"})
    first = fetch(feed_server.url("/f.xml"), settings)
    assert first.status == 200 and first.body == BODY
    assert first.etag and first.last_modified and first.max_age == 1200
    second = fetch(feed_server.url("/f.xml"), settings, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.body is None and second.etag == first.etag
    hits = feed_server.hits_for("/f.xml")
    assert hits[1].if_none_match == first.etag and hits[1].if_modified_since == first.last_modified
    assert hits[0].user_agent == settings.user_agent
    # Last-Modified alone also yields a 304.
    feed_server.add("/lm.xml", BODY, etag=False)
    lm = fetch(feed_server.url("/lm.xml"), settings).last_modified
    assert fetch(feed_server.url("/lm.xml"), settings, last_modified=lm).status == 304
    # A changed feed answers 200 again.
    feed_server.replace("/f.xml", BODY + b"\n")
    assert fetch(feed_server.url("/f.xml"), settings, etag=first.etag).status == 200


def test_gzip_body_is_decompressed(make_settings, feed_server) -> None:
    feed_server.add("/gz.xml", BODY, gzip=True)
    assert fetch(feed_server.url("/gz.xml"), make_settings()).body == BODY


def test_cap_counts_decompressed_bytes(make_settings, feed_server) -> None:
    # 40 kB of gzip that inflates to 5 MB: stopped by the 1 MB cap although the wire size is small.
    bomb = b"<rss>" + b" " * 5_000_000
    assert len(gzip.compress(bomb)) < 50_000
    feed_server.add("/bomb.xml", bomb, gzip=True)
    settings = make_settings(fetch_max_bytes=1_000_000)
    with pytest.raises(FetchError, match=r"too large") as err:
        fetch(feed_server.url("/bomb.xml"), settings)
    assert err.value.kind == "size"
    feed_server.add("/endless.xml", BODY, stream_bytes=3_000_000)
    with pytest.raises(FetchError, match=r"after decompression"):
        fetch(feed_server.url("/endless.xml"), settings)


def test_redirects_followed_with_limit_and_loop_detection(make_settings, feed_server) -> None:
    settings = make_settings(fetch_max_redirects=3)
    feed_server.add("/final.xml", BODY)
    feed_server.add("/r1", redirect_to="/r2", status=301)
    feed_server.add("/r2", redirect_to=feed_server.url("/final.xml"), status=307)
    result = fetch(feed_server.url("/r1"), settings)
    assert result.url == feed_server.url("/final.xml") and result.body == BODY
    assert result.moved_to is None  # one hop was temporary (307): the feed has not moved
    feed_server.add("/loop-a", redirect_to="/loop-b")
    feed_server.add("/loop-b", redirect_to="/loop-a")
    with pytest.raises(FetchError, match=r"redirect loop"):
        fetch(feed_server.url("/loop-a"), settings)
    for i in range(6):
        feed_server.add(f"/chain{i}", redirect_to=f"/chain{i + 1}")
    with pytest.raises(FetchError, match=r"too many redirects"):
        fetch(feed_server.url("/chain0"), settings)


def test_redirect_to_refused_address_is_blocked(make_settings, feed_server) -> None:
    settings = make_settings()
    feed_server.add("/out", redirect_to=f"http://127.0.0.2:{feed_server.port}/final.xml")
    with pytest.raises(FetchError, match=r"127.0.0.2") as err:
        fetch(feed_server.url("/out"), settings)
    assert err.value.kind == "blocked"


def test_private_addresses_refused_before_connecting(make_settings, feed_server) -> None:
    settings = make_settings()
    feed_server.add("/f.xml", BODY)
    with pytest.raises(FetchError, match=r"refused to connect to 127.0.0.2"):
        fetch(f"http://127.0.0.2:{feed_server.port}/f.xml", settings)
    with pytest.raises(FetchError, match=r"10.0.0.1"):
        fetch(f"http://intranet.test:{feed_server.port}/f.xml", settings, resolver=lambda h, p: ["10.0.0.1"])
    assert feed_server.hits == []


@pytest.mark.parametrize(("status", "kind"), [(404, "http"), (500, "http"), (410, "http")])
def test_http_errors(make_settings, feed_server, status: int, kind: str) -> None:
    feed_server.add("/e", status=status)
    with pytest.raises(FetchError, match=f"HTTP {status}") as err:
        fetch(feed_server.url("/e"), make_settings())
    assert err.value.status == status and err.value.kind == kind


def test_throttling_reports_retry_after(make_settings, feed_server) -> None:
    feed_server.add("/busy", status=429, headers={"Retry-After": "7200"})
    with pytest.raises(FetchError, match=r"HTTP 429") as err:
        fetch(feed_server.url("/busy"), make_settings())
    assert err.value.retry_after == 7200
    feed_server.add("/down", status=503, headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"})
    with pytest.raises(FetchError, match=r"HTTP 503") as err:
        fetch(feed_server.url("/down"), make_settings())
    assert err.value.retry_after and err.value.retry_after > 86400


def test_timeout(make_settings, feed_server) -> None:
    feed_server.add("/slow", BODY, delay=1.5)
    with pytest.raises(FetchError, match=r"timed out") as err:
        fetch(feed_server.url("/slow"), make_settings(fetch_timeout=0.5, fetch_connect_timeout=0.5))
    assert err.value.kind == "timeout"


def test_connection_refused_is_clear(make_settings, feed_server) -> None:
    port = feed_server.port
    feed_server.stop()
    with pytest.raises(FetchError, match=r"connection failed"):
        fetch(f"http://127.0.0.1:{port}/gone", make_settings(), client=make_client(make_settings()))
    feed_server.start = lambda: feed_server  # type: ignore[method-assign]
    feed_server.stop = lambda: None  # type: ignore[method-assign]


def test_header_helpers() -> None:
    assert parse_retry_after("120") == 120
    assert parse_retry_after("garbage") is None
    assert parse_max_age("no-cache") == 0
    assert parse_max_age("public, s-maxage=5, max-age=60") == 60
    assert parse_max_age(None) is None


def test_permanent_redirects_report_the_new_address(make_settings, feed_server) -> None:
    settings = make_settings(fetch_max_redirects=3)
    feed_server.add("/new.xml", BODY)
    feed_server.add("/old.xml", redirect_to="/mid.xml", status=301)
    feed_server.add("/mid.xml", redirect_to="/new.xml", status=308)
    assert fetch(feed_server.url("/old.xml"), settings).moved_to == feed_server.url("/new.xml")
    assert fetch(feed_server.url("/mid.xml"), settings).moved_to == feed_server.url("/new.xml")
    assert fetch(feed_server.url("/new.xml"), settings).moved_to is None
    # A permanent move to a temporary redirect: the stored address is not changed.
    feed_server.add("/tmp.xml", redirect_to="/new.xml", status=302)
    feed_server.add("/old2.xml", redirect_to="/tmp.xml", status=301)
    assert fetch(feed_server.url("/old2.xml"), settings).moved_to is None
    # Moved to an address that fails: an error, not a move.
    feed_server.add("/old3.xml", redirect_to="/gone.xml", status=301)
    with pytest.raises(FetchError, match=r"HTTP 404"):
        fetch(feed_server.url("/old3.xml"), settings)
    # A 304 at the new address still reports the move (the validators travel with it).
    etag = fetch(feed_server.url("/new.xml"), settings).etag
    moved = fetch(feed_server.url("/old.xml"), settings, etag=etag)
    assert moved.not_modified and moved.moved_to == feed_server.url("/new.xml")
