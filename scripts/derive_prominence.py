"""Derive monitor/resources/prominence.yaml: which listed parties the news names by a bare
surname or short name alone ("Putin", "Hezbollah"), which only with their country in the
sentence ("Kim" with North Korea), and why: counted on the 26,802 real 2023 feed items.

    .venv/bin/python scripts/derive_prominence.py [--out monitor/resources/prominence.yaml]

For every bare form the matcher knows (a person's surname alone, an organisation's short name:
`monitor.matching.aliasforms`) of the OFAC SDN and UN lists, over the items (title + description,
cleaned as the labelled set is):

- items: items in which the form is written capitalised (Title case or capitals);
- full_name: items in which it appears beside a full name of a listed party (all the parts of one
  of its names, or first given name + surname; a name two listed people share counts for the one it
  leaves out fewest words of, as the matcher reads it); `owner_share`: the share of those naming the one
  party that most items name in full. A surname whose full names are shared among several listed
  people ("Medvedev": Dmitry, and others) is not prominent for one of them unless one dominates;
- lower_case: share of the form's occurrences written in lower case ("gold", "justice");
- other_people: capitalised words written right before the form (or right after a surname that
  comes first, as Korean and Chinese names) that are not a given name of the owner, a title or a
  country: other people of that name ("Richard Wagner", "Andrey Medvedev", "Kim Kardashian"),
  with their share of the form's capitalised occurrences and the commonest ones;
- country: the share of the form's sentences that name the owner's country.

Decision (thresholds below, printed into the file): `alone` when the owner dominates the full names
(at least MIN_FULL_ALONE items of them), lower case and other people are rare; `with_country` when
the owner dominates but other people are not rare while the owner's country is usually in the
sentence (the matcher then asks for that country in the sentence); otherwise the form is left out
(the commonest of those are kept under `rejected` with their figures, so a reviewer sees why "Khan"
or "Lee" is not there).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

import yaml
from anyascii import anyascii

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import rss2023  # noqa: E402
from monitor.matching import aliasforms  # noqa: E402
from monitor.matching.countries import gazetteer  # noqa: E402
from monitor.matching.types import AliasSpec  # noqa: E402
from monitor.matching.words import FUNCTION_WORDS, TITLE_WORDS  # noqa: E402
from monitor.watchlists.listfile import alias_specs_from_file  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "monitor" / "resources" / "prominence.yaml"
MIN_ITEMS = 5  # fewer capitalised items than this: too little evidence either way
MIN_FULL = 3  # items naming the owner in full beside the bare form
MIN_FULL_ALONE = 10  # alone: fewer full names than this is too little evidence; the country must help
OWNER_SHARE = 0.9  # the owner's share of the full names
MAX_LOWER = 0.05  # share of lower-case occurrences
MAX_OTHER_ALONE = 0.05  # share of occurrences written with another person's given name
MIN_COUNTRY = 0.5  # with_country: share of the form's sentences naming the owner's country
OWNER_SHARE_COUNTRY = 0.75  # with_country: the owner's share of the full names may be lower
REJECTED_KEEP = 40
_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _words(text: str) -> list[str]:
    return [w.replace("\u2019", "'").split("'")[0] for w in _WORD.findall(anyascii(text))]


def _title_case(sentence: str) -> bool:
    """A headline written in Title Case: there a capital says nothing about a name."""
    long = [w for w in _words(sentence) if len(w) >= 4]
    return bool(long) and sum(w[0].isupper() for w in long) >= 0.6 * len(long)


def bare_forms(specs: list[AliasSpec]) -> dict[str, set[str]]:
    """Bare form key -> entity ids (surnames alone, organisations' short names)."""
    by_entity: dict[str, list[AliasSpec]] = defaultdict(list)
    for spec in specs:
        by_entity[spec.entity_id].append(spec)
    forms: dict[str, set[str]] = defaultdict(set)
    SHORT_OF_LONGER.clear()
    for eid, group in by_entity.items():
        person = aliasforms.is_person(group[0].schema)
        made = aliasforms.person_forms(group) if person else aliasforms.thing_forms(group)
        for form in made:
            bare = form.kind in (aliasforms.SURNAME, aliasforms.DISTINCT, aliasforms.ORGSHORT)
            one_word_org = not person and form.kind in (aliasforms.STRONG, aliasforms.WEAK) and " " not in form.key
            if (bare or one_word_org) and len(form.key) >= 3:
                forms[form.key].add(eid)
                if form.kind == aliasforms.ORGSHORT:
                    SHORT_OF_LONGER.add(form.key)
    return forms


# Organisations' short names cut from a longer name ("Wagner" of PMC WAGNER): others bear them too
# (the composer), so they never name the organisation alone, only with its country in the sentence.
SHORT_OF_LONGER: set[str] = set()


def full_names(specs: Iterable[AliasSpec]) -> dict[str, dict[str, int]]:
    """Entity id -> its full names as padded lower-case word strings (" vladimir putin "), each
    with the words of the listed name it leaves out (0 for the name as listed)."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for spec in specs:
        alias = spec.alias.lower()
        if "," in alias and aliasforms.is_person(spec.schema):
            surname, given = (p.strip() for p in alias.split(",", 1))
            s_words, g_words = _words(surname), _words(given)
            if s_words and g_words:
                for form in (g_words + s_words, s_words + g_words, g_words[:1] + s_words, g_words[:1] + s_words[:1]):
                    key = " " + " ".join(form) + " "
                    lost = len(s_words) + len(g_words) - len(form)
                    out[spec.entity_id][key] = min(lost, out[spec.entity_id].get(key, lost))
            continue
        words = _words(alias)
        if len(words) >= 2:
            out[spec.entity_id][" " + " ".join(words) + " "] = 0
    return out


def full_name_owners(owners: Iterable[str], fulls: dict[str, dict[str, int]], text: str) -> list[str]:
    """The owners an item names in full: of those whose full names it holds, the ones it names
    leaving out fewest words, as the matcher decides ("Nicolas Maduro" is MADURO MOROS, Nicolas,
    not MADURO GUERRA, Nicolas Ernesto)."""
    lost: dict[str, int] = {}
    for owner in owners:
        found = [n for form, n in fulls.get(owner, {}).items() if form in text]
        if found:
            lost[owner] = min(found)
    best = min(lost.values(), default=0)
    return [owner for owner, n in lost.items() if n == best]


def given_of(specs: Iterable[AliasSpec]) -> dict[str, set[str]]:
    """Entity id -> every word of its names (lower case): words that are no other person's name."""
    out: dict[str, set[str]] = defaultdict(set)
    for spec in specs:
        out[spec.entity_id].update(w.lower() for w in _words(spec.alias))
    return out


def country_patterns(codes: Iterable[str]) -> dict[str, re.Pattern[str]]:
    """ISO code -> a pattern of its forms in news text."""
    wanted = set(codes)
    forms: dict[str, list[str]] = defaultdict(list)
    for form, code, _caps in gazetteer():
        if code in wanted:
            forms[code].append(re.escape(form))
    return {
        c: re.compile(r"\b(?:" + "|".join(sorted(f, key=len, reverse=True)) + r")\b", re.I) for c, f in forms.items()
    }


def main(argv: list[str] | None = None) -> int:
    """Count, decide and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    lists = DATA / "lists"
    specs = alias_specs_from_file(lists / "us_ofac_sdn" / "sdn.csv")
    specs += alias_specs_from_file(lists / "un_sc_sanctions" / "consolidated.xml")
    forms = bare_forms(specs)
    listed_given = {g.lower() for g in aliasforms.given_names(specs)}
    acronyms = {s.alias.strip() for s in specs if s.alias.strip().isupper() and 2 <= len(s.alias.strip()) <= 4}
    fulls = full_names(specs)
    own_words = given_of(specs)
    countries: dict[str, set[str]] = defaultdict(set)
    for spec in specs:
        countries[spec.entity_id].update(spec.countries)
        for prog in spec.programs:
            code = aliasforms.resources.programme_country(prog)
            if code:
                countries[spec.entity_id].add(code)
    texts: list[str] = []
    for name in (rss2023.HITS, rss2023.BACKGROUND):
        texts.extend(anyascii(i["title"] + ". " + i["description"]) for i in rss2023.read(name, DATA / "articles"))
    word_items: dict[str, list[int]] = defaultdict(list)
    lowered: list[str] = []
    for n, text in enumerate(texts):
        words = _words(text)
        lowered.append(" " + " ".join(w.lower() for w in words) + " ")
        for w in {w.lower() for w in words}:
            word_items[w].append(n)
    pattern_of = country_patterns({c for cs in countries.values() for c in cs})
    titles = {t.lower() for t in TITLE_WORDS}
    country_words = {f.lower() for f, _c, _caps in gazetteer() for f in [f] if " " not in f}
    entries, rejected = [], []
    for key, owners in sorted(forms.items()):
        if " " in key or (key.isascii() and len(key) <= 4 and key.upper() in acronyms):
            continue  # acronyms ("FSB", "ISIL") are the matcher's capitals-only forms' business
        hits = word_items.get(key, [])
        cap_items, cap_occ, low_occ = set(), 0, 0
        others: Counter[str] = Counter()
        after_words: set[str] = set()
        sentences: list[str] = []
        for n in hits:
            text = texts[n]
            for m in re.finditer(r"(?<![\w'])" + re.escape(key) + r"(?![\w])", text, re.I):
                word = m.group(0)
                if word.islower():
                    low_occ += 1
                    continue
                cap_occ += 1
                cap_items.add(n)
                before = _words(text[max(0, m.start() - 40) : m.start()])[-1:]
                after = _words(text[m.end() : m.end() + 40])[:1]
                start = text.rfind(". ", 0, m.start()) + 1
                end = text.find(". ", m.end())
                sentence = text[start : end if end > 0 else len(text)]
                sentences.append(sentence)
                if _title_case(sentence):
                    continue
                head = _words(sentence[: max(0, m.start() - start)])
                # the word before, unless it opens the sentence (capitalised whatever it is)
                tight = text[max(0, m.start() - 1) : m.start()] == " "
                near = [before[0]] if before and len(head) > 1 and tight else []
                # a surname of three letters or fewer may come first (Kim Jong Un, Li Shangfu)
                if len(key) <= 3 and after and text[m.end() : m.end() + 1] == " ":
                    near += [after[0]]
                    after_words.add(after[0].lower())
                for word in near:
                    parts = [p.lower() for p in word.split("-")]
                    if not word[:1].isupper() or word.isupper() or len(word) <= 2 or parts[0] in titles:
                        continue
                    if parts[0] in country_words or parts[0] in forms:
                        continue  # a country, or another listed party ("Putin-Prigozhin")
                    if any(p[:5] == w[:5] for o in owners for w in own_words[o] for p in parts if len(p) >= 4):
                        continue  # the owner's own names, in any spelling ("Yevgeny" for "Yevgeniy")
                    others[word] += 1
        if len(cap_items) < MIN_ITEMS:
            continue
        full_count: Counter[str] = Counter()
        for n in cap_items:
            full_count.update(full_name_owners(owners, fulls, lowered[n]))
        total_full = sum(full_count.values())
        owner, owner_full = full_count.most_common(1)[0] if full_count else ("", 0)
        share = owner_full / total_full if total_full else 0.0
        lower_share = low_occ / (low_occ + cap_occ)
        other_occ = sum(others.values())
        other_share = other_occ / cap_occ
        codes = sorted(countries.get(owner, ()))
        bare = re.compile(r"\b" + re.escape(key) + r"\b", re.I)  # the form itself is no country cue
        with_country = sum(
            1 for s in sentences if any(pattern_of[c].search(bare.sub(" ", s)) for c in codes if c in pattern_of)
        )
        country_share = with_country / len(sentences) if sentences else 0.0
        evidence = {
            "items": len(cap_items),
            "full_name_items": owner_full,
            "owner_share": round(share, 3),
            "lower_case": round(lower_share, 3),
            "other_people": round(other_share, 3),
            "other_examples": [w for w, _ in others.most_common(5)],
            "country": codes,
            "country_share": round(country_share, 3),
        }
        same = sorted(o for o in owners if _caption(specs, o) == _caption(specs, owner))  # one person, two lists
        decision = ""
        if owner_full >= MIN_FULL and lower_share <= MAX_LOWER:
            if share >= OWNER_SHARE and other_share <= MAX_OTHER_ALONE and owner_full >= MIN_FULL_ALONE:
                decision = "alone"
            elif share >= OWNER_SHARE_COUNTRY and country_share >= MIN_COUNTRY and codes:
                decision = "with_country"
        org = len(owners) == 1 and not aliasforms.is_person(_schema(specs, next(iter(owners))))
        if not decision and org and key not in country_words:
            # an organisation's one-word or short name: nobody's surname; its country in the
            # sentences it is named in stands for the full name's co-occurrence
            owner = next(iter(owners))
            codes = sorted(countries.get(owner, ()))
            hit = sum(
                1 for s in sentences if any(pattern_of[c].search(bare.sub(" ", s)) for c in codes if c in pattern_of)
            )
            evidence["country"], evidence["country_share"] = codes, round(hit / len(sentences), 3)
            if codes and lower_share <= MAX_LOWER and hit >= MIN_COUNTRY * len(sentences):
                decision = "alone" if other_share <= MAX_OTHER_ALONE else "with_country"
        if decision == "alone" and key in SHORT_OF_LONGER and country_share >= MIN_COUNTRY:
            decision = "with_country"
        elif decision == "alone" and key in SHORT_OF_LONGER:
            decision = ""
        row = {"form": key, "entities": same or [owner], "caption": _caption(specs, owner), **evidence}
        if decision:
            # the words that name someone else: a listed given name before the form ("David
            # Wagner"), or any name after a surname that comes first ("Kim Kardashian")
            seen = Counter()
            for word, n in others.items():
                seen[word.lower()] += n
            protect = {
                w for w, n in seen.items()
                if w not in FUNCTION_WORDS and w not in country_words and w not in titles
                and ((w in listed_given and n >= 2) or w in after_words)
            }  # fmt: skip
            entries.append({**row, "decision": decision, "protect": sorted(protect)})
        else:
            rejected.append(row)
    rejected.sort(key=lambda r: -int(r["items"]))  # type: ignore[call-overload]
    doc = {
        "source": (
            "Derived by scripts/derive_prominence.py from the 26,802 real 2023 feed items in "
            "../shared/data/articles (title + description) and the OFAC SDN and UN lists; regenerate, "
            "do not edit. Each entry: a bare form (surname alone, organisation short name), the list "
            "records it names, the decision (alone | with_country) and the counts that decided it; "
            "`protect` lists the capitalised words seen right before or after it that name other "
            "people (the matcher refuses the form after one of them)."
        ),
        "thresholds": {
            "min_items": MIN_ITEMS,
            "min_full_name_items": MIN_FULL,
            "min_full_name_items_alone": MIN_FULL_ALONE,
            "owner_share": OWNER_SHARE,
            "owner_share_with_country": OWNER_SHARE_COUNTRY,
            "max_lower_case": MAX_LOWER,
            "max_other_people_alone": MAX_OTHER_ALONE,
            "min_country_share": MIN_COUNTRY,
        },
        "entries": entries,
        "rejected": rejected[:REJECTED_KEEP],
    }
    Path(args.out).write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=110), encoding="utf-8")
    print(f"{len(entries)} prominent forms ({sum(e['decision'] == 'alone' for e in entries)} alone), "
          f"{len(rejected)} rejected; written to {args.out}")
    return 0


def _caption(specs: list[AliasSpec], entity_id: str) -> str:
    return next((s.caption for s in specs if s.entity_id == entity_id), "")


def _schema(specs: list[AliasSpec], entity_id: str) -> str:
    return next((s.schema for s in specs if s.entity_id == entity_id), "")


if __name__ == "__main__":
    sys.exit(main())
