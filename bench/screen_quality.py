"""Screening quality: false-positive rate on names that are on no list, recall@1 on listed names
written the ways the press and customers write them, with the real OFAC SDN and UN lists loaded.

    .venv/bin/python -m bench.screen_quality [--names FILE] [--threshold 0.7] [--errors] [--check]

The names are `tests/data/screen_names.yaml` (written for this project; its header says how), or
another file of the same format with `--names` (`tests/data/screen_names_heldout.yaml`, the held-out
set, measured once before and once after a change, never tuned on).
The lists are loaded with the project's own loaders into a scratch SQLite (as `bench.screen_bench`)
and merged across lists as the service does, so a listed name found on its UN record counts as
found when that record is merged with the expected SDN record (`referents`).

- false-positive rate: share of `not_listed` names with any candidate at or above the threshold;
- recall@1: share of `listed` queries whose best candidate is the expected record (or carries it
  among its referents) at or above the threshold.

`--check` lists `not_listed` names whose words are exactly the words of a listed name (such a name
is not "on no list" and must be replaced), without running the matcher.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from bench.screen_bench import load_real_lists
from monitor.settings import Settings
from monitor.watchlists.nametokens import tokens
from monitor.watchlists.screen import Screener, ScreenIndex, ScreenMatch

ROOT = Path(__file__).resolve().parent.parent
NAMES = ROOT / "tests" / "data" / "screen_names.yaml"


def load_names(path: Path = NAMES) -> dict[str, list[dict[str, Any]]]:
    """The two name sets of the YAML file."""
    with path.open(encoding="utf-8") as fh:
        data: dict[str, list[dict[str, Any]]] = yaml.safe_load(fh)
    return data


def _ids(match: ScreenMatch) -> set[str]:
    """The match's own id and every record merged with it."""
    return {match.entity_id, *match.referents}


def main(argv: list[str] | None = None) -> int:
    """Print the false-positive rate and recall@1 (and each error with `--errors`)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--names", type=Path, default=NAMES, help="the names file (default: the tuning set)")
    parser.add_argument("--threshold", type=float, default=Settings().screen_threshold)
    parser.add_argument("--errors", action="store_true", help="print every false positive and miss")
    parser.add_argument("--check", action="store_true", help="only check that no not_listed name is listed")
    args = parser.parse_args(argv)
    names = load_names(args.names)
    start = time.perf_counter()
    rows, groups = load_real_lists()
    if args.check:
        # compared as screening reads them: any script transliterated ("张伟" is ZHANG, Wei)
        listed = {frozenset(tokens(r.alias)) for r in rows}
        clash = [n["name"] for n in names["not_listed"] if frozenset(tokens(n["name"])) in listed]
        print(f"{len(clash)} not_listed names are a listed name: {clash}")
        return 1 if clash else 0
    index = Screener(ScreenIndex(rows), args.threshold, groups=groups)
    merged = len({m for m in groups.members.values()})
    print(f"{len(rows)} aliases of the SDN and UN lists, {merged} entities merged across them, indexed in "
          f"{time.perf_counter() - start:.0f} s; threshold {args.threshold}\n")
    flagged: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    errors: list[str] = []
    for item in names["not_listed"]:
        kinds[item["kind"]] += 1
        result = index.screen(item["name"], threshold=args.threshold)
        hits = [m for m in result.matches if m.match]
        if hits:
            flagged[item["kind"]] += 1
            top = hits[0]
            errors.append(f"FP [{item['kind']}] {item['name']!r} -> {top.name!r} ({top.entity_id}) "
                          f"{top.score:.2f}: {top.explanation}")
    found: Counter[str] = Counter()
    how: Counter[str] = Counter()
    for item in names["listed"]:
        how[item["how"]] += 1
        result = index.screen(item["query"], threshold=args.threshold)
        top = result.matches[0] if result.matches else None
        if top is not None and top.match and item["id"] in _ids(top):
            found[item["how"]] += 1
        else:
            got = f"{top.name!r} ({top.entity_id}) {top.score:.2f}: {top.explanation}" if top else "nothing"
            errors.append(f"MISS [{item['how']}] {item['query']!r} ({item['id']}) -> {got}")
    n_fp, n_names = sum(flagged.values()), len(names["not_listed"])
    n_hit, n_listed = sum(found.values()), len(names["listed"])
    print("| set | names | flagged / found | rate |")
    print("| --- | --- | --- | --- |")
    for kind, n in sorted(kinds.items()):
        print(f"| not listed: {kind} | {n} | {flagged[kind]} flagged | {flagged[kind] / n:.1%} |")
    print(f"| **not listed, all** | {n_names} | {n_fp} flagged | **{n_fp / n_names:.1%}** |")
    for kind, n in sorted(how.items()):
        print(f"| listed: {kind} | {n} | {found[kind]} at rank 1 | {found[kind] / n:.2f} |")
    print(f"| **listed, all (recall@1)** | {n_listed} | {n_hit} at rank 1 | **{n_hit / n_listed:.3f}** |")
    if args.errors:
        print()
        for line in errors:
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
