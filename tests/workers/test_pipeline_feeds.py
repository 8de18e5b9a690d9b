"""The feed pipeline through real Celery workers: beat's task -> poll_feed -> stored articles,
on Redis + PostgreSQL with two workers at once, and on the embedded defaults (SQLite + the
filesystem broker). `monitor.match_article` is queued for each new article by name; whether
or not the matching stage is installed, the stored articles are what is asserted here."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from monitor.db import engine_for, session_scope, upgrade
from monitor.feeds.demo import DEMO_FEED_FILE
from monitor.feeds.manage import add_feed
from monitor.feeds.parse import parse_feed
from monitor.feeds.store import _unique
from monitor.models import Article, Feed, utcnow
from monitor.settings import Settings
from tests.conftest import REDIS_URL, SHARED_DATA
from tests.support.celery_worker import CeleryWorker, settings_env
from tests.support.feed_server import FeedServer
from workers.celery_app import make_celery


def _feed_files() -> list[Path]:
    files = [DEMO_FEED_FILE]
    for name in ("headlines_bbc.xml", "headlines_cnn.xml", "feedreader_Rss20MoscowTimes.xml"):
        path = SHARED_DATA / "feeds" / name
        if path.exists():
            files.append(path)
    return files


def _expected(path: Path, url: str) -> int:
    return len(_unique(parse_feed(path.read_bytes(), url=url, content_type="application/rss+xml").drafts))


def _wait_for(engine: Engine, expected: int, worker_logs, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    count = -1
    while time.monotonic() < deadline:
        with Session(engine) as s:
            count = int(s.execute(select(func.count()).select_from(Article)).scalar_one())
            busy = s.execute(select(func.count()).select_from(Feed).where(col(Feed.lease_until).is_not(None)))
            leased = int(busy.scalar_one())
        if count >= expected and leased == 0:
            return
        time.sleep(0.3)
    pytest.fail(f"{count} of {expected} articles stored in {timeout} s\n" + worker_logs()[-4000:])


def _run_pipeline(settings: Settings, engine: Engine, workers: int) -> None:
    files = _feed_files()
    with FeedServer() as srv:
        expected = 0
        ids = []
        with session_scope(engine) as s:
            for path in files:
                srv.add_file(f"/{path.name}", path)
                url = srv.url(f"/{path.name}")
                expected += _expected(path, url)
                ids.append(add_feed(s, url)[0].id)
        env = settings_env(settings)
        procs = [CeleryWorker(env, name=f"w{i}", concurrency=2) for i in range(workers)]
        try:
            for proc in procs:
                proc.start()
            app = make_celery(settings)
            # Beat's task queues every due feed; the same feeds are also queued directly,
            # twice, so that several workers poll one feed at the same moment.
            app.send_task("monitor.poll_due_feeds")
            for feed_id in ids * 2:
                app.send_task("monitor.poll_feed", args=[feed_id])
            _wait_for(engine, expected, lambda: "\n".join(p.log_text() for p in procs))
            # The matching stage is handed every new article by name (registered there or not yet).
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not any("monitor.match_article" in p.log_text() for p in procs):
                time.sleep(0.3)
            time.sleep(1.5)  # let any duplicate poll still in flight finish
        finally:
            for proc in procs:
                proc.stop()
        logs = "\n".join(p.log_text() for p in procs)
    with Session(engine) as s:
        rows = s.execute(select(Article.feed_id, Article.dedupe_key)).all()
        feeds = s.execute(select(Feed)).scalars().all()
    assert len(rows) == expected, logs[-3000:]
    assert len(set(rows)) == len(rows)
    for feed in feeds:
        assert feed.last_success_at is not None and feed.last_error is None, (feed.url, feed.last_error)
        assert feed.lease_until is None
    assert "monitor.poll_feed" in logs and "succeeded" in logs
    assert "monitor.match_article" in logs


@pytest.mark.slow
def test_pipeline_redis_postgres_two_workers(fresh_pg_engine: Engine, make_settings) -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is not answering at {REDIS_URL}: {exc}")
    settings = make_settings(database_url=fresh_pg_engine.url.render_as_string(hide_password=False),
                             broker_url=REDIS_URL)
    try:
        _run_pipeline(settings, fresh_pg_engine, workers=2)
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        client.delete(settings.task_queue, f"_kombu.binding.{settings.task_queue}")


@pytest.mark.slow
def test_pipeline_embedded_sqlite_filesystem_broker(make_settings) -> None:
    settings = make_settings()
    assert settings.embedded and not settings.broker_url
    engine = engine_for(settings)
    upgrade(engine)
    _run_pipeline(settings, engine, workers=1)


@pytest.mark.slow
def test_worker_killed_mid_poll_loses_nothing(fresh_pg_engine: Engine, make_settings) -> None:
    settings = make_settings(database_url=fresh_pg_engine.url.render_as_string(hide_password=False),
                             broker_url=REDIS_URL)
    env = settings_env(settings)
    app = make_celery(settings)
    try:
        with FeedServer() as srv:
            srv.add_file("/demo.xml", DEMO_FEED_FILE, delay=5.0)
            with session_scope(fresh_pg_engine) as s:
                feed_id = add_feed(s, srv.url("/demo.xml"))[0].id
            first = CeleryWorker(env, name="doomed").start()
            app.send_task("monitor.poll_feed", args=[feed_id])
            deadline = time.monotonic() + 30
            while not srv.hits_for("/demo.xml") and time.monotonic() < deadline:
                time.sleep(0.1)
            assert srv.hits_for("/demo.xml"), first.log_text()[-3000:]
            first.kill()  # SIGKILL while the fetch is in flight
            with Session(fresh_pg_engine) as s:
                feed = s.get(Feed, feed_id)
                assert feed is not None and feed.lease_until is not None
                assert s.execute(select(func.count()).select_from(Article)).scalar_one() == 0
                # Time passes: the dead poll's lease runs out and the feed is due again.
                s.execute(update(Feed).values(lease_until=utcnow() - timedelta(seconds=1),
                                              next_poll_at=utcnow() - timedelta(seconds=1)))
                s.commit()
            srv.add_file("/demo.xml", DEMO_FEED_FILE)
            with CeleryWorker(env, name="heir") as second:
                app.send_task("monitor.poll_due_feeds")
                app.send_task("monitor.poll_feed", args=[feed_id])
                _wait_for(fresh_pg_engine, 8, second.log_text)
                time.sleep(1.0)
    finally:
        redis.Redis.from_url(REDIS_URL).delete(settings.task_queue, f"_kombu.binding.{settings.task_queue}")
    with Session(fresh_pg_engine) as s:
        keys = s.execute(select(Article.dedupe_key)).scalars().all()
    assert len(keys) == len(set(keys)) == 8
