"""Pairwise name comparison: two names in, a score in [0, 1] and an explanation out.

Pure module (no database, no Celery). The approach follows the ideas of OpenSanctions'
nomenklatura logic-v2 and rigour, written here from scratch:

- every script is transliterated to Latin (anyascii); CJK and Hangul syllables become
  separate parts so that "김정은" lines up with "Kim Jong Un";
- names are split into parts and the PARTS are aligned, never the whole strings, so word
  order and commas ("PUTIN, Vladimir") do not matter;
- each aligned pair is scored as exact, phonetic (transliteration variants such as
  Schoigu/Shoigu, Poutine/Putin), a typo (edits allowed grow with the part's length),
  an initial, an abbreviation or nickname prefix, two parts written as one, or an acronym;
- parts left over on only one side are a dropped middle name or patronymic (cheap for
  people, dearer for organisations); parts left over on BOTH sides contradict each other
  and count in full;
- honorifics are dropped, legal forms are reduced to a family (OOO = LLC, OAO = JSC) and
  compared apart from the name, and numbers in a name must agree;
- how common a part is among listed people (`nameparts`, derived from the lists) tells a
  shared given name from a shared surname.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from monitor import resources
from monitor.watchlists import nameparts, nametokens
from monitor.watchlists.abjad import BOUND_FIRST, is_abjad, skeletons
from monitor.watchlists.nametokens import MAX_NAME_CHARS, ORG, PERSON, phonetic
from monitor.watchlists.partsim import ACRONYM_SIM, FIRST_SOUND, PHONETIC_SIM, TYPO_RULES, Part, abjad_sim, part_sim

__all__ = ["MAX_NAME_CHARS", "NameMatch", "PreparedName", "clear_caches", "compare", "compare_prepared", "is_abjad",
           "prepare", "skeletons"]

#: At most this many name parts take part in the alignment (the rest are listed as ignored).
MAX_PARTS = 12


# How much a part present on one side only costs, relative to its length: people drop
# middle names and patronymics all the time, organisations rarely drop a distinctive word.
EXTRA_COST = {PERSON: 0.2, ORG: 0.75}
# A one-part name ("Shoigu") against a full name identifies less than a full name does.
SINGLE_PART_EXTRA_COST = 0.5
# Parts that say little about identity weigh less (particles, connectives, "the").
LIGHT_WEIGHT = 0.3
# Legal forms of different families ("AG" vs "GmbH") are different companies.
LEGAL_FORM_CONFLICT = 0.65
# Numbers that differ ("Fund 2" vs "Fund 3") or appear on one side only.
NUMBER_CONFLICT = 0.6
# Below this a pair of parts is not aligned at all (joined parts need more).
PART_FLOOR = 0.55
JOINED_FLOOR = 0.7
# Parts unmatched on both sides contradict each other and cost more than their length.
CONFLICT_COST = 2.0
# Patronymics (-ovich, -ovna, -ogly) are shared by many people and say less than a name.
PATRONYMIC_WEIGHT = 0.6
# "X bin Y" read as "Y bin X" is the father, not the son.
NASAB_CONFLICT = 0.6
# A person's name part matched only loosely (a typo of two letters or more, a phonetic typo, an
# abbreviation: "Morozov"/"Mordashov", "Wang"/"Zhang") is another name: a shared first name does
# not carry a different surname over the threshold; the score is capped below it.
LOOSE_PART_SIM = 0.66
# Rules that say "another name, written alike" rather than "the same name, mistyped": two letters
# or more off, a typo on top of a phonetic folding, an abbreviation. Below this similarity a part
# matched by one of them is another name too ("Smirnova"/"Mirtova", "Weidong"/"Wei"); a single
# typo is not ("Musk"/"Mosk").
LOOSE_RULES = frozenset({"typos", "phonetic+typo", "abbreviation"})
LOOSE_RULE_SIM = 0.73
DIFFERENT_NAME_CAP = 0.65
# Two parts written in Arabic script a letter apart are two names (hsyn/hsn: Husayn and Hasan):
# the consonants are all there is of them, so the rule is loose whatever the similarity.
OTHER_LETTERS = "other letters"
_OTHER_NAME_RULES = frozenset({OTHER_LETTERS, FIRST_SOUND})
# Parts written together that replace a loosely alike part must match closely (exact or phonetic).
CLOSE_JOIN_SIM = 0.85
# Names of syllables (Korean, Chinese, Vietnamese given names: every part of four letters or
# fewer, three parts or more on the screened side): one syllable left over is another person.
SYLLABLE_MAX_LETTERS = 4
# Korean syllables run to five letters in the usual romanisations (heung, gyong, jeong), Chinese
# ones to six with one vowel sound (zhuang, shuang; not Jensen): a name
# that starts or ends with a Korean or Chinese family name may have parts that long and still be
# syllables (not every short name is: "Usama bin Ladin", "Fazl Rabi Abdul Hamid").
FAMILY_SYLLABLE_MAX_LETTERS = 6
KOREAN_SURNAMES = resources.words("person_names", "korean_surnames") | resources.words(
    "person_names", "korean_surnames_press"
)
# A name of two parts starting or ending with one of these is a family name and a syllabic given
# name (Chinese or Korean): compared syllable by syllable as longer syllabic names are.
FAMILY_NAMES_FIRST = KOREAN_SURNAMES | resources.words("person_names", "chinese_surnames")
_VOWEL_GROUPS = re.compile("[aeiou]+")


# Name knowledge lives in monitor/resources (one copy each, shared with the in-text matcher).
# Titles and honorifics, never names (so not "Sultan", "Emir" or "He", which are also given names).
HONORIFICS = resources.with_role("titles", "titles", "honorific")
PARTICLES = resources.with_role("person_names", "particles", "light")
VESSEL_PREFIXES = resources.words("words", "vessel_prefixes")
ORG_DESCRIPTORS = resources.words("words", "org_descriptors")
# Compound given names written as two words ("Mohammad Hossein", "Ali Reza"): one name, not two.
COMPOUNDS = frozenset(
    (str(first), str(second))
    for entry in resources.load("person_names")["compound_given_names"]
    for first in entry["first"]
    for second in entry["second"]
)

# Legal forms by family; multi-word forms are matched before single words.
_FORM_FAMILY = resources.legal_form_families()
# "fund" and "foundation" describe the organisation but are part of many names too.
_WEAK_FORMS = frozenset(tuple(form.split()) for form in resources.ordered("legal_forms", "weak"))
_MAX_FORM_WORDS = max(len(k) for k in _FORM_FAMILY)
_FORM_FIRST_WORDS = frozenset(k[0] for k in _FORM_FAMILY)


class Span(NamedTuple):
    """Adjacent parts written together, or the initials of a run of parts (an acronym)."""

    idx: tuple[int, ...]
    text: str
    phon: str
    weight: float


@dataclass(frozen=True, slots=True)
class PreparedName:
    """A name split into comparable parts, with legal forms and numbers set apart."""

    original: str
    kind: str
    parts: tuple[Part, ...]
    forms: frozenset[str]
    numbers: tuple[str, ...]
    dropped: tuple[str, ...]
    nasab: int | None  # index of "bin"/"ibn": parts before it are the person, after it the father

    @property
    def empty(self) -> bool:
        """True when nothing comparable is left (only honorifics, punctuation, nothing at all)."""
        return not self.parts and not self.numbers and not self.forms


@dataclass(frozen=True, slots=True)
class NameMatch:
    """Score in [0, 1] and how it came about, part by part."""

    score: float
    explanation: str
    steps: tuple[str, ...] = field(default=())


def kind_of(schema: str | None) -> str:
    """'person' for Person schemas, 'org' for everything else (companies, vessels, unknown)."""
    return PERSON if (schema or "").lower() == "person" else ORG


def _legal_forms(tokens: list[str]) -> tuple[list[str], set[str]]:
    """Take legal forms out of the token list and return their families."""
    forms: set[str] = set()
    out: list[str] = []
    i = 0
    n = len(tokens)
    while i < n:
        if tokens[i] not in _FORM_FIRST_WORDS:
            out.append(tokens[i])
            i += 1
            continue
        for size in range(min(_MAX_FORM_WORDS, n - i), 0, -1):
            key = tuple(tokens[i : i + size])
            family = _FORM_FAMILY.get(key)
            # A weak form word counts as a form only at the edges of the name.
            if family is not None and (key not in _WEAK_FORMS or i == 0 or i + size == n):
                forms.add(family)
                i += size
                break
        else:
            out.append(tokens[i])
            i += 1
    return out, forms


_PATRONYMIC = resources.patronymic_endings()
_NASAB = resources.with_role("person_names", "particles", "nasab")
_KUNYA = resources.with_role("person_names", "particles", "kunya")


def _weight(token: str, kind: str) -> float:
    """Length of the part, less for particles, (for people) patronymics and (for organisations)
    the words that say what kind of organisation it is."""
    weight = float(len(token))
    if token in PARTICLES or (kind == ORG and token in ORG_DESCRIPTORS):
        return weight * LIGHT_WEIGHT
    if kind == PERSON and token.endswith(_PATRONYMIC):
        return weight * PATRONYMIC_WEIGHT
    return weight


@lru_cache(maxsize=50_000)
def _spans(tokens: tuple[str, ...], kind: str) -> tuple[tuple[Span, ...], tuple[Span, ...]]:
    """Joined neighbours and acronyms of a name's parts (computed on first comparison only)."""
    joined: list[Span] = []
    acronyms: list[Span] = []
    n = len(tokens)
    for size in (2, 3):
        for i in range(n - size + 1):
            text = "".join(tokens[i : i + size])
            joined.append(Span(tuple(range(i, i + size)), text, phonetic(text), float(len(text))))
    if kind == ORG:
        for i in range(n):
            for j in range(i + 2, min(n, i + 6) + 1):
                run = tokens[i:j]
                idx = tuple(range(i, j))
                weight = float(sum(len(t) for t in run))
                acronyms.append(Span(idx, "".join(t[0] for t in run), "", weight))
                heavy = [t for t in run if t not in PARTICLES]
                if 1 < len(heavy) < len(run):
                    acronyms.append(Span(idx, "".join(t[0] for t in heavy), "", weight))
    return tuple(joined), tuple(acronyms)


