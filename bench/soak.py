"""Soak: a steady stream of articles through the whole pipeline for a long stretch.

Items are published on --feeds RSS feeds (a real feed server on 127.0.0.1, each document the
latest 100 items) at --rate articles an hour (default 10,000), one in three on sanctions-risk
language. Every --poll-every seconds each feed is queued for `monitor.poll_feed` (what beat
does for due feeds); the real workers poll, store, match, and deliver each alert to a Standard
Webhooks receiver on 127.0.0.1. The deployment is the fault suite's: API under uvicorn, two
Celery workers (threads pool), beat, Redis, a fresh PostgreSQL database, own queue.

Reported: throughput (articles stored per hour, alerts, deliveries), latency percentiles from
publication on the feed to stored, to matched, and to webhook received; resident memory of
every process (API, each worker, beat) sampled over time with its trend after warm-up (flat =
no leak); database growth per 1,000 articles (pg_database_size).

    .venv/bin/python bench/soak.py [--minutes 30] [--rate 10000] [--feeds 20] [--poll-every 15]
        [--pg-admin postgresql://postgres@127.0.0.1:5432/test] [--redis redis://127.0.0.1:6379/0]
        [--json out.json]

Baseline, side by side: the publication rate asked for; the ratio stored/published shows
whether the pipeline keeps up (1.00 = it does).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import threading
import time
import uuid
from collections import deque
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import redis  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlmodel import Session, col  # noqa: E402

from bench.stats import pct  # noqa: E402
from monitor.db import make_engine, session_scope, upgrade  # noqa: E402
from monitor.feeds.manage import add_feed  # noqa: E402
from monitor.models import Alert, Article, Delivery  # noqa: E402
from monitor.notify.subscriptions import SubscriptionCreate, create_subscription  # noqa: E402
from monitor.settings import Settings  # noqa: E402
from tests.faults.deploy import MATCHING, NEUTRAL, Deployment, tmpdir  # noqa: E402
from tests.notify.receiver import ReceiverServer  # noqa: E402
from tests.support.feed_server import FeedServer, rss  # noqa: E402

WINDOW = 100  # items per feed document, newest first


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MB (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) in MB per hour."""
    if len(points) < 3:
        return 0.0
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return 0.0 if den == 0 else sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den * 3600


