"""Declared cues: what turns a weak form (a bare surname, a short or everyday-word alias, a
vessel's name) into a mention.

Each cue is one small pure function of a span (`Span`: where the form was found, which forms,
what the article names around it); `Span.cue(name)` evaluates it at most once per span. ONE
table, `CUES`, says which cue supports which kinds of form and with what confidence factor, in
the order the resolver tries them (`monitor.matching.resolve`). How a supported span is turned
into an entity is the row's `choose`:

- "latest": the entity of the span mentioned last before it;
- "full": the entities the text names in full (a headline's bare surname);
- "own": the entities the cue itself returns (a distinctive surname, a linked entity, a name of
  everyday words written as a name);
- "namesake": one of the span's namesakes, picked with the country the cue found
  (`resolve.pick_namesake`).

A new heuristic is one function here, one row in `CUES` (its factor in `tuning`) and one case in
tests/data/entity_cases.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from monitor import resources
from monitor.matching.aliasforms import DISTINCT, ORGSHORT, SURNAME, VESSEL, WEAK
from monitor.matching.countries import SANCTIONED_JURISDICTIONS
from monitor.matching.fields import WORD, FieldState, title_case_run
from monitor.matching.index import CompiledIndex
from monitor.matching.multilingual import transcriptions
from monitor.matching.normalise import NormText, normalise_field, normalise_name
from monitor.matching.tuning import (
    FACTOR_CONTEXT,
    FACTOR_DISTINCT,
    FACTOR_LINKED,
    FACTOR_MENTIONED,
    FACTOR_PROMINENT,
    FACTOR_PROPER,
    LEAD_TEXT_CHARS,
)
from monitor.matching.words import (
    NAME_GOES_ON,
    NAME_LINKS,
    ORG_CONTEXT,
    ORG_FIELD_NEEDLES,
    ORG_WORDS_BEFORE,
    RELATIVE_WORDS,
    TITLE_ABBREVIATIONS,
    TITLE_WORDS,
    VESSEL_WORDS,
)


@dataclass
class Article:
    """What every cue may know about the article besides the span itself."""

    index: CompiledIndex
    fields: list[FieldState | None]
    # (field, end offset) of each country mention -> its ISO code (acronyms left out)
    country_ends: dict[tuple[int, int], str]
    named: set[int]  # entities named by a strong span somewhere in the article
    related: set[int]  # entities the lists link to one named in full ("Dmitry Utkin" -> 'WAGNER')
    named_in_text: set[int] = field(default_factory=set)  # named in full in the body text
    _lead_scan: dict[int, str] = field(default_factory=dict)

    def in_lead(self, fi: int, pos: int) -> bool:
        """Whether a scan position is in the item's lead: the headline and the first sentence of
        the text under it (all of a text of LEAD_TEXT_CHARS or fewer), read together as a feed
        item is (often nothing more): "Kim and Putin meet" / "North Korea's leader ...", "Wagner
        could pose as migrants" / "Russian mercenaries are near ..."."""
        if fi == 0:
            return True
        fs = self.fields[fi]
        return fi == 1 and fs is not None and (len(fs.text) <= LEAD_TEXT_CHARS or fs.sentence_of(pos) == 0)

    def lead_partner(self, fi: int) -> str:
        """The scan string of the other half of the lead ("" when none): the first sentence of the
        text for the headline, the headline for the text."""
        if fi not in self._lead_scan:
            other = self.fields[1 - fi] if fi in (0, 1) else None
            if other is None:
                self._lead_scan[fi] = ""
            elif fi == 1 or len(other.text) <= LEAD_TEXT_CHARS:
                self._lead_scan[fi] = other.nt.padded
            else:
                start, end = other.sentence_bounds(0)
                self._lead_scan[fi] = normalise_field(other.text[start:end]).padded
        return self._lead_scan[fi]


@dataclass
class Span:
    """One weak span: its place, its forms and the cue values computed so far."""

    article: Article
    fi: int
    t0: int
    t1: int
    fids: list[int]
    _values: dict[str, object] = field(default_factory=dict)

    @property
    def fs(self) -> FieldState:
        """The field the span is in."""
        fs = self.article.fields[self.fi]
        assert fs is not None
        return fs

    @property
    def kinds(self) -> set[int]:
        """The kinds of the span's forms."""
        kind = self.article.index.form_kind
        return {kind[f] for f in self.fids}

    def entities(self) -> Iterable[int]:
        """The entities of the span's forms."""
        entity = self.article.index.form_entity
        return (entity[f] for f in self.fids)

    def rare_entities(self) -> list[int]:
        """Entities whose form here is a surname English hardly uses, or an organisation's short name."""
        index = self.article.index
        return [index.form_entity[f] for f in self.fids if f in index.rare_fids or index.form_kind[f] == ORGSHORT]

    def cue(self, name: str) -> object:
        """The value of one cue for this span (computed once)."""
        if name not in self._values:
            self._values[name] = CUE_FUNCTIONS[name](self)
        return self._values[name]