@lru_cache(maxsize=200_000)
def prepare(name: str, schema: str | None = None) -> PreparedName:
    """Normalise a name for comparison (cached: screening prepares each alias once)."""
    kind = kind_of(schema)
    tokens = nametokens.tokens(name)
    dropped: list[str] = []
    forms: set[str] = set()
    if kind == PERSON:
        kept = [t for t in tokens if t not in HONORIFICS]
        dropped = [t for t in tokens if t in HONORIFICS]
        tokens = kept or tokens
    else:
        if (schema or "").lower() == "vessel" and len(tokens) > 1 and tokens[0] in VESSEL_PREFIXES:
            dropped.append(tokens.pop(0))
        stripped, forms = _legal_forms(tokens)
        if stripped:
            tokens = stripped
        else:  # the whole name is a legal form: compare it as words
            forms = set()
    tokens, numbers = nametokens.numbers(tokens, kind)
    if len(tokens) > MAX_PARTS:
        dropped.extend(tokens[MAX_PARTS:])
        tokens = tokens[:MAX_PARTS]
    abjad = is_abjad(name)
    if abjad and len(tokens) > 1:
        tokens = _join_bound(tokens)
    syllables = nametokens.syllabic_script(name)
    parts = tuple(Part(t, phonetic(t), _weight(t, kind), abjad, syllables and len(t) <= 6) for t in tokens)
    if parts and all(p.text in PARTICLES for p in parts):
        parts = tuple(Part(p.text, p.phon, float(len(p.text)), abjad) for p in parts)
    nasab = None
    if kind == PERSON:
        markers = [i for i, t in enumerate(tokens) if t in _NASAB and 0 < i < len(tokens) - 1]
        nasab = markers[0] if len(markers) == 1 else None  # several markers: a lineage, not one swap
    return PreparedName(
        name, kind, parts, frozenset(forms), tuple(sorted(numbers)), tuple(dropped), nasab
    )


