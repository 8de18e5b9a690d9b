"""Quality in ten languages: entity and rule precision/recall/F1 per language on the labelled
multilingual set (`tests/data/multilingual/`, labelling rule in its README).

    .venv/bin/python -m bench.multilingual_quality [--split tune|blind|all|blind2|blind3] [--errors]

The matcher is the one `bench/quality.py` builds (default rules, every alias of the OFAC SDN list,
the UN list and the named-officials watch list, no database). Written articles are read from the
YAML files of `tests/data/multilingual/`; real ones from `../shared/data/feeds` by feed file and
item link, parsed by the service's own feed parser exactly as `scan FEED` reads them.

Entities are scored per (article, OFAC SDN id) pair, as in `bench/quality.py`; `arms-transfer` and
`sanctions-evasion` as "the rule fired" against the label. The blind part (`split: blind`) is for
the final figure only: measure it once, at the end (`--split blind`). `--split blind2` reads a
second blind set kept in its own folder (`tests/data/multilingual/blind2/`, labelled by another
reader after the engine was written), `--split blind3` a third one (`blind3/`, written by a reader
who never ran the engine, longer and closer to wire copy); `all` is tune and blind, never the
separate folders.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from bench.quality import DATA, LISTS, ROOT, SDN, Counts, alias_specs
from monitor.matching.engine import Matcher, build_matcher
from monitor.matching.language import detect_language
from monitor.matching.rulefile import load_rules
from monitor.matching.types import ArticleInput

LABELS = ROOT / "tests" / "data" / "multilingual"
# Blind sets kept in their own folders, each read only by its own --split.
BLIND_FOLDERS = {"blind2": LABELS / "blind2", "blind3": LABELS / "blind3"}
LANGUAGES = ("ru", "uk", "de", "fr", "es", "ar", "fa", "zh", "ko", "tr")
RULES = {"arms-transfer": "arms_transfer", "sanctions-evasion": "sanctions_evasion"}


def _real_items(path: Path) -> list[dict[str, Any]]:
    """Labelled real feed items with the title and text the service's parser gives them."""
    from monitor.feeds.parse import parse_feed

    labels = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    feeds: dict[str, dict[str, tuple[str, str]]] = {}
    items = []
    for label in labels:
        feed = label["feed"]
        if feed not in feeds:
            source = DATA / "feeds" / feed
            if not source.exists():
                print(f"(skipped real items of {feed}: not found under {DATA / 'feeds'})", file=sys.stderr)
                feeds[feed] = {}
            else:
                parsed = parse_feed(source.read_bytes(), url="", content_type="application/xml")
                feeds[feed] = {d.url or "": (d.title or "", d.text or "") for d in parsed.drafts}
        if label["link"] not in feeds[feed]:
            if feeds[feed]:
                raise SystemExit(f"labelled link not in {feed}: {label['link']}")
            continue
        title, text = feeds[feed][label["link"]]
        items.append({**label, "id": f"{feed}#{label['link']}", "title": title, "text": text,
                      "source": feed})
    return items


def load_items(folder: Path = LABELS, split: str = "tune") -> list[dict[str, Any]]:
    """Every labelled article (written and real) of one folder, each with `language` and `split`
    (`split` where an item names none)."""
    items: list[dict[str, Any]] = []
    for lang in LANGUAGES:
        path = folder / f"{lang}.yaml"
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            items.append({**item, "language": lang, "source": "written"})
    if (folder / "real.yaml").exists():
        items.extend(_real_items(folder / "real.yaml"))
    for item in items:
        item.setdefault("split", split)
    return items


def select_items(split: str) -> list[dict[str, Any]]:
    """The labelled articles of one split: tune, blind, all (tune and blind) or a blind set's own folder."""
    if split in BLIND_FOLDERS:
        return load_items(BLIND_FOLDERS[split], split=split)
    return [i for i in load_items() if split == "all" or i["split"] == split]


def f1(c: Counts) -> float:
    """Harmonic mean of precision and recall (1.0 when there was nothing to find or predict)."""
    p, r = c.precision, c.recall
    return 2 * p * r / (p + r) if p + r else 0.0


