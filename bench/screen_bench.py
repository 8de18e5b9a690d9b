"""Screening benchmark: latency per query against the real OFAC SDN + UN lists and against
1,000,000 synthetic aliases, with a brute-force scan (rapidfuzz over every alias) side by side.

    .venv/bin/python -m bench.screen_bench [--queries 300] [--synthetic 1000000] [--baseline-queries 30]

Queries are real listed names disturbed the way analysts type them (order swapped, a typo,
a dropped middle name, Cyrillic script, an initial) plus names that are on no list.
Reports p50/p95/p99 latency and how often the listed entity comes back first ("hit@1")
and among the candidates ("hit@10").
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rapidfuzz import fuzz, process

from monitor.watchlists.resolve import Clusters
from monitor.watchlists.screen import AliasRow, ScreenIndex

ROOT = Path(__file__).resolve().parent.parent
LISTS = ROOT.parent / "shared" / "data" / "lists"
THRESHOLD = 0.7
# Latin letters written in Cyrillic (typed as escapes: the letters look alike).
_CYRILLIC = str.maketrans(
    "abvgdeziklmnoprstufhyc",
    "\u0430\u0431\u0432\u0433\u0434\u0435\u0437\u0438\u043a\u043b\u043c"
    "\u043d\u043e\u043f\u0440\u0441\u0442\u0443\u0444\u0445\u044b\u0446",
)
NOBODY = ["John Smith Nobody", "Maria Fernanda Quiroga", "Bluebird Bakery Ltd", "Henrik Oskarsson",
          "Pacific Rim Textiles GmbH", "Aiko Tanabe", "Nordic Salmon AS", "Priya Raghunathan"]  # fmt: skip


def load_real_lists() -> tuple[list[AliasRow], Clusters]:
    """Aliases of the real SDN and UN lists, loaded with the project's own loader into a scratch
    SQLite, and the records the loads merged across the two lists."""
    from monitor.db import make_engine, session_scope, upgrade
    from monitor.watchlists.links import load_clusters
    from monitor.watchlists.screen import iter_alias_rows
    from monitor.watchlists.store import load_list

    tmp = Path(tempfile.mkdtemp(prefix="screen-bench-"))
    engine = make_engine(f"sqlite:///{tmp / 'm.db'}")
    upgrade(engine)
    for path in (LISTS / "us_ofac_sdn" / "sdn.csv", LISTS / "un_sc_sanctions" / "consolidated.xml"):
        with session_scope(engine) as s:
            load_list(s, path)
    with session_scope(engine) as s:
        rows = list(iter_alias_rows(s))
        groups = load_clusters(s)
    engine.dispose()
    return rows, groups


def load_real_rows() -> list[AliasRow]:
    """Aliases of the real SDN and UN lists (see `load_real_lists`)."""
    return load_real_lists()[0]


def disturb(name: str, rng: random.Random) -> str:
    """One of the ways a screened name differs from the listed one."""
    words = name.replace(",", " ").split()
    how = rng.randrange(6)
    if how == 0 and len(words) > 1:
        words = words[1:] + words[:1]
    elif how == 1:
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) > 5:
            j = rng.randrange(1, len(w) - 1)
            words[i] = w[:j] + w[j + 1 :]
    elif how == 2 and len(words) > 2:
        del words[rng.randrange(1, len(words) - 1)]
    elif how == 3:
        words = [w.lower().translate(_CYRILLIC) for w in words]
    elif how == 4 and len(words) > 1:
        words[-1] = words[-1][0] + "."
    return " ".join(words)


def make_queries(rows: list[AliasRow], n: int, rng: random.Random) -> list[tuple[str, str | None]]:
    """(query, expected entity id or None) pairs."""
    strong = [r for r in rows if not r.weak and len(r.alias.split()) >= 2]
    out: list[tuple[str, str | None]] = []
    for _ in range(n):
        if rng.random() < 0.1:
            out.append((rng.choice(NOBODY), None))
        else:
            row = rng.choice(strong)
            out.append((disturb(row.alias, rng), row.entity_id))
    return out


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99 in milliseconds."""
    qs = statistics.quantiles(samples, n=100, method="inclusive")
    return qs[49] * 1000, qs[94] * 1000, qs[98] * 1000


def run(label: str, queries: list[tuple[str, str | None]], fn: Callable[[str], list[str]]) -> dict[str, float]:
    """Times `fn` per query and scores hit@1 / hit@10 on the queries with a listed answer."""
    times: list[float] = []
    cpu: list[float] = []
    hit1 = hit10 = expected = 0
    for query, want in queries:
        start, start_cpu = time.perf_counter(), time.process_time()
        ids = fn(query)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        if want is not None:
            expected += 1
            hit1 += bool(ids) and ids[0] == want
            hit10 += want in ids[:10]
    p50, p95, p99 = percentiles(times)
    c50, c95, c99 = percentiles(cpu)
    print(
        f"  {label:34s} wall p50 {p50:7.2f} p95 {p95:7.2f} p99 {p99:7.2f} ms | CPU p50 {c50:7.2f} p95 {c95:7.2f}"
        f" p99 {c99:7.2f} ms | hit@1 {hit1 / max(1, expected):.3f} hit@10 {hit10 / max(1, expected):.3f}"
        f" ({len(queries)} queries)"
    )
    return {"p50": p50, "p95": p95, "p99": p99, "cpu_p95": c95}