def _join_bound(tokens: list[str]) -> list[str]:
    """Arabic script writes "Abd al-Malik" as two words, romanised lists as one ("Abdulmalik")."""
    out: list[str] = []
    for tok in tokens:
        if out and out[-1] in BOUND_FIRST:
            out[-1] += tok
        else:
            out.append(tok)
    return out


# (similarity, rule, parts of the first name, parts of the second, weight, label)
_Pair = tuple[float, str, tuple[int, ...], tuple[int, ...], float, str]


_LOOSE = frozenset({"initial", "abbreviation"})


def _greedy(candidates: list[_Pair], used_a: set[int], used_b: set[int], chosen: list[_Pair]) -> None:
    # Best pairs first; among equals the one covering more parts, then in reading order.
    candidates.sort(key=lambda p: (-p[0], -(len(p[2]) + len(p[3])), p[2], p[3]))
    for pair in candidates:
        if used_a.isdisjoint(pair[2]) and used_b.isdisjoint(pair[3]):
            chosen.append(pair)
            used_a.update(pair[2])
            used_b.update(pair[3])


def _span_candidates(a: PreparedName, b: PreparedName, rest_a: set[int], rest_b: set[int]) -> list[_Pair]:
    """Joined parts and acronyms, only among the parts no single part matched."""
    pa, pb = a.parts, b.parts
    candidates: list[_Pair] = []
    a_joined, a_acronyms = _spans(tuple(p.text for p in pa), a.kind)
    b_joined, b_acronyms = _spans(tuple(p.text for p in pb), b.kind)
    for spans, other, rest_span, rest_other, flip in (
        (a_joined, pb, rest_a, rest_b, False),
        (b_joined, pa, rest_b, rest_a, True),
    ):
        span_abjad = bool(other) and not other[0].abjad and (pa if other is pb else pb)[0].abjad
        for span in spans:
            if not rest_span.issuperset(span.idx):
                continue
            for j in rest_other:
                y = other[j]
                if abs(len(y.text) - len(span.text)) > 3 and span_abjad == y.abjad:  # consonants are shorter
                    continue
                if span_abjad != y.abjad:  # "nsr"+"llh" is Nasrallah, by consonants only
                    sim = abjad_sim(Part(span.text, span.phon, span.weight, span_abjad), y)
                else:
                    sim, _how = part_sim(span.text, span.phon, y.text, y.phon)
                if sim >= JOINED_FLOOR:
                    src = pb if flip else pa
                    label = "+".join(src[k].text for k in span.idx) + "~" + y.text
                    left, right = ((j,), span.idx) if flip else (span.idx, (j,))
                    candidates.append((sim * 0.97, "joined", left, right, span.weight, label))
    for spans, other, rest_span, rest_other, flip in (
        (a_acronyms, pb, rest_a, rest_b, False),
        (b_acronyms, pa, rest_b, rest_a, True),
    ):
        if not spans:
            continue
        lookup = {other[j].text: j for j in rest_other if 2 <= len(other[j].text) <= 6}
        if not lookup:
            continue
        for span in spans:
            j = lookup.get(span.text, -1)
            if j >= 0 and rest_span.issuperset(span.idx):
                src = pb if flip else pa
                label = "+".join(src[k].text for k in span.idx) + "~" + other[j].text
                left, right = ((j,), span.idx) if flip else (span.idx, (j,))
                candidates.append((ACRONYM_SIM, "acronym", left, right, span.weight, label))
    return candidates