# --------------------------------------------------------------------------- the cues


def title_before(fs: FieldState, t0: int) -> str:
    """The title word right before a name in the same sentence ("President Assad"), "" when
    none: in "his former boss. Meadows insisted" the title ends the sentence before."""
    before = fs.nt.token_before(t0)
    if before not in TITLE_WORDS:
        return ""
    head = fs.text[: fs.nt.orig_start(t0)].rstrip(" \"'\u201c\u2018(")
    if head[-1:] in ".!?;:\n" and not (head[-1:] == "." and before in TITLE_ABBREVIATIONS):
        return ""
    return before


def country_before(fi: int, fs: FieldState, t0: int, country_ends: dict[tuple[int, int], str]) -> str:
    """The country named right before a name ("North Korea's Kim", "Russia's Wagner"), or
    before the title in front of it ("North Korean leader Kim"); "" when none."""
    if not country_ends:
        return ""
    pos = t0 - 1
    for _ in range(2):
        code = country_ends.get((fi, pos))
        if code:
            return code
        before = fs.nt.token_before(pos + 1)
        if before != "s" and before not in TITLE_WORDS:
            return ""
        pos -= len(before) + 1
    return country_ends.get((fi, pos), "")


def vessel_before(nt: NormText, t0: int) -> bool:
    """A vessel word among the three tokens before a name ("the tanker Ocean Star", "M/V Forest");
    a lone "v" is no "M/V" ("Newcastle v Nottingham Forest")."""
    for back in (1, 2, 3):
        word = nt.token_before(t0, back)
        if word in VESSEL_WORDS or (word == "v" and nt.token_before(t0, back + 1) == "m"):
            return True
    return False


def org_context(article: Article, fi: int, t0: int, t1: int) -> bool:
    """An organisation word right after the short name (or after its possessive), or "PMC"
    before it: "Wagner fighters", "Wagner's chief", "PMC Wagner"; or mercenary language anywhere
    in the same field ("Wagner revolt", "Russian mercenaries"), or in the other half of the lead
    for a name in it (headline "Wagner could pose as migrants", text "Russian mercenaries are ...")."""
    fs = article.fields[fi]
    assert fs is not None
    after = fs.nt.token_after(t1)
    if after == "s":
        after = fs.nt.token_after(fs.nt.token_end(t1 + 1))
    if after in ORG_CONTEXT or fs.nt.token_before(t0) in ORG_WORDS_BEFORE:
        return True
    padded = fs.nt.padded
    if any(word in padded for word in ORG_FIELD_NEEDLES):
        return True
    if not article.in_lead(fi, t0):
        return False
    partner = article.lead_partner(fi)
    return any(word in partner for word in ORG_FIELD_NEEDLES)


def sentence_place(article: Article, fi: int, t0: int, ents: Iterable[int]) -> str:
    """A sanctioned jurisdiction named in the same sentence that is the country of one of the
    entities ("Putin met with Prigozhin days after the Russian mutiny"), or for a name in the lead
    anywhere in the lead (headline "Kim arrives in Russia", text "North Korean leader's visit ...");
    "" when none."""
    country_ends = article.country_ends
    codes = {code for code in country_ends.values() if code in SANCTIONED_JURISDICTIONS}
    if not codes:
        return ""
    theirs: set[str] = set()
    for ent in ents:
        theirs |= article.index.entity_countries(ent) & codes
    if not theirs:
        return ""
    fs = article.fields[fi]
    assert fs is not None
    sentence = fs.sentence_of(t0)
    lead = article.in_lead(fi, t0)
    for (cfi, c1), code in country_ends.items():
        if code in theirs and ((cfi == fi and fs.sentence_of(c1 - 1) == sentence)
                               or (lead and article.in_lead(cfi, c1 - 1))):
            return code
    return ""