def evaluate(matcher: Matcher, items: list[dict[str, Any]], show_errors: bool) -> dict[str, dict[str, Counts]]:
    """Counts per language: entity pairs, each labelled rule, and the detected language."""
    table: dict[str, dict[str, Counts]] = {}
    for item in items:
        lang = item["language"]
        row = table.setdefault(lang, {"entities": Counts(), **{r: Counts() for r in RULES}, "language": Counts()})
        title, text = str(item["title"]), str(item["text"])
        article = ArticleInput(id=str(item["id"]), title=title, text=text, language=detect_language(title, text))
        result = matcher.scan(article)
        fired = {a.rule: a for a in result.alerts}
        for rule, label in RULES.items():
            row[rule].add(rule in fired, bool(item[label]))
            if show_errors and (rule in fired) != bool(item[label]):
                why = fired[rule].evidence[0].text[:120] if rule in fired else ""
                print(f"  {'FP' if rule in fired else 'FN'} {rule} {item['id']}: {item['title'][:70]} | {why}")
        found = {e.entity_id for e in result.entities if e.dataset == SDN}
        labelled = set(item["entities"])
        for eid in found | labelled:
            row["entities"].add(eid in found, eid in labelled)
            if show_errors and (eid in found) != (eid in labelled):
                matched = next((e.matched for e in result.entities if e.entity_id == eid), "")
                print(f"  {'FP' if eid in found else 'FN'} entity {eid} {matched!r} {item['id']}: {item['title'][:70]}")
        row["language"].add(result.language == lang, True)
        if show_errors and result.language != lang:
            print(f"  language {result.language} for {lang} {item['id']}: {item['title'][:70]}")
    return table


def report(table: dict[str, dict[str, Counts]], n_items: dict[str, int]) -> None:
    """Print one Markdown table row per language, then the pooled row."""
    print("| language | articles | entity P | entity R | entity F1 | arms P | arms R | arms F1 "
          "| evasion P | evasion R | evasion F1 | language detected |")
    print("| --- " * 12 + "|")
    pooled = {k: Counts() for k in ("entities", *RULES, "language")}
    for lang in LANGUAGES:
        if lang not in table:
            continue
        row = table[lang]
        for key, c in row.items():
            pooled[key].tp += c.tp
            pooled[key].fp += c.fp
            pooled[key].fn += c.fn
            pooled[key].tn += c.tn
        _row(lang, n_items[lang], row)
    _row("all", sum(n_items.values()), pooled)


def _row(name: str, n: int, row: dict[str, Counts]) -> None:
    cells = [name, str(n)]
    for key in ("entities", *RULES):
        c = row[key]
        cells += [f"{c.precision:.3f}", f"{c.recall:.3f}", f"{f1(c):.3f}"]
    lang = row["language"]
    cells.append(f"{lang.tp}/{lang.tp + lang.fn}" if lang.tp + lang.fn else "-")
    print("| " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> int:
    """Run the multilingual quality benchmark on one part of the labelled set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--split", choices=("tune", "blind", "all", *BLIND_FOLDERS), default="tune",
                        help="which part of the labelled set (blind, blind2, blind3: measure once, at the end)")
    parser.add_argument("--rules", default=str(ROOT / "config" / "rules"), help="rule file or folder")
    parser.add_argument("--errors", action="store_true", help="list every false positive and negative")
    args = parser.parse_args(argv)
    if not (DATA / "lists").exists():
        print(f"real data not available under {DATA}: nothing to measure")
        return 0
    start = time.perf_counter()
    rules = load_rules([args.rules])
    aliases = list(alias_specs(LISTS))
    matcher = build_matcher(rules, aliases)
    print(f"Matcher: {len(rules)} rules, {len(aliases)} aliases, built in {time.perf_counter() - start:.1f} s\n")
    items = select_items(args.split)
    n_items: dict[str, int] = {}
    for item in items:
        n_items[item["language"]] = n_items.get(item["language"], 0) + 1
    folder = BLIND_FOLDERS.get(args.split, LABELS)
    print(f"Labels: {folder.relative_to(ROOT)}, split {args.split}: {len(items)} articles\n")
    table = evaluate(matcher, items, args.errors)
    print()
    report(table, n_items)
    return 0


if __name__ == "__main__":
    sys.exit(main())
