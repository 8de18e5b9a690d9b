"""Entity mentions from alias-form hits: strong spans first, then longest; weak forms (bare
surnames, vessel names, short and everyday-word aliases) only where a declared cue supports them
(`monitor.matching.cues`), and never where the article gives the name to someone else.

Order of work per article: split spans into strong and weak (a name shared by too many listed
people is weak); evaluate the cues of each weak span once (`cues.static_support`); keep the
longest of overlapping spans among the strong and the supported; then walk the kept spans in
text order and decide each weak one by the first row of `cues.CUES` that supports it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from rapidfuzz import fuzz

from monitor import resources
from monitor.matching.aliasforms import CAPS, DISTINCT, ORGSHORT, STRONG, SURNAME, WEAK, is_person
from monitor.matching.cues import CUE_BY_NAME, Article, Cue, Span, static_support
from monitor.matching.fields import FieldState, Occ, title_case_run
from monitor.matching.index import CompiledIndex
from monitor.matching.normalise import normalise_name
from monitor.matching.tuning import (
    CONF_LISTED,
    FULLER_LISTING_RATIO,
    MAX_NAMESAKES,
    OWN_FIRST_NAME_RATIO,
)
from monitor.matching.words import ATTRIBUTIVE_PREFIXES, HEAD_CONTEXT, HEAD_TITLES, NAMESAKE_WORDS, TITLE_WORDS

# a surname written with a lower-case Arabic article is still a name ("Syria's al-Assad")
_ARTICLE_NAME = re.compile(r"(?:al|el)[-\u2010 ][A-Z]")
# a short capitalised word after a two-word name carries it on ("Kim Jong Il"); a combining mark
# after its letters (a decomposed text: "Bag\u0306dat" is Bağdat) means the word goes on
_NAME_GOES_ON = re.compile(r" [A-Z][a-z]{0,2}\b(?![.'\u2019\u0300-\u036f])")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
# the last letters of a Russian or Ukrainian given name in an oblique case (languages.yaml)
_OBLIQUE_LAST_LETTERS = frozenset(resources.mapping("languages", "inflection")["cyrillic_oblique_last_letters"])
_PEOPLE = frozenset({SURNAME, DISTINCT})
_SURNAME_LIKE = frozenset({SURNAME, DISTINCT, ORGSHORT})


_WORD_BEFORE = re.compile(r"([^\W\d_][\w'-]*)[ ]$")
# a name joined to one of these is a modifier ("anti-Putin Telegram blogger"), not a longer name
_ATTRIBUTIVE = re.compile(rf"\b(?:{'|'.join(sorted(ATTRIBUTIVE_PREFIXES))})[-\u2010]$", re.IGNORECASE)


@dataclass(frozen=True)
class Mention:
    """One entity mentioned at one span of one field."""

    entity: int
    field: int
    t0: int
    t1: int
    start: int
    end: int
    matched: str
    confidence: float


class Resolver:
    """Resolves the form hits of one article against one index."""

    def __init__(self, index: CompiledIndex) -> None:
        self.index = index

    def resolve(self, fields: list[FieldState | None], form_hits: dict[Occ, list[int]],
                country_hits: dict[str, list[Occ]] | None = None) -> list[Mention]:
        """Entity mentions from alias-form hits (see the module docstring)."""
        if not form_hits:
            return []
        index = self.index
        form_entity, form_kind = index.form_entity, index.form_kind
        country_ends: dict[tuple[int, int], str] = {}
        for code, occs in (country_hits or {}).items():
            if not code.startswith("?"):
                for cfi, _c0, c1 in occs:
                    country_ends[(cfi, c1)] = code
        strong_span: dict[Occ, bool] = {}
        weak_spans: list[Occ] = []
        for sp, fids in form_hits.items():
            strong_ents = {form_entity[f] for f in fids if form_kind[f] <= CAPS}
            # a name shared by many listed people ("Muhammad Ali") identifies none of them
            owners = self._short_form_owners(fids, strong_ents) if 0 < len(strong_ents) <= MAX_NAMESAKES else None
            if owners is not None:
                if len(owners) < len(fids):
                    form_hits[sp] = owners
                strong_span[sp] = True
            else:
                weak_spans.append(sp)
        named = {form_entity[f] for sp in strong_span for f in form_hits[sp] if form_kind[f] <= CAPS}
        related: set[int] = set()
        for ent in named:
            related |= index.related.get(ent, frozenset())
        article = Article(index, fields, country_ends, named, related,
                          {form_entity[f] for sp in strong_span if sp[0] == 1 for f in form_hits[sp]
                           if form_kind[f] <= CAPS})
        support: dict[Occ, Span] = {}
        rows: dict[Occ, list[Cue]] = {}
        if weak_spans:
            # most weak hits are everyday surnames with no support anywhere: the cues of each are
            # evaluated once, cheapest facts first; a span of an entity named elsewhere in the
            # article is kept for its earlier mention (decided in text order below)
            pending: list[Occ] = []
            mentioned = set(named)
            for sp in weak_spans:
                span = Span(article, sp[0], sp[1], sp[2], form_hits[sp])
                support[sp] = span
                rows[sp] = found = static_support(span)
                if found:
                    strong_span[sp] = False
                    mentioned.update(span.entities())
                else:
                    pending.append(sp)
            for sp in pending:
                if not mentioned.isdisjoint(support[sp].entities()):
                    strong_span[sp] = False
        # a namesake's name ("배우 김정은") is hers wherever the article repeats it
        namesakes = {self._text(fields, sp) for sp in strong_span
                     if self._namesake_word_before(fields, sp, form_hits[sp])}
        for sp in [sp for sp in strong_span if namesakes and self._text(fields, sp) in namesakes]:
            del strong_span[sp]
        if not strong_span:
            return []
        kept = self._longest(strong_span)
        # entities named in full by a span that survived (not "Kim Jong" inside "Kim Jong Un")
        survivors = {form_entity[f] for sp in kept if strong_span[sp] for f in form_hits[sp] if form_kind[f] <= CAPS}
        someone_else = self._namesakes_named(fields, kept, strong_span, form_hits, country_ends) - survivors
        # where a country or another name that names its party alone (a full name, "Putin") starts
        # or ends (a token start is never a token end): the word there does not carry a bare name
        # on; two names that each need context ("Iyad Allawi") are one person's
        name_starts = {(sp[0], sp[i]) for sp in kept
                       if strong_span[sp] or any(row.choose == "own" for row in rows.get(sp, ())) for i in (1, 2)}
        for code, occs in (country_hits or {}).items():
            if not code.startswith("?"):
                name_starts.update((cfi, c) for cfi, c0, c1 in occs for c in (c0, c1))
        last_seen: dict[int, tuple[int, int]] = {}
        mentions: list[Mention] = []
        for sp in kept:
            chosen = self._mention(sp, fields, form_hits[sp], strong_span[sp], support.get(sp), rows.get(sp, []),
                                   last_seen, someone_else, survivors, set(country_ends.values()), name_starts)
            for ent, conf, o0, o1, surface in chosen:
                mentions.append(Mention(ent, sp[0], sp[1], sp[2], o0, o1, surface, conf))
                last_seen[ent] = (sp[0], sp[1])
        return mentions

    @staticmethod
    def _text(fields: list[FieldState | None], sp: Occ) -> str:
        fs = fields[sp[0]]
        assert fs is not None
        return " ".join(fs.nt.padded[sp[1]:sp[2]].split())

    def _namesake_word_before(self, fields: list[FieldState | None], sp: Occ, fids: list[int]) -> bool:
        """A person's name right after a word that makes it a namesake's ("배우 김정은": the
        actress; "tennis player Daniil Medvedev")."""
        fs = fields[sp[0]]
        assert fs is not None
        o0 = fs.nt.orig_start(sp[1])
        before = _WORD_BEFORE.search(fs.text, max(0, o0 - 40), o0)
        if before is None:
            return False
        word = before.group(1)
        if (word.casefold() if word.isascii() else normalise_name(word)) not in NAMESAKE_WORDS:
            return False
        entities, form_entity = self.index.entities, self.index.form_entity
        return all(is_person(entities[form_entity[f]].schema) for f in fids)

    @staticmethod
    def _longest(strong_span: dict[Occ, bool]) -> list[Occ]:
        """Strong spans first, then the longest: overlapping spans lose to the one kept first."""
        spans = sorted(strong_span, key=lambda sp: (not strong_span[sp], sp[1] - sp[2], sp[0], sp[1]))
        kept: list[Occ] = []
        taken: dict[int, tuple[list[int], list[int]]] = {}
        for sp in spans:
            fi, t0, t1 = sp
            starts, ends = taken.setdefault(fi, ([], []))
            # kept spans are disjoint and sorted: only the last one starting before t1 can overlap
            i = bisect_right(starts, t1 - 1) - 1
            if i >= 0 and ends[i] > t0:
                continue
            starts.insert(i + 1, t0)
            ends.insert(i + 1, t1)
            kept.append(sp)
        kept.sort()
        return kept

    def _mention(self, sp: Occ, fields: list[FieldState | None], fids: list[int], strong_span: bool,
                 span: Span | None, rows: list[Cue], last_seen: dict[int, tuple[int, int]], someone_else: set[int],
                 named: set[int], context_countries: set[str],
                 name_starts: set[tuple[int, int]]) -> list[tuple[int, float, int, int, str]]:
        """The (entity, confidence, start, end, surface) mentioned at one kept span."""
        index = self.index
        form_entity, form_kind, form_conf = index.form_entity, index.form_kind, index.form_conf
        fi, t0, t1 = sp
        fs = fields[fi]
        assert fs is not None
        earlier = not strong_span and any(form_entity[f] in last_seen for f in fids)
        if not strong_span and not earlier and not rows:
            return []  # kept only for a mention that comes later in the text
        o0, o1 = fs.nt.orig_span(t0, t1)
        surface = fs.text[o0:o1]
        strong: dict[int, float] = {}
        weak: dict[int, tuple[int, float]] = {}
        for fid in fids:
            ent = form_entity[fid]
            kind = form_kind[fid]
            conf = form_conf[fid]
            if fid in index.country_bound and index.entity_countries(ent).isdisjoint(context_countries):
                continue
            if not strong_span and kind <= CAPS:
                kind = WEAK  # a strong form demoted for too many namesakes
            if kind == STRONG or (kind == CAPS and surface.isupper() and len(surface) >= 3):
                strong[ent] = max(strong.get(ent, 0.0), conf)
            else:
                prev = weak.get(ent)
                if prev is None or prev[0] > kind:
                    weak[ent] = (kind, conf)
        if strong and not fs.title_case and _NAME_GOES_ON.match(fs.text, o1) and surface.count(" ") == 1:
            # "Kim Jong" of "Kim Jong Il": the name in the text is longer than the listed one
            strong = {}
        chosen = dict(strong)
        picked = -1
        if weak and not strong and surface[:1] and (not surface[:1].islower() or _ARTICLE_NAME.match(surface)):
            # a bare surname, possibly also a weak alias of someone ("Karim" of "KARIM, Jamil
            # Abdul" and of a weak alias): next to another capitalised name it is someone else's
            weak_kinds = {k for k, _ in weak.values()}
            surname_only = bool(weak_kinds & _SURNAME_LIKE) and weak_kinds <= _SURNAME_LIKE | {WEAK}
            if surname_only and someone_else:
                weak = {e: v for e, v in weak.items() if e not in someone_else or e in last_seen}
            person = ORGSHORT not in weak_kinds
            key = fs.nt.padded[t0:t1].strip()
            if not (surname_only and self._capitalised_neighbour(fs, sp, o0, o1, name_starts, person, key)):
                picked = self._choose(weak, chosen, span, rows, last_seen, named, context_countries, fi)
        for ent in [e for e in chosen if e in index.links and e == picked]:
            for own in index.links[ent]:  # the curated person's own entry on the lists
                chosen.setdefault(own, chosen[ent])
        return [(ent, conf, o0, o1, surface) for ent, conf in chosen.items()]

    def _choose(self, weak: dict[int, tuple[int, float]], chosen: dict[int, float], span: Span | None,
                rows: list[Cue], last_seen: dict[int, tuple[int, int]], named: set[int],
                context_countries: set[str], fi: int) -> int:
        """Fill `chosen` from the weak forms by the first supporting row of the cue table; the
        namesake picked by context (-1 when none)."""
        seen = [(last_seen[e], e) for e in weak if e in last_seen]
        if seen:
            latest = max(seen)[0]
            for pos, ent in seen:
                if pos == latest:  # the person named last (on every list that named them there)
                    chosen[ent] = weak[ent][1] * CUE_BY_NAME["mentioned"].factor
            return -1
        if span is None:
            return -1
        context = [row for row in rows if row.choose == "namesake"]
        for row in rows:
            if row.choose == "namesake":
                break
            if row.choose == "own":
                own = span.cue(row.name)
                assert isinstance(own, frozenset)
                hits = [e for e, (kind, _c) in weak.items() if e in own and kind in row.kinds]
            else:  # "full": a headline's bare surname, the person the text names in full
                hits = [e for e in weak if e in named] if fi == 0 else []
            if hits:
                for ent in hits:
                    chosen[ent] = weak[ent][1] * row.factor
                return -1
        if not context or not weak:
            return -1
        return self._pick_by_context(weak, chosen, span, context, context_countries)

    def _pick_by_context(self, weak: dict[int, tuple[int, float]], chosen: dict[int, float], span: Span,
                         context: list[Cue], context_countries: set[str]) -> int:
        """The one namesake a title, a country, an organisation or a vessel word names."""
        index = self.index
        kinds = span.kinds
        title = str(span.cue("title"))
        place = near_place = str(span.cue("country_before"))
        titled = bool(kinds & _PEOPLE) and bool(title or place)
        org_word = ORGSHORT in kinds and (bool(place) or bool(span.cue("org_context")))
        if not (titled or org_word) and span.rare_entities():
            place = str(span.cue("sentence_place"))
        # "President Assad", "Syria's al-Assad": the one listed as head of state
        head = title in HEAD_CONTEXT or (not title and bool(near_place))
        ent = self._pick_namesake(weak, place, context_countries, head)
        if ent >= 0 and title in HEAD_TITLES and not index.head_of(ent, place):
            return -1  # "Taiwanese President Tsai": no state's leader on the lists
        if ent < 0:
            return -1
        kind, conf = weak[ent]
        if any(kind in row.kinds for row in context):
            chosen[ent] = conf * max(row.factor for row in context if kind in row.kinds)
        return ent

    def _capitalised_neighbour(self, fs: FieldState, sp: Occ, o0: int, o1: int,
                               name_starts: set[tuple[int, int]], person: bool, key: str = "") -> bool:
        """True when a capitalised word that is not a title sits right next to a bare surname
        ("Kim Kardashian", "Edward Wong"): then it is someone else's name. A headline in Title
        Case says nothing by its capitals ("Desperate Putin Empties Museums"). A Cyrillic surname
        in an oblique case (its ending cut to meet `key`) ends its own name: the capitalised word
        after it starts the next one ("прессекретар Путіна Дмитро Пєсков"), and a word before it
        is its first name only in an oblique case too, as a given name agrees with its surname
        ("Даниила Медведева"; not "Пресс-секретарь Путина", "Помощник Путина")."""
        if fs.title_case:
            return False
        text = fs.text
        if key and _CYRILLIC.match(text, o0):
            end = o1
            while end < len(text) and text[end].isalpha():
                end += 1
            if len(normalise_name(text[o0:end])) > len(key):
                return self._first_name_before(text, o0)[-1:].lower() in _OBLIQUE_LAST_LETTERS
        if o1 + 1 < len(text) and text[o1] in "-\u2010" and text[o1 + 1].isupper():
            k = o1 + 1
            while k < len(text) and text[k].isalpha():
                k += 1
            # "Putin-Erdogan talks", "Kim-Putin summit": two names joined before a lower-case
            # noun are two people; "Jean-Francois", "Hans-Werner Sinn": the name goes on
            if not (k + 1 < len(text) and text[k] == " " and text[k + 1].islower()):
                return True
        j = o1
        while j < len(text) and text[j] == " ":
            j += 1
        if j > o1 and j < len(text) and text[j].isupper() and not self._other_name_after(fs, sp, text, j, name_starts):
            return True
        # "Is Prigozhin Putin's latest victim?": the word before ends another name
        return (sp[0], sp[1] - 1) not in name_starts and bool(self._first_name_before(text, o0, person))

    @staticmethod
    def _other_name_after(fs: FieldState, sp: Occ, text: str, j: int, name_starts: set[tuple[int, int]]) -> bool:
        """True when the capitalised word after a bare name does not carry the name on: it starts
        a country or another name the article names ("Kim pledges Putin North Korea's support",
        "Is Prigozhin Putin's latest victim?"), it is a title ("Wagner Chief Yevgeny Prigozhin"),
        or the name is a modifier ("anti-Putin Telegram blogger")."""
        fi, t0, t1 = sp
        if (fi, t1 + 1) in name_starts:
            return True
        k = j
        while k < len(text) and text[k].isalpha():
            k += 1
        if text[j:k].casefold() in TITLE_WORDS:
            return True
        return bool(_ATTRIBUTIVE.search(text, max(0, fs.nt.orig_start(t0) - 8), fs.nt.orig_start(t0)))

    def _first_name_before(self, text: str, o0: int, person: bool = False) -> str:
        """The capitalised word right before a bare surname when it reads as a first name
        ("Anna Shoigu", "Mahsa Amini"): not a title, a possessive, or an everyday word opening
        a sentence ("Yesterday Shoigu"; before a person's surname, any everyday word that is no
        listed person's given name: "Desperate Putin"); "" otherwise."""
        if o0 >= 3 and text[o0 - 1] in "-\u2010" and text[o0 - 3:o0 - 1].casefold() in ("al", "el") and (
                o0 == 3 or not text[o0 - 4].isalpha()):
            return self._first_name_before(text, o0 - 3, person)  # "Nabil Al-Nashar": past the article
        i = o0
        while i > 0 and text[i - 1] == " ":
            i -= 1
        if i < o0 and i > 0 and text[i - 1].isalpha():
            k = i
            while k > 0 and (text[k - 1].isalpha() or text[k - 1] in ".'-\u2019"):
                k -= 1
            word = text[k:i]
            if word.casefold() in ("al", "el"):
                # the Arabic article belongs to the surname: "Nabil Al-Nashar", "Bashar al Assad"
                return self._first_name_before(text, k, person)
            if word.endswith(("'s", "\u2019s")):
                return ""  # "Russia's Shoigu", "Putin's Wagner": a possessive, not a first name
            if word[:1].isupper() and normalise_name(word) not in TITLE_WORDS:
                before = text[:k].rstrip(" \"'\u201c\u2018(")
                sentence_start = not before or before[-1] in ".!?\n:;"
                # at a sentence start a capital says nothing, unless the word is no everyday one
                # ("Anna Shoigu" is someone else, "Yesterday Shoigu" is not); before a person's
                # surname an everyday word that no listed person bears as a given name is no first
                # name ("Desperate Putin", "Jailed Putin critic"; "Richard Wagner" is the composer)
                folded = word.lower()
                everyday = folded in self.index.sentence_words or (
                    person and folded in self.index.everyday_words
                    and normalise_name(word) not in self.index.given_names)
                if not sentence_start or not everyday:
                    return word
        return ""

    def _namesakes_named(self, fields: list[FieldState | None], kept: list[Occ], strong_span: dict[Occ, bool],
                         form_hits: dict[Occ, list[int]], country_ends: dict[tuple[int, int], str]) -> set[int]:
        """Listed people whose surname the article gives to someone else with another first name
        ("Mahsa Amini" is not AMINI, Hossein Hafez): their bare surname elsewhere in the article
        ("Amini's death anniversary") is that other person's. A first name close to one of the
        listed person's own ("Yevgency Prigozhin") is a typo, not someone else."""
        out: set[int] = set()
        form_entity, form_kind = self.index.form_entity, self.index.form_kind
        name_ends: set[tuple[int, int]] | None = None
        for sp in kept:
            if strong_span[sp]:
                continue
            fi, t0, _t1 = sp
            fs = fields[fi]
            assert fs is not None
            if fs.title_case or (fi, t0 - 1) in country_ends:
                continue
            ents = {form_entity[f] for f in form_hits[sp] if form_kind[f] in (SURNAME, DISTINCT)}
            if not ents:
                continue
            o0 = fs.nt.orig_start(t0)
            word = self._first_name_before(fs.text, o0)
            if not word:
                continue
            if word.isupper() or not all(part[:1].isupper() for part in word.split("-")):
                continue  # "How CAN Putin be arrested", "Shakey-looking Putin": no first names
            first = normalise_name(word)
            head = fs.text[:fs.text.rfind(word, 0, o0)]
            if title_case_run(head):
                continue  # a headline quoted in the text ("...Tribunal to Prosecute Putin's Aggression")
            opening = head.rstrip(" \"'\u201c\u2018(")[-1:] in ("", ".", "!", "?", ":", "\n")
            # a capital opening a sentence may be any word ("Fears Putin is about to..."): only a
            # word English does not use is a first name there ("Andrei Averyanov, the general");
            # inside a sentence, a word English uses less ("But Bernie Mandic said") or a listed
            # person's given name ("Anna"), not an everyday word ("The Truth About Putin's War")
            if first in (self.index.everyday_words if opening else self.index.distinct_words) and (
                    opening or first not in self.index.given_names):
                continue
            if name_ends is None:
                name_ends = {(f, e) for f, _s, e in form_hits}
            if (fi, t0 - 1) in name_ends:
                continue  # another listed name ("Is Prigozhin Putin's latest victim?")
            for ent in ents:
                own = normalise_name(self.index.entities[ent].caption).split()
                if not any(fuzz.ratio(first, name) >= OWN_FIRST_NAME_RATIO for name in own):
                    out.add(ent)
        return out

    def _short_form_owners(self, fids: list[int], ents: set[int]) -> list[int] | None:
        """The form ids a shortened form (first given name and surname, middle names or a second
        surname left out) stands for. When it belongs to two listed people who are not the same
        person on two lists ("Jose Lopez", "Mohammed Ali") it identifies neither (None), unless one
        of them lost fewer words to it ("Nicolas Maduro": MADURO MOROS, Nicolas before MADURO
        GUERRA, Nicolas Ernesto): then that one (and the same person on other lists). Any name,
        full or short, that two people of one list share at their best ("'ALI, Muhammad" twice)
        identifies neither: one list does not hold one person twice."""
        conf, kind, entity = self.index.form_conf, self.index.form_kind, self.index.form_entity
        if len(ents) < 2:
            return fids
        best: dict[int, float] = {}
        for f in fids:
            if kind[f] <= CAPS:
                best[entity[f]] = max(best.get(entity[f], 0.0), conf[f])
        top_conf = max(best.values())
        tied = [self.index.entities[e].dataset for e, c in best.items() if c >= top_conf
                and is_person(self.index.entities[e].schema)]
        if len(set(tied)) < len(tied):
            # two people of one list named that way ("'ALI, Muhammad" twice): neither (two
            # companies of one list sharing a name are a group and its branch: "Sberbank")
            return None
        if top_conf >= CONF_LISTED:
            return fids
        names = {e: frozenset(normalise_name(self.index.entities[e].caption).split()) for e in ents}
        order = list(names.values())
        if all(a <= b or b <= a for i, a in enumerate(order) for b in order[i + 1:]):
            return fids
        top = max(best, key=best.__getitem__)
        same = {e for e in ents if names[e] <= names[top] or names[top] <= names[e]}
        if any(best[e] >= best[top] for e in ents if e not in same):
            return None
        return [f for f in fids if entity[f] in same]

    def _pick_namesake(self, weak: dict[int, tuple[int, float]], place: str, countries: set[str],
                       head: bool = False) -> int:
        """Which listed person a title-supported surname names (-1: none). A country named right
        before the name rules out namesakes of other countries ("North Korean leader Kim" is no
        Kim of Vietnam); of the rest, a person on the curated watch list from a country the article
        names (the one listed with the most names when several are), else the one listed far more
        fully than the namesakes (Prigozhin the father, not the son)."""
        index = self.index
        cands = list(weak)
        if place:
            cands = [e for e in cands if not index.entity_countries(e) or place in index.entity_countries(e)]
        wanted = {place} if place else countries
        curated = [e for e in cands if index.entities[e].curated and index.entity_countries(e) & wanted]
        if curated:
            top = sorted(((index.alias_counts[e], e) for e in curated), reverse=True)
            if len(top) == 1 or top[0][0] > top[1][0]:
                return top[0][1]
        if head:
            # a leader's title or country before the name: the one namesake the list gives a
            # head-of-state title (AL-ASSAD, Bashar among ten AL-ASSADs; the father Maduro, not the son)
            heads = [e for e in cands if index.entities[e].head]
            if len(heads) == 1:
                return heads[0]
        ranked = sorted(((index.alias_counts[e], e) for e in weak), reverse=True)
        if (len(ranked) == 1 or ranked[0][0] >= FULLER_LISTING_RATIO * ranked[1][0]) and ranked[0][1] in cands:
            return ranked[0][1]
        return -1