def _align(a: PreparedName, b: PreparedName) -> tuple[list[_Pair], set[int], set[int]]:
    """Greedy best-first alignment of single parts, then of joined parts and acronyms among the rest."""
    candidates: list[_Pair] = []
    pa, pb = a.parts, b.parts
    for i, x in enumerate(pa):
        x_text, x_phon, x_abjad = x.text, x.phon, x.abjad
        for j, y in enumerate(pb):
            if x_abjad != y.abjad and x_text != y.text:  # consonants against vowels: no typo or abbreviation rule
                sim, how = abjad_sim(x, y), "consonants"
            else:
                sim, how = part_sim(x_text, x_phon, y.text, y.phon)
            if sim < PART_FLOOR:
                continue
            if x_abjad and y.abjad and how in TYPO_RULES:
                how = OTHER_LETTERS
            if how == "initial":
                if x_abjad or y.abjad or x.syllable or y.syllable:
                    continue  # Arabic script has no initials, and a Hangul or Han syllable is no initial
                weight = min(x.weight, y.weight) + 1.0
            else:
                weight = max(x.weight, y.weight)
            candidates.append((sim, how, (i,), (j,), weight, f"{x_text}~{y.text}"))
    used_a: set[int] = set()
    used_b: set[int] = set()
    chosen: list[_Pair] = []
    _greedy(candidates, used_a, used_b, chosen)
    # Initials and abbreviations are loose: joined parts and acronyms may beat them. A part only
    # loosely alike is beaten by parts written together only when they match closely ("jongun" is
    # "jong"+"un", not a two-letter typo of "jong"; "chan ka" is not "zhang").
    weak = [p for p in chosen if p[1] not in _LOOSE and p[0] < LOOSE_PART_SIM]
    firm = [p for p in chosen if p[1] not in _LOOSE and p[0] >= LOOSE_PART_SIM]
    free_a = set(range(len(pa))) - {i for p in firm for i in p[2]}
    free_b = set(range(len(pb))) - {j for p in firm for j in p[3]}
    if free_a and free_b and (len(free_a) > 1 or len(free_b) > 1):
        weak_a = {i for p in weak for i in p[2]}
        weak_b = {j for p in weak for j in p[3]}
        spans = [
            p for p in _span_candidates(a, b, free_a, free_b)
            if p[0] >= CLOSE_JOIN_SIM or (weak_a.isdisjoint(p[2]) and weak_b.isdisjoint(p[3]))
        ]  # fmt: skip
        if spans:
            loose = [p for p in chosen if p[1] in _LOOSE or p[0] < LOOSE_PART_SIM]
            used_a = {i for p in firm for i in p[2]}
            used_b = {j for p in firm for j in p[3]}
            chosen = firm
            _greedy(spans + loose, used_a, used_b, chosen)
    rest_a = set(range(len(pa))) - used_a
    rest_b = set(range(len(pb))) - used_b
    return chosen, rest_a, rest_b


