"""Scheduling arithmetic and OPML import."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from monitor.feeds import schedule
from monitor.feeds.manage import FeedUrlError, add_feed, import_feeds, list_feeds
from monitor.feeds.opml import OpmlError, read_opml
from monitor.settings import SEEDS_DIR

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_ok_interval_respects_hints_within_bounds(make_settings) -> None:
    s = make_settings(poll_interval=900, poll_min_interval=300, poll_max_interval=7200)
    assert schedule.ok_interval(s) == 900
    assert schedule.ok_interval(s, 60) == 300  # never below the minimum
    assert schedule.ok_interval(s, ttl_minutes=60) == 3600
    assert schedule.ok_interval(s, max_age=1800) == 1800
    assert schedule.ok_interval(s, max_age=0) == 900
    assert schedule.ok_interval(s, retry_after=5000) == 5000
    assert schedule.ok_interval(s, ttl_minutes=24 * 60) == 7200  # never above the maximum


def test_error_backoff_doubles_up_to_a_day(make_settings) -> None:
    s = make_settings(poll_min_interval=300, poll_max_backoff=86400)
    delays = [schedule.error_backoff(s, n) for n in range(1, 12)]
    assert delays[:4] == [300, 600, 1200, 2400]
    assert delays[-1] == 86400 and max(delays) == 86400
    assert schedule.error_backoff(s, 1, retry_after=7200) == 7200
    assert schedule.error_backoff(s, 1000) == 86400


def test_quiet_flag(make_settings) -> None:
    s = make_settings(quiet_after_hours=72)
    assert schedule.is_quiet(s, NOW, items_per_day=5, last_new_item_at=NOW - timedelta(hours=80))
    assert not schedule.is_quiet(s, NOW, items_per_day=5, last_new_item_at=NOW - timedelta(hours=10))
    # A weekly newsletter is not "quiet" after three days.
    assert not schedule.is_quiet(s, NOW, items_per_day=0.2, last_new_item_at=NOW - timedelta(hours=80))
    rate = schedule.publishing_rate([NOW - timedelta(days=d) for d in range(10)], NOW)
    assert rate is not None and 1.0 <= rate <= 1.2
    assert schedule.publishing_rate([NOW - timedelta(days=100)], NOW) is None


def test_seed_opml_imports_once(sqlite_engine) -> None:
    data = (SEEDS_DIR / "feeds.opml").read_bytes()
    feeds = read_opml(data)
    assert len(feeds) >= 20 and all(f.url.startswith("https://") for f in feeds)
    with Session(sqlite_engine) as s:
        first = import_feeds(s, read_opml(data))
        again = import_feeds(s, read_opml(data))
        s.commit()
        assert len(first.added) == len(feeds) and again.added == [] and len(again.existing) == len(feeds)
        assert len(list_feeds(s)) == len(feeds)


def test_bad_opml_and_bad_urls(sqlite_engine) -> None:
    with pytest.raises(OpmlError):
        read_opml(b"")
    with pytest.raises(OpmlError):
        read_opml(b"<html><body>hello</body></html>")
    opml = (b'<?xml version="1.0"?><opml version="2.0"><body><outline type="rss" xmlUrl="ftp://x/y"/>'
            b'<outline type="rss" text="ok" xmlUrl="http://127.0.0.1:9/ok.xml"/></body></opml>')
    with Session(sqlite_engine) as s:
        result = import_feeds(s, read_opml(opml))
        assert [f.url for f in result.added] == ["http://127.0.0.1:9/ok.xml"] and result.invalid[0][0] == "ftp://x/y"
        with pytest.raises(FeedUrlError):
            add_feed(s, "not a url")
