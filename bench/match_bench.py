"""Matching throughput: end to end vs a bare pyahocorasick scan, on real and synthetic lists.

    .venv/bin/python -m bench.match_bench [--rounds 3] [--synthetic 1000000] [--no-real]

Real: every alias of the OFAC SDN (CSV) and UN SC (XML) lists, read with LISTS' parsers (no
database), the default rule pack (config/rules), the 2,225 BBC articles. End to end =
`Matcher.scan` per article (normalise, one automaton pass per field, entity resolution,
rule evaluation, score, evidence, explanation). Baseline = a bare pyahocorasick automaton
of the same aliases (normalised) iterating over the same normalised texts (prepared
outside the timing). One core, best of N rounds. Synthetic: N random person and company
names (the size of OpenSanctions), built and saved by a child process; this process loads the saved
index (`monitor.matching.indexstore`) and prints the load time, articles/s and its peak memory.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import ahocorasick

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.matching import indexstore  # noqa: E402
from monitor.matching.engine import Matcher, build_matcher  # noqa: E402
from monitor.matching.normalise import normalise_field, normalise_name  # noqa: E402
from monitor.matching.rulefile import load_rules  # noqa: E402
from monitor.matching.types import AliasSpec, ArticleInput  # noqa: E402
from tests.matching.realdata import real_aliases  # noqa: E402

DATA = Path(os.environ.get("MONITOR_SHARED_DATA", ROOT.parent / "shared" / "data"))
BBC = DATA / "articles" / "bbc_fulltext_2225.jsonl"


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """Resident memory of this process now, in MiB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _keys(matcher: Matcher) -> str:
    """How many keys the index has and where they are."""
    index = matcher.index
    return (f"{matcher.key_count} keys: {len(index.automaton)} in the automaton, "
            f"{index.words.key_count} in the word table")


def load_articles() -> list[ArticleInput]:
    """The 2,225 BBC articles."""
    out = []
    with BBC.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            out.append(ArticleInput(id=row["id"], title=row.get("title", ""), text=row.get("text", "")))
    return out


def time_e2e(matcher: Matcher, articles: list[ArticleInput], rounds: int) -> tuple[float, float, int, int]:
    """Best articles per wall second and per CPU second of this process over `rounds` end-to-end
    passes (CPU time is what one core delivers on a shared machine); mentions and alerts of the last."""
    best = best_cpu = 0.0
    mentions = alerts = 0
    for _ in range(rounds):
        gc.collect()
        mentions = alerts = 0
        t0, c0 = time.perf_counter(), time.process_time()
        for art in articles:
            res = matcher.scan(art)
            mentions += len(res.entities)
            alerts += len(res.alerts)
        best = max(best, len(articles) / (time.perf_counter() - t0))
        best_cpu = max(best_cpu, len(articles) / max(time.process_time() - c0, 1e-9))
    return best, best_cpu, mentions, alerts


def time_bare(aliases: list[AliasSpec], articles: list[ArticleInput], rounds: int,
              whole_words: bool) -> tuple[float, float]:
    """Best articles/s of a bare pyahocorasick scan of the same aliases over normalised texts
    (`whole_words`: keys framed by spaces as the matcher's are, so only whole tokens match)."""
    auto = ahocorasick.Automaton()
    for i, spec in enumerate(aliases):
        key = normalise_name(spec.alias)
        if key:
            auto.add_word(f" {key} " if whole_words else key, i)
    auto.make_automaton()
    texts = [(normalise_field(a.title).padded, normalise_field(a.text).padded) for a in articles]
    best = best_cpu = 0.0
    for _ in range(rounds):
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        hits = 0
        for title, text in texts:
            for _hit in auto.iter(title):
                hits += 1
            for _hit in auto.iter(text):
                hits += 1
        best = max(best, len(texts) / (time.perf_counter() - t0))
        best_cpu = max(best_cpu, len(texts) / max(time.process_time() - c0, 1e-9))
    return best, best_cpu


_SYL = ("ka", "lo", "mi", "ra", "sen", "dor", "vik", "tal", "bar", "zen", "nov", "ash", "el", "ri", "gor", "pet",
        "un", "am", "har", "li", "mont", "ber", "sto", "qua", "fi", "jan", "ol", "ek", "ur", "sa", "dim", "yev")
_LEGAL = ("LLC", "LTD", "JSC", "TRADING CO", "GROUP", "HOLDINGS", "SHIPPING", "INDUSTRIES")


