"""Pick the items of the labelled RSS 2023 set reproducibly (fixed seed, three strata).

Run: .venv/bin/python tests/data/select_rss2023.py [--heldout 1..15 | --proliferation] > /tmp/rss2023_selection.jsonl
The output has the cleaned title/description of every picked item; the labels are then
written by hand into tests/data/labels_rss2023.jsonl (see tests/data/README.md).
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from anywhere

from bench.rss2023 import BACKGROUND, DATA, HITS, clean, first_items, read

__all__ = ["BACKGROUND", "DATA", "HITS", "clean", "first_items", "read"]

SEED = 20230
# Stratum sizes: random watch-list hits, watch-list hits with military vocabulary
# (so that the arms-transfer rule has enough positives to measure), random background.
N_HITS, N_MILITARY, N_BACKGROUND = 250, 60, 60
# Held-out draws, each labelled blind before the rules were run on it (excluding every earlier
# draw); bench/quality.py (HELDOUT_NOTES) says what each draw was used for afterwards.
HELDOUT_SEEDS = {str(n): 20230 + n for n in range(1, 16)}
HELDOUT_SIZES = {"1": (40, 40, 20), "2": (40, 40, 20)} | {str(n): (60, 60, 30) for n in range(3, 14)}
HELDOUT_SIZES["14"] = (30, 0, 20)
# Draw 15 (all four labels) replaces the military stratum by the surname stratum below.
HELDOUT_SIZES["15"] = (50, 0, 30)
# Draws 6 to 13 and 15 add a stratum of watch-list hits that mention sanctions at all (any sense), so that
# the sanctions-evasion rule has positives to be measured on.
N_SANCTIONS = {str(n): 40 for n in (*range(6, 14), 15)}
SANCTIONS = re.compile(r"\bsanction", re.I)
# Draw 14 (entity mentions) adds a stratum of watch-list hits that name a listed party the short way:
# a Title-case word that is the surname of an OFAC SDN individual (the part before the comma, one
# word of four letters or more) with none of that entry's given names anywhere in the item, or a
# one-word name or alias of a listed organisation ("Hamas"). Derived from the list, not a hand list.
# Draw 15 has it too, beside the sanctions stratum.
N_SURNAME = {"14": 70, "15": 70}
SDN_DIR = DATA.parent / "lists" / "us_ofac_sdn"
MILITARY = re.compile(
    r"\b(weapon|arms\b|ammunition|munition|shell|drone|missile|tank|artillery|military aid|"
    r"rocket|howitzer|fighter jet|f-16|himars|patriot|tanker|shadow fleet|evasion|front compan)",
    re.I,
)
# The proliferation stratum (labelled for the `proliferation` rule only): items of both files, first
# occurrence of each link, whose title or description has nuclear, missile-programme, chemical,
# biological or WMD vocabulary, excluding every link of the tuning set and draws 1 to 9. Bare
# "missile" is left out of the pattern because it would fill the stratum with strikes on Ukraine.
PROLIFERATION_SEED = 20250
N_PROLIFERATION = 100
WMD = re.compile(
    r"\b(nuclear|uranium|plutonium|enrich\w*|centrifuge|ballistic|icbm|warhead|chemical weapon|"
    r"biological weapon|bioweapon|nerve agent|novichok|sarin|wmd|mass destruction|proliferat\w*|"
    r"missile (?:technology|programme|program)|iaea)",
    re.I,
)
def short_names() -> tuple[dict[str, set[str]], set[str]]:
    """SDN surnames (word -> given names of the entries that carry it) and one-word organisation names."""
    import csv

    surnames: dict[str, set[str]] = {}
    one_word: set[str] = set()
    kinds: dict[str, str] = {}
    with (SDN_DIR / "sdn.csv").open(encoding="latin-1") as fh:
        for row in csv.reader(fh):
            if len(row) < 3:
                continue
            kinds[row[0]] = row[2].strip()
            name = row[1].strip()
            if row[2].strip() == "individual" and "," in name:
                last, given = name.split(",", 1)
                if re.fullmatch(r"[A-Z][A-Z'-]{3,}", last.strip()):
                    surnames.setdefault(last.strip().title(), set()).update(
                        w.title() for w in re.findall(r"[A-Za-z]{3,}", given)
                    )
            elif row[2].strip() == "-0-" and re.fullmatch(r"[A-Z][A-Z'-]{3,}", name):
                one_word.add(name.title())
    with (SDN_DIR / "alt.csv").open(encoding="latin-1") as fh:
        for row in csv.reader(fh):
            if len(row) > 3 and kinds.get(row[0]) == "-0-" and re.fullmatch(r"[A-Z][A-Z'-]{3,}", row[3].strip()):
                one_word.add(row[3].strip().title())
    return surnames, one_word


def names_short(text: str, surnames: dict[str, set[str]], one_word: set[str]) -> bool:
    """True when the text has a listed surname without its given names, or a one-word organisation name."""
    words = set(re.findall(r"\b[A-Z][a-z'-]{3,}\b", text))
    if words & one_word:
        return True
    return any(w in surnames and not (surnames[w] & words) for w in words)


def select(
    seed: int, sizes: tuple[int, int, int], exclude: set[str], n_sanctions: int = 0, n_surname: int = 0
) -> list[dict[str, str]]:
    """Draw the strata with one seed, skipping links in `exclude`."""
    n_hits, n_military, n_background = sizes
    rng = random.Random(seed)
    hits = [i for i in read(HITS) if i["link"] not in exclude]
    picked = rng.sample(hits, n_hits)
    links = {i["link"] for i in picked}
    military = [i for i in hits if i["link"] not in links and MILITARY.search(i["title"] + " " + i["description"])]
    picked += [dict(i, source="military") for i in rng.sample(military, n_military)]
    if n_surname:
        surnames, one_word = short_names()
        links = {i["link"] for i in picked}
        pool = [
            i
            for i in hits
            if i["link"] not in links and names_short(i["title"] + " " + i["description"], surnames, one_word)
        ]
        picked += [dict(i, source="surname") for i in rng.sample(pool, n_surname)]
    background = [i for i in read(BACKGROUND) if i["link"] not in exclude]
    picked += rng.sample(background, n_background)
    if n_sanctions:
        links = {i["link"] for i in picked}
        pool = [i for i in hits if i["link"] not in links and SANCTIONS.search(i["title"] + " " + i["description"])]
        picked += [dict(i, source="sanctions") for i in rng.sample(pool, n_sanctions)]
    return picked


def select_proliferation(exclude: set[str]) -> list[dict[str, str]]:
    """Draw the proliferation stratum from both files, skipping links in `exclude`."""
    pool: list[dict[str, str]] = []
    seen = set(exclude)
    for name in (HITS, BACKGROUND):
        for item in read(name):
            if item["link"] not in seen and WMD.search(item["title"] + " " + item["description"]):
                pool.append(item)
            seen.add(item["link"])
    picked = random.Random(PROLIFERATION_SEED).sample(pool, N_PROLIFERATION)
    return [dict(i, source="proliferation-" + i["source"]) for i in picked]


def main() -> None:
    """Print the selection as JSON Lines (`--heldout 1..15`: a held-out draw, excluding earlier draws
    and, from draw 10 on, the proliferation stratum; `--proliferation`: the proliferation stratum,
    excluding the tuning set and draws 1-9)."""
    picked = select(SEED, (N_HITS, N_MILITARY, N_BACKGROUND), set())
    args = sys.argv[1:]
    if "--heldout" in args or "--proliferation" in args:
        which = args[args.index("--heldout") + 1] if "--heldout" in args else None
        seen = {i["link"] for i in picked}
        for key, seed in HELDOUT_SEEDS.items():
            if key == "10":
                # The proliferation stratum was drawn after draw 9 (excluding the tuning set and draws
                # 1-9); draw 10 excludes its links too, so no link is ever drawn twice.
                if which is None:
                    break
                seen |= {i["link"] for i in select_proliferation(seen)}
            prefix = "heldout-" if key == "1" else f"heldout{key}-"
            picked = [
                dict(i, source=prefix + i["source"])
                for i in select(seed, HELDOUT_SIZES[key], seen, N_SANCTIONS.get(key, 0), N_SURNAME.get(key, 0))
            ]
            if key == which:
                break
            seen |= {i["link"] for i in picked}
        if which is None:
            picked = select_proliferation(seen)
    for item in picked:
        sys.stdout.write(json.dumps(item, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