def _nasab_crossed(a: PreparedName, b: PreparedName, chosen: list[_Pair]) -> bool:
    """'X bin Y' is X, son of Y: a pair that puts the son on one side and the father on the other."""
    if a.nasab is None or b.nasab is None:
        return False
    for _sim, _how, left, right, _w, _label in chosen:
        if (left[0] < a.nasab) != (right[0] < b.nasab) and left[0] != a.nasab and right[0] != b.nasab:
            return True
    return False


def _family_name_at_an_end(name: PreparedName) -> bool:
    """True for a name of two parts or more that starts or ends with a Chinese or Korean family name."""
    return len(name.parts) >= 2 and not {name.parts[0].text, name.parts[-1].text}.isdisjoint(FAMILY_NAMES_FIRST)


def _syllables(name: PreparedName, idx: tuple[int, ...]) -> int:
    """How many syllables (vowel groups) the parts `idx` of a name hold."""
    return sum(len(_VOWEL_GROUPS.findall(name.parts[i].text)) for i in idx)


def _syllabic(name: PreparedName) -> bool:
    longest = max((len(p.text) for p in name.parts), default=0)
    if longest <= SYLLABLE_MAX_LETTERS or all(p.syllable for p in name.parts):  # or written in Hangul or Han
        return True
    return _family_name_at_an_end(name) and all(
        len(p.text) <= FAMILY_SYLLABLE_MAX_LETTERS - 1
        or (len(p.text) == FAMILY_SYLLABLE_MAX_LETTERS and len(_VOWEL_GROUPS.findall(p.text)) == 1)
        for p in name.parts
    )


