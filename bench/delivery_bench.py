"""Delivery latency: from an article stored to its webhook received, on Redis + PostgreSQL.

Alerts flow at --rate per minute (default 1,000) to --subs subscriptions (default 50), each
alert matching --fanout of them (default 1: the 50 subscriptions split the stream by rule;
--fanout 50 sends every alert to every subscription). For each alert the bench does in one
transaction what the matcher's store step does (article row, alert row, `enqueue_for_alert`),
commits, notes the time, and queues `monitor.deliver` for each new delivery, as
`monitor.match_article` does. Real Celery workers (subprocesses) send the webhooks to a real
receiver on 127.0.0.1, which verifies each signature with `standardwebhooks` and notes when it
arrived. Latency = arrival - commit of the article and alert.

Baseline, side by side: the same number of signed POSTs to the same receiver from a plain
loop (no database, no broker), the floor any delivery path pays.

    .venv/bin/python bench/delivery_bench.py [--rate 1000] [--subs 50] [--fanout 1] [--seconds 60]
        [--workers 2] [--pool prefork] [--producers 3] [--pg-admin postgresql://postgres@127.0.0.1:5432/test]
        [--redis redis://127.0.0.1:6379/0] [--pipeline]

With --pipeline the bench stores articles only (feed k of 50/fanout feeds) and the worker runs
the real `monitor.match_article` (default rule pack, arms-transfer fires) before delivering.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psycopg  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402
from standardwebhooks.webhooks import Webhook  # noqa: E402

from bench.stats import pct  # noqa: E402
from monitor.db import make_engine, session_scope, upgrade  # noqa: E402
from monitor.models import Alert, Article, Delivery, Feed  # noqa: E402
from monitor.notify.filters import severity_rank  # noqa: E402
from monitor.notify.outbox import enqueue_for_alert  # noqa: E402
from monitor.notify.subscriptions import SubscriptionCreate, create_subscription  # noqa: E402
from monitor.notify.webhook import send_webhook  # noqa: E402
from monitor.settings import Settings  # noqa: E402
from tests.support.celery_worker import CeleryWorker, settings_env  # noqa: E402

ARMS_TITLE = "North Korea ships artillery shells to Russia"
ARMS_TEXT = ("North Korea has shipped millions of artillery shells and ballistic missiles to Russia "
             "for use in Ukraine, officials said.")


class Arrivals:
    """What the receiver saw: first arrival time per webhook-id, and signature failures."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.first: dict[str, float] = {}
        self.article_of: dict[str, int] = {}
        self.total = 0
        self.bad = 0
        self.secrets: list[str] = []