def ratios(base: dict[str, float], mine: dict[str, float]) -> None:
    """How many times slower the baseline is at p95."""
    wall, cpu = base["p95"] / mine["p95"], base["cpu_p95"] / mine["cpu_p95"]
    print(f"  p95 ratio baseline/ours: wall {wall:.1f}x, CPU {cpu:.1f}x")


def ours(index: ScreenIndex) -> Callable[[str], list[str]]:
    """Index retrieval + namematch rerank."""

    def screen(query: str) -> list[str]:
        return [m.entity_id for m in index.screen(query, threshold=THRESHOLD).matches]

    return screen


def brute_force(rows: list[AliasRow]) -> Callable[[str], list[str]]:
    """rapidfuzz token_sort_ratio against every alias (C loop over all of them)."""
    choices = [r.alias.lower() for r in rows]

    def screen(query: str) -> list[str]:
        found = process.extract(query.lower(), choices, scorer=fuzz.token_sort_ratio, limit=30)
        ids: list[str] = []
        for _alias, _score, i in found:
            if rows[i].entity_id not in ids:
                ids.append(rows[i].entity_id)
        return ids

    return screen


def synthetic_rows(real: list[AliasRow], total: int, rng: random.Random) -> list[AliasRow]:
    """`total` aliases: the real ones plus new names recombined from real name parts (and mutated)."""
    people = [r.alias.replace(",", " ").split() for r in real if r.schema == "person"]
    orgs = [r.alias.replace(",", " ").split() for r in real if r.schema != "person"]
    person_parts = sorted({w for words in people for w in words if len(w) > 2})
    org_parts = sorted({w for words in orgs for w in words if len(w) > 2})
    rows = list(real)
    i = 0
    while len(rows) < total:
        i += 1
        if rng.random() < 0.6:
            words = rng.sample(person_parts, rng.choice((2, 2, 3, 3, 4)))
            schema = "person"
        else:
            words = rng.sample(org_parts, rng.choice((2, 3, 4, 5)))
            schema = "organization"
        if rng.random() < 0.5:  # invented spellings grow the vocabulary as real lists do
            k = rng.randrange(len(words))
            w = words[k]
            j = rng.randrange(len(w))
            words[k] = w[:j] + rng.choice("aeiouknrst") + w[j + 1 :]
        name = " ".join(words)
        rows.append(AliasRow(f"synthetic:{i}", "synthetic", str(i), name, name, schema))
    return rows


def main(argv: list[str] | None = None) -> int:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--synthetic", type=int, default=1_000_000, help="0 skips the synthetic run")
    parser.add_argument("--baseline-queries", type=int, default=30, help="brute-force queries on the big index")
    parser.add_argument("--seed", type=int, default=20260)
    args = parser.parse_args(argv)
    print(f"load average {' '.join(f'{x:.1f}' for x in __import__('os').getloadavg())} (2 shared cores)")
    if not (LISTS / "us_ofac_sdn" / "sdn.csv").exists():
        print(f"benchmark data not available: {LISTS}")
        return 0
    rng = random.Random(args.seed)
    start = time.perf_counter()
    real = load_real_rows()
    print(f"real lists: {len(real)} names of OFAC SDN + UN loaded in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    index = ScreenIndex(real)
    took = time.perf_counter() - start
    print(f"index: {index.size} distinct aliases, {len(index.vocab)} parts, built in {took:.1f} s")
    queries = make_queries(real, args.queries, rng)
    ours(index)(queries[0][0])  # warm-up
    mine = run("index + namematch", queries, ours(index))
    base = run("brute force rapidfuzz (baseline)", queries, brute_force(real))
    ratios(base, mine)
    if args.synthetic:
        start = time.perf_counter()
        rows = synthetic_rows(real, args.synthetic, rng)
        print(f"synthetic: {len(rows)} aliases generated in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        big = ScreenIndex(rows)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"index: {big.size} distinct aliases, {len(big.vocab)} parts, built in "
            f"{time.perf_counter() - start:.1f} s, peak RSS {rss:.0f} MiB"
        )
        ours(big)(queries[0][0])
        mine = run("index + namematch", queries, ours(big))
        base = run("brute force rapidfuzz (baseline)", queries[: args.baseline_queries], brute_force(rows))
        ratios(base, mine)
    return 0


if __name__ == "__main__":
    sys.exit(main())