def _unsupported(a: PreparedName, b: PreparedName, chosen: list[_Pair], rest_a: set[int], rest_b: set[int]) -> str:
    """Why the screened name's own parts are not accounted for by the listed name ('' when they are):
    a one-word alias (a nickname, a kunya) meets one part of a longer name and the rest has no
    counterpart ("Amr Diab" / "Diyab"), half of a given name the lists write as one is met ("Ali
    Reza Karimi" / "Ali Karimi": Alireza), or a part is met only by an initial while the listed name
    keeps a name of its own ("Dmitri Mendeleev" / "TOLCHINSKIY, Dmitri M.": M. stands for anything)."""
    heavy_b = [p.text for p in b.parts if p.text not in PARTICLES]
    left_a = [a.parts[i].text for i in sorted(rest_a) if a.parts[i].text not in PARTICLES]
    if len(heavy_b) == 1 and left_a:
        return (f"{heavy_b[0]} is the listed name's only part and {', '.join(left_a)} has no counterpart: "
                "a different person")
    for i in range(len(a.parts) - 1):  # "Ali Reza" is the one given name Alireza, not Ali
        one, two = a.parts[i].text, a.parts[i + 1].text
        if (i in rest_a) != (i + 1 in rest_a) and (nameparts.PEOPLE.get(one + two, 0) or (one, two) in COMPOUNDS):
            kept = two if i in rest_a else one
            return f"{one} {two} is one given name and the listed name has only {kept}: a different person"
    for j in range(len(b.parts) - 1):  # "Abou Mohamed" is the father of a Mohamed, not a Mohamed
        if b.parts[j].text in _KUNYA and j in rest_b and j + 1 not in rest_b:
            named = b.parts[j + 1].text
            return (f"{b.parts[j].text} {named} is a kunya (parent of a {named}) and the screened name has "
                    f"{named} alone: a different person")
    left_b = [b.parts[j].text for j in sorted(rest_b) if b.parts[j].text not in PARTICLES and len(b.parts[j].text) > 1]
    initials = [label for _s, how, left, _r, _w, label in chosen if how == "initial" and len(a.parts[left[0]].text) > 1]
    if initials and left_b:
        return (f"{', '.join(initials)}: an initial stands for any name, and {', '.join(left_b)} has no counterpart: "
                "a different person")
    return ""


def _person_caps(
    a: PreparedName,
    b: PreparedName,
    chosen: list[_Pair],
    rest_a: set[int],
    rest_b: set[int],
    score: float,
    steps: list[str],
) -> float:
    """Cap a person's score below the threshold when a part is only loosely alike (a different
    surname beside a shared given name) or a syllable of a syllabic name is left over."""
    loose = [
        label for sim, how, left, _right, _w, label in chosen
        if (sim < LOOSE_PART_SIM or (how in LOOSE_RULES and sim < LOOSE_RULE_SIM) or how in _OTHER_NAME_RULES)
        and how != "initial" and any(a.parts[i].text not in PARTICLES for i in left)
    ]  # fmt: skip
    if loose:
        steps.append(f"{', '.join(loose)}: too far apart to be one name, so a different person")
        return DIFFERENT_NAME_CAP
    why = _unsupported(a, b, chosen, rest_a, rest_b)
    if why:
        steps.append(why)
        return DIFFERENT_NAME_CAP
    if (len(a.parts) < 3 and not _family_name_at_an_end(a)) or not (_syllabic(a) and _syllabic(b)):
        return _common_caps(a, b, chosen, rest_a, score, steps)
    left_over = [a.parts[i].text for i in sorted(rest_a) if a.parts[i].text not in PARTICLES]
    if left_over:
        steps.append(f"syllable {', '.join(left_over)} has no counterpart: another given name, a different person")
        return DIFFERENT_NAME_CAP
    # the same syllable in another romanisation is phonetic (Jong/Jeong); a typo is another syllable,
    # and so is a part of two syllables folded onto one (Ziyi/Shi)
    other = [label for sim, _how, left, right, _w, label in chosen
             if sim < PHONETIC_SIM or _syllables(a, left) != _syllables(b, right)]  # fmt: skip
    if other:
        steps.append(f"{', '.join(other)}: different syllables, a different person")
        return DIFFERENT_NAME_CAP
    return _common_caps(a, b, chosen, rest_a, score, steps)


def _common_caps(
    a: PreparedName, b: PreparedName, chosen: list[_Pair], rest_a: set[int], score: float, steps: list[str]
) -> float:
    """Cap a person's score below the threshold on what the lists say of how common its parts are."""
    aligned = [(how, [a.parts[i].text for i in left], [b.parts[j].text for j in right])
               for _s, how, left, right, _w, _l in chosen]  # fmt: skip
    left_over = [a.parts[i].text for i in sorted(rest_a) if a.parts[i].text not in PARTICLES]
    why = nameparts.different_person(aligned, left_over)
    if why:
        steps.append(why)
        return DIFFERENT_NAME_CAP
    return score


