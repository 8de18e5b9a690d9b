"""Dedupe and upsert on both stores: GUID, then link, then content hash; edits; concurrent stores."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from monitor.db import session_scope
from monitor.feeds.manage import add_feed
from monitor.feeds.parse import ArticleDraft, content_hash
from monitor.feeds.store import begin_write, dedupe_key, store_drafts
from monitor.models import Article
from tests.support.concurrency import at_once


def draft(guid: str | None, url: str | None, title: str, text: str) -> ArticleDraft:
    return ArticleDraft(guid=guid, url=url, title=title, summary=text, content=None, text=text,
                        content_hash=content_hash(title, text))


def _feed(engine: Engine, url: str = "http://127.0.0.1:9/f") -> int:
    with session_scope(engine) as s:
        return int(add_feed(s, url)[0].id or 0)


def _store(engine: Engine, feed_id: int, drafts: list[ArticleDraft]):
    with Session(engine) as s:
        begin_write(s)
        result = store_drafts(s, feed_id, drafts)
        s.commit()
        return result


def _rows(engine: Engine, feed_id: int) -> list[Article]:
    with Session(engine) as s:
        return list(s.execute(select(Article).where(col(Article.feed_id) == feed_id)).scalars())


def test_dedupe_order_guid_then_link_then_hash(any_engine: Engine) -> None:
    feed_id = _feed(any_engine)
    first = _store(any_engine, feed_id, [
        draft("g1", "http://x/1", "One", "Alpha."),
        draft(None, "http://x/2", "Two", "Beta."),
        draft(None, None, "Three", "Gamma."),
    ])
    assert len(first.new_ids) == 3 and first.updated_ids == []
    again = _store(any_engine, feed_id, [
        draft("g1", "http://x/1-moved", "One", "Alpha."),      # same GUID, new link: same story
        draft("g2-new-guid", "http://x/2", "Two", "Beta."),    # new GUID, same link: same story
        draft(None, None, "Three", "Gamma."),                  # no GUID or link: same hash
        draft("g1", None, "One", "Alpha."),                    # listed twice in one poll
    ])
    assert again.new_ids == [] and again.updated_ids == []
    assert len(_rows(any_engine, feed_id)) == 3
    edited = _store(any_engine, feed_id, [draft("g1", "http://x/1", "One", "Alpha, corrected.")])
    assert edited.new_ids == [] and len(edited.updated_ids) == 1
    row = next(r for r in _rows(any_engine, feed_id) if r.guid == "g1")
    assert row.text == "Alpha, corrected." and row.matched_at is None and row.updated_at is not None
    # The same story in another feed is that feed's own article.
    other = _feed(any_engine, "http://127.0.0.1:9/other")
    assert len(_store(any_engine, other, [draft("g1", "http://x/1", "One", "Alpha.")]).new_ids) == 1


def test_long_guid_is_hashed_into_the_key() -> None:
    long = "urn:" + "x" * 3000
    key = dedupe_key(draft(long, None, "t", "x"))
    assert key.startswith("g#") and len(key) < 600
    assert dedupe_key(draft(None, "http://a/b", "t", "x")) == "l:http://a/b"
    assert dedupe_key(draft(None, None, "t", "x")).startswith("h:")


def test_two_stores_at_once_insert_once(any_engine: Engine) -> None:
    feed_id = _feed(any_engine)
    drafts = [draft(f"g{i}", f"http://x/{i}", f"T{i}", f"Body {i}.") for i in range(200)]
    results = at_once(3, lambda: _store(any_engine, feed_id, drafts))
    assert sum(len(r.new_ids) for r in results) == 200
    with Session(any_engine) as s:
        count = s.execute(select(func.count()).select_from(Article).where(col(Article.feed_id) == feed_id))
        assert count.scalar_one() == 200