class Publisher:
    """Adds items to the feeds at a steady rate and remembers when each was published."""

    def __init__(self, srv: FeedServer, feeds: int, per_hour: float) -> None:
        self.srv, self.feeds, self.interval = srv, feeds, 3600.0 / per_hour
        self.items: list[deque[dict[str, str]]] = [deque(maxlen=WINDOW) for _ in range(feeds)]
        self.published: dict[str, float] = {}
        self.stop = threading.Event()
        self.n = 0
        for f in range(feeds):
            srv.add(f"/soak{f}.xml", rss([], title=f"Soak feed {f}"))

    def url(self, f: int) -> str:
        """URL of feed f."""
        return self.srv.url(f"/soak{f}.xml")

    def publish_one(self) -> None:
        """One new item on the next feed."""
        n, f = self.n, self.n % self.feeds
        self.n += 1
        pool = MATCHING if n % 3 == 0 else NEUTRAL
        title, body = pool[(n // 3) % len(pool)]
        guid = f"urn:soak:{n}"
        item = {"guid": guid, "title": title.format(n=n), "link": f"http://127.0.0.1/soak/{n}",
                "description": body.format(n=n)}
        self.items[f].appendleft(item)
        self.published[guid] = time.time()
        self.srv.replace(f"/soak{f}.xml", rss(list(self.items[f]), title=f"Soak feed {f}"))

    def run(self, seconds: float) -> None:
        """Publish on schedule for `seconds`."""
        start = time.monotonic()
        while not self.stop.is_set() and time.monotonic() - start < seconds:
            due = start + self.n * self.interval
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(min(delay, 0.5))
                continue
            self.publish_one()


def main() -> None:
    """Run the soak and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--rate", type=float, default=10_000.0, help="articles per hour")
    ap.add_argument("--feeds", type=int, default=20)
    ap.add_argument("--poll-every", type=float, default=15.0)
    ap.add_argument("--sample-every", type=float, default=20.0)
    ap.add_argument("--pg-admin", default="postgresql://postgres@127.0.0.1:5432/test")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    ap.add_argument("--json", default="")
    args = ap.parse_args()

    dbname = f"soak_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(args.pg_admin, autocommit=True)
    admin.execute(f'CREATE DATABASE "{dbname}"')
    base = args.pg_admin.rsplit("/", 1)[0].split("://", 1)[1]
    db_url = f"postgresql+psycopg://{base}/{dbname}"
    workdir = tmpdir("soak-")
    settings = Settings(_env_file=None, database_url=db_url, broker_url=args.redis,  # type: ignore[call-arg]
                        task_queue=f"soak-{uuid.uuid4().hex[:8]}", data_dir=workdir / "var",
                        allowed_networks=["127.0.0.1/32"], log_json=False, webhook_timeout=5.0)
    engine = make_engine(db_url)
    upgrade(engine)
    dep: Deployment | None = None
    try:
        with FeedServer() as srv, ReceiverServer() as rx:
            pub = Publisher(srv, args.feeds, args.rate)
            with session_scope(engine) as s:
                feed_ids = [add_feed(s, pub.url(f))[0].id for f in range(args.feeds)]
                _, secret = create_subscription(s, settings, SubscriptionCreate(channel="webhook", target=rx.url))
            rx.secrets = [secret or ""]
            db_size0 = admin.execute(f"SELECT pg_database_size('{dbname}')").fetchone()[0]  # type: ignore[index]
            dep = Deployment(settings, engine, srv, rx, workdir, workers=2, beats=1).start()
            seconds = args.minutes * 60
            samples: list[dict[str, Any]] = []
            started = time.monotonic()
            stop = threading.Event()

            def procs() -> dict[str, int]:
                out = {f"worker{i}": w.proc.pid for i, w in enumerate(dep.worker_procs) if w.proc}
                out.update({p.name: p.proc.pid for p in dep.beat_procs})
                if dep.api_proc is not None:
                    out["api"] = dep.api_proc.proc.pid
                return out

            def poller() -> None:
                app = dep.celery()
                while not stop.is_set():
                    for fid in feed_ids:
                        app.send_task("monitor.poll_feed", args=[fid])
                    stop.wait(args.poll_every)
                app.close()

            def sampler() -> None:
                while not stop.is_set():
                    with Session(engine) as s:
                        n = s.execute(select(func.count()).select_from(Article)).scalar_one()
                    samples.append({"t": round(time.monotonic() - started, 1), "articles": int(n),
                                    "rss_mb": {k: rss_mb(v) for k, v in procs().items()}})
                    stop.wait(args.sample_every)

            threads = [threading.Thread(target=poller, daemon=True), threading.Thread(target=sampler, daemon=True)]
            for t in threads:
                t.start()
            pub.run(seconds)
            published = len(pub.published)
            # drain: everything published must come through
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                with Session(engine) as s:
                    stored = s.execute(select(func.count()).select_from(Article)).scalar_one()
                    unmatched = s.execute(select(func.count()).select_from(Article)
                                          .where(col(Article.matched_at).is_(None))).scalar_one()
                    pending = s.execute(select(func.count()).select_from(Delivery)
                                        .where(col(Delivery.status) != "delivered")).scalar_one()
                if stored >= published and unmatched == 0 and pending == 0:
                    break
                time.sleep(2)
            stop.set()
            for t in threads:
                t.join(30)
            elapsed = time.monotonic() - started
            db_size1 = admin.execute(f"SELECT pg_database_size('{dbname}')").fetchone()[0]  # type: ignore[index]
            received = {c.webhook_id: c.at for c in rx.accepted()}
            with Session(engine) as s:
                arts = s.execute(select(Article.id, Article.guid, Article.fetched_at, Article.matched_at)).all()
                alerts = s.execute(select(func.count()).select_from(Alert)).scalar_one()
                dels = s.execute(select(Delivery.message_id, Alert.article_id)
                                 .join(Alert, col(Alert.id) == col(Delivery.alert_id))).all()
    finally:
        if dep is not None:
            dep.stop()
        engine.dispose()
        admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        admin.close()
        redis.Redis.from_url(args.redis).delete(settings.task_queue, f"_kombu.binding.{settings.task_queue}")
        shutil.rmtree(workdir, ignore_errors=True)

    def ts(d: datetime | None) -> float | None:
        return d.timestamp() if d is not None else None

    by_article = {a.id: a for a in arts}
    to_stored = [ts(a.fetched_at) - pub.published[a.guid] for a in arts if a.guid in pub.published]  # type: ignore[operator]
    to_matched = [ts(a.matched_at) - pub.published[a.guid] for a in arts  # type: ignore[operator]
                  if a.guid in pub.published and a.matched_at is not None]
    to_webhook = []
    for message_id, article_id in dels:
        art = by_article.get(article_id)
        if art is not None and message_id in received and art.guid in pub.published:
            to_webhook.append(received[message_id] - pub.published[art.guid])
    steady = [s for s in samples if s["t"] >= 0.2 * elapsed]
    memory = {}
    for name in (samples[0]["rss_mb"] if samples else {}):
        pts = [(s["t"], s["rss_mb"].get(name)) for s in samples if s["rss_mb"].get(name) is not None]
        spts = [(s["t"], s["rss_mb"][name]) for s in steady if s["rss_mb"].get(name) is not None]
        if pts:
            memory[name] = {"first": round(pts[0][1], 1), "last": round(pts[-1][1], 1),
                            "max": round(max(p[1] for p in pts), 1),
                            "trend_mb_per_hour_after_warmup": round(slope_per_hour(spts), 1)}
    result = {
        "minutes": args.minutes, "rate_per_hour": args.rate, "feeds": args.feeds, "poll_every_s": args.poll_every,
        "published": published, "stored": len(arts), "alerts": int(alerts), "deliveries": len(dels),
        "webhooks_received": len(received),
        "stored_per_hour": round(len(arts) / (args.minutes / 60), 0),
        "ratio_stored_to_published": round(len(arts) / max(1, published), 3),
        "latency_s": {name: {"p50": round(pct(v, 50), 2), "p95": round(pct(v, 95), 2), "p99": round(pct(v, 99), 2),
                             "max": round(max(v), 2) if v else None}
                      for name, v in (("publish_to_stored", to_stored), ("publish_to_matched", to_matched),
                                      ("publish_to_webhook", to_webhook))},
        "rss_mb": memory,
        "db_growth_kb_per_1000_articles": round((db_size1 - db_size0) / 1024 / max(1, len(arts) / 1000), 0),
        "db_size_mb": {"start": round(db_size0 / 2**20, 1), "end": round(db_size1 / 2**20, 1)},
        "samples": samples,
    }
    printable = {k: v for k, v in result.items() if k != "samples"}
    print(json.dumps(printable, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
