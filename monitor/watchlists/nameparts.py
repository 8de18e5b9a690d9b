"""How common a part of a listed person's name is, and which common parts are two names.

Pure module. The table is `resources/name_parts.yaml`, derived from the lists themselves by
`scripts/derive_name_parts.py`: how many listed people bear each part, and the pairs of common
parts that the lists give as spellings of one person's name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from monitor import resources
from monitor.watchlists.nametokens import phonetic

_TABLE = resources.load("name_parts")
PEOPLE: dict[str, int] = {str(k): int(v) for k, v in (_TABLE.get("people") or {}).items()}
VARIANTS: frozenset[frozenset[str]] = frozenset(frozenset(map(str, pair)) for pair in _TABLE.get("variants") or [])
#: A part borne by this many listed people or more names nobody in particular ("ali", "hassan").
COMMON_PEOPLE = 20
#: Rules under which two parts are alike in writing only (a phonetic folding is the same name).
WRITTEN_ALIKE = frozenset({"typo", "typos", "phonetic+typo"})


def _bearers() -> dict[str, int]:
    """People bearing each part in any of its spellings: the parts of one phonetic key (Qasim,
    Qassim) and the spellings the lists give for one name (Khaled, Khalid) count together."""
    by_key: dict[str, int] = {}
    for part, n in PEOPLE.items():
        by_key[phonetic(part)] = by_key.get(phonetic(part), 0) + n
    out = {part: by_key[phonetic(part)] for part in PEOPLE}
    for pair in VARIANTS:
        one, two = sorted(pair)
        if one in PEOPLE and two in PEOPLE and phonetic(one) != phonetic(two):
            out[one], out[two] = out[one] + by_key[phonetic(two)], out[two] + by_key[phonetic(one)]
    return out


BEARERS = _bearers()


def common(part: str) -> bool:
    """True when many listed people bear this part in any spelling (a given name, not a surname)."""
    return BEARERS.get(part, PEOPLE.get(part, 0)) >= COMMON_PEOPLE


def two_names(how: str, a: str, b: str) -> bool:
    """True when `a` and `b`, alike in writing only, are each a name many listed people bear and the
    lists never give one as a spelling of the other ("khalil" and "khalid", "ahmad" and "ahmadi")."""
    return how in WRITTEN_ALIKE and a != b and a in PEOPLE and b in PEOPLE and frozenset((a, b)) not in VARIANTS


def only_common_shared(matched: Iterable[Sequence[str]], unmatched: Iterable[str]) -> list[str]:
    """The screened name's parts that a candidate sharing only common given names leaves unmatched
    (empty when a distinctive part is shared or nothing is left over): common names shared say
    nothing of who is meant, so any part of the screened name without a counterpart ("Ali Abdullah
    Hassan" against an alias "Ali Hassan") makes it another person. `matched` holds each shared
    part as both names write it (the listed spelling tells for a name in Arabic script)."""
    shared = list(matched)
    if not shared or not all(any(common(p) for p in spellings) for spellings in shared):
        return []
    return list(unmatched)


def different_person(pairs: Sequence[tuple[str, list[str], list[str]]], unmatched: Sequence[str]) -> str:
    """Why two person names that align are still two people, in words ('' when nothing says so):
    `pairs` are the aligned parts (rule, screened side, listed side), `unmatched` the screened
    name's parts left over."""
    names = [f"{a[0]}~{b[0]}" for how, a, b in pairs if len(a) == len(b) == 1 and two_names(how, a[0], b[0])]
    if names:
        return f"{', '.join(names)}: two names, each borne by many listed people, so a different person"
    distinct = only_common_shared(([*a, *b] for how, a, b in pairs if how != "initial"), unmatched)
    if distinct:
        return f"only common given names shared; {', '.join(distinct)} has no counterpart: a different person"
    return ""
