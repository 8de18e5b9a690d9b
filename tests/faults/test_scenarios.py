"""Fault scenarios on a real deployment (uvicorn API, two Celery workers, beat, Redis, PostgreSQL,
feed server and webhook receiver on 127.0.0.1). Each ends with exact counts: every article
stored once, every alert the matcher gives for them stored once, one delivery per alert, every
delivery accepted by the receiver, repeats only as the same webhook-id with the same payload."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from monitor.alerts.matcher_cache import current_matcher
from monitor.db import session_scope
from monitor.keys import create_key
from monitor.models import Article, Digest, utcnow
from monitor.notify.subscriptions import SubscriptionCreate, create_subscription
from monitor.settings import CONFIG_DIR
from monitor.watchlists.store import load_list
from tests.faults.conftest import Stack, env_int
from tests.faults.deploy import Deployment, Verdict, feed_items, random_kills, verify, wait_until
from tests.notify.receiver import _handler
from tests.support.feed_server import rss

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.timeout(420)]


def _grow_feeds(stack, items: int, *, marker: str = "") -> None:  # type: ignore[no-untyped-def]
    """Publish more items on every feed (a new version of each document)."""
    for f, url in enumerate(stack.urls):
        path = "/" + url.rsplit("/", 1)[1]
        stack.srv.replace(path, rss(feed_items(f, items, marker=marker), title=f"Fault feed {f}"),
                          delay=stack.srv.routes[path].delay)
    stack.expected_articles = len(stack.urls) * items


def _kill_kinds(dep: Deployment) -> dict[str, int]:
    """How many kills caught each stage in flight (a kill may catch several), and how many none."""
    kinds: Counter[str] = Counter()
    for k in dep.kills:
        stages = {t.removeprefix("monitor.") for t in k.in_flight}
        hit = [name for name, tasks in (("poll", {"poll_feed", "poll_due_feeds"}),
                                        ("match", {"match_article", "match_sweep"}),
                                        ("deliver", {"deliver", "deliver_due"})) if tasks & stages]
        kinds.update(hit or ["no task"])
    return dict(kinds)


def test_sigkill_workers_at_random_points(stack, rng: random.Random, record) -> None:  # type: ignore[no-untyped-def]
    """FAULTS_KILLS (default 20) SIGKILLs of either worker while feeds are polled, articles
    matched and webhooks sent; new items keep arriving between kills."""
    kills = env_int("FAULTS_KILLS", 20)
    st = stack(delay=0.3)
    st.rx.delay = 0.1  # deliveries take a moment, so kills land during them too
    dep = st.deployment(workers=2, beats=1).start()
    try:
        items = st.expected_articles // len(st.urls)
        st.kick(dep)
        waves = 4
        per_wave = max(1, kills // waves)
        done = 0
        for wave in range(waves):
            n = per_wave if wave < waves - 1 else kills - done
            done += random_kills(dep, n, rng=rng, gap=(0.2, 1.2))
            # time passes: leases of the dead run out and beat's sweeps pick their work up
            dep.fast_forward()
            dep.sweeps()
            if wave < waves - 1:
                items += 10
                _grow_feeds(st, items)
        rounds = dep.settle(st.expected_articles, timeout=150)
        v = verify(st.engine, st.settings, st.rx, st.expected_articles)
        kinds = _kill_kinds(dep)
    finally:
        dep.stop()
    print(v, kinds, f"recovery rounds {rounds}")
    during = ", ".join(f"{k} in flight: {n}" for k, n in sorted(kinds.items()))
    record("worker SIGKILL at random points", f"{done} SIGKILLs of a worker ({during})", v, runs=done)
    v.check()
    assert done == kills


def _outage_during_ingestion(st: Stack, rng: random.Random, down: Callable[[], None],
                             up: Callable[[], None]) -> Verdict:
    """Ingest with two workers and a beat, take a service down mid-way for 3 s, bring it back,
    let the sweeps recover, and verify the store (the verdict is returned unchecked)."""
    dep = st.deployment(workers=2, beats=1).start()
    try:
        st.kick(dep)
        time.sleep(rng.uniform(0.5, 1.5))
        down()
        time.sleep(3)  # down for a stretch while workers and beat try to reach it
        up()
        _grow_feeds(st, st.expected_articles // len(st.urls) + 10)
        dep.fast_forward()
        dep.sweeps()
        rounds = dep.settle(st.expected_articles, timeout=150)
        v = verify(st.engine, st.settings, st.rx, st.expected_articles)
    finally:
        dep.stop()
    print(v, f"recovery rounds {rounds}")
    return v


def test_redis_restart_during_ingestion(stack, rng: random.Random, record) -> None:  # type: ignore[no-untyped-def]
    """Our own redis-server (no persistence) is killed mid-ingestion and restarted empty:
    the queued and unacknowledged tasks are gone, the beat sweeps recover them from the database."""
    st = stack(own_redis=True, delay=0.3)
    rds = st.redis
    assert rds is not None
    v = _outage_during_ingestion(st, rng, rds.stop, rds.start)
    record("Redis stopped and restarted", "broker SIGKILLed mid-ingestion, empty restart after 3 s", v, runs=1)
    v.check()


def test_postgres_restart_during_ingestion(stack, rng: random.Random, record) -> None:  # type: ignore[no-untyped-def]
    """Our own PostgreSQL cluster is shut down immediately mid-ingestion and started again:
    the workers reconnect and nothing is lost."""
    st = stack(own_pg=True, delay=0.3)
    pg = st.pg
    assert pg is not None
    v = _outage_during_ingestion(st, rng, pg.crash, pg.start)
    record("PostgreSQL restarted", "immediate shutdown mid-ingestion, restart after 3 s", v, runs=1)
    v.check()


def test_webhook_receiver_down_then_back(stack, record) -> None:  # type: ignore[no-untyped-def]
    """The receiver's socket is closed (connection refused) while alerts are raised, then it
    comes back on the same port: retries deliver everything, once per webhook-id."""
    st = stack()
    dep = st.deployment(workers=2, beats=1).start()
    rx_server: ThreadingHTTPServer | None = None
    try:
        # take the receiver down: close its server, keep its log object
        port = st.rx.port
        st.rx_server.server.shutdown()
        st.rx_server.server.server_close()
        st.kick(dep)
        wait_until(lambda: _attempted(st.engine) > 0, 60, "delivery attempts against the dead receiver")
        time.sleep(2)
        rx_server = ThreadingHTTPServer(("127.0.0.1", port), _handler(st.rx))
        rx_server.daemon_threads = True
        threading.Thread(target=rx_server.serve_forever, daemon=True).start()
        rounds = dep.settle(st.expected_articles, timeout=150)
        v = verify(st.engine, st.settings, st.rx, st.expected_articles)
        failed = _attempted(st.engine)
    finally:
        dep.stop()
        if rx_server is not None:
            rx_server.shutdown()
            rx_server.server_close()
    print(v, f"failed attempts {failed}, recovery rounds {rounds}")
    record("Webhook receiver down, then back", f"connection refused for a stretch ({failed} failed attempts)", v,
           runs=1)
    v.check()
    assert failed > 0


def test_two_beats_started_by_mistake(stack, record) -> None:  # type: ignore[no-untyped-def]
    """Two beat processes run at once and their ticks coincide: every feed is polled once per
    due period and each digest goes out once."""
    st = stack(feeds=4, items=15)
    now_utc = utcnow()
    with session_scope(st.engine) as s:
        sub, secret = create_subscription(s, st.settings, SubscriptionCreate(
            channel="webhook", target=st.rx.url, realtime=False, digest=True,
            digest_time=(now_utc - timedelta(minutes=2)).strftime("%H:%M"), timezone="UTC"))
        sub.created_at = now_utc - timedelta(days=1)  # subscribed before today's send time
        s.add(sub)
    st.rx.secrets.append(secret or "")
    dep = st.deployment(workers=2, beats=2).start()
    ticks = 3
    try:
        wait_until(lambda: all(p.alive() for p in dep.beat_procs) and all(
            "beat: Starting" in p.text() for p in dep.beat_procs), 30, "both beats to start")
        st.kick(dep)
        dep.settle(st.expected_articles, timeout=90)
        before = {u: len(st.srv.hits_for("/" + u.rsplit("/", 1)[1])) for u in st.urls}
        app = dep.celery()
        try:
            for _ in range(ticks):
                _make_due(st.engine)  # a poll period passes; both beats tick at the same moment
                for _beat in range(2):
                    app.send_task("monitor.poll_due_feeds")
                    app.send_task("monitor.digest_tick")
                time.sleep(2.5)
        finally:
            app.close()
        dep.settle(st.expected_articles, timeout=60)
        wait_until(lambda: _digests(st.engine, "sent") == 1, 60, "the digest to be sent")
        time.sleep(2)
        after = {u: len(st.srv.hits_for("/" + u.rsplit("/", 1)[1])) for u in st.urls}
        digests = _digests(st.engine, None)
        v = verify(st.engine, st.settings, st.rx, st.expected_articles)
        alive = all(p.alive() for p in dep.beat_procs)
    finally:
        dep.stop()
    polls = {u: after[u] - before[u] for u in st.urls}
    digest_posts = [c for c in st.rx.accepted() if (c.payload or {}).get("type") == "digest.created"]
    print(v, polls, digests, len(digest_posts))
    duplicate_polls = sum(max(0, n - ticks) for n in polls.values())
    record("Two beat processes", f"two beats running, {ticks} coinciding ticks of poll and digest", v,
           runs=ticks, duplicate_polls=duplicate_polls, digests=digests)
    assert alive
    assert all(n == ticks for n in polls.values()), polls
    assert digests == 1
    assert len({c.webhook_id for c in digest_posts}) == 1  # sent once (a repeat would carry the same id)
    v.check()


def test_rules_and_list_update_during_heavy_ingestion(stack, rng: random.Random, record) -> None:  # type: ignore[no-untyped-def]
    """A rule is added through the API and a watch list loaded while feeds pour in: every
    article carries the alerts of the matcher before or after the change (never a mix that
    loses one), articles stored after the change carry the new ones, nothing is lost."""
    st = stack(feeds=8, items=40)
    dep = st.deployment(workers=2, beats=1).start()
    try:
        with session_scope(st.engine) as s:
            key = create_key(s, "admin", "faults")
            before = current_matcher(s, st.settings)
        st.kick(dep)
        wait_until(lambda: _articles(st.engine) > 0, 60, "ingestion to start")
        time.sleep(rng.uniform(0.0, 1.0))
        resp = httpx.post(f"{dep.api_url}/api/v1/rules", headers={"Authorization": f"Bearer {key}"}, json={
            "id": "fault-bakery", "title": "Bakery watch", "category": "sanctions", "severity": "low",
            "query": "bakery OR \"cycle lane\""}, timeout=30)
        assert resp.status_code == 201, resp.text
        with session_scope(st.engine) as s:
            load_list(s, Path(CONFIG_DIR) / "watchlists" / "named_officials.yaml")
        with Session(st.engine) as s:
            changed_at = int(s.execute(select(func.coalesce(func.max(Article.id), 0))).scalar_one())
        _grow_feeds(st, st.expected_articles // len(st.urls) + 15, marker="Kim Jong Un inspected the shipment.")
        dep.fast_forward()
        dep.sweeps()
        dep.settle(st.expected_articles, timeout=150)
        v = verify(st.engine, st.settings, st.rx, st.expected_articles, before=before, changed_at_article=changed_at)
        with session_scope(st.engine) as s:
            after = current_matcher(s, st.settings)
    finally:
        dep.stop()
    print(v)
    record("Rules and list update during ingestion", "rule added via API + watch list loaded mid-ingestion", v,
           runs=1)
    assert after.version != before.version
    v.check()


# ---------------------------------------------------------------------------- helpers


def _make_due(engine) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from monitor.models import Feed

    with session_scope(engine) as s:
        s.execute(update(Feed).values(next_poll_at=utcnow() - timedelta(seconds=1)))


def _attempted(engine) -> int:  # type: ignore[no-untyped-def]
    from monitor.models import DeliveryAttempt

    with Session(engine) as s:
        return int(s.execute(select(func.count()).select_from(DeliveryAttempt)).scalar_one())


def _articles(engine) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return int(s.execute(select(func.count()).select_from(Article)).scalar_one())


def _digests(engine, status: str | None) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        stmt = select(func.count()).select_from(Digest)
        if status:
            stmt = stmt.where(Digest.status == status)  # type: ignore[arg-type]
        return int(s.execute(stmt).scalar_one())
