"""Feed polling throughput: `poll_many` (lease, conditional GET, parse, dedupe, store, reschedule)
against a bare httpx conditional-GET loop over the same feeds, side by side.

2,000 feeds are served from 127.0.0.1 by the test feed server (a real ThreadingHTTPServer).
All are polled once to learn their ETags (not timed); then 10% of them publish new items.
Timed: (1) a bare loop, one httpx client, If-None-Match per feed, body read, nothing else;
(2) the service's poll path over the same 2,000 feeds (90% answer 304, the rest go through
parse, dedupe and store). Prints feeds per minute for both and the ratio.

    .venv/bin/python bench/poll_bench.py [--feeds 2000] [--changed 0.1] [--threads 8] [--database-url URL]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import func, select, update  # noqa: E402
from sqlmodel import Session  # noqa: E402

from monitor.db import make_engine, session_scope, upgrade  # noqa: E402
from monitor.feeds.manage import add_feed  # noqa: E402
from monitor.feeds.poll import poll_many  # noqa: E402
from monitor.models import Article, Feed, utcnow  # noqa: E402
from monitor.settings import Settings  # noqa: E402
from tests.support.feed_server import FeedServer, rss  # noqa: E402

mp.set_start_method("fork", force=True)


def _items(feed: int, start: int, count: int) -> list[dict[str, str]]:
    return [
        {
            "guid": f"feed{feed}-item{i}",
            "title": f"Story {i} from feed {feed}",
            "link": f"http://127.0.0.1/feed{feed}/story/{i}",
            "description": f"<p>Report number {i} about shipments, sanctions and talks, from desk {feed}.</p>",
            "pubDate": "Tue, 12 Sep 2023 10:00:00 GMT",
        }
        for i in range(start, start + count)
    ]


def _serve(feeds: int, items: int, new_items: int, changed: list[int], conn: object) -> None:
    """The feed server, in its own process (as a real feed host would be): it answers
    "port" with its port, and "change" by publishing new items in the changed feeds."""
    srv = FeedServer().start()
    for i in range(feeds):
        srv.add(f"/feed/{i}.xml", rss(_items(i, 0, items), title=f"Feed {i}"))
    conn.send(srv.port)  # type: ignore[attr-defined]
    while True:
        command = conn.recv()  # type: ignore[attr-defined]
        if command == "change":
            for i in changed:
                srv.replace(f"/feed/{i}.xml", rss(_items(i, new_items, items), title=f"Feed {i}"))
            conn.send("changed")  # type: ignore[attr-defined]
        elif command == "stop":
            srv.stop()
            conn.send("stopped")  # type: ignore[attr-defined]
            return


def main() -> None:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--feeds", type=int, default=2000)
    ap.add_argument("--changed", type=float, default=0.1, help="share of feeds with new items")
    ap.add_argument("--items", type=int, default=20, help="items per feed")
    ap.add_argument("--new-items", type=int, default=5, help="new items in a changed feed")
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--database-url", default="", help="default: a fresh SQLite file (the embedded store)")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="poll-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    settings = Settings(_env_file=None, data_dir=tmp, allowed_networks=["127.0.0.1/32"])  # type: ignore[call-arg]

    step = max(1, round(1 / args.changed)) if args.changed > 0 else args.feeds + 1
    changed = [i for i in range(args.feeds) if i % step == 0]
    parent, child = mp.Pipe()
    server = mp.Process(target=_serve, args=(args.feeds, args.items, args.new_items, changed, child), daemon=True)
    server.start()
    port = parent.recv()
    try:
        paths = [f"/feed/{i}.xml" for i in range(args.feeds)]
        urls = [f"http://127.0.0.1:{port}{path}" for path in paths]
        with session_scope(engine) as s:
            for url_ in urls:
                add_feed(s, url_)
        with Session(engine) as s:
            ids = [int(r[0]) for r in s.execute(select(Feed.id).order_by(Feed.id))]

        # Prime: learn every ETag (both sides), store the first items.
        t0 = time.perf_counter()
        poll_many(engine, settings, ids, threads=args.threads)
        prime = time.perf_counter() - t0
        bare_etags: dict[str, str] = {}
        with httpx.Client(headers={"User-Agent": settings.user_agent}) as client:
            for url_ in urls:
                bare_etags[url_] = client.get(url_).headers["etag"]

        # 10% publish new items.
        parent.send("change")
        assert parent.recv() == "changed"
        with session_scope(engine) as s:
            s.execute(update(Feed).values(next_poll_at=utcnow() - timedelta(seconds=1)))
            before = int(s.execute(select(func.count()).select_from(Article)).scalar_one())

        # (1) Bare conditional-GET loop.
        not_modified = 0
        c0 = time.process_time()
        t0 = time.perf_counter()
        with httpx.Client(headers={"User-Agent": settings.user_agent}) as client:
            for url_ in urls:
                response = client.get(url_, headers={"If-None-Match": bare_etags[url_]})
                response.read()
                not_modified += response.status_code == 304
        bare = time.perf_counter() - t0
        bare_cpu = time.process_time() - c0

        # (2) The service's poll path.
        c0 = time.process_time()
        t0 = time.perf_counter()
        results = poll_many(engine, settings, ids, threads=args.threads)
        ours = time.perf_counter() - t0
        ours_cpu = time.process_time() - c0
    finally:
        parent.send("stop")
        parent.recv()
        server.join(5)

    with Session(engine) as s:
        after = int(s.execute(select(func.count()).select_from(Article)).scalar_one())
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    new = sum(len(r.new_ids) for r in results)
    bare_rate = args.feeds / bare * 60
    our_rate = args.feeds / ours * 60
    print(f"database: {engine.dialect.name}; feeds: {args.feeds}; changed: {len(changed)} "
          f"({args.new_items} new items each); threads: {args.threads}")
    print(f"prime pass (all 200, {args.items} items each): {prime:.2f} s")
    print(f"bare httpx conditional-GET loop: {bare:.2f} s = {bare_rate:,.0f} feeds/min ({not_modified} x 304)")
    print(f"poll_many (parse, dedupe, store): {ours:.2f} s = {our_rate:,.0f} feeds/min {statuses}")
    print(f"new articles stored: {new} (table {before} -> {after}); expected {len(changed) * args.new_items}")
    print(f"ratio poll/bare: {our_rate / bare_rate:.2f}  (targets: >= 10,000 feeds/min and >= 0.4)")
    # CPU time of this (client) process: less sensitive to other jobs on a shared machine.
    print(f"client CPU: bare {bare_cpu:.2f} s, poll {ours_cpu:.2f} s "
          f"(= {args.feeds / ours_cpu * 60:,.0f} feeds per CPU-minute vs {args.feeds / bare_cpu * 60:,.0f})")
    if new != len(changed) * args.new_items or after - before != new:
        print("ERROR: stored articles do not match the new items", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
