"""The surface forms under which an entity's aliases are looked for in news text.

People: "SHOIGU, Sergei Kuzhugetovich" gives "sergei kuzhugetovich shoigu", "sergei shoigu",
"shoigu sergei kuzhugetovich" (strong) and "shoigu" (surname only: weak, needs support);
given names and surnames are crossed over the entity's aliases, so "Sergey Shoygu" and
"Sergei Shoygu" are found too. Korean names are also indexed under the loose romanisation
key the text side uses for Hangul ("KIM, Jong Un" meets 김정은). Organisations: the alias,
and the alias without its legal form ("ALFA-BANK JSC" -> "alfa bank"). Single words,
short aliases, vessel and aircraft names, aliases made of everyday words and aliases the
list marks weak are weak: they count only with support.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter

from monitor.matching.normalise import korean_key, normalise_name
from monitor.matching.types import AliasSpec
from monitor.matching.words import LEGAL_FORMS, common_words, word_set

# form kinds (ordered by strength)
STRONG = 0  # a full name or distinctive alias: counts on its own
CAPS = 1  # short acronym: counts when written in capitals in the original
WEAK = 2  # counts after an earlier strong mention of the same entity
SURNAME = 3  # a person's surname alone: earlier mention, or a title just before it
VESSEL = 4  # a vessel's or aircraft's name: earlier mention, or "tanker", "vessel"... just before it

# A bare surname among the most frequent English words ("Said", "Brown", "John") is dropped;
# a single-word company alias among the top words is not distinctive; nor is an alias
# whose words all are.
SURNAME_STOP_TOP = 2500
DISTINCT_TOP = 5000

PERSON_SCHEMAS = frozenset({"person", "individual"})
VESSEL_SCHEMAS = frozenset({"vessel", "aircraft", "airplane"})
_PATRONYMIC = re.compile(r"(ovich|evich|ivich|ovna|evna|ichna|vich|ogly|oglu|kyzy|uly)$")
_KOREAN_SURNAMES = word_set(
    """
    kim ri pak park choe choi jo cho han kang yun jang jong chon hwang an o so song hong mun ryu yu sin ko
    """
)
MAX_CROSS = 8


@dataclass(frozen=True)
class Form:
    """One normalised surface form of one entity and how strong it is on its own."""

    key: str
    kind: int
    confidence: float


def is_person(schema: str) -> bool:
    """True for person-like schemas."""
    return schema.casefold() in PERSON_SCHEMAS


def _is_korean(spec: AliasSpec, surnames: set[str]) -> bool:
    if any(p.upper().startswith("DPRK") for p in spec.programs) or any(c in ("KP", "KR") for c in spec.countries):
        return True
    return bool(surnames) and all(s in _KOREAN_SURNAMES for s in surnames)


def _common(tokens: list[str]) -> bool:
    common = common_words(DISTINCT_TOP)
    return all(t in common or t.isdigit() or len(t) <= 2 for t in tokens)


def _split_person(alias: str) -> tuple[list[str], list[str]]:
    """(given tokens, surname tokens) of a person's alias."""
    if "," in alias:
        last, _, rest = alias.partition(",")
        return normalise_name(rest).split(), normalise_name(last).split()
    tokens = normalise_name(alias).split()
    if len(tokens) < 2:
        return [], tokens
    return tokens[:-1], tokens[-1:]


