"""Quality of the default rule pack: precision and recall per rule on hand-labelled news, and
alert rates on the 2,225 BBC articles.

    .venv/bin/python -m bench.quality [--errors] [--rules DIR] [--no-bbc]

The matcher is the real one (`monitor.matching.engine.build_matcher`) with the default rules
and every alias of the OFAC SDN list (CSV), the UN Security Council list (XML) and the named
officials watch list, read with LISTS' loaders through `monitor.watchlists.listfile` (no database).
The labels are `tests/data/labels_rss2023.jsonl` (rules for labelling in `tests/data/README.md`).
Each item is scanned as title + description, read by link from ../shared/data and cleaned as when labelled.

Rule metrics compare "the rule fired" with a label: `arms-transfer` with `arms_transfer`,
`sanctions-evasion` with `sanctions_evasion`, `proliferation` with `proliferation`, `sanctioned-entity`
with "at least one labelled SDN entity". A label missing from an item means "not labelled": each rule is
scored only over the items that carry its label (`proliferation` is labelled on draws 8 to 13 and 15
and on the proliferation stratum, which carries no other label). Entity detection is scored per (item, OFAC
SDN id) pair: a found `us_ofac_sdn` id that is not labelled is a false positive, a labelled id not
found a false negative.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.matching.engine import Matcher, build_matcher
from monitor.matching.rulefile import load_rules
from monitor.matching.types import AliasSpec, ArticleInput, ScanResult
from monitor.watchlists.listfile import alias_specs_from_file

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("MONITOR_SHARED_DATA", ROOT.parent / "shared" / "data"))
LISTS = (
    DATA / "lists" / "us_ofac_sdn" / "sdn.csv",
    DATA / "lists" / "un_sc_sanctions" / "consolidated.xml",
    ROOT / "config" / "watchlists" / "named_officials.yaml",
)
LABELS = ROOT / "tests" / "data" / "labels_rss2023.jsonl"
BBC = DATA / "articles" / "bbc_fulltext_2225.jsonl"
LABELLED_RULES = {
    "arms-transfer": "arms_transfer",
    "sanctions-evasion": "sanctions_evasion",
    "proliferation": "proliferation",
}
SDN = "us_ofac_sdn"


def alias_specs(paths: Iterable[Path]) -> Iterator[AliasSpec]:
    """Every name of every entity in the list files, as the matcher takes them (no database)."""
    for path in paths:
        if not path.exists():
            print(f"(skipped {path}: not found)", file=sys.stderr)
            continue
        yield from alias_specs_from_file(path)


def with_text(labels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The labelled items with their title and description, read from ../shared/data by link.

    The labels file holds only links and labels (the text stays in the shared data set); the
    text is cleaned exactly as it was when the items were picked and labelled."""
    from bench import rss2023

    texts: dict[str, dict[str, str]] = {}
    for name in (rss2023.HITS, rss2023.BACKGROUND):
        for item in rss2023.read(name, DATA / "articles"):
            texts.setdefault(item["link"], item)
    missing = [label["link"] for label in labels if label["link"] not in texts]
    if missing:
        raise SystemExit(f"{len(missing)} labelled links not found in {DATA / 'articles'}, e.g. {missing[0]}")
    return [{**label, "title": texts[label["link"]]["title"], "description": texts[label["link"]]["description"]}
            for label in labels]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """A JSON Lines file as a list of objects."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@dataclass
class Counts:
    """Confusion counts of one binary decision."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, predicted: bool, actual: bool) -> None:
        """Count one decision."""
        if predicted and actual:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif actual:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        """tp / (tp + fp); 1.0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """tp / (tp + fn); 1.0 when there was nothing to find."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def row(self, name: str) -> str:
        """One line of the report table."""
        return (
            f"| {name} | {self.tp + self.fn} | {self.tp} | {self.fp} | {self.fn} | "
            f"{self.precision:.3f} | {self.recall:.3f} |"
        )


def scan_item(matcher: Matcher, item: dict[str, Any]) -> ScanResult:
    """Scan one labelled item as title + description."""
    return matcher.scan(ArticleInput(id=str(item["link"]), title=str(item["title"]), text=str(item["description"])))


