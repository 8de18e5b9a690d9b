"""Derive monitor/resources/name_parts.yaml: how common each part of a listed person's name is, and
which common parts the lists themselves write as spellings of one another.

    .venv/bin/python scripts/derive_name_parts.py [--lists ../shared/data/lists] [--out FILE]

Reads the OFAC SDN and UN lists with the project's own loaders and splits every strong name of
every listed person into parts as screening does (`namematch.prepare`). For each part it counts
the listed people whose names contain it; a part borne by many people ("mohammed", "ali",
"khalid") says little about who is meant, a part borne by few ("shoigu", "zarif") says much.

Two common parts a letter or two apart are two names ("khalil" and "khalid", "saleh" and "salem")
unless the lists give both as spellings of one person's name: two parts that stand in different
names of one record, in the same place once the other parts are aligned ("ABDULLAH, Ali" and
"ABDALLAH, Ali"), in at least `--min-variant-records` records, are recorded as `variants`.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

import yaml
from rapidfuzz.distance import OSA

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.watchlists import namematch  # noqa: E402
from monitor.watchlists.listfile import alias_specs_from_file  # noqa: E402

FILES = ("us_ofac_sdn/sdn.csv", "un_sc_sanctions/consolidated.xml")


def _parts(name: str) -> tuple[str, ...]:
    return tuple(p.text for p in namematch.prepare(name, "person").parts if not p.abjad)


def derive(lists: Path, min_records: int, min_variant_records: int) -> dict[str, object]:
    """Counts of name parts over listed people and the variant pairs among the common ones."""
    names: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for rel in FILES:
        for spec in alias_specs_from_file(lists / rel):
            if spec.schema.lower() == "person" and not spec.weak:
                parts = _parts(spec.alias)
                if parts:
                    names[spec.entity_id].add(parts)
    counts: Counter[str] = Counter()
    for variants in names.values():
        counts.update({p for parts in variants for p in parts if len(p) > 1})
    common = {p: n for p, n in counts.items() if n >= min_records}
    pairs: Counter[tuple[str, str]] = Counter()
    for variants in names.values():
        seen: set[tuple[str, str]] = set()
        for one, two in combinations(sorted(variants), 2):
            left, right = set(one) - set(two), set(two) - set(one)
            if len(left) != 1 or len(right) != 1:  # one part spelled another way, the rest alike
                continue
            a, b = sorted((next(iter(left)), next(iter(right))))
            if a in common and b in common and OSA.distance(a, b) <= max(1, min(len(a), len(b)) // 3):
                seen.add((a, b))
        pairs.update(seen)
    variants_out = sorted([a, b] for (a, b), n in pairs.items() if n >= min_variant_records)
    return {
        "source": (
            "Derived by scripts/derive_name_parts.py from the strong names of the listed people of the OFAC SDN "
            "and UN lists (../shared/data/lists), split into parts as screening splits them; regenerate, do not "
            "edit. `people`: how many listed people bear each part (parts borne by at least `min_records`); "
            "`variants`: pairs of those parts that the lists give as spellings of one person's name (in "
            "`min_variant_records` records or more)."
        ),
        "thresholds": {"min_records": min_records, "min_variant_records": min_variant_records,
                       "listed_people": len(names)},
        "people": dict(sorted(common.items(), key=lambda kv: (-kv[1], kv[0]))),
        "variants": variants_out,
    }


def main(argv: list[str] | None = None) -> int:
    """Write the table (or print where the lists are missing)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lists", type=Path, default=ROOT.parent / "shared" / "data" / "lists")
    parser.add_argument("--out", type=Path, default=ROOT / "monitor" / "resources" / "name_parts.yaml")
    parser.add_argument("--min-records", type=int, default=8)
    parser.add_argument("--min-variant-records", type=int, default=1)
    args = parser.parse_args(argv)
    if not all((args.lists / rel).exists() for rel in FILES):
        print(f"the SDN and UN list files are not under {args.lists}", file=sys.stderr)
        return 1
    table = derive(args.lists, args.min_records, args.min_variant_records)
    with args.out.open("w", encoding="utf-8") as fh:
        yaml.safe_dump(table, fh, allow_unicode=True, sort_keys=False, width=110)
    print(f"{len(table['people'])} common parts, {len(table['variants'])} variant pairs -> {args.out}")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