def person_forms(specs: list[AliasSpec]) -> list[Form]:
    """All forms of one person from all of their aliases."""
    forms: dict[str, Form] = {}

    stop = common_words(SURNAME_STOP_TOP)

    def add(tokens: list[str], kind: int, confidence: float) -> None:
        key = " ".join(tokens)
        if len(key) < 3 or (kind == STRONG and len(tokens) < 2):
            kind = max(kind, WEAK if len(tokens) > 1 else SURNAME)
        if len(key.replace(" ", "")) < 3 or (len(tokens) == 1 and key in stop):
            return
        old = forms.get(key)
        if old is None or (old.kind, -old.confidence) > (kind, -confidence):
            forms[key] = Form(key, kind, confidence)

    firsts: set[str] = set()
    surnames: set[str] = set()
    parts = []
    for spec in specs:
        given, surname = _split_person(spec.alias)
        if not surname:
            continue
        parts.append((given, surname, spec.weak))
        surnames.add(" ".join(surname))
        if given and not spec.weak:
            firsts.add(given[0])
    korean = bool(specs) and _is_korean(specs[0], surnames)
    for given, surname, weak in parts:
        base = WEAK if weak else STRONG
        if not given:
            add(surname, WEAK if len(surname) > 1 and not weak else SURNAME, 0.8)
            continue
        add(given + surname, base, 1.0)
        if korean or len(given) == 1:
            # "Wang Jian", "Putin Vladimir": surname-first order is common for short names only
            # ("Shoigu Sergei Kuzhugetovich" is list style, never news)
            add(surname + given, base, 0.95)
        if len(given) > 1 and not korean:
            add(given[:1] + surname, base, 0.95)
            middle = [t for t in given[1:] if not _PATRONYMIC.search(t)]
            if middle and len(given) > 2:
                add(given[:1] + middle + surname, base, 0.9)
        if korean:
            add(korean_key(" ".join(surname + given)).split(), base, 0.95)
            add(korean_key(" ".join([*surname, "".join(given)])).split(), base, 0.9)
        if len(" ".join(surname)) >= 3:
            add(surname, SURNAME, 0.85)
    if not korean:
        crossed = 0
        for first in sorted(firsts):
            for surname_key in sorted(surnames):
                if crossed >= MAX_CROSS:
                    break
                add([first, *surname_key.split()], STRONG, 0.9)
                crossed += 1
    return list(forms.values())


def _strip_legal(tokens: list[str]) -> list[str]:
    out = list(tokens)
    while out and out[-1] in LEGAL_FORMS:
        out.pop()
    while out and out[0] in LEGAL_FORMS:
        out.pop(0)
    return out


def thing_forms(specs: list[AliasSpec]) -> list[Form]:
    """All forms of an organisation, vessel or other non-person entity."""
    forms: dict[str, Form] = {}
    vessel = bool(specs) and specs[0].schema.casefold() in VESSEL_SCHEMAS

    def add(tokens: list[str], weak: bool, confidence: float) -> None:
        key = " ".join(tokens)
        letters = key.replace(" ", "")
        if len(letters) < 3:
            return
        if vessel:
            kind = VESSEL
        elif weak:
            kind = WEAK
        elif len(tokens) == 1:
            if len(letters) <= 4 or tokens[0] in common_words(DISTINCT_TOP) or letters.isdigit():
                kind = CAPS if len(letters) <= 6 and not letters.isdigit() else WEAK
            else:
                kind = STRONG
        else:
            kind = WEAK if _common(tokens) else STRONG
        old = forms.get(key)
        if old is None or (old.kind, -old.confidence) > (kind, -confidence):
            forms[key] = Form(key, kind, confidence)

    for spec in specs:
        tokens = normalise_name(spec.alias).split()
        if not tokens:
            continue
        add(tokens, spec.weak, 1.0)
        stripped = _strip_legal(tokens)
        if stripped and stripped != tokens:
            add(stripped, spec.weak, 0.95)
    return list(forms.values())


def entity_forms(specs: list[AliasSpec]) -> list[Form]:
    """Forms of one entity (all specs share its entity_id)."""
    if not specs:
        return []
    if is_person(specs[0].schema):
        return person_forms(specs)
    return thing_forms(specs)


def group_by_entity(aliases: Iterable[AliasSpec]) -> Iterator[tuple[str, list[AliasSpec]]]:
    """Runs of consecutive aliases of one entity (streamed: a million aliases are never all in
    memory at once; the database and the loaders yield them entity by entity)."""
    for entity_id, group in groupby(aliases, key=attrgetter("entity_id")):
        yield entity_id, list(group)
