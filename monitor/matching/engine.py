"""The matcher: every rule and every alias compiled into ONE Aho-Corasick automaton.

Build (once per rules/lists version): every surface form of every alias (aliasforms),
every term of every rule query and every country form becomes a key of a single
pyahocorasick automaton over normalised token strings. A key's value is an index into
flat arrays that say who owns it (an alias form, a rule term, a country) and whether a
match needs to end on a word boundary (a term with a trailing wildcard does not).

Scan (per article): normalise title and text, run the automaton once over each, keep
the hits that start (and, unless wildcard, end) on token boundaries, resolve entity
mentions (longest span wins, weak forms need support), then evaluate only the rules whose
required terms occurred (Luwak-style: each rule is indexed by a set of triggers, one of
which any matching article must contain). Evidence, score and explanation are built only
for rules that fire. No regex runs per rule and no I/O happens here.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import ahocorasick
import numpy as np
from rapidfuzz import fuzz
from wordfreq import word_frequency, zipf_frequency

from monitor import resources
from monitor.matching.aliasforms import (
    CAPS,
    DISTINCT,
    DISTINCT_TOP,
    EVERYDAY_TOP,
    ORGSHORT,
    STRONG,
    SURNAME,
    VESSEL,
    WEAK,
    entity_forms,
    given_names,
    group_by_entity,
    is_person,
)
from monitor.matching.countries import SANCTIONED_JURISDICTIONS, gazetteer
from monitor.matching.normalise import NormText, normalise_field, normalise_name, sentence_span, sentence_starts
from monitor.matching.query import And, Country, EntityPred, Near, Node, Not, Or, Term, parse_query, walk
from monitor.matching.types import (
    SEVERITY_RANK,
    AlertFinding,
    AliasSpec,
    ArticleInput,
    EntityFinding,
    Evidence,
    RuleSpec,
    ScanResult,
)
from monitor.matching.words import (
    FUNCTION_WORDS,
    HEAD_CONTEXT,
    HEAD_TITLES,
    NAME_LINKS,
    ORG_CONTEXT,
    ORG_FIELD_NEEDLES,
    TITLE_ABBREVIATIONS,
    TITLE_WORDS,
    VESSEL_WORDS,
    common_words,
)

# Datasets that are watch lists rather than sanctions lists (not `entity:sanctioned`).
NON_SANCTIONS_DATASETS = frozenset({"named_officials"})

_FORM, _TERM, _COUNTRY, _PART = 0, 1, 2, 3
_PREFIX = 4  # owner flag: no end-of-word check (trailing wildcard)
_MAX_OCC = 400  # occurrences kept per query node: bounds the cost of proximity on huge texts
_MAX_EVIDENCE = 5
# hits kept per term and alias spans kept per article: a megabyte of one repeated name must
# not keep a worker busy for seconds (real articles stay far below)
_MAX_HITS = 2000
_MAX_NAMESAKES = 3
_FIELDS = ("title", "text")
_SEVERITY_BASE = {"low": 0.35, "medium": 0.5, "high": 0.65, "critical": 0.8}
_SCHEMA_SYNONYMS = {"individual": "person", "organisation": "organization", "entity": "organization",
                    "company": "organization", "ship": "vessel"}

Occ = tuple[int, int, int]  # (field index, start, end) in the field's padded scan string
# one-typo tolerance: the long part of a two-part person name, the other part exact
_TYPO_MIN = 6  # letters of the listed part ("Shoigu" 6, "Prigozhin" 9)
_TYPO_MAX_CHECKS = 40  # name-part hits checked per article
_TYPO_ZIPF = 2.5  # only surnames English text hardly uses ("Shoigu" 1.6, "Yanukovych" 1.9; "Griffin" 3.7)
_RARE_NAME_ZIPF = 2.0  # "Prigozhin" 1.2, "Shoigu" 1.6; "Conte" 3.2, "Lopez" 3.8
# a surname English text (nearly) never uses, of one listed person, names them on its own ("Prigozhin
# and Putin: How a 25-year friendship turned ugly"); Zipf 1.5 keeps "Shoigu" (1.6) and "Kadyrov" out
_SOLO_ZIPF = 1.5
_SOLO_MIN = 6  # letters: short rare surnames are often another language's common ones ("Rim", "Jo")
# a title the list gives a head of state or government ("President of the Syrian Arab Republic";
# not "Vice President of ...", nor "Presidential Advisor")
_HEAD_LISTED = re.compile(r"(?:^|;)\s*(?:" + "|".join(map(re.escape, resources.ordered("titles", "listed_head_titles")))
                          + r")\b", re.IGNORECASE)
# a surname written with a lower-case Arabic article is still a name ("Syria's al-Assad")
_ARTICLE_NAME = re.compile(r"(?:al|el)[-\u2010 ][A-Z]")
_NAME_GOES_ON = re.compile(r" [A-Z][a-z]{0,2}\b(?![.'\u2019])")
_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")
_NAME_GOES_ON_OF = re.compile(r" (?:of|in) (?:the )?[A-Z]")


def _title_case_run(head: str) -> bool:
    """True when the three longer words before a point in its sentence are all capitalised: a
    title quoted in running text, whose capitals say nothing about names."""
    sentence = re.split(r"[.!?\n]\s", head[-80:])[-1]
    words = [w for w in _WORD.findall(sentence) if len(w) > 3][-3:]
    return len(words) == 3 and all(w[0].isupper() for w in words)


class _TermSet:
    """Compiled form of `a OR b OR "c d"` over plain terms: one lookup per term id."""

    __slots__ = ("field", "tids")

    def __init__(self, tids: tuple[int, ...], field: str | None) -> None:
        self.tids = tids
        self.field = field


@dataclass(frozen=True, slots=True)
class _Entity:
    entity_id: str
    dataset: str
    source_id: str
    caption: str
    schema: str
    programs: tuple[str, ...]
    countries: tuple[str, ...]
    head: bool = False  # listed with a head-of-state title

    @property
    def display_programs(self) -> str:
        return ", ".join(self.programs) if self.programs else self.dataset


@dataclass
class _Rule:
    spec: RuleSpec
    fn: Callable[[_Eval], list[Occ]]
    escalations: list[tuple[str, str, Callable[[_Eval], list[Occ]]]]
    term_ids: frozenset[int]
    entity_preds: list[EntityPred]


@dataclass(frozen=True)
class _Mention:
    entity: int
    field: int
    t0: int
    t1: int
    start: int
    end: int
    matched: str
    confidence: float


@dataclass
class _FieldState:
    text: str
    nt: NormText
    _starts: list[int] | None = None
    _sent_cache: dict[int, int] = field(default_factory=dict)
    _title_case: bool | None = None

    @property
    def title_case(self) -> bool:
        """True for a headline whose longer words are nearly all capitalised."""
        if self._title_case is None:
            words = [w for w in _WORD.findall(self.text) if len(w) > 3]
            self._title_case = len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)
        return self._title_case

    @property
    def sent_starts(self) -> list[int]:
        if self._starts is None:
            self._starts = sentence_starts(self.text)
        return self._starts

    def sentence_of(self, token: int) -> int:
        hit = self._sent_cache.get(token)
        if hit is None:
            hit = bisect_right(self.sent_starts, self.nt.orig_start(token)) - 1
            self._sent_cache[token] = hit
        return hit

    def sentence_bounds(self, index: int) -> tuple[int, int]:
        starts = self.sent_starts
        return sentence_span(self.text, starts, starts[index])


def _vessel_before(nt: NormText, t0: int) -> bool:
    """A vessel word among the three tokens before a name ("the tanker Ocean Star", "M/V Forest");
    a lone "v" is no "M/V" ("Newcastle v Nottingham Forest")."""
    for back in (1, 2, 3):
        word = nt.token_before(t0, back)
        if word in VESSEL_WORDS or (word == "v" and nt.token_before(t0, back + 1) == "m"):
            return True
    return False


def _schema_key(value: str) -> str:
    low = value.casefold()
    return _SCHEMA_SYNONYMS.get(low, low)


def _entity_predicate(pred: EntityPred) -> object:
    key, value = pred.key, pred.value
    if key == "any":
        return lambda e: True
    if key == "sanctioned":
        return lambda e: e.dataset not in NON_SANCTIONS_DATASETS
    if key == "dataset":
        return lambda e: e.dataset == value
    if key == "program":
        wanted = value.casefold()
        return lambda e: any(p.casefold() == wanted for p in e.programs)
    if key == "schema":
        wanted = _schema_key(value)
        return lambda e: _schema_key(e.schema) == wanted
    return lambda e: e.entity_id == value


class Matcher:
    """All rules and aliases of one version, compiled; `scan` matches one article."""

    def __init__(self) -> None:
        self._auto = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
        self._klen: array[int] = array("i")
        # owner code of each key; a key with several owners holds -1 and its codes in _multi
        self._owners: array[int] = array("q")
        self._multi: dict[int, tuple[int, ...]] = {}
        self._entities: list[_Entity] = []
        self._form_entity: array[int] = array("i")
        self._form_kind: array[int] = array("b")
        self._form_conf: array[float] = array("f")
        self._terms: list[tuple[tuple[str, ...], bool]] = []
        self._term_index: dict[tuple[tuple[str, ...], bool], int] = {}
        self._countries: list[tuple[str, bool]] = []
        self._rules: list[_Rule] = []
        self._triggers: dict[object, list[int]] = {}
        self._always: list[int] = []
        self._pred_cache: dict[EntityPred, object] = {}
        self._term_costs: dict[int, float] = {}
        self._alias_counts: array[int] = array("i")
        self._surnames: dict[str, list[int]] = {}
        # curated (watch-list) entity -> the sanctions entities sharing one of its full names
        self._links: dict[int, tuple[int, ...]] = {}
        # bare surnames that English text hardly uses ("Prigozhin", "Shoigu"): a sanctioned
        # country of theirs named in the same sentence supports them
        self._rare_fids: set[int] = set()
        self._proper_fids: set[int] = set()  # names of everyday words ("Islamic State"), see _written_as_name
        # deletion neighbourhood of listed surnames: hash("given variant") -> form id, sorted
        self._typo_hash: Any = array("q")  # an array while building, a numpy array after
        self._typo_fid: Any = array("i")
        self._ent_countries: dict[int, frozenset[str]] = {}
        # every given name of every listed person: a capitalised word before a surname that is
        # one of them is a first name, even when English uses it ("Anna", "David")
        self._given_names: set[str] = set()
        # Spanish short forms ("Nicolas Maduro") and the first surname each keeps
        self._short_forms: list[tuple[int, str]] = []
        # their first surnames alone ("Maduro"): they count only in an article naming a country of theirs
        self._country_bound: set[int] = set()
        # "Linked To" names as listed, per entity, and the entities they resolve to (both ways)
        self._linked_names: list[tuple[int, tuple[str, ...]]] = []
        self._related: dict[int, frozenset[int]] = {}
        self.version = ""
        self.alias_count = 0
        self.key_count = 0

    # ------------------------------------------------------------------ build

    def _add_key(self, key: str, code: int) -> None:
        # " key " matches whole tokens only; " key" (a trailing wildcard) any token it starts
        key = f" {key}" if code & _PREFIX else f" {key} "
        kid = self._auto.get(key, None)
        if kid is None:
            kid = len(self._klen)
            self._auto.add_word(key, kid)
            self._klen.append(len(key))
            self._owners.append(code)
            return
        old = self._owners[kid]
        if old >= 0:
            if old != code:
                self._owners[kid] = -1
                self._multi[kid] = (old, code)
        elif code not in self._multi[kid]:
            self._multi[kid] = (*self._multi[kid], code)

    def _term_id(self, term: Term) -> int:
        ident = (term.tokens, term.prefix)
        tid = self._term_index.get(ident)
        if tid is None:
            tid = len(self._terms)
            self._terms.append(ident)
            self._term_index[ident] = tid
            self._add_key(" ".join(term.tokens), (tid << 3) | _TERM | (_PREFIX if term.prefix else 0))
        return tid

    def _add_aliases(self, aliases: Iterable[AliasSpec], digest: hashlib._Hash) -> None:
        known: dict[str, int] = {}
        for entity_id, specs in group_by_entity(aliases):
            first = specs[0]
            index = known.get(entity_id, -1)
            if index < 0:  # an entity whose aliases come in two runs keeps one record
                index = known[entity_id] = len(self._entities)
                self._entities.append(
                    _Entity(entity_id, first.dataset, first.source_id, first.caption, first.schema,
                            tuple(first.programs), tuple(first.countries),
                            bool(first.title) and bool(_HEAD_LISTED.search(first.title)))
                )
                if first.linked:
                    self._linked_names.append((index, tuple(first.linked)))
                if first.title or first.linked:
                    digest.update(f"{entity_id}\x1f{first.title}\x1f{first.linked}\x1d".encode())
            for spec in specs:
                digest.update(f"{spec.entity_id}\x1f{spec.alias}\x1f{spec.weak}\x1e".encode())
            self.alias_count += len(specs)
            if index == len(self._alias_counts):
                self._alias_counts.append(0)
            self._alias_counts[index] += len(specs)
            person = is_person(first.schema)
            if person:
                self._given_names.update(given_names(specs))
            for form in entity_forms(specs):
                fid = len(self._form_entity)
                self._form_entity.append(index)
                self._form_kind.append(form.kind)
                self._form_conf.append(form.confidence)
                self._add_key(form.key, (fid << 3) | _FORM)
                if person and form.kind == STRONG and form.confidence >= 0.85:
                    self._add_typo_variants(form.key, fid)
                if form.kind == SURNAME and len(form.key) >= 5 and " " not in form.key:
                    self._surnames.setdefault(form.key, []).append(fid)
                if form.proper:
                    self._proper_fids.add(fid)
                if form.short_of and form.kind == SURNAME:
                    self._country_bound.add(fid)
                elif form.short_of:
                    self._short_forms.append((fid, form.short_of))

    def _add_typo_variants(self, key: str, fid: int) -> None:
        """Index "given surname" under every one-letter deletion of a long surname, and make the
        given name a key of its own, so that the scan can find "Sergei Shouigu" and "Yevgeny
        Prigozin" (symmetric deletion: text and list each lose at most one letter) without
        a loop over the aliases."""
        given, _, surname = key.rpartition(" ")
        if not given or " " in given or len(surname) < _TYPO_MIN or given in common_words(DISTINCT_TOP):
            return  # given names that are everyday words ("John", "Mark") would be probed in every article
        if zipf_frequency(surname, "en") >= _TYPO_ZIPF:
            return  # a common surname one letter from another ("Griffin", "Griffen") is someone else
        self._add_key(given, _PART)
        hashes, fids = self._typo_hash, self._typo_fid
        hashes.append(hash(key))
        fids.append(fid)
        for i in range(len(surname)):
            hashes.append(hash(f"{given} {surname[:i]}{surname[i + 1:]}"))
            fids.append(fid)

    def _sort_typo_index(self) -> None:
        hashes = np.frombuffer(self._typo_hash, dtype=np.int64)
        order = np.argsort(hashes, kind="stable")
        fids = np.frombuffer(self._typo_fid, dtype=np.int32)[order]
        self._typo_hash = hashes[order]
        self._typo_fid = fids
        del order

    def _typo_hits(self, fields: list[_FieldState | None], parts: list[Occ], form_hits: dict[Occ, list[int]]) -> None:
        """Form hits for a listed given name followed by its surname with one typo (all of an
        article's probes looked up in one vectorised search)."""
        hashes = self._typo_hash
        if not len(hashes):
            return
        common = common_words(DISTINCT_TOP)
        spans: list[Occ] = []
        probes: list[int] = []
        owner: list[int] = []
        for fi, t0, t1 in parts:
            fs = fields[fi]
            assert fs is not None
            word = fs.nt.token_after(t1)
            if len(word) < _TYPO_MIN - 1 or word in common or not word.isalpha():
                continue
            span = (fi, t0, t1 + 1 + len(word))
            if span in form_hits:
                continue
            given = fs.nt.padded[t0:t1]
            n = len(spans)
            spans.append(span)
            probes.append(hash(f"{given} {word}"))
            probes.extend(hash(f"{given} {word[:i]}{word[i + 1:]}") for i in range(len(word)))
            owner.extend([n] * (len(word) + 1))
        if not probes:
            return
        wanted = np.array(probes, dtype=np.int64)
        pos = np.searchsorted(hashes, wanted)
        hit = hashes[np.minimum(pos, len(hashes) - 1)] == wanted
        found: dict[int, set[int]] = {}
        for j in np.flatnonzero(hit).tolist():
            i = int(pos[j])
            while i < len(hashes) and hashes[i] == wanted[j]:
                found.setdefault(owner[j], set()).add(int(self._typo_fid[i]))
                i += 1
        for n, fids in found.items():
            fi, t0, end = spans[n]
            fs = fields[fi]
            assert fs is not None
            start = fs.nt.padded.rfind(" ", 0, end - 1) + 1
            if fs.text[fs.nt.orig_start(start):][:1].isupper():  # a name is written with a capital
                form_hits[spans[n]] = sorted(fids)

    def _mark_distinct_surnames(self) -> None:
        """The surname of a person on a curated watch list (named officials: Putin, Shoigu,
        Lavrov...) names that person on its own in news, when it is no everyday word and at most
        three listed people have it; so does the same surname of the one sanctions-list entry
        listed far more fully than its namesakes (Putin on the SDN list, Prigozhin the father, not
        the son). Everyone else's bare surname needs support (the footballer Conte, the tennis
        player Safin). It stays subject to the namesake checks."""
        for fid, surname in self._short_forms:
            # "Ivan Velasquez": a first surname five listed people have (and every other reader)
            # makes the short form a namesake's as likely as the listed one's
            if len({self._form_entity[f] for f in self._surnames.get(surname, ())}) > 2:
                self._form_kind[fid] = WEAK
        self._short_forms.clear()
        common = common_words(DISTINCT_TOP)
        for key, fids in self._surnames.items():
            if len(fids) > 4 or key in common:
                continue
            zipf = zipf_frequency(key, "en")
            if zipf < _RARE_NAME_ZIPF:
                self._rare_fids.update(fids)
            curated = [f for f in fids if self._entities[self._form_entity[f]].dataset in NON_SANCTIONS_DATASETS]
            if not curated:
                if zipf < _SOLO_ZIPF and len(key) >= _SOLO_MIN:
                    for fid in self._solo_owner(fids):
                        self._form_kind[fid] = DISTINCT
                continue
            for fid in curated:
                self._form_kind[fid] = DISTINCT
            others = sorted(((self._alias_counts[self._form_entity[f]], f) for f in fids if f not in curated),
                            reverse=True)
            if others and (len(others) == 1 or others[0][0] >= 2 * others[1][0]):
                self._form_kind[others[0][1]] = DISTINCT
        self._surnames.clear()

    def _solo_owner(self, fids: list[int]) -> list[int]:
        """The forms of the one listed person a surname English never uses belongs to: all of
        them when they are one person on several lists, else the person listed at least twice as
        fully as every namesake (Prigozhin the father, not the son); none otherwise."""
        names = {f: frozenset(normalise_name(self._entities[self._form_entity[f]].caption).split()) for f in fids}
        groups: list[list[int]] = []
        for f in fids:
            for group in groups:
                other = names[group[0]]
                if names[f] <= other or other <= names[f]:
                    group.append(f)
                    break
            else:
                groups.append([f])
        if len(groups) == 1:
            return fids
        sizes = sorted(((max(self._alias_counts[self._form_entity[f]] for f in g), i) for i, g in enumerate(groups)),
                       reverse=True)
        return groups[sizes[0][1]] if sizes[0][0] >= 2 * sizes[1][0] else []

    def _link_curated(self) -> None:
        """A person on the curated watch list is the sanctions-list entry that shares one of
        their full names ("Kim Jong Un" is named_officials:kim-jong-un and us_ofac_sdn:20157):
        a bare surname resolved to the curated person names the linked entries too."""
        ents = self._entities
        if not any(e.dataset in NON_SANCTIONS_DATASETS for e in ents):
            return
        links: dict[int, set[int]] = {}
        for codes in self._multi.values():
            curated: set[int] = set()
            listed: set[int] = set()
            for code in codes:
                if code & 3 != _FORM:
                    continue
                fid = code >> 3
                if self._form_kind[fid] != STRONG or self._form_conf[fid] < 0.95:
                    continue
                ent = self._form_entity[fid]
                (curated if ents[ent].dataset in NON_SANCTIONS_DATASETS else listed).add(ent)
            if curated and listed and len(listed) <= _MAX_NAMESAKES:
                for ent in curated:
                    links.setdefault(ent, set()).update(listed)
        self._links = {k: tuple(sorted(v)) for k, v in links.items()}

    def _resolve_links(self) -> None:
        """Each "Linked To" name resolved to the entity of the same list whose primary name it is
        (PRIVATE MILITARY COMPANY 'WAGNER' <- UTKIN, Dmitriy Valeryevich); kept both ways."""
        if not self._linked_names:
            return
        by_name: dict[tuple[str, str], int] = {}
        for index, ent in enumerate(self._entities):
            by_name.setdefault((ent.dataset, normalise_name(ent.caption)), index)
        related: dict[int, set[int]] = {}
        for index, names in self._linked_names:
            dataset = self._entities[index].dataset
            for name in names:
                other = by_name.get((dataset, normalise_name(name)), -1)
                if other >= 0 and other != index:
                    related.setdefault(index, set()).add(other)
                    related.setdefault(other, set()).add(index)
        self._related = {k: frozenset(v) for k, v in related.items()}
        self._linked_names.clear()

    def entity_countries(self, index: int) -> frozenset[str]:
        """Countries of an entity: its own, and those its sanctions programmes are about."""
        found = self._ent_countries.get(index)
        if found is None:
            ent = self._entities[index]
            codes = set(ent.countries)
            for prog in ent.programs:
                code = resources.programme_country(prog)
                if code:
                    codes.add(code)
            found = self._ent_countries[index] = frozenset(codes)
        return found

    def _add_countries(self) -> None:
        for form, code, caps in gazetteer():
            key = normalise_name(form)
            if not key:
                continue
            cid = len(self._countries)
            self._countries.append((code, caps))
            self._add_key(key, (cid << 3) | _COUNTRY)

    def _compile(self, node: Node) -> Node:
        """Fold OR-groups of plain terms into one _TermSet (evaluated in one step)."""
        if isinstance(node, Or):
            terms: dict[str | None, list[int]] = {}
            rest: list[Node] = []
            for child in node.children:
                if isinstance(child, Term):
                    terms.setdefault(child.field, []).append(self._term_id(child))
                else:
                    rest.append(self._compile(child))
            parts: list[Node] = [_TermSet(tuple(dict.fromkeys(t)), f) for f, t in terms.items()]  # type: ignore[misc]
            parts.extend(rest)
            return parts[0] if len(parts) == 1 else Or(tuple(parts))
        if isinstance(node, Term):
            return _TermSet((self._term_id(node),), node.field)  # type: ignore[return-value]
        if isinstance(node, And):
            children = [self._compile(c) for c in node.children]
            children.sort(key=lambda c: (isinstance(c, Not), self._cost(c)))
            return And(tuple(children))
        if isinstance(node, Not):
            return Not(self._compile(node.child))
        if isinstance(node, Near):
            return Near(self._compile(node.left), self._compile(node.right), node.distance, node.ordered,
                        node.sentence)
        return node

    def _term_cost(self, tid: int) -> float:
        """Chance that a term occurs in an article of ~400 words, from English word frequencies
        (a phrase is rarer than its rarest word; a wildcard is commoner than its stem)."""
        cached = self._term_costs.get(tid)
        if cached is not None:
            return cached
        tokens, prefix = self._terms[tid]
        chances = [min(1.0, 400 * word_frequency(t, "en")) for t in tokens]
        cost = min(chances) * (0.2 if len(tokens) > 1 else 1.0)
        if prefix:
            cost = min(1.0, cost * 4 + 0.01)
        cost = max(cost, 0.001)
        self._term_costs[tid] = cost
        return cost

    def _trigger_cost(self, triggers: set[object]) -> float:
        total = 0.0
        for trig in triggers:
            if isinstance(trig, int):
                total += self._term_cost(trig)
            elif trig == "entity":
                total += 0.3
            else:
                total += 0.1
        return total

    def _cost(self, node: Node) -> float:
        """Expected cost/likelihood of a compiled node holding: AND children are evaluated
        cheapest (rarest) first so that an absent child ends the evaluation early."""
        if isinstance(node, _TermSet):
            return sum(self._term_cost(t) for t in node.tids)
        if isinstance(node, EntityPred):
            return 0.3
        if isinstance(node, Country):
            return 0.1
        if isinstance(node, Or):
            return sum(self._cost(c) for c in node.children)
        if isinstance(node, And):
            return min((self._cost(c) for c in node.children if not isinstance(c, Not)), default=1000.0)
        if isinstance(node, Near):
            return min(self._cost(node.left), self._cost(node.right))
        return 1000.0

    def _closure(self, node: Node) -> Callable[[_Eval], list[Occ]]:
        """Compile a node into a function of the scan context. A node whose triggers are all
        absent from the article returns at once (Luwak's pruning, at every level)."""
        inner = self._closure_inner(node)
        required = None if isinstance(node, _TermSet) else self._required(node)
        if required is None:
            return inner
        needed = frozenset(required)

        def guarded(ctx: _Eval) -> list[Occ]:
            if needed.isdisjoint(ctx.present):
                return []
            return inner(ctx)

        return guarded

    def _closure_inner(self, node: Node) -> Callable[[_Eval], list[Occ]]:
        if isinstance(node, _TermSet):
            tids = frozenset(node.tids)
            wanted = None if node.field is None else _FIELDS.index(node.field)

            def terms(ctx: _Eval) -> list[Occ]:
                hits = ctx.term_hits
                out: list[Occ] = []
                for tid in tids.intersection(hits):
                    out.extend(hits[tid])
                if wanted is not None:
                    out = [o for o in out if o[0] == wanted]
                return out

            return terms
        if isinstance(node, EntityPred):
            pred = node
            return lambda ctx: ctx.entity_occs(pred)
        if isinstance(node, Country):
            code = node.code
            cwanted = None if node.field is None else _FIELDS.index(node.field)

            def country(ctx: _Eval) -> list[Occ]:
                found = ctx.country_occs(code)
                return found if cwanted is None else [o for o in found if o[0] == cwanted]

            return country
        if isinstance(node, Or):
            parts = [self._closure(c) for c in node.children]

            def any_of(ctx: _Eval) -> list[Occ]:
                out: list[Occ] = []
                for fn in parts:
                    out.extend(fn(ctx))
                return out[:_MAX_OCC]

            return any_of
        if isinstance(node, And):
            positive = [self._closure(c) for c in node.children if not isinstance(c, Not)]
            negative = [self._closure(c.child) for c in node.children if isinstance(c, Not)]

            def all_of(ctx: _Eval) -> list[Occ]:
                out: list[Occ] = []
                for fn in positive:
                    found = fn(ctx)
                    if not found:
                        return []
                    out.extend(found)
                for fn in negative:
                    if fn(ctx):
                        return []
                return out[:_MAX_OCC] if positive else [(-1, 0, 0)]

            return all_of
        if isinstance(node, Not):
            child = self._closure(node.child)
            return lambda ctx: [] if child(ctx) else [(-1, 0, 0)]
        if isinstance(node, Near):
            left = self._closure(node.left)
            right = self._closure(node.right)
            right_first = self._cost(node.right) < self._cost(node.left)
            near = node
            return lambda ctx: ctx.near(near, left, right, right_first)
        raise TypeError(f"unknown query node {node!r}")  # pragma: no cover

    def _required(self, node: Node) -> set[object] | None:
        """Triggers of which any article matching `node` holds at least one (None: unbounded)."""
        if isinstance(node, _TermSet):
            return set(node.tids)
        if isinstance(node, EntityPred):
            return {"entity"}
        if isinstance(node, Country):
            return {f"c:{node.code}"}
        if isinstance(node, Or):
            out: set[object] = set()
            for child in node.children:
                sub = self._required(child)
                if sub is None:
                    return None
                out |= sub
            return out
        if isinstance(node, And | Near):
            children = node.children if isinstance(node, And) else (node.left, node.right)
            options = [s for s in (self._required(c) for c in children if not isinstance(c, Not)) if s is not None]
            if not options:
                return None

            return min(options, key=self._trigger_cost)
        return None

    def _add_rules(self, rules: Iterable[RuleSpec], digest: hashlib._Hash) -> None:
        for spec in rules:
            if not spec.enabled:
                continue
            digest.update(repr(spec).encode())
            parsed = parse_query(spec.query)
            term_ids: set[int] = set()
            for sub in walk(parsed):
                if isinstance(sub, Term):
                    term_ids.add(self._term_id(sub))
            preds = [sub for sub in walk(parsed) if isinstance(sub, EntityPred)]
            node = self._compile(parsed)
            escalations = [(e.severity, e.scope, self._closure(self._compile(parse_query(e.when))))
                           for e in spec.escalate]
            index = len(self._rules)
            self._rules.append(_Rule(spec, self._closure(node), escalations, frozenset(term_ids), preds))
            required = self._required(node)
            if required is None:
                self._always.append(index)
            else:
                for trigger in required:
                    self._triggers.setdefault(trigger, []).append(index)

    def build(self, rules: Iterable[RuleSpec], aliases: Iterable[AliasSpec]) -> Matcher:
        """Compile rules and aliases (called once by build_matcher)."""
        digest = hashlib.sha256()
        self._add_rules(rules, digest)
        self._add_aliases(aliases, digest)
        self._mark_distinct_surnames()
        self._link_curated()
        self._resolve_links()
        self._sort_typo_index()
        self._add_countries()
        self.key_count = len(self._klen)
        self._auto.make_automaton()
        self.version = digest.hexdigest()[:16]
        return self

    # ------------------------------------------------------------------ scan

    def _scan_field(self, fi: int, fs: _FieldState, term_hits: dict[int, list[Occ]],
                    form_hits: dict[Occ, list[int]], country_hits: dict[str, list[Occ]],
                    parts: list[Occ]) -> None:
        nt = fs.nt
        s = nt.padded
        if len(s) <= 2:
            return
        klen = self._klen
        owners = self._owners
        multi = self._multi
        for end, kid in self._auto.iter(s):
            own = owners[kid]
            t0 = end - klen[kid] + 2  # first character after the key's leading space
            t1 = end if s[end] == " " else s.find(" ", end)  # a wildcard key ends inside its token
            for code in (own,) if own >= 0 else multi[kid]:
                kind = code & 3
                idx = code >> 3
                if kind == _TERM:
                    found = term_hits.setdefault(idx, [])
                    if len(found) < _MAX_HITS:
                        found.append((fi, t0, t1))
                elif kind == _FORM:
                    if len(form_hits) < _MAX_HITS:
                        form_hits.setdefault((fi, t0, t1), []).append(idx)
                elif kind == _PART:
                    if len(parts) < _TYPO_MAX_CHECKS:
                        parts.append((fi, t0, t1))
                else:
                    code_, caps = self._countries[idx]
                    # an acronym ("US") counts only in capitals: checked later, and only if a rule
                    # asks for that country (the pronoun "us" is in every other article)
                    country_hits.setdefault(f"?{code_}" if caps else code_, []).append((fi, t0, t1))

    def _org_context(self, fs: _FieldState, t0: int, t1: int) -> bool:
        """An organisation word right after the short name (or after its possessive), or
        "PMC" before it: "Wagner fighters", "Wagner's chief", "PMC Wagner"; or mercenary
        language anywhere in the same field ("Wagner revolt", "Russian mercenaries")."""
        after = fs.nt.token_after(t1)
        if after == "s":
            after = fs.nt.token_after(fs.nt.token_end(t1 + 1))
        if after in ORG_CONTEXT or fs.nt.token_before(t0) in ("pmc", "mercenary", "mercenaries"):
            return True
        padded = fs.nt.padded
        return any(word in padded for word in ORG_FIELD_NEEDLES)

    def _sentence_place(self, fi: int, fs: _FieldState, t0: int, ents: Iterable[int],
                        country_ends: dict[tuple[int, int], str]) -> str:
        """A sanctioned jurisdiction named in the same sentence that is the country of one of
        the entities ("Putin met with Prigozhin days after the Russian mutiny"); "" when none."""
        codes = {code for code in country_ends.values() if code in SANCTIONED_JURISDICTIONS}
        if not codes:
            return ""
        theirs: set[str] = set()
        for ent in ents:
            theirs |= self.entity_countries(ent) & codes
        if not theirs:
            return ""
        sentence = fs.sentence_of(t0)
        for (cfi, c1), code in country_ends.items():
            if cfi == fi and code in theirs and fs.sentence_of(c1 - 1) == sentence:
                return code
        return ""

    @staticmethod
    def _country_before(fi: int, fs: _FieldState, t0: int, country_ends: dict[tuple[int, int], str]) -> str:
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

    @staticmethod
    def _title_before(fs: _FieldState, t0: int) -> str:
        """The title word right before a name in the same sentence ("President Assad"), "" when
        none: in "his former boss. Meadows insisted" the title ends the sentence before."""
        before = fs.nt.token_before(t0)
        if before not in TITLE_WORDS:
            return ""
        head = fs.text[:fs.nt.orig_start(t0)].rstrip(" \"'\u201c\u2018(")
        if head[-1:] in ".!?;:\n" and not (head[-1:] == "." and before in TITLE_ABBREVIATIONS):
            return ""
        return before

    def _head_of(self, ent: int, place: str) -> bool:
        """Whether a listed person can be the head of state a title names: listed under a country's
        programme (of the country named before the title, when one is), or on a curated watch list."""
        if self._entities[ent].dataset in NON_SANCTIONS_DATASETS:
            return True
        codes = {resources.programme_country(prog) for prog in self._entities[ent].programs} - {None}
        return bool(codes) and (not place or place in codes)

    def _proper_owners(self, fi: int, fs: _FieldState, t0: int, t1: int, fids: Iterable[int],
                       country_ends: dict[tuple[int, int], str]) -> set[int]:
        """The organisations a name of everyday words names when the text writes it as a name
        ("a local Islamic State affiliate", not "an Islamic state"): each of two or more content
        words capitalised, in running text (no Title Case headline, no quoted title), and one
        organisation a list (a name two organisations of one list share names neither). Every
        country has a "Ministry of Defence": an organisation of a country needs that country in
        the same sentence, and no other one right before the name ("Japan's Ministry of Defense")."""
        props = {self._form_entity[f] for f in fids if f in self._proper_fids}
        if not props or fs.title_case:
            return set()
        datasets = [self._entities[e].dataset for e in props]
        if len(set(datasets)) < len(datasets):
            return set()
        o0, o1 = fs.nt.orig_span(t0, t1)
        words = [w for w in _WORD.findall(fs.text[o0:o1]) if w.casefold() not in NAME_LINKS]
        if len(words) < 2 or not all(w[0].isupper() for w in words) or _title_case_run(fs.text[:o0]):
            return set()
        if _NAME_GOES_ON_OF.match(fs.text, o1):
            return set()  # "the Islamic State of Khorasan": a longer name, another group
        before = self._country_before(fi, fs, t0, country_ends)
        return {e for e in props if not self.entity_countries(e) or (
            self._sentence_place(fi, fs, t0, [e], country_ends) and (not before or before in self.entity_countries(e)))}

    def _capitalised_neighbour(self, fs: _FieldState, o0: int, o1: int) -> bool:
        """True when a capitalised word that is not a title sits right next to a bare surname
        ("Kim Kardashian", "Edward Wong"): then it is someone else's name. A headline in Title
        Case says nothing by its capitals ("Desperate Putin Empties Museums")."""
        if fs.title_case:
            return False
        text = fs.text
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
        if j > o1 and j < len(text) and text[j].isupper():
            return True
        return bool(self._first_name_before(text, o0))

    @staticmethod
    def _first_name_before(text: str, o0: int) -> str:
        """The capitalised word right before a bare surname when it reads as a first name
        ("Anna Shoigu", "Mahsa Amini"): not a title, a possessive, or an everyday word opening
        a sentence ("Yesterday Shoigu"); "" otherwise."""
        if o0 >= 3 and text[o0 - 1] in "-\u2010" and text[o0 - 3:o0 - 1].casefold() in ("al", "el") and (
                o0 == 3 or not text[o0 - 4].isalpha()):
            return Matcher._first_name_before(text, o0 - 3)  # "Nabil Al-Nashar": past the article
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
                return Matcher._first_name_before(text, k)
            if word.endswith(("'s", "\u2019s")):
                return ""  # "Russia's Shoigu", "Putin's Wagner": a possessive, not a first name
            if word[:1].isupper() and normalise_name(word) not in TITLE_WORDS:
                before = text[:k].rstrip(" \"'\u201c\u2018(")
                sentence_start = not before or before[-1] in ".!?\n:;"
                # at a sentence start a capital says nothing, unless the word is no everyday one
                # ("Anna Shoigu" is someone else, "Yesterday Shoigu" is not)
                if not sentence_start or word.lower() not in common_words(500):
                    return word
        return ""

    def _namesakes_named(self, fields: list[_FieldState | None], kept: list[Occ], strong_span: dict[Occ, bool],
                         form_hits: dict[Occ, list[int]], country_ends: dict[tuple[int, int], str]) -> set[int]:
        """Listed people whose surname the article gives to someone else with another first name
        ("Mahsa Amini" is not AMINI, Hossein Hafez): their bare surname elsewhere in the article
        ("Amini's death anniversary") is that other person's. A first name close to one of the
        listed person's own ("Yevgency Prigozhin") is a typo, not someone else."""
        out: set[int] = set()
        form_entity, form_kind = self._form_entity, self._form_kind
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
            if _title_case_run(head):
                continue  # a headline quoted in the text ("...Tribunal to Prosecute Putin's Aggression")
            opening = head.rstrip(" \"'\u201c\u2018(")[-1:] in ("", ".", "!", "?", ":", "\n")
            # a capital opening a sentence may be any word ("Fears Putin is about to..."): only a
            # word English does not use is a first name there ("Andrei Averyanov, the general");
            # inside a sentence, a word English uses less ("But Bernie Mandic said") or a listed
            # person's given name ("Anna"), not an everyday word ("The Truth About Putin's War")
            if first in common_words(EVERYDAY_TOP if opening else DISTINCT_TOP) and (
                    opening or first not in self._given_names):
                continue
            if name_ends is None:
                name_ends = {(f, e) for f, _s, e in form_hits}
            if (fi, t0 - 1) in name_ends:
                continue  # another listed name ("Is Prigozhin Putin's latest victim?")
            for ent in ents:
                own = normalise_name(self._entities[ent].caption).split()
                if not any(fuzz.ratio(first, name) >= 70 for name in own):
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
        conf, kind, entity = self._form_conf, self._form_kind, self._form_entity
        if len(ents) < 2:
            return fids
        best: dict[int, float] = {}
        for f in fids:
            if kind[f] <= CAPS:
                best[entity[f]] = max(best.get(entity[f], 0.0), conf[f])
        top_conf = max(best.values())
        tied = [self._entities[e].dataset for e, c in best.items() if c >= top_conf
                and is_person(self._entities[e].schema)]
        if len(set(tied)) < len(tied):
            # two people of one list named that way ("'ALI, Muhammad" twice): neither (two
            # companies of one list sharing a name are a group and its branch: "Sberbank")
            return None
        if top_conf >= 1.0:
            return fids
        names = {e: frozenset(normalise_name(self._entities[e].caption).split()) for e in ents}
        order = list(names.values())
        if all(a <= b or b <= a for i, a in enumerate(order) for b in order[i + 1:]):
            return fids
        top = max(best, key=best.__getitem__)
        same = {e for e in ents if names[e] <= names[top] or names[top] <= names[e]}
        if any(best[e] >= best[top] for e in ents if e not in same):
            return None
        return [f for f in fids if entity[f] in same]

    def _resolve(self, fields: list[_FieldState | None], form_hits: dict[Occ, list[int]],
                 country_hits: dict[str, list[Occ]] | None = None) -> list[_Mention]:
        """Entity mentions from alias-form hits: strong spans first, then longest; weak forms
        (surnames, vessel names, weak or common-word aliases) only with support."""
        if not form_hits:
            return []
        form_entity, form_kind, form_conf = self._form_entity, self._form_kind, self._form_conf
        country_ends: dict[tuple[int, int], str] = {}
        for code, occs in (country_hits or {}).items():
            if not code.startswith("?"):
                for cfi, _c0, c1 in occs:
                    country_ends[(cfi, c1)] = code
        context_countries = set(country_ends.values())
        strong_span: dict[Occ, bool] = {}
        weak_spans: list[Occ] = []
        for sp, fids in form_hits.items():
            strong_ents = {form_entity[f] for f in fids if form_kind[f] <= CAPS}
            # a name shared by many listed people ("Muhammad Ali") identifies none of them
            owners = self._short_form_owners(fids, strong_ents) if 0 < len(strong_ents) <= _MAX_NAMESAKES else None
            if owners is not None:
                if len(owners) < len(fids):
                    form_hits[sp] = owners
                strong_span[sp] = True
            else:
                weak_spans.append(sp)
        strong_entities = {form_entity[f] for sp in strong_span for f in form_hits[sp] if form_kind[f] <= CAPS}
        # entities the lists link to one named in full here ("Dmitry Utkin" -> PMC 'WAGNER')
        related: set[int] = set()
        if self._related:
            for ent in strong_entities:
                related |= self._related.get(ent, frozenset())
        if weak_spans:
            # most weak hits are everyday surnames with no support anywhere: drop them before sorting
            entity_of, kind_of = form_entity.__getitem__, form_kind.__getitem__
            for sp in weak_spans:
                fids = form_hits[sp]
                # C-level set and membership tests: this loop sees every everyday surname
                if not strong_entities.isdisjoint(map(entity_of, fids)):
                    strong_span[sp] = False
                    continue
                fs = fields[sp[0]]
                assert fs is not None
                before = fs.nt.token_before(sp[1])
                if DISTINCT in map(kind_of, fids) or self._title_before(fs, sp[1]) or before in VESSEL_WORDS or (
                    before == "s" and self._country_before(sp[0], fs, sp[1], country_ends)
                ) or (
                    ORGSHORT in map(kind_of, fids) and self._org_context(fs, sp[1], sp[2])
                ) or (
                    (ORGSHORT in map(kind_of, fids) or not self._rare_fids.isdisjoint(fids))
                    and self._sentence_place(sp[0], fs, sp[1], map(entity_of, fids), country_ends)
                ) or (
                    VESSEL in map(kind_of, fids) and _vessel_before(fs.nt, sp[1])
                ) or (related and not related.isdisjoint(map(entity_of, fids))) or (
                    not self._proper_fids.isdisjoint(fids)
                    and bool(self._proper_owners(sp[0], fs, sp[1], sp[2], fids, country_ends))
                ):
                    strong_span[sp] = False
        if not strong_span:
            return []
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
        # entities named in full by a span that survived (not "Kim Jong" inside "Kim Jong Un")
        named = {form_entity[f] for sp in kept if strong_span[sp] for f in form_hits[sp] if form_kind[f] <= CAPS}
        someone_else = self._namesakes_named(fields, kept, strong_span, form_hits, country_ends) - named
        last_seen: dict[int, tuple[int, int]] = {}
        mentions: list[_Mention] = []
        for sp in kept:
            fi, t0, t1 = sp
            fs = fields[fi]
            assert fs is not None
            fids = form_hits[sp]
            titled = vessel_word = org_word = False
            linked: set[int] = set()
            proper: set[int] = set()
            near_place = ""
            if not strong_span[sp] and not any(form_entity[f] in last_seen for f in fids):
                # weak forms with no earlier mention need a title or vessel word in front (or be
                # a distinctive surname); checked on the scan string first, so everyday surnames
                # cost no offset work
                kinds = {form_kind[f] for f in fids}
                before = fs.nt.token_before(t0)
                place = near_place = self._country_before(fi, fs, t0, country_ends)
                if related:
                    # a short name of an entity linked to one named in full: a surname English
                    # hardly uses or an organisation's short name ("Utkin", "Wagner"), no everyday word
                    linked = {form_entity[f] for f in fids if form_entity[f] in related
                              and (f in self._rare_fids or form_kind[f] == ORGSHORT)}
                titled = bool(kinds & {SURNAME, DISTINCT}) and (bool(self._title_before(fs, t0)) or bool(place))
                org_word = ORGSHORT in kinds and (bool(place) or self._org_context(fs, t0, t1))
                rare = [form_entity[f] for f in fids if f in self._rare_fids or form_kind[f] == ORGSHORT]
                if rare and not (titled or org_word):
                    place = self._sentence_place(fi, fs, t0, rare, country_ends)
                    titled = bool(place) and bool(kinds & {SURNAME, DISTINCT})
                    org_word = bool(place) and ORGSHORT in kinds
                vessel_word = VESSEL in kinds and _vessel_before(fs.nt, t0)
                if not self._proper_fids.isdisjoint(fids):
                    proper = self._proper_owners(fi, fs, t0, t1, fids, country_ends)
                if not (titled or vessel_word or org_word or DISTINCT in kinds or linked or proper):
                    continue
            else:
                place = ""
            o0, o1 = fs.nt.orig_span(t0, t1)
            surface = fs.text[o0:o1]
            strong: dict[int, float] = {}
            weak: dict[int, tuple[int, float]] = {}
            namesake = not strong_span[sp]  # a strong form demoted for too many namesakes
            for fid in fids:
                ent = form_entity[fid]
                kind = form_kind[fid]
                conf = form_conf[fid]
                if fid in self._country_bound and self.entity_countries(ent).isdisjoint(context_countries):
                    continue
                if namesake and kind <= CAPS:
                    kind = WEAK
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
                surname_only = bool(weak_kinds & {SURNAME, DISTINCT, ORGSHORT}) and weak_kinds <= {
                    SURNAME, DISTINCT, ORGSHORT, WEAK}
                if surname_only and someone_else:
                    weak = {e: v for e, v in weak.items() if e not in someone_else or e in last_seen}
                if not (surname_only and self._capitalised_neighbour(fs, o0, o1)):
                    seen = [(last_seen[e], e) for e in weak if e in last_seen]
                    if not seen and fi == 0:
                        # a headline's bare surname is supported by the full name in the text
                        seen = [((1, 0), e) for e in weak if e in named]
                    distinct = [e for e, (k, _c) in weak.items() if k == DISTINCT]
                    if seen:
                        # the person named last (on every list that named them at that place)
                        latest = max(seen)[0]
                        for pos, ent in seen:
                            if pos == latest:
                                chosen[ent] = weak[ent][1] * 0.9
                    elif distinct:
                        for ent in distinct:  # one person on the watch list and on a sanctions list
                            chosen[ent] = weak[ent][1] * 0.9
                    elif linked & weak.keys():
                        for ent in linked & weak.keys():  # linked on the list to one named in full
                            chosen[ent] = weak[ent][1] * 0.85
                    elif proper & weak.keys():
                        for ent in proper & weak.keys():  # "Islamic State" written as a name
                            chosen[ent] = weak[ent][1] * 0.85
                    elif weak:
                        title = self._title_before(fs, t0)
                        # "President Assad", "Syria's al-Assad": the one listed as head of state
                        head = title in HEAD_CONTEXT or (not title and bool(near_place))
                        ent = picked = self._pick_namesake(weak, place, context_countries, head)
                        if ent >= 0 and self._title_before(fs, t0) in HEAD_TITLES and not self._head_of(ent, place):
                            ent = picked = -1  # "Taiwanese President Tsai": no state's leader on the lists
                        if ent >= 0:
                            kind, conf = weak[ent]
                            if ((kind in (SURNAME, DISTINCT) and titled) or (kind == VESSEL and vessel_word)
                                    or (kind == ORGSHORT and org_word)):
                                chosen[ent] = conf * 0.85
            for ent in [e for e in chosen if e in self._links and e == picked]:
                for own in self._links[ent]:  # the curated person's own entry on the lists
                    chosen.setdefault(own, chosen[ent])
            for ent, conf in chosen.items():
                mentions.append(_Mention(ent, fi, t0, t1, o0, o1, surface, conf))
                last_seen[ent] = (fi, t0)
        return mentions

    def _pick_namesake(self, weak: dict[int, tuple[int, float]], place: str, countries: set[str],
                       head: bool = False) -> int:
        """Which listed person a title-supported surname names (-1: none). A country named right
        before the name rules out namesakes of other countries ("North Korean leader Kim" is no
        Kim of Vietnam); of the rest, a person on the curated watch list from a country the article
        names (the one listed with the most names when several are), else the one listed far more
        fully than the namesakes (Prigozhin the father, not the son)."""
        cands = list(weak)
        if place:
            cands = [e for e in cands if not self.entity_countries(e) or place in self.entity_countries(e)]
        wanted = {place} if place else countries
        curated = [e for e in cands if self._entities[e].dataset in NON_SANCTIONS_DATASETS
                   and self.entity_countries(e) & wanted]
        if curated:
            top = sorted(((self._alias_counts[e], e) for e in curated), reverse=True)
            if len(top) == 1 or top[0][0] > top[1][0]:
                return top[0][1]
        if head:
            # a leader's title or country before the name: the one namesake the list gives a
            # head-of-state title (AL-ASSAD, Bashar among ten AL-ASSADs; the father Maduro, not the son)
            heads = [e for e in cands if self._entities[e].head]
            if len(heads) == 1:
                return heads[0]
        ranked = sorted(((self._alias_counts[e], e) for e in weak), reverse=True)
        if (len(ranked) == 1 or ranked[0][0] >= 2 * ranked[1][0]) and ranked[0][1] in cands:
            return ranked[0][1]
        return -1

    def scan(self, article: ArticleInput) -> ScanResult:
        """Match one article: entity mentions and the alerts of every rule that fires."""
        fields: list[_FieldState | None] = []
        term_hits: dict[int, list[Occ]] = {}
        form_hits: dict[Occ, list[int]] = {}
        country_hits: dict[str, list[Occ]] = {}
        parts: list[Occ] = []
        for fi, raw in enumerate((article.title or "", article.text or "")):
            if not raw:
                fields.append(None)
                continue
            fs = _FieldState(raw, normalise_field(raw))
            if fi:
                fs._title_case = False  # only a headline is written in Title Case
            fields.append(fs)
            self._scan_field(fi, fs, term_hits, form_hits, country_hits, parts)
        if parts:
            self._typo_hits(fields, parts, form_hits)
        mentions = self._resolve(fields, form_hits, country_hits)
        findings = [
            EntityFinding(
                entity_id=self._entities[m.entity].entity_id,
                dataset=self._entities[m.entity].dataset,
                source_id=self._entities[m.entity].source_id,
                name=self._entities[m.entity].caption,
                matched=m.matched,
                field=_FIELDS[m.field],
                start=m.start,
                end=m.end,
                confidence=round(m.confidence, 3),
            )
            for m in mentions
        ]
        present: set[object] = set(term_hits)
        present.update(f"c:{code.lstrip('?')}" for code in country_hits)
        if mentions:
            present.add("entity")
        candidates: set[int] = set(self._always)
        triggers = self._triggers
        for trigger in present:
            found = triggers.get(trigger)
            if found:
                candidates.update(found)
        if not candidates:
            return ScanResult(findings, [])
        ctx = _Eval(self, fields, term_hits, country_hits, mentions, present)
        alerts = []
        for index in sorted(candidates):
            alert = ctx.run_rule(self._rules[index])
            if alert is not None:
                alerts.append(alert)
        return ScanResult(findings, alerts)

    # ------------------------------------------------------------------ helpers for _Eval

    def predicate(self, pred: EntityPred) -> object:
        """The compiled test of an entity predicate (cached)."""
        fn = self._pred_cache.get(pred)
        if fn is None:
            fn = _entity_predicate(pred)
            self._pred_cache[pred] = fn
        return fn

    def entity(self, index: int) -> _Entity:
        """An entity's metadata by internal index."""
        return self._entities[index]

    @property
    def rules(self) -> list[RuleSpec]:
        """The enabled rules compiled into this matcher."""
        return [r.spec for r in self._rules]


class _Eval:
    """The scan context rules are evaluated against (one article)."""

    def __init__(self, matcher: Matcher, fields: list[_FieldState | None], term_hits: dict[int, list[Occ]],
                 country_hits: dict[str, list[Occ]], mentions: list[_Mention], present: set[object]) -> None:
        self.m = matcher
        self.fields = fields
        self.term_hits = term_hits
        self.country_hits = country_hits
        self.mentions = mentions
        self.present = present
        self.entity_cache: dict[EntityPred, list[Occ]] = {}
        self.sent_mentions: dict[tuple[int, int], list[_Mention]] | None = None

    def sentence(self, fi: int, pos: int) -> int:
        fs = self.fields[fi]
        assert fs is not None
        return fs.sentence_of(pos)

    def words(self, fi: int, end: int, start: int) -> int:
        fs = self.fields[fi]
        assert fs is not None
        return fs.nt.words_between(end, start)

    def country_occs(self, code: str) -> list[Occ]:
        """Mentions of a country; acronym hits kept only when written in capitals."""
        found = self.country_hits.get(code, [])
        pending = self.country_hits.get(f"?{code}")
        if not pending:
            return found
        verified = []
        for occ in pending:
            fs = self.fields[occ[0]]
            assert fs is not None
            o0, o1 = fs.nt.orig_span(occ[1], occ[2])
            if fs.text[o0:o1].isupper():
                verified.append(occ)
        self.country_hits[code] = found = found + verified
        del self.country_hits[f"?{code}"]
        return found

    def entity_occs(self, pred: EntityPred) -> list[Occ]:
        """Mentions of entities that satisfy a predicate (cached per scan)."""
        found = self.entity_cache.get(pred)
        if found is None:
            test: Callable[[_Entity], bool] = self.m.predicate(pred)  # type: ignore[assignment]
            found = [(mm.field, mm.t0, mm.t1) for mm in self.mentions if test(self.m.entity(mm.entity))]
            if pred.field is not None:
                wanted = _FIELDS.index(pred.field)
                found = [o for o in found if o[0] == wanted]
            self.entity_cache[pred] = found
        return found

    def near(self, node: Near, left_fn: Callable[[_Eval], list[Occ]], right_fn: Callable[[_Eval], list[Occ]],
             right_first: bool) -> list[Occ]:
        """Pairs of occurrences within the distance (or one sentence); the rarer side first."""
        if right_first:
            right = [o for o in right_fn(self) if o[0] >= 0]
            if not right:
                return []
            left = [o for o in left_fn(self) if o[0] >= 0]
        else:
            left = [o for o in left_fn(self) if o[0] >= 0]
            if not left:
                return []
            right = [o for o in right_fn(self) if o[0] >= 0]
        if not left or not right:
            return []
        out: list[Occ] = []
        dist = node.distance
        words = self.words
        for f1, a0, a1 in left:
            for f2, b0, b1 in right:
                if f1 != f2:
                    continue
                if node.sentence:
                    ok = self.sentence(f1, a0) == self.sentence(f1, b0)
                elif b0 > a1:
                    # 8 characters a word at least: skip the counting for pairs far apart
                    ok = b0 - a1 <= dist * 40 and words(f1, a1, b0) <= dist
                elif node.ordered:
                    ok = False
                elif a0 > b1:
                    ok = a0 - b1 <= dist * 40 and words(f1, b1, a0) <= dist
                else:
                    ok = (a0, a1) != (b0, b1)
                if ok:
                    out.append((f1, min(a0, b0), max(a1, b1)))
                    if len(out) >= _MAX_OCC:
                        return out
        return out

    # ------------------------------------------------------------------ alerts

    def _mentions_by_sentence(self) -> dict[tuple[int, int], list[_Mention]]:
        if self.sent_mentions is None:
            out: dict[tuple[int, int], list[_Mention]] = {}
            for mm in self.mentions:
                out.setdefault((mm.field, self.sentence(mm.field, mm.t0)), []).append(mm)
            self.sent_mentions = out
        return self.sent_mentions

    def run_rule(self, rule: _Rule) -> AlertFinding | None:
        occs = rule.fn(self)
        if not occs:
            return None
        real = sorted({o for o in occs if o[0] >= 0})
        sentences: list[tuple[int, int]] = []
        for fi, t0, _t1 in real:
            key = (fi, self.sentence(fi, t0))
            if key not in sentences:
                sentences.append(key)
        by_sentence = self._mentions_by_sentence()
        # sentences with a listed party come first: they are what an analyst must read
        sentences.sort(key=lambda k: (0 if by_sentence.get(k) else 1, k))
        chosen = sentences[:_MAX_EVIDENCE]
        chosen.sort()
        severity, raised = self._severity(rule, set(sentences))
        entity_order: list[int] = []
        for pred in rule.entity_preds:
            test = self.m.predicate(pred)
            for mm in self.mentions:
                if test(self.m.entity(mm.entity)) and mm.entity not in entity_order:  # type: ignore[operator]
                    entity_order.append(mm.entity)
        involved: list[_Mention] = []
        for key in chosen:
            for mm in by_sentence.get(key, []):
                involved.append(mm)
                if mm.entity not in entity_order:
                    entity_order.append(mm.entity)
        evidence = []
        for fi, si in chosen:
            fs = self.fields[fi]
            assert fs is not None
            start, end = fs.sentence_bounds(si)
            evidence.append(Evidence(_FIELDS[fi], start, end, fs.text[start:end]))
        score, explanation = self._explain(rule, severity, raised, chosen, by_sentence, entity_order, real)
        return AlertFinding(
            rule=rule.spec.id,
            title=rule.spec.title,
            category=rule.spec.category,
            severity=severity,
            score=score,
            entity_ids=[self.m.entity(e).entity_id for e in entity_order],
            evidence=evidence,
            explanation=explanation,
        )

    def _severity(self, rule: _Rule, sentences: set[tuple[int, int]]) -> tuple[str, list[str]]:
        severity = rule.spec.severity
        raised: list[str] = []
        for level, scope, fn in rule.escalations:
            occs = [o for o in fn(self) if o[0] >= 0 or scope == "article"]
            if not occs:
                continue
            if scope == "sentence" and not any((o[0], self.sentence(o[0], o[1])) in sentences for o in occs):
                continue
            if SEVERITY_RANK[level] > SEVERITY_RANK[severity]:
                severity = level
                raised.append(level)
        return severity, raised

    def _term_phrase(self, rule: _Rule, key: tuple[int, int]) -> str:
        fi, si = key
        fs = self.fields[fi]
        assert fs is not None
        hits = []
        for tid in rule.term_ids:
            for f, t0, t1 in self.term_hits.get(tid, ()):
                if f == fi and self.sentence(fi, t0) == si:
                    hits.append((t0, t1))
        if not hits:
            return ""

        def said(hit: tuple[int, int]) -> str:
            o0, o1 = fs.nt.orig_span(*hit)
            return fs.text[o0:o1]

        # 'with', 'to' tell an auditor nothing: name the span of the content terms, or those terms
        content = [h for h in hits if not set(said(h).casefold().split()) <= FUNCTION_WORDS] or hits
        lo = min(h[0] for h in content)
        hi = max(h[1] for h in content)
        if fs.nt.words_between(lo, hi) <= 8:
            return f"'{said((lo, hi))}'"
        terms: dict[str, str] = {}
        for hit in sorted(set(content)):
            terms.setdefault(said(hit).casefold(), said(hit))
        return ", ".join(f"'{term}'" for term in list(terms.values())[:4])

    def _explain(self, rule: _Rule, severity: str, raised: list[str], chosen: list[tuple[int, int]],
                 by_sentence: dict[tuple[int, int], list[_Mention]], entity_order: list[int],
                 occs: list[Occ]) -> tuple[float, str]:
        score = _SEVERITY_BASE[severity]
        parts: list[str] = []
        listed = [e for e in entity_order if self.m.entity(e).dataset not in NON_SANCTIONS_DATASETS]
        if listed:
            best = max((mm.confidence for mm in self.mentions if mm.entity in listed), default=0.0)
            score += 0.12 * best
        co_sentence = False
        for key in chosen:
            phrase = self._term_phrase(rule, key)
            people = by_sentence.get(key, [])
            if people and phrase:
                co_sentence = True
                named: dict[str, list[str]] = {}
                for mm in people:
                    ent = self.m.entity(mm.entity)
                    label = f"{ent.entity_id}, {ent.display_programs}"
                    if label not in named.setdefault(mm.matched, []):
                        named[mm.matched].append(label)
                who = [f"{matched} ({'; '.join(labels)})" for matched, labels in named.items()]
                parts.append(f"{' and '.join(who[:3])} in the same sentence as {phrase}")
            elif phrase:
                parts.append(f"{phrase} in the {_FIELDS[key[0]]}")
        if co_sentence:
            score += 0.1
        if not parts and entity_order:
            for e in entity_order[:3]:
                ent = self.m.entity(e)
                matched = next((mm.matched for mm in self.mentions if mm.entity == e), ent.caption)
                parts.append(f"{matched} ({ent.entity_id}, {ent.display_programs}) mentioned")
        sanctioned_places = sorted(
            {code for code in {c.lstrip("?") for c in self.country_hits} if code in SANCTIONED_JURISDICTIONS
             and any((o[0], self.sentence(o[0], o[1])) in set(chosen) for o in self.country_occs(code))}
        )
        if sanctioned_places:
            score += 0.05
            parts.append(f"sanctioned jurisdiction{'s' if len(sanctioned_places) > 1 else ''} "
                         f"{', '.join(sanctioned_places)} in the evidence")
        if len(chosen) > 1:
            score += min(0.06, 0.02 * (len(chosen) - 1))
        head = f"{rule.spec.title} ({severity}"
        if raised:
            head += f", raised from {rule.spec.severity}"
        head += ")"
        score = round(min(1.0, max(0.0, score)), 3)
        return score, head + ": " + "; ".join(parts) if parts else head


def build_matcher(rules: Iterable[RuleSpec], aliases: Iterable[AliasSpec]) -> Matcher:
    """Compile rules and aliases into one matcher (one automaton)."""
    return Matcher().build(rules, aliases)


__all__ = ["NON_SANCTIONS_DATASETS", "Matcher", "build_matcher"]
