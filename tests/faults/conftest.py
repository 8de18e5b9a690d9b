"""Fixtures of the fault suite: a deployment per scenario, and the scenario log the report reads.

Sizes are parameters with CI-sized defaults (environment): FAULTS_KILLS (SIGKILLs in the
kill scenario, default 20), FAULTS_FEEDS and FAULTS_ITEMS (feeds and items per feed),
FAULTS_SEED (random seed of the kill moments; default: a fresh one, printed). When
FAULTS_REPORT names a file, every scenario appends one JSON line to it (what was injected,
the counts, what was lost); `scripts/reliability-report` turns those lines into
docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy.engine import Engine

from monitor.db import make_engine, session_scope, upgrade
from monitor.feeds.manage import add_feed
from monitor.notify.subscriptions import SubscriptionCreate, create_subscription
from monitor.settings import Settings
from tests.api.conftest import engine_url
from tests.conftest import REDIS_URL
from tests.faults.deploy import Deployment, OwnPostgres, OwnRedis, Verdict, serve_feeds, tmpdir
from tests.notify.receiver import Receiver, ReceiverServer
from tests.support.feed_server import FeedServer


def env_int(name: str, default: int) -> int:
    """An integer size parameter from the environment."""
    return int(os.environ.get(name, default))


FEEDS = env_int("FAULTS_FEEDS", 6)
ITEMS = env_int("FAULTS_ITEMS", 30)


@pytest.fixture
def rng() -> random.Random:
    """Random source of kill moments; the seed is printed so a failure can be replayed."""
    seed = env_int("FAULTS_SEED", int(time.time() * 1000) % 1_000_000)
    print(f"FAULTS_SEED={seed}")
    return random.Random(seed)


@pytest.fixture
def record() -> Callable[..., None]:
    """Append one scenario's outcome to $FAULTS_REPORT (when set)."""

    def _record(scenario: str, injected: str, verdict: Verdict, **extra: Any) -> None:
        path = os.environ.get("FAULTS_REPORT")
        if not path:
            return
        line = {"scenario": scenario, "injected": injected, "lost": verdict.lost, **verdict.as_dict(), **extra}
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")

    return _record


class Stack:
    """Everything a scenario needs, built by `stack()`; `dep` is started on demand."""

    def __init__(self, settings: Settings, engine: Engine, srv: FeedServer, rx: Receiver, workdir: Path,
                 feeds: int, items: int, delay: float) -> None:
        self.settings, self.engine, self.srv, self.rx, self.workdir = settings, engine, srv, rx, workdir
        self.pg: OwnPostgres | None = None
        self.redis: OwnRedis | None = None
        self.rx_server: ReceiverServer | None = None
        self.urls = serve_feeds(srv, feeds, items, delay=delay)
        self.expected_articles = feeds * items
        with session_scope(engine) as s:
            self.feed_ids = [add_feed(s, url)[0].id for url in self.urls]
            _, secret = create_subscription(s, settings, SubscriptionCreate(channel="webhook", target=rx.url))
        rx.secrets = [secret or ""]

    def deployment(self, **kwargs: Any) -> Deployment:
        """The deployment over this stack (not started)."""
        return Deployment(self.settings, self.engine, self.srv, self.rx, self.workdir, **kwargs)

    def kick(self, dep: Deployment) -> None:
        """Queue a poll of every feed (what beat's first tick does)."""
        dep.send("monitor.poll_due_feeds")


@pytest.fixture
def stack(make_settings, request: pytest.FixtureRequest) -> Iterator[Callable[..., Stack]]:
    """Build a stack on the shared services (fresh database, own queue) or on our own
    PostgreSQL cluster / redis-server (`own_pg=True`, `own_redis=True`) that a scenario may break."""
    cleanups: list[Callable[[], None]] = []

    def _build(*, own_pg: bool = False, own_redis: bool = False, feeds: int = FEEDS, items: int = ITEMS,
               delay: float = 0.0, **overrides: Any) -> Stack:
        workdir = tmpdir("faults-")
        cleanups.append(lambda: shutil.rmtree(workdir, ignore_errors=True))
        pg: OwnPostgres | None = None
        rds: OwnRedis | None = None
        if own_pg:
            pg = OwnPostgres(workdir)
            pg.init()
            cleanups.append(pg.destroy)
            db_url = pg.url
        else:
            pg_engine = request.getfixturevalue("fresh_pg_engine")
            db_url = engine_url(pg_engine)
        if own_redis:
            rds = OwnRedis(workdir)
            rds.start()
            cleanups.append(rds.stop)
            broker = rds.url
        else:
            broker = REDIS_URL
        engine = make_engine(db_url)
        cleanups.append(engine.dispose)
        upgrade(engine)
        settings = make_settings(database_url=db_url, broker_url=broker, webhook_timeout=2.0, fetch_timeout=5.0,
                                 log_json=False, **overrides)
        if not own_redis:
            queue = settings.task_queue
            cleanups.append(lambda: redis.Redis.from_url(REDIS_URL).delete(queue, f"_kombu.binding.{queue}"))
        srv = FeedServer().start()
        cleanups.append(srv.stop)
        rx_server = ReceiverServer()
        rx = rx_server.__enter__()
        cleanups.append(lambda: rx_server.__exit__(None, None, None))
        st = Stack(settings, engine, srv, rx, workdir, feeds, items, delay)
        st.pg, st.redis, st.rx_server = pg, rds, rx_server
        return st

    yield _build
    for fn in reversed(cleanups):
        try:
            fn()
        except Exception as exc:  # keep cleaning up
            print(f"cleanup failed: {exc}")

