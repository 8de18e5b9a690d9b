"""Story grouping: speed against a full 7-day window, queue volume before and after, a sample to read.

    .venv/bin/python -m bench.stories_bench speed [--window 100000] [--articles 10000] [--brute 50]
    .venv/bin/python -m bench.stories_bench volume
    .venv/bin/python -m bench.stories_bench sample [--stories 50] [--seed 16] [--exclude-days FILE]
    .venv/bin/python -m bench.stories_bench tfidf [--split tuning]
    .venv/bin/python -m bench.stories_bench service [--articles 400]

service: the cost of placing a stored, matched article into its story in the service
(`monitor.stories.store.place_article`: grouping plus the story's row) on a fresh SQLite store, half
the articles reports of one event (its story grows to half of them), half unrelated; CPU time of this
process per placement (SQLite runs in it) and wall clock.

tfidf: the baseline of the quality figures: plain TF-IDF cosine of title + text (idf over the split's
items, no stop list, no time), every pair at or above a threshold linked (single link), scored with
B-cubed against the labels at thresholds 0.10 to 0.90; the best threshold is picked on the split
itself, so the baseline's figure is optimistic.

speed: a window of N articles spread evenly over 7 days (the 26,802 real 2023 feed items and the
2,225 BBC full-text articles, cycled with new ids when N is larger: every event then has several
copies, more candidates per article than real news, so the figure is pessimistic), then M more
articles arriving after it (the window slides). Prints articles/s per CPU second of this process
(one core), the latency of one `add` (features + lookup + decision: what a story lookup adds to
matching an article) at p50/p99/max, and, side by side, the baseline that compares each article
with every window article (no inverted index) on a few articles.

volume: over every item of ../shared/data/articles/rss_items_2023_*.jsonl, matched with the default
rule pack and the real OFAC SDN and UN lists (no database), the rows of the analyst's queue per day:
one per (article, rule) alert, one per alerted article, one per story with an alerted article.

sample: N multi-source stories (two outlets or more) drawn at random from the grouping of all items,
printed for reading by hand (archive days listed in --exclude-days, one per line, are left out).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.grouping.features import article_features, cosine  # noqa: E402
from monitor.grouping.grouper import StoryArticle, StoryGrouper, group_archive  # noqa: E402

DATA = Path(os.environ.get("MONITOR_SHARED_DATA", ROOT.parent / "shared" / "data"))
ITEMS = sorted((DATA / "articles").glob("rss_items_2023_*.jsonl"))
BBC = DATA / "articles" / "bbc_fulltext_2225.jsonl"


def _date(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def read_items() -> list[dict]:
    """Every real 2023 feed item, in file order, with its outlet (the feed's host)."""
    if not ITEMS:
        raise SystemExit(f"real data not available under {DATA / 'articles'}")
    rows = []
    for path in ITEMS:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                raw = json.loads(line)
                rows.append({"id": raw.get("link") or f"{path.name}:{len(rows)}", "url": raw.get("link") or "",
                             "title": raw.get("title") or "",
                             "text": raw.get("description") or "", "day": raw.get("archive_day") or "",
                             "source": urlsplit(raw.get("source_feed") or "").netloc,
                             "published": _date(raw.get("date_published"))})
    return rows


def as_story_article(row: dict, **changes: object) -> StoryArticle:
    """A bench row as the grouping's input."""
    base = {"id": row["id"], "title": row["title"], "text": row["text"], "source": row["source"],
            "published": row["published"], "url": row.get("url", "")}
    base.update(changes)
    return StoryArticle(**base)  # type: ignore[arg-type]


def speed(window: int, arriving: int, brute: int) -> None:
    """Articles/s and per-article latency against a full window, with the no-index baseline."""
    rows = read_items()
    if BBC.exists():
        with BBC.open(encoding="utf-8") as fh:
            rows += [{"id": r["id"], "title": r.get("title", ""), "text": r.get("text", ""), "source": "bbc",
                      "published": None, "day": ""} for r in map(json.loads, fh)]
    random.Random(16).shuffle(rows)
    start = datetime(2023, 6, 1, tzinfo=UTC)
    step = timedelta(days=7) / window

    def stream(first: int, count: int) -> list[StoryArticle]:
        return [as_story_article(rows[i % len(rows)], id=f"{i}:{rows[i % len(rows)]['id']}",
                                 published=start + step * i) for i in range(first, first + count)]

    grouper = StoryGrouper()
    fill = stream(0, window)
    t0 = time.process_time()
    for article in fill:
        grouper.add(article)
    fill_cpu = time.process_time() - t0
    print(f"window filled: {len(grouper):,} articles in the last 7 days, {grouper.stories:,} stories "
          f"({window / fill_cpu:,.0f} articles/s while filling)")
    incoming = stream(window, arriving)
    latencies, cpu_latencies = [], []
    t0 = time.process_time()
    for article in incoming:
        a, c = time.perf_counter(), time.thread_time()
        grouper.add(article)
        cpu_latencies.append((time.thread_time() - c) * 1000)
        latencies.append((time.perf_counter() - a) * 1000)
    cpu = time.process_time() - t0
    latencies.sort()
    cpu_latencies.sort()

    def spread(values: list[float]) -> str:
        return (f"p50 {statistics.median(values):.2f} ms, p99 {values[int(len(values) * 0.99)]:.2f} ms, "
                f"max {values[-1]:.1f} ms")

    print(f"grouping: {arriving / cpu:,.0f} articles/s per CPU second, against a window of {len(grouper):,}")
    # CPU time is what the work costs; wall time adds whatever else the machine runs meanwhile
    print(f"one add (features + lookup + decision), CPU: {spread(cpu_latencies)}")
    print(f"one add, wall clock: {spread(latencies)}")
    # baseline: the same similarity against every window article (no inverted index, no guards)
    window_feats = [article_features(a.title, a.text) for a in fill[-window:]]
    probe = incoming[:brute]
    t0 = time.process_time()
    for article in probe:
        feats = article_features(article.title, article.text)
        max((cosine(feats, other) for other in window_feats), default=0.0)
    brute_cpu = (time.process_time() - t0) / len(probe)
    print(f"baseline (compare with every window article): {1 / brute_cpu:,.1f} articles/s; "
          f"indexed grouping is {brute_cpu / (cpu / arriving):,.0f}x faster")
    print(f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


def volume() -> None:
    """Queue rows per day: (article, rule) alerts, alerted articles, stories with an alerted article."""
    from monitor.matching.engine import build_matcher
    from monitor.matching.rulefile import load_rules
    from monitor.matching.types import ArticleInput
    from tests.matching.realdata import real_aliases

    rows = read_items()
    matcher = build_matcher(load_rules([ROOT / "config" / "rules"]), real_aliases(str(DATA / "lists")))
    placed = group_archive([as_story_article(r) for r in rows])
    alert_rows: Counter[str] = Counter()
    articles: Counter[str] = Counter()
    story_day: dict[str, str] = {}
    for row, place in zip(rows, placed, strict=True):
        result = matcher.scan(ArticleInput(id=row["id"], title=row["title"], text=row["text"]))
        if not result.alerts:
            continue
        alert_rows[row["day"]] += len(result.alerts)
        articles[row["day"]] += 1
        # a story is one queue row, on the day of its first alerted article
        story_day.setdefault(place.story, row["day"])
    stories = Counter(story_day.values())
    days = sorted(set(alert_rows) | {d for d in stories})

    def describe(counts: Counter[str]) -> str:
        values = [counts.get(d, 0) for d in days]
        return (f"total {sum(values):>6,}  mean/day {statistics.mean(values):6.1f}"
                f"  median {statistics.median(values):5.1f}  max {max(values):4}")

    print(f"{len(rows):,} items, {len(days)} archive days with alerts")
    print(f"before, one row per (article, rule):    {describe(alert_rows)}")
    print(f"one row per alerted article:            {describe(articles)}")
    print(f"after, one row per story:               {describe(stories)}")
    busiest = sorted(days, key=lambda d: -alert_rows[d])[:5]
    for day in busiest:
        print(f"  busiest {day}: {alert_rows[day]} alert rows, {articles[day]} articles, {stories[day]} stories")


def sample(count: int, seed: int, exclude: set[str]) -> None:
    """Print `count` random multi-source stories (by outlet) for reading by hand."""
    rows = read_items()
    placed = group_archive([as_story_article(r) for r in rows])
    members: dict[str, list[dict]] = defaultdict(list)
    for row, place in zip(rows, placed, strict=True):
        members[place.story].append(row)
    multi = [k for k, rs in members.items()
             if len({r["source"] for r in rs}) >= 2 and not {r["day"] for r in rs} & exclude]
    print(f"{len(multi):,} multi-source stories outside the excluded days; {count} drawn with seed {seed}")
    for number, key in enumerate(sorted(random.Random(seed).sample(sorted(multi), count)), start=1):
        print(f"\n[{number}] {len(members[key])} articles")
        for row in sorted(members[key], key=lambda r: r["published"] or datetime.min.replace(tzinfo=UTC)):
            stamp = row["published"].strftime("%m-%d %H:%M") if row["published"] else "?"
            print(f"  {stamp} {row['source'][:22]:<22} {row['title'][:110]}")


def _root(parent: list[int], x: int) -> int:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def tfidf(split: str) -> None:
    """B-cubed of the TF-IDF single-link baseline at each threshold, on one split of the labels."""
    import math
    import re

    from bench.stories_quality import LABELS, bcubed, load_labels
    from tests.data import select_stories

    labels = [r for r in load_labels(LABELS) if r["split"] == split]
    gold = {r["link"]: r["story"] for r in labels}
    window = {r["link"]: r["window"] for r in labels}
    items = [select_stories.as_article(i) for i in select_stories.select() if i["link"] in gold]
    docs = [Counter(re.findall(r"\w+", f"{i['title']} {i['text']}".lower())) for i in items]
    df = Counter(t for d in docs for t in d)
    idf = {t: math.log(len(docs) / n) + 1 for t, n in df.items()}
    vecs = []
    for d in docs:
        v = {t: c * idf[t] for t, c in d.items()}
        norm = math.sqrt(sum(w * w for w in v.values())) or 1.0
        vecs.append({t: w / norm for t, w in v.items()})
    pairs = []
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            if window[items[i]["id"]] == window[items[j]["id"]]:
                sim = sum(w * vecs[j].get(t, 0.0) for t, w in vecs[i].items())
                pairs.append((sim, i, j))
    for step in range(1, 10):
        threshold = step / 10
        parent = list(range(len(items)))
        for sim, i, j in pairs:
            if sim >= threshold:
                parent[_root(parent, i)] = _root(parent, j)
        pred = {item["id"]: str(_root(parent, n)) for n, item in enumerate(items)}
        p, r, f1 = bcubed(pred, gold)
        print(f"tf-idf single link, threshold {threshold:.1f}: P {p:.3f} R {r:.3f} F1 {f1:.3f}")


def service(count: int) -> None:
    """CPU and wall time of one placement into a story, with the database work, on SQLite."""
    import tempfile

    from monitor.db import make_engine, session_scope, upgrade
    from monitor.models import Alert, Article, Feed
    from monitor.stories.store import place_article

    engine = make_engine(f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}")
    upgrade(engine)
    start = datetime(2026, 12, 1, tzinfo=UTC)
    with session_scope(engine) as s:
        feeds = [Feed(url=f"http://127.0.0.1/{n}.xml", title=f"outlet {n}") for n in range(20)]
        s.add_all(feeds)
        s.flush()
        feed_ids = [f.id for f in feeds]
    cpu, wall, biggest = [], [], 0
    for n in range(count):
        event = n % 2 == 0
        title = ("Kim Jong Un and Putin meet at Vostochny cosmodrome summit" if event
                 else f"Council {n} approves budget number {n} for district {n}")
        with session_scope(engine) as s:
            article = Article(feed_id=feed_ids[n % 20], title=title, text="Kim Jong Un met Vladimir Putin." if event
                              else f"Item {n}.", published_at=start + timedelta(minutes=n),
                              fetched_at=start + timedelta(minutes=n), dedupe_key=str(n), content_hash=str(n))
            s.add(article)
            s.flush()
            s.add(Alert(article_id=article.id, feed_id=article.feed_id, rule_id="arms-transfer", severity="high",
                        severity_rank=3, score=0.9, title=title, entity_ids=["us_ofac_sdn:1"]))
            s.flush()
            c, w = time.process_time(), time.perf_counter()
            story = place_article(s, article)
            cpu.append((time.process_time() - c) * 1000)
            wall.append((time.perf_counter() - w) * 1000)
            biggest = max(biggest, story.article_count)
    cpu.sort()
    wall.sort()
    print(f"{count} placements, largest story {biggest} articles")
    print(f"CPU per placement: p50 {statistics.median(cpu):.2f} ms, p90 {cpu[int(len(cpu) * 0.9)]:.2f} ms")
    print(f"wall per placement: p50 {statistics.median(wall):.2f} ms, p90 {wall[int(len(wall) * 0.9)]:.2f} ms")
    print(f"load average: {os.getloadavg()[0]:.2f}")


def main() -> None:
    """Run one of the three benches."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("speed")
    p.add_argument("--window", type=int, default=100_000)
    p.add_argument("--articles", type=int, default=10_000)
    p.add_argument("--brute", type=int, default=50)
    sub.add_parser("volume")
    p = sub.add_parser("sample")
    p.add_argument("--stories", type=int, default=50)
    p.add_argument("--seed", type=int, default=16)
    p.add_argument("--exclude-days", type=Path)
    p = sub.add_parser("service")
    p.add_argument("--articles", type=int, default=400)
    p = sub.add_parser("tfidf")
    p.add_argument("--split", default="tuning", choices=["tuning", "blind", "blind2", "blind3", "blind4"])
    args = parser.parse_args()
    if args.what == "speed":
        speed(args.window, args.articles, args.brute)
    elif args.what == "volume":
        volume()
    elif args.what == "service":
        service(args.articles)
    elif args.what == "tfidf":
        tfidf(args.split)
    else:
        exclude = set(args.exclude_days.read_text().split()) if args.exclude_days else set()
        sample(args.stories, args.seed, exclude)


if __name__ == "__main__":
    main()