def evaluate(matcher: Matcher, items: list[dict[str, Any]], show_errors: bool, name: str) -> dict[str, Counts]:
    """Precision/recall per labelled rule and for SDN entity detection; print the table."""
    counts: dict[str, Counts] = {rule: Counts() for rule in (*LABELLED_RULES, "sanctioned-entity")}
    entities = Counts()
    errors: list[str] = []
    fired_other: Counter[str] = Counter()
    for item in items:
        result = scan_item(matcher, item)
        fired = {a.rule: a for a in result.alerts}
        for rule, label in LABELLED_RULES.items():
            if label not in item:
                continue
            actual = bool(item[label])
            counts[rule].add(rule in fired, actual)
            if show_errors and (rule in fired) != actual:
                kind = "FP" if rule in fired else "FN"
                why = fired[rule].evidence[0].text[:160] if rule in fired else ""
                errors.append(f"{kind} {rule}: {item['title']!s:.110} | {why}")
        if "entities" in item:
            labelled = set(item["entities"])
            counts["sanctioned-entity"].add("sanctioned-entity" in fired, bool(labelled))
            found = {e.entity_id for e in result.entities if e.dataset == SDN}
            for eid in found | labelled:
                entities.add(eid in found, eid in labelled)
                if show_errors and (eid in found) != (eid in labelled):
                    kind = "FP" if eid in found else "FN"
                    matched = next((e.matched for e in result.entities if e.entity_id == eid), "")
                    errors.append(f"{kind} entity {eid} {matched!r}: {item['title']!s:.110}")
        for rule in fired:
            if rule not in counts or (rule in LABELLED_RULES and LABELLED_RULES[rule] not in item):
                fired_other[rule] += 1
    print(f"{name}: {len(items)} labelled items\n")
    print("| rule | positives | tp | fp | fn | precision | recall |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for rule, c in counts.items():
        if c.tp + c.fp + c.fn + c.tn:  # a rule with no labelled item in this split has no row
            print(c.row(rule))
    if entities.tp + entities.fp + entities.fn + entities.tn:
        print(entities.row("entities (item, SDN id) pairs"))
    for rule, n in sorted(fired_other.items()):
        print(f"\n{rule}: fired on {n} items that carry no label for this rule")
    if errors:
        print("\nErrors:")
        for line in errors:
            print("  " + line)
    counts["entities"] = entities
    return counts


def bbc_rates(matcher: Matcher, rules: list[str], show: bool) -> None:
    """Alert rate per rule over the BBC articles (2004-05, almost no arms transfers)."""
    if not BBC.exists():
        print(f"\n(BBC articles not found at {BBC}: alert rates skipped)")
        return
    articles = read_jsonl(BBC)
    per_rule: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    start = time.perf_counter()
    for art in articles:
        result = matcher.scan(ArticleInput(id=str(art["id"]), title=str(art["title"]), text=str(art["text"])))
        for alert in result.alerts:
            per_rule[alert.rule] += 1
            examples.setdefault(alert.rule, []).append(
                f"{art['id']} {art['title']!s:.60} | {alert.evidence[0].text[:140] if alert.evidence else ''}"
            )
    took = time.perf_counter() - start
    print(f"\nBBC articles: {len(articles)} scanned in {took:.1f} s\n")
    print("| rule | articles with an alert | alert rate |")
    print("| --- | --- | --- |")
    for rule in rules:
        print(f"| {rule} | {per_rule[rule]} | {per_rule[rule] / len(articles):.2%} |")
    if show:
        for rule in rules:
            for line in examples.get(rule, [])[:40]:
                print(f"  {rule}: {line}")


HELDOUT_NOTES = {
    1: "labelled blind, then used for a second round of rules",
    2: "labelled blind, then used for a third round",
    3: "labelled blind, then used for a fourth round",
    4: "labelled blind, then used for a fifth round",
    5: "labelled blind, then used for a sixth round",
    6: "labelled blind, then used for a seventh round",
    7: "labelled blind, then used for an eighth round",
    8: "labelled blind, then used for a ninth round",
    9: "labelled blind, then used for a tenth round",
    10: "labelled blind, measured once for QUAL-10, then used by QUAL-11",
    11: "labelled blind, measured once for QUAL-12, then used by QUAL-13",
    12: "labelled blind, measured once for QUAL-14, then used by QUAL-15 and ENGINE-5",
    13: "labelled blind, measured once for QUAL-16",
    14: "entity mentions only, weighted to short names; labelled blind, measured once before the entity work",
    15: "all four labels, with the short-name and sanctions strata; labelled blind",
}


def main(argv: list[str] | None = None) -> int:
    """Run the quality benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rules", default=str(ROOT / "config" / "rules"), help="rule file or folder")
    parser.add_argument("--errors", action="store_true", help="list every false positive and negative")
    parser.add_argument("--no-bbc", action="store_true", help="skip the BBC alert rates")
    args = parser.parse_args(argv)
    if not (DATA / "lists").exists():
        print(f"real data not available under {DATA}: nothing to measure")
        return 0
    rules = load_rules([args.rules])
    start = time.perf_counter()
    aliases = list(alias_specs(LISTS))
    matcher = build_matcher(rules, aliases)
    print(f"Matcher: {len(rules)} rules, {len(aliases)} aliases, built in {time.perf_counter() - start:.1f} s\n")
    items = with_text(read_jsonl(LABELS))

    def split(prefix: str) -> list[dict[str, Any]]:
        return [i for i in items if str(i["stratum"]).split("-")[0] == prefix]

    print(f"Labels: {LABELS.relative_to(ROOT)}\n")
    evaluate(
        matcher,
        split("watchlist") + split("military") + split("background"),
        args.errors,
        "Tuning set (the rules were developed on it)",
    )
    print()
    # Each held-out draw was labelled blind, measured once, then (draws 1-10) used for the next round.
    for n, note in HELDOUT_NOTES.items():
        prefix = "heldout" if n == 1 else f"heldout{n}"
        evaluate(matcher, split(prefix), args.errors, f"Held-out draw {n} ({note})")
        print()
    evaluate(
        matcher,
        split("proliferation"),
        args.errors,
        "Proliferation stratum (100 items with WMD vocabulary, labelled for proliferation only)",
    )
    print()
    evaluate(
        matcher,
        [i for i in items if "proliferation" in i],
        False,
        "Proliferation-labelled items (draws 8 to 13 and 15 and the proliferation stratum)",
    )
    print()
    evaluate(matcher, items, False, "All labelled items (each rule over the items that carry its label)")
    if not args.no_bbc:
        bbc_rates(matcher, [r.id for r in rules], args.errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