def proper_owners(span: Span) -> frozenset[int]:
    """The organisations a name of everyday words names when the text writes it as a name ("a
    local Islamic State affiliate", not "an Islamic state"): each of two or more content words
    capitalised, in running text (no Title Case headline, no quoted title), and one organisation
    a list (a name two organisations of one list share names neither). Every country has a
    "Ministry of Defence": an organisation of a country needs that country in the same sentence,
    and no other one right before the name ("Japan's Ministry of Defense")."""
    index, fs = span.article.index, span.fs
    props = {index.form_entity[f] for f in span.fids if f in index.proper_fids}
    if not props or fs.title_case:
        return frozenset()
    datasets = [index.entities[e].dataset for e in props]
    if len(set(datasets)) < len(datasets):
        return frozenset()
    o0, o1 = fs.nt.orig_span(span.t0, span.t1)
    words = [w for w in WORD.findall(fs.text[o0:o1]) if w.casefold() not in NAME_LINKS]
    if len(words) < 2 or not all(w[0].isupper() for w in words) or title_case_run(fs.text[:o0]):
        return frozenset()
    if NAME_GOES_ON.match(fs.text, o1):
        return frozenset()  # "the Islamic State of Khorasan": a longer name, another group
    before = span.cue("country_before")
    return frozenset(e for e in props if not index.entity_countries(e) or (
        sentence_place(span.article, span.fi, span.t0, [e])
        and (not before or before in index.entity_countries(e))))


def _distinct(span: Span) -> frozenset[int]:
    index = span.article.index
    return frozenset(index.form_entity[f] for f in span.fids if index.form_kind[f] == DISTINCT)


def _linked(span: Span) -> frozenset[int]:
    """Short names of an entity the lists link to one named in full: a surname English hardly
    uses or an organisation's short name ("Utkin", "Wagner"), no everyday word."""
    related = span.article.related
    if not related:
        return frozenset()
    return frozenset(e for e in span.rare_entities() if e in related)


def _full_in_text(span: Span) -> frozenset[int]:
    """A headline's bare surname: the entities the text names in full."""
    if span.fi != 0:
        return frozenset()
    return frozenset(e for e in span.entities() if e in span.article.named_in_text)


@dataclass(frozen=True)
class Prominent:
    """One row of resources/prominence.yaml, as the cue reads it."""

    entity_ids: frozenset[str]
    countries: frozenset[str]  # empty: the form names its party alone
    protect: frozenset[str]


def _load_prominent() -> dict[str, Prominent]:
    """The table by bare form, each form also as every language's transcription writes it
    (kadyrov: Kadyrow, Kadirov), so that the cue reads the news of every language alike."""
    table: dict[str, Prominent] = {}
    for row in resources.load("prominence")["entries"]:
        countries = frozenset(row["country"]) if row["decision"] == "with_country" else frozenset()
        table[row["form"]] = Prominent(frozenset(row["entities"]), countries, frozenset(row.get("protect", ())))
    for form, row in list(table.items()):
        for key in transcriptions(form):
            table.setdefault(key, row)
    return table


PROMINENT = _load_prominent()
_WORD_BEFORE = re.compile(r"([^\W\d_][\w'-]*)[ ]$")
_WORD_AFTER = re.compile(r"[ ]([^\W\d_][\w'-]*)")


def _read(word: str) -> str:
    """A word as the matcher reads it (Даниил -> daniil), for the word lists the cues consult."""
    return word.casefold() if word.isascii() else normalise_name(word)


def _prominent(span: Span) -> frozenset[int]:
    """A bare form the news uses for one listed party, from resources/prominence.yaml (derived by
    scripts/derive_prominence.py): "Putin", "Lukashenko" alone; "Kim" only with North Korea in the
    sentence. Written capitalised, and not after another person's given name ("Andrey
    Medvedev", in running text) or next to a word the table protects ("Kim Kardashian")."""
    fs, index = span.fs, span.article.index
    # the form as the matcher reads it (Медведева -> medvedev, Kadyrow), so every script and
    # every case form meets the table (its forms are single folded words); looked up before the
    # original text is, since most weak spans are not in it
    row = PROMINENT.get(fs.nt.padded[span.t0:span.t1].strip())
    if row is None:
        return frozenset()
    o0, o1 = fs.nt.orig_span(span.t0, span.t1)
    surface = fs.text[o0:o1]
    if surface[:1].upper() != surface[:1]:
        return frozenset()  # written in lower case; a script without capitals (Arabic, Hangul) passes
    before = _WORD_BEFORE.search(fs.text, max(0, o0 - 40), o0)
    after = _WORD_AFTER.match(fs.text, o1)
    for near in (before, after):
        word = _read(near.group(1)) if near else ""
        if word in row.protect or (near is after and word in RELATIVE_WORDS):
            return frozenset()  # "Kim Kardashian", "Assad cousins"
    if before and not fs.title_case:
        word = before.group(1)
        if word[:1].isupper() and _read(word) in index.given_names and _read(word) not in TITLE_WORDS:
            return frozenset()  # "Andrey Medvedev", "Даниил Медведев": someone else's full name
    ents = [e for e in span.entities() if index.entities[e].entity_id in row.entity_ids]
    if not ents:
        return frozenset()
    if row.countries:
        code = str(span.cue("country_before")) or sentence_place(span.article, span.fi, span.t0, ents)
        if code not in row.countries:
            return frozenset()
    return frozenset(ents)


