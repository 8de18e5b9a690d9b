"""Throughput of matching outside English: language detection plus `Matcher.scan` per article.

    .venv/bin/python -m bench.multilingual_speed [--rounds 3] [--repeat 20]

The matcher is bench/quality.py's (default rules, OFAC SDN, UN and named officials). Articles are
the labelled multilingual set (tests/data/multilingual: written and real items in ten languages),
each scanned `--repeat` times per round; detection (`detect_language`) runs on every article, as
at ingest. One core, best of `--rounds`; per language and pooled, in articles per CPU second of
this process (the machine is shared: CPU time is what one core delivers). The side-by-side
English figure is `bench/match_bench.py` run on the commit before language support and on this
one (docs/languages.md gives both commands).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections import defaultdict

from bench.multilingual_quality import load_items
from bench.quality import DATA, LISTS, ROOT, alias_specs
from monitor.matching.engine import build_matcher
from monitor.matching.language import detect_language
from monitor.matching.rulefile import load_rules
from monitor.matching.types import ArticleInput


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--rules", default=str(ROOT / "config" / "rules"))
    args = parser.parse_args(argv)
    if not (DATA / "lists").exists():
        print(f"real data not available under {DATA}: nothing to measure")
        return 0
    matcher = build_matcher(load_rules([args.rules]), list(alias_specs(LISTS)))
    by_lang: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for item in load_items():
        by_lang[item["language"]].append((str(item["title"]), str(item["text"])))
    for label, shape in (("as labelled (titles and two or three sentences)", lambda t: t),
                         ("joined into articles of about 3,000 characters", _joined)):
        print(f"\nArticles {label}:\n")
        _table(matcher, {lang: shape(texts) for lang, texts in by_lang.items()}, args.rounds, args.repeat)
    return 0


def _joined(texts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The texts of one language joined, title first, into articles of about 3,000 characters."""
    out: list[tuple[str, str]] = []
    title, body = "", ""
    for t, x in texts:
        if not title:
            title = t
        body += f"{t}. {x}\n"
        if len(body) >= 3000:
            out.append((title, body))
            title, body = "", ""
    return out or [(texts[0][0], body)]


def _table(matcher: object, by_lang: dict[str, list[tuple[str, str]]], rounds: int, repeat: int) -> None:
    print("| language | articles scanned | mean characters | articles / CPU s (detection + scan) |")
    print("| --- | --- | --- | --- |")
    total_n = 0
    total_cpu = 0.0
    scan = matcher.scan  # type: ignore[attr-defined]
    for lang, texts in sorted(by_lang.items()):
        batch = texts * repeat
        best = float("inf")
        for _ in range(rounds):
            gc.collect()
            c0 = time.process_time()
            for i, (title, text) in enumerate(batch):
                scan(ArticleInput(id=str(i), title=title, text=text, language=detect_language(title, text)))
            best = min(best, time.process_time() - c0)
        total_n += len(batch)
        total_cpu += best
        chars = sum(len(t) + len(x) for t, x in texts) / len(texts)
        print(f"| {lang} | {len(batch)} | {chars:.0f} | {len(batch) / max(best, 1e-9):,.0f} |")
    print(f"| all | {total_n} | | {total_n / max(total_cpu, 1e-9):,.0f} |")


if __name__ == "__main__":
    sys.exit(main())
