"""Throughput of matching outside English: language detection plus `Matcher.scan` per article.

    .venv/bin/python -m bench.multilingual_speed [--rounds 3] [--repeat 20] [--split tune] [--no-english]

The matcher is bench/quality.py's (default rules, OFAC SDN, UN and named officials). Articles are
the labelled multilingual set (tests/data/multilingual: written and real items in ten languages)
and every item of the real non-English feeds of ../shared/data/feeds, each scanned `--repeat`
times per round; detection (`detect_language`) runs on every article, as
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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from bench.multilingual_quality import load_items
from bench.quality import DATA, LISTS, ROOT, alias_specs
from monitor.matching import multilingual
from monitor.matching.engine import build_matcher
from monitor.matching.language import detect_language
from monitor.matching.normalise import normalise_field
from monitor.matching.rulefile import load_rules
from monitor.matching.types import ArticleInput


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--rules", default=str(ROOT / "config" / "rules"))
    parser.add_argument("--split", choices=("tune", "blind", "all"), default="all",
                        help="which part of the labelled set to time (the real feeds are timed whole)")
    parser.add_argument("--no-english", action="store_true", help="skip the English side by side")
    args = parser.parse_args(argv)
    if not (DATA / "lists").exists():
        print(f"real data not available under {DATA}: nothing to measure")
        return 0
    matcher = build_matcher(load_rules([args.rules]), list(alias_specs(LISTS)))
    by_lang: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for item in load_items():
        if args.split == "all" or item["split"] == args.split:
            by_lang[item["language"]].append((str(item["title"]), str(item["text"])))
    if not args.no_english:
        _english_side_by_side(args.rules, args.rounds)
    print("\nThe labelled articles (titles and two or three sentences):\n")
    _table(matcher, dict(by_lang), args.rounds, args.repeat)
    print("\nEvery item of the real non-English feeds of ../shared/data/feeds, as the feed parser gives them"
          " (grouped by detected language):\n")
    _table(matcher, _real_items(), args.rounds, args.repeat)
    return 0


@contextmanager
def _without_languages() -> Iterator[None]:
    """The matcher as it was before language support: no extra name forms, no inflection pass,
    no Chinese segmentation (the hooks of monitor.matching.multilingual return the English path)."""
    cls = multilingual.LanguageSupport
    saved = cls.forms, cls.normalise, cls.segment_filter
    cls.forms = lambda self, specs, base: base  # type: ignore[method-assign,assignment,misc]
    cls.normalise = lambda self, raw, language: normalise_field(raw)  # type: ignore[method-assign,assignment,misc]
    cls.segment_filter = lambda self, fields, hits: None  # type: ignore[method-assign,assignment,misc]
    try:
        yield
    finally:
        cls.forms, cls.normalise, cls.segment_filter = saved  # type: ignore[method-assign]


REAL_FEEDS = ("feedreader_Rss20YandexRussia.xml", "feedreader_Rss20Spiegel.xml", "feedreader_Rss10OrfAt.xml",
              "feedreader_Rss20LeMonde.xml", "feedreader_Rss10Minutos20.xml", "feedrs_rss_2.0_ilgiornale.xml",
              "greatfire_bbcchinese_atom.xml", "greatfire_dw_chinese_rdf.xml")


def _english_side_by_side(rules_dir: str, rounds: int) -> None:
    """English (the 2,225 BBC articles): the matcher with and without language support, one run."""
    from bench.match_bench import BBC, load_articles, time_e2e

    if not BBC.exists():
        print(f"(BBC articles not found at {BBC}: English side by side skipped)")
        return
    articles = [replace(a, language="en") for a in load_articles()]
    rules = load_rules([rules_dir])
    aliases = list(alias_specs(LISTS))
    with _without_languages():
        before = build_matcher(rules, aliases)
    after = build_matcher(rules, aliases)
    print("English, 2,225 BBC articles, `Matcher.scan` (articles per CPU second, best of the rounds):\n")
    print("| matcher | keys | articles / CPU s |")
    print("| --- | --- | --- |")
    results: dict[str, float] = {}
    for _ in range(2):  # alternate, so that a change in the machine's load hits both
        for name, matcher, hooks in (("without language support", before, _without_languages), ("with", after, None)):
            if hooks is not None:
                with hooks():
                    cpu = time_e2e(matcher, articles, rounds)[1]
            else:
                cpu = time_e2e(matcher, articles, rounds)[1]
            results[name] = max(results.get(name, 0.0), cpu)
    for name, matcher in (("without language support", before), ("with", after)):
        print(f"| {name} | {matcher.key_count:,} | {results[name]:,.0f} |")
    ratio = results["with"] / max(results["without language support"], 1e-9)
    print(f"\nwith / without: {ratio:.1%}")


def _real_items() -> dict[str, list[tuple[str, str]]]:
    """(title, text) of every item of the non-English feeds, by detected language."""
    from monitor.feeds.parse import parse_feed

    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for name in REAL_FEEDS:
        path = DATA / "feeds" / name
        if not path.exists():
            continue
        for draft in parse_feed(path.read_bytes(), url="", content_type="application/xml").drafts:
            title, text = draft.title or "", draft.text or ""
            out[detect_language(title, text) or "?"].append((title, text))
    return out


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