def serve(arrivals: Arrivals) -> ThreadingHTTPServer:
    """A verifying webhook receiver on 127.0.0.1 (ephemeral port)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            now = time.time()
            headers = {k.lower(): v for k, v in self.headers.items()}
            payload = None
            # ?s=<k> names the subscription, so the receiver knows which secret to verify with
            k = int(self.path.rsplit("s=", 1)[1]) if "s=" in self.path else 0
            try:
                payload = Webhook(arrivals.secrets[k]).verify(body, headers)
            except Exception:
                payload = None
            with arrivals.lock:
                arrivals.total += 1
                if payload is None:
                    arrivals.bad += 1
                else:
                    mid = headers["webhook-id"]
                    arrivals.first.setdefault(mid, now)
                    data = payload.get("data", {})
                    arrivals.article_of[mid] = int(data.get("article", {}).get("id") or 0)
            self.send_response(204 if payload else 401)
            self.send_header("content-length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=float, default=1000.0, help="alerts per minute")
    ap.add_argument("--subs", type=int, default=50)
    ap.add_argument("--fanout", type=int, default=1, help="subscriptions each alert goes to")
    ap.add_argument("--seconds", type=float, default=60.0, help="how long alerts flow")
    ap.add_argument("--workers", type=int, default=2, help="Celery worker concurrency")
    ap.add_argument("--pool", default="prefork")
    ap.add_argument("--producers", type=int, default=3, help="threads storing alerts (as matcher workers do)")
    ap.add_argument("--pipeline", action="store_true",
                    help="store articles and let monitor.match_article (default rules) raise the alerts")
    ap.add_argument("--pg-admin", default="postgresql://postgres@127.0.0.1:5432/test")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = ap.parse_args()
    if args.subs % args.fanout:
        ap.error("--subs must be a multiple of --fanout")

    tmp = Path(tempfile.mkdtemp(prefix="delivery-bench-"))
    dbname = f"delivery_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(args.pg_admin, autocommit=True)
    admin.execute(f'CREATE DATABASE "{dbname}"')
    base = args.pg_admin.rsplit("/", 1)[0].split("://", 1)[1]
    db_url = f"postgresql+psycopg://{base}/{dbname}"
    engine = make_engine(db_url)
    upgrade(engine)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp, database_url=db_url, broker_url=args.redis,
        allowed_networks=["127.0.0.1/32"], task_queue=f"bench-{uuid.uuid4().hex[:8]}", log_json=False,
    )
    from workers.celery_app import make_celery

    celery = make_celery(settings)
    arrivals = Arrivals()
    server = serve(arrivals)
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    groups = args.subs // args.fanout
    try:
        feed_ids: list[int] = []
        with session_scope(engine) as s:
            if args.pipeline:
                for g in range(groups):
                    feed = Feed(url=f"http://127.0.0.1/bench/{g}.xml", title=f"Bench feed {g}")
                    s.add(feed)
                    s.flush()
                    feed_ids.append(feed.id or 0)
            for k in range(args.subs):
                flt = (
                    {"rules": ["arms-transfer"], "feed_ids": [feed_ids[k % groups]]}
                    if args.pipeline else {"rules": [f"bench-{k % groups}"]}
                )
                _, secret = create_subscription(
                    s, settings, SubscriptionCreate(channel="webhook", target=f"{url}?s={k}", **flt)
                )
                arrivals.secrets.append(secret or "")

        # Baseline: plain signed POSTs from one loop, no DB, no broker.
        n_base = min(1000, int(args.rate * args.seconds / 60) * args.fanout)
        body = json.dumps({"type": "alert.created", "data": {"id": 0, "article": {"id": 0}}}).encode()
        base_lat = []
        with httpx.Client(trust_env=False) as client:
            for i in range(n_base):
                t0 = time.perf_counter()
                res = send_webhook(client, url, f"msg_base_{i}", body, [arrivals.secrets[0]])
                base_lat.append(time.perf_counter() - t0)
                assert res.ok, res.error
        with arrivals.lock:
            arrivals.first.clear()
            arrivals.article_of.clear()
            arrivals.total = arrivals.bad = 0

        stored_at: dict[int, float] = {}
        expected = 0
        with CeleryWorker(settings_env(settings), concurrency=args.workers, pool=args.pool):
            if args.pipeline:  # build the matcher in each worker process before the clock starts
                with session_scope(engine) as s:
                    warm = [Article(feed_id=feed_ids[0], title=ARMS_TITLE, text=ARMS_TEXT, dedupe_key=f"w{j}",
                                    content_hash=f"w{j}") for j in range(args.workers * 2)]
                    s.add_all(warm)
                    s.flush()
                    warm_ids = [a.id for a in warm]
                for a_id in warm_ids:
                    celery.send_task("monitor.match_article", args=[a_id])
                deadline = time.monotonic() + 120
                while len(arrivals.first) < len(warm_ids) * args.fanout and time.monotonic() < deadline:
                    time.sleep(0.2)
                with arrivals.lock:
                    arrivals.first.clear()
                    arrivals.article_of.clear()
                    arrivals.total = arrivals.bad = 0
            interval = 60.0 / args.rate
            n_alerts = int(args.rate * args.seconds / 60)
            start = time.perf_counter()
            counts_lock = threading.Lock()

            def produce(offset: int, step: int) -> None:
                # several producers, like several matcher workers, keep the rate on a busy machine
                nonlocal expected
                for i in range(offset, n_alerts, step):
                    delay = start + i * interval - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                    if args.pipeline:
                        # the real path: the article is stored, `monitor.match_article` matches it
                        # with the default rules and queues `monitor.deliver` for each delivery
                        with session_scope(engine) as s:
                            art = Article(feed_id=feed_ids[i % groups], title=f"{ARMS_TITLE} ({i})",
                                          text=ARMS_TEXT, dedupe_key=f"p{i}", content_hash=f"{i:064x}"[-64:])
                            s.add(art)
                            s.flush()
                            article_id = art.id or 0
                        stored_at[article_id] = time.time()
                        with counts_lock:
                            expected += args.fanout
                        celery.send_task("monitor.match_article", args=[article_id])
                        continue
                    with session_scope(engine) as s:
                        art = Article(title=f"Bench story {i}", text="Shells shipped to Russia.",
                                      dedupe_key=f"b{i}", content_hash=f"{i:064x}"[-64:])
                        s.add(art)
                        s.flush()
                        alert = Alert(article_id=art.id or 0, rule_id=f"bench-{i % groups}",
                                      category="arms-transfer", severity="high", severity_rank=severity_rank("high"),
                                      score=0.9, title=art.title, entity_ids=[],
                                      evidence=[{"field": "text", "start": 0, "end": 25,
                                                 "text": "Shells shipped to Russia."}])
                        s.add(alert)
                        s.flush()
                        created = enqueue_for_alert(s, alert)
                        article_id = art.id or 0
                    stored_at[article_id] = time.time()
                    with counts_lock:
                        expected += len(created)
                    for d in created:
                        celery.send_task("monitor.deliver", args=[d.id])

            producers = [threading.Thread(target=produce, args=(t, args.producers)) for t in range(args.producers)]
            for t in producers:
                t.start()
            for t in producers:
                t.join()
            flow = time.perf_counter() - start
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                with arrivals.lock:
                    if len(arrivals.first) >= expected:
                        break
                time.sleep(0.2)
            with Session(engine) as s:
                open_rows = len(s.exec(select(Delivery).where(Delivery.status != "delivered")).all())
                # where the time goes: article stored -> alert committed -> delivery sent (DB clocks)
                stages = s.exec(
                    select(Article.fetched_at, Alert.created_at, Delivery.delivered_at, Delivery.attempts)
                    .join(Alert, col(Alert.article_id) == col(Article.id))
                    .join(Delivery, col(Delivery.alert_id) == col(Alert.id))
                    .where(col(Delivery.delivered_at).is_not(None), ~col(Article.dedupe_key).startswith("w"))
                ).all()
        lat = [arrivals.first[m] - stored_at[a] for m, a in arrivals.article_of.items() if a in stored_at]
        print(f"alerts: {n_alerts} in {flow:.1f} s ({n_alerts / flow * 60:.0f}/min), subscriptions: {args.subs}, "
              f"fanout: {args.fanout}, deliveries expected: {expected}, received: {len(arrivals.first)}, "
              f"duplicates: {arrivals.total - arrivals.bad - len(arrivals.first)}, bad signatures: {arrivals.bad}, "
              f"not delivered in DB: {open_rows}")
        print(f"worker: {args.pool} x{args.workers}; path: "
              f"{'article stored -> match_article -> deliver' if args.pipeline else 'alert stored -> deliver'}")
        print(f"{'':28}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}")
        print(f"{'baseline: direct signed POST':28}{pct(base_lat, 50):9.4f}{pct(base_lat, 95):9.4f}"
              f"{pct(base_lat, 99):9.4f}{max(base_lat):9.4f}  (s, n={len(base_lat)})")
        print(f"{'stored -> webhook received':28}{pct(lat, 50):9.4f}{pct(lat, 95):9.4f}"
              f"{pct(lat, 99):9.4f}{max(lat) if lat else float('nan'):9.4f}  (s, n={len(lat)})")
        if stages:
            to_alert = [(a - f).total_seconds() for f, a, _, _ in stages]
            to_sent = [(d - a).total_seconds() for _, a, d, _ in stages]
            print(f"{'  of which: stored -> alert':28}{pct(to_alert, 50):9.4f}{pct(to_alert, 95):9.4f}"
                  f"{pct(to_alert, 99):9.4f}{max(to_alert):9.4f}")
            print(f"{'  of which: alert -> sent':28}{pct(to_sent, 50):9.4f}{pct(to_sent, 95):9.4f}"
                  f"{pct(to_sent, 99):9.4f}{max(to_sent):9.4f}  (retried: {sum(1 for x in stages if x[3] > 1)})")
        if lat:
            print(f"ratio p95 pipeline / baseline: {pct(lat, 95) / pct(base_lat, 95):.0f}x;"
                  f" target p95 < 2 s: {'met' if pct(lat, 95) < 2 else 'NOT met'}"
                  f" (mean {statistics.mean(lat):.3f} s)")
    finally:
        server.shutdown()
        engine.dispose()
        admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()