def synthetic_aliases(count: int, seed: int = 7) -> Iterator[AliasSpec]:
    """`count` random aliases: persons ("SURNAME, Given Middle") and companies, ~3 per entity,
    streamed entity by entity as the database yields them."""
    rnd = random.Random(seed)

    def word(lo: int = 2, hi: int = 4) -> str:
        return "".join(rnd.choice(_SYL) for _ in range(rnd.randint(lo, hi)))

    made = 0
    eid = 0
    while made < count:
        eid += 1
        person = rnd.random() < 0.6
        for _ in range(rnd.randint(1, 5)):
            if person:
                alias = f"{word().upper()}, {word().title()} {word().title()}"
            else:
                alias = f"{word().upper()} {word().upper()} {rnd.choice(_LEGAL)}"
            yield AliasSpec(f"synthetic:{eid}", "synthetic", str(eid), alias, alias,
                            schema="Person" if person else "Organization", programs=("SYN",))
            made += 1
            if made >= count:
                break


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--synthetic", type=int, default=0, help="also run with N synthetic aliases")
    parser.add_argument("--no-real", action="store_true")
    parser.add_argument("--rules", default=str(ROOT / "config" / "rules"))
    parser.add_argument("--save-synthetic", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--to", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.save_synthetic:
        save_synthetic(args.save_synthetic, args.to, args.rules)
        return
    rules = load_rules([args.rules])
    articles = load_articles()
    chars = sum(len(a.title) + len(a.text) for a in articles)
    print(f"articles: {len(articles)} BBC ({chars / len(articles):.0f} chars each on average); rules: {len(rules)}")
    if not args.no_real:
        aliases = list(real_aliases(str(DATA / "lists")))
        t0 = time.perf_counter()
        matcher = build_matcher(rules, aliases)
        build_s = time.perf_counter() - t0
        print(f"real lists: {len(aliases)} aliases (OFAC SDN + UN SC) -> {_keys(matcher)}, built in {build_s:.1f} s")
        e2e, e2e_cpu, mentions, alerts = time_e2e(matcher, articles, args.rounds)
        bare, bare_cpu = time_bare(aliases, articles, args.rounds, whole_words=False)
        words, words_cpu = time_bare(aliases, articles, args.rounds, whole_words=True)
        print(f"  load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
              "per wall second | per CPU second")
        print(f"  end to end : {e2e:8.0f} | {e2e_cpu:8.0f} articles/s  ({mentions} entity mentions, {alerts} alerts; "
              "target >= 5,000/s)")
        print(f"  bare scan  : {bare:8.0f} | {bare_cpu:8.0f} articles/s  "
              "(pyahocorasick, same aliases as plain keys, same normalised texts)")
        print(f"  ratio      : {e2e / bare:8.1%} | {e2e_cpu / bare_cpu:8.1%}   (target >= 20%)")
        print(f"  bare scan, whole-word keys: {words:8.0f} | {words_cpu:8.0f} articles/s; "
              f"ratio {e2e / words:.1%} | {e2e_cpu / words_cpu:.1%}")
        print(f"  peak memory: {peak_rss_mb():8.0f} MiB")
        del matcher
        gc.collect()
    if args.synthetic:
        # built and saved by a child process, as `lists load` and the first worker do; this
        # process only loads the saved index, as every later worker and command does
        with tempfile.TemporaryDirectory(prefix="match-bench-") as folder:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "bench.match_bench", "--save-synthetic", str(args.synthetic),
                            "--to", folder, "--rules", args.rules], check=True, cwd=ROOT)
            print(f"synthetic: {args.synthetic} aliases, built and saved by a child process in "
                  f"{time.perf_counter() - t0:.1f} s")
            t0, c0 = time.perf_counter(), time.process_time()
            matcher = Matcher(indexstore.load_index(Path(folder), "synthetic"), rules)
            load_s, load_cpu = time.perf_counter() - t0, time.process_time() - c0
            size = indexstore.index_path(Path(folder), "synthetic").stat().st_size
        gc.collect()
        print(f"  index loaded in {load_s:.2f} s ({load_cpu:.2f} CPU s; {size / 2**20:.0f} MiB file, "
              f"{_keys(matcher)}; target < 3 s)")
        print(f"  memory after load: {current_rss_mb():8.0f} MiB")
        e2e, e2e_cpu, mentions, alerts = time_e2e(matcher, articles, args.rounds)
        print(f"  load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"  end to end : {e2e:8.0f} per wall second | {e2e_cpu:8.0f} per CPU second "
              f"({mentions} entity mentions, {alerts} alerts; target >= 2,000/s)")
        print(f"  peak memory: {peak_rss_mb():8.0f} MiB (this process: load and scan, target < 1024 MiB)")


def save_synthetic(count: int, folder: str, rules_path: str) -> None:
    """Build the index of `count` synthetic aliases and save it (the child process of --synthetic)."""
    t0 = time.perf_counter()
    matcher = build_matcher(load_rules([rules_path]), synthetic_aliases(count))
    build_s = time.perf_counter() - t0
    indexstore.save_index(Path(folder), "synthetic", matcher.index)
    print(f"  built in {build_s:.1f} s ({_keys(matcher)}), saved in "
          f"{time.perf_counter() - t0 - build_s:.1f} s; building process peak {peak_rss_mb():.0f} MiB")


if __name__ == "__main__":
    main()