def _country_before(span: Span) -> str:
    return country_before(span.fi, span.fs, span.t0, span.article.country_ends)


def _country_possessive(span: Span) -> str:
    """A country owning the name: "Syria's Assad", "Russia's Wagner". A country written right
    before the name is an adjective, not support ("Yemen Houthi rebels", "Russian Shoigu"); with a
    title between ("North Korean leader Kim") the title supports it."""
    if span.fs.nt.token_before(span.t0) != "s":
        return ""
    return str(span.cue("country_before"))


def _place_in_sentence(span: Span) -> str:
    rare = span.rare_entities()
    return sentence_place(span.article, span.fi, span.t0, rare) if rare else ""


CUE_FUNCTIONS: dict[str, Callable[[Span], object]] = {
    "full_in_text": _full_in_text,
    "distinct": _distinct,
    "linked": _linked,
    "prominent": _prominent,
    "proper": proper_owners,
    "title": lambda span: title_before(span.fs, span.t0),
    "country_before": _country_before,  # not support itself: the country that narrows namesakes
    "country": _country_possessive,
    "org_context": lambda span: org_context(span.article, span.fi, span.t0, span.t1),
    "sentence_place": _place_in_sentence,
    "vessel_word": lambda span: vessel_before(span.fs.nt, span.t0),
}


@dataclass(frozen=True)
class Cue:
    """One row of the support table."""

    name: str  # a key of CUE_FUNCTIONS, or "mentioned" (an earlier mention, known only in order)
    kinds: frozenset[int]  # the form kinds it supports
    factor: float  # confidence = the form's confidence times this
    choose: str  # "latest", "full", "own" or "namesake" (see the module docstring)


_ALL_WEAK = frozenset({WEAK, SURNAME, VESSEL, DISTINCT, ORGSHORT, 0, 1})  # 0, 1: namesakes' full names
_PEOPLE = frozenset({SURNAME, DISTINCT})

# The support table, tried in this order: the first row that supports a span decides it.
CUES: tuple[Cue, ...] = (
    Cue("mentioned", _ALL_WEAK, FACTOR_MENTIONED, "latest"),  # "Shoigu ... Shoigu said"
    Cue("full_in_text", _ALL_WEAK, FACTOR_MENTIONED, "full"),  # headline "Putin", text "Vladimir Putin"
    Cue("distinct", frozenset({DISTINCT}), FACTOR_DISTINCT, "own"),  # "Putin": one person, no English word
    Cue("linked", frozenset({SURNAME, DISTINCT, ORGSHORT}), FACTOR_LINKED, "own"),  # "Utkin" -> "Wagner"
    Cue("proper", frozenset({WEAK}), FACTOR_PROPER, "own"),  # "an Islamic State affiliate"
    Cue("title", _PEOPLE, FACTOR_CONTEXT, "namesake"),  # "President Assad", "Gen. Kim"
    Cue("country", _PEOPLE | {ORGSHORT}, FACTOR_CONTEXT, "namesake"),  # "North Korea's Kim", "Russia's Wagner"
    Cue("org_context", frozenset({ORGSHORT}), FACTOR_CONTEXT, "namesake"),  # "Wagner fighters", "PMC Wagner"
    Cue("sentence_place", _PEOPLE | {ORGSHORT}, FACTOR_CONTEXT, "namesake"),  # "Prigozhin ... Russian mutiny"
    Cue("prominent", frozenset({WEAK, SURNAME, DISTINCT, ORGSHORT}), FACTOR_PROMINENT, "own"),  # "Lukashenko"
    Cue("vessel_word", frozenset({VESSEL}), FACTOR_CONTEXT, "namesake"),  # "the tanker Ocean Star"
)
CUE_BY_NAME = {cue.name: cue for cue in CUES}


def static_support(span: Span) -> list[Cue]:
    """The rows (all but "mentioned") that support a span, in table order; each cue evaluated
    at most once, and only for the kinds of form the span has."""
    kinds = span.kinds
    return [row for row in CUES[1:] if not kinds.isdisjoint(row.kinds) and span.cue(row.name)]


__all__ = ["CUES", "CUE_BY_NAME", "CUE_FUNCTIONS", "Article", "Cue", "Span", "static_support"]