def compare_prepared(a: PreparedName, b: PreparedName) -> NameMatch:
    """Score two prepared names (the kind of `b`, the listed name, decides person vs org)."""
    if a.empty or b.empty:
        return NameMatch(0.0, "nothing to compare: a name is empty after normalisation")
    kind = b.kind
    chosen, rest_a, rest_b = _align(a, b)
    steps: list[str] = [f"{p[5]} ({p[1]}{'' if p[0] == 1.0 else f' {p[0]:.2f}'})" for p in chosen]
    matched_weight = 0.0
    score_weight = 0.0
    heavy_matched = False
    for sim, how, left, _right, weight, _label in chosen:
        matched_weight += weight
        score_weight += weight * sim
        if how != "initial" and any(a.parts[i].text not in PARTICLES for i in left):
            heavy_matched = True
    extra_a = sum(a.parts[i].weight for i in rest_a)
    extra_b = sum(b.parts[i].weight for i in rest_b)
    heavy_a = [a.parts[i].text for i in sorted(rest_a) if a.parts[i].text not in PARTICLES]
    heavy_b = [b.parts[i].text for i in sorted(rest_b) if b.parts[i].text not in PARTICLES]
    if heavy_a and heavy_b:
        # Both names keep parts the other lacks: they contradict each other.
        penalty = (extra_a + extra_b) * CONFLICT_COST
        steps.append("unmatched on both sides: " + ", ".join(heavy_a) + " / " + ", ".join(heavy_b))
    else:
        cost = EXTRA_COST[kind]
        if kind == PERSON and min(len(a.parts), len(b.parts)) == 1:
            cost = SINGLE_PART_EXTRA_COST  # one name against a full name says little
        penalty = (extra_a + extra_b) * cost
        extras = [a.parts[i].text for i in sorted(rest_a)] + [b.parts[i].text for i in sorted(rest_b)]
        if extras:
            steps.append("extra parts on one side: " + ", ".join(extras))
    if not chosen:
        score = 0.0
        if a.parts or b.parts:
            steps.append("no name part matched")
    elif not heavy_matched:
        score = 0.3 * score_weight / (matched_weight + penalty)
        steps.append("only particles or initials matched")
    else:
        score = score_weight / (matched_weight + penalty)
    if kind == PERSON and chosen and score > DIFFERENT_NAME_CAP:
        score = _person_caps(a, b, chosen, rest_a, rest_b, score, steps)
    if kind == PERSON and _nasab_crossed(a, b, chosen):
        score *= NASAB_CONFLICT
        steps.append("son and father swapped around bin/ibn")
    if a.forms and b.forms:
        if a.forms & b.forms:
            steps.append("legal form " + "/".join(sorted(a.forms & b.forms)) + " on both")
        else:
            score *= LEGAL_FORM_CONFLICT
            steps.append(f"legal forms differ: {'/'.join(sorted(a.forms))} vs {'/'.join(sorted(b.forms))}")
    if a.numbers != b.numbers:
        if a.numbers or b.numbers:
            score *= NUMBER_CONFLICT
            steps.append(f"numbers differ: {' '.join(a.numbers) or '-'} vs {' '.join(b.numbers) or '-'}")
    elif a.numbers:
        steps.append("numbers agree: " + " ".join(a.numbers))
    if a.dropped or b.dropped:
        steps.append("ignored: " + ", ".join(a.dropped + b.dropped))
    score = max(0.0, min(1.0, score))
    return NameMatch(round(score, 4), "; ".join(steps), tuple(steps))


def clear_caches() -> None:
    """Forget every prepared name (benchmarks time the cold path with this)."""
    prepare.cache_clear()
    phonetic.cache_clear()
    _spans.cache_clear()
    skeletons.cache_clear()


def compare(name1: str, name2: str, schema: str | None = None) -> NameMatch:
    """Compare two names as names of the given schema (Person, Company, Vessel...)."""
    return compare_prepared(prepare(name1, schema), prepare(name2, schema))
