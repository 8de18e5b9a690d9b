"""Build the compiled index (`monitor.matching.index`) from rules and aliases.

Every surface form of every alias (aliasforms), every term of every rule query and every
country form becomes a key over normalised token strings. Rule terms and country names go into a
pyahocorasick automaton; so do the alias forms while the lists are small, and beyond
WORD_TABLE_MIN_KEYS alias keys the alias forms go into a word table instead (`wordtable`: sorted
hashes, memory-mapped when loaded; a trie of millions of keys would take gigabytes in every
process). Both report the same hits. Aliases are streamed entity by entity: a million aliases are
never all in memory at once.
After the forms, whole-list facts are derived: which bare surnames are distinctive, which are
rare, which curated watch-list people are which list entries, which entries the lists link.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from collections.abc import Iterable
from typing import Any

import ahocorasick
import numpy as np

from monitor import resources
from monitor.matching.aliasforms import (
    DISTINCT,
    STRONG,
    SURNAME,
    WEAK,
    entity_forms,
    given_names,
    group_by_entity,
    is_person,
)
from monitor.matching.countries import gazetteer
from monitor.matching.index import COUNTRY, FORM, KIND_MASK, PART, PREFIX, TERM, CompiledIndex, EntityInfo
from monitor.matching.multilingual import LanguageSupport
from monitor.matching.normalise import normalise_name
from monitor.matching.query import Term, parse_query, walk
from monitor.matching.tuning import (
    ARTICLE_WORDS,
    DISTINCT_MAX_PEOPLE,
    DISTINCT_MIN_LETTERS,
    DISTINCT_TOP,
    EVERYDAY_TOP,
    FULLER_LISTING_RATIO,
    LINK_MIN_CONFIDENCE,
    MAX_NAMESAKES,
    PHRASE_RARITY,
    PREFIX_COMMONNESS,
    RARE_NAME_ZIPF,
    SENTENCE_START_COMMON_TOP,
    SHORT_FORM_MAX_PEOPLE,
    SOLO_MIN,
    SOLO_ZIPF,
    TYPO_MIN,
    TYPO_MIN_CONFIDENCE,
    TYPO_ZIPF,
    WORD_TABLE_MIN_KEYS,
)
from monitor.matching.types import AliasSpec, RuleSpec
from monitor.matching.words import common_words
from monitor.matching.wordtable import WordTable, build_table, empty_table

# a title the list gives a head of state or government ("President of the Syrian Arab Republic";
# not "Vice President of ...", nor "Presidential Advisor")
_HEAD_LISTED = re.compile(
    r"(?:^|;)\s*(?:" + "|".join(map(re.escape, resources.ordered("titles", "listed_head_titles"))) + r")\b",
    re.IGNORECASE,
)


def term_cost(tokens: tuple[str, ...], prefix: bool) -> float:
    """Chance that a term occurs in an article, from English word frequencies (a phrase is
    rarer than its rarest word; a wildcard is commoner than its stem)."""
    from wordfreq import word_frequency  # on first use: loading a saved index never needs it

    chances = [min(1.0, ARTICLE_WORDS * word_frequency(t, "en")) for t in tokens]
    cost = min(chances) * (PHRASE_RARITY if len(tokens) > 1 else 1.0)
    if prefix:
        cost = min(1.0, cost * PREFIX_COMMONNESS + 0.01)
    return max(cost, 0.001)


def stable_hash(text: str) -> int:
    """A 64-bit hash that is the same in every process (str's hash() is salted per process, and
    the typo index is saved to disk)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little", signed=True)


_NON_LATIN = re.compile("[\u0370-\u04ff\u0600-\u06ff\u0750-\u077f\ufb50-\ufeff]")  # Greek, Cyrillic, Arabic


class IndexBuilder:
    """Collects keys and owners while rules and aliases stream in; `finish` freezes them."""

    def __init__(self, word_table_min_keys: int = WORD_TABLE_MIN_KEYS) -> None:
        self.kids: dict[str, int] = {}  # padded key -> key id
        self.word_table_min_keys = word_table_min_keys
        self.klen: array[int] = array("i")
        self.owners: array[int] = array("q")
        self.multi: dict[int, tuple[int, ...]] = {}
        self.entities: list[EntityInfo] = []
        self.form_entity: array[int] = array("i")
        self.form_kind: array[int] = array("b")
        self.form_conf: array[float] = array("f")
        self.alias_counts: array[int] = array("i")
        self.terms: list[tuple[tuple[str, ...], bool]] = []
        self.term_index: dict[tuple[tuple[str, ...], bool], int] = {}
        self.countries: list[tuple[str, bool]] = []
        self.typo_hash: array[int] = array("q")
        self.typo_fid: array[int] = array("i")
        self.rare_fids: set[int] = set()
        self.proper_fids: set[int] = set()
        self.country_bound: set[int] = set()
        self.given: set[str] = set()
        self.alias_count = 0
        self.digest = hashlib.sha256()
        self.languages = LanguageSupport()  # renderings and transcriptions of names, their words
        # build-only state
        self._surnames: dict[str, list[int]] = {}
        self._short_forms: list[tuple[int, str]] = []  # Spanish short forms and the first surname each keeps
        self._linked_names: list[tuple[int, tuple[str, ...]]] = []

    # ------------------------------------------------------------------ keys

    def add_key(self, key: str, code: int) -> None:
        """Give a key one more owner ("key " matches whole tokens only, " key" with a trailing
        wildcard any token it starts)."""
        key = f" {key}" if code & PREFIX else f" {key} "
        kid = self.kids.get(key, -1)
        if kid < 0:
            kid = self.kids[key] = len(self.klen)
            self.klen.append(len(key))
            self.owners.append(code)
            return
        old = self.owners[kid]
        if old >= 0:
            if old != code:
                self.owners[kid] = -1
                self.multi[kid] = (old, code)
        elif code not in self.multi[kid]:
            self.multi[kid] = (*self.multi[kid], code)

    def term_id(self, term: Term) -> int:
        """The id of a rule term, added as a key on first sight."""
        ident = (term.tokens, term.prefix)
        tid = self.term_index.get(ident)
        if tid is None:
            tid = len(self.terms)
            self.terms.append(ident)
            self.term_index[ident] = tid
            self.add_key(" ".join(term.tokens), (tid << 3) | TERM | (PREFIX if term.prefix else 0))
        return tid

    def add_rules(self, rules: Iterable[RuleSpec]) -> list[RuleSpec]:
        """Every term of every enabled rule (and of its escalations); the enabled rules."""
        enabled = []
        for spec in rules:
            if not spec.enabled:
                continue
            enabled.append(spec)
            self.digest.update(repr(spec).encode())
            for query in (spec.query, *(e.when for e in spec.escalate)):
                for sub in walk(parse_query(query, vocabularies=spec.vocabularies)):
                    if isinstance(sub, Term):
                        self.term_id(sub)
        return enabled

    # ------------------------------------------------------------------ aliases

    def add_aliases(self, aliases: Iterable[AliasSpec]) -> None:
        """Every form of every alias, entity by entity."""
        known: dict[str, int] = {}
        digest = self.digest
        for entity_id, specs in group_by_entity(aliases):
            first = specs[0]
            index = known.get(entity_id, -1)
            if index < 0:  # an entity whose aliases come in two runs keeps one record
                index = known[entity_id] = len(self.entities)
                head = bool(first.title) and bool(_HEAD_LISTED.search(first.title))
                self.entities.append(
                    EntityInfo(entity_id, first.dataset, first.source_id, first.caption, first.schema,
                               tuple(first.programs), tuple(first.countries), head)
                )
                if first.linked:
                    self._linked_names.append((index, tuple(first.linked)))
                if first.title or first.linked:
                    digest.update(f"{entity_id}\x1f{first.title}\x1f{first.linked}\x1d".encode())
            for spec in specs:
                digest.update(f"{spec.entity_id}\x1f{spec.alias}\x1f{spec.weak}\x1e".encode())
            self.alias_count += len(specs)
            if index == len(self.alias_counts):
                self.alias_counts.append(0)
            self.alias_counts[index] += len(specs)
            person = is_person(first.schema)
            if person:
                self.given.update(given_names(specs))
            for form in self.languages.forms(specs, entity_forms(specs)):
                fid = len(self.form_entity)
                self.form_entity.append(index)
                self.form_kind.append(form.kind)
                self.form_conf.append(form.confidence)
                self.add_key(form.key, (fid << 3) | FORM)
                if person and form.kind == STRONG and form.confidence >= TYPO_MIN_CONFIDENCE:
                    self._add_typo_variants(form.key, fid)
                if form.kind == SURNAME and len(form.key) >= DISTINCT_MIN_LETTERS and " " not in form.key:
                    self._surnames.setdefault(form.key, []).append(fid)
                if form.proper:
                    self.proper_fids.add(fid)
                if form.short_of and form.kind == SURNAME:
                    self.country_bound.add(fid)
                elif form.short_of:
                    self._short_forms.append((fid, form.short_of))

    def _add_typo_variants(self, key: str, fid: int) -> None:
        """Index "given surname" under every one-letter deletion of a long surname, and make the
        given name a key of its own, so that the scan can find "Sergei Shouigu" and "Yevgeny
        Prigozin" (symmetric deletion: text and list each lose at most one letter) without
        a loop over the aliases."""
        given, _, surname = key.rpartition(" ")
        if not given or " " in given or len(surname) < TYPO_MIN or given in common_words(DISTINCT_TOP):
            return  # given names that are everyday words ("John", "Mark") would be probed in every article
        from wordfreq import zipf_frequency  # on first use: loading a saved index never needs it

        if zipf_frequency(surname, "en") >= TYPO_ZIPF:
            return  # a common surname one letter from another ("Griffin", "Griffen") is someone else
        self.add_key(given, PART)
        hashes, fids = self.typo_hash, self.typo_fid
        hashes.append(stable_hash(key))
        fids.append(fid)
        for i in range(len(surname)):
            hashes.append(stable_hash(f"{given} {surname[:i]}{surname[i + 1:]}"))
            fids.append(fid)

    # ------------------------------------------------------------------ whole-list facts

    def _mark_distinct_surnames(self) -> None:
        """The surname of a person on a curated watch list (named officials: Putin, Shoigu,
        Lavrov...) names that person on its own in news, when it is no everyday word and at most
        a few listed people have it; so does the same surname of the one sanctions-list entry
        listed far more fully than its namesakes (Putin on the SDN list, Prigozhin the father, not
        the son). Everyone else's bare surname needs support (the footballer Conte, the tennis
        player Safin). It stays subject to the namesake checks."""
        for fid, surname in self._short_forms:
            # "Ivan Velasquez": a first surname five listed people have (and every other reader)
            # makes the short form a namesake's as likely as the listed one's
            if len({self.form_entity[f] for f in self._surnames.get(surname, ())}) > SHORT_FORM_MAX_PEOPLE:
                self.form_kind[fid] = WEAK
        self._short_forms.clear()
        common = common_words(DISTINCT_TOP)
        from wordfreq import zipf_frequency  # on first use: loading a saved index never needs it

        for key, fids in self._surnames.items():
            if len(fids) > DISTINCT_MAX_PEOPLE or key in common:
                continue
            # a transcription reads as its source does (Kalaschnikow is the rifle's name too)
            zipf = max(zipf_frequency(key, "en"), zipf_frequency(self.languages.source_of.get(key, key), "en"))
            if zipf < RARE_NAME_ZIPF:
                self.rare_fids.update(fids)
            curated = [f for f in fids if self.entities[self.form_entity[f]].curated]
            if not curated:
                if zipf < SOLO_ZIPF and len(key) >= SOLO_MIN:
                    for fid in self._solo_owner(fids):
                        self.form_kind[fid] = DISTINCT
                continue
            for fid in curated:
                self.form_kind[fid] = DISTINCT
            others = sorted(((self.alias_counts[self.form_entity[f]], f) for f in fids if f not in curated),
                            reverse=True)
            if others and (len(others) == 1 or others[0][0] >= FULLER_LISTING_RATIO * others[1][0]):
                self.form_kind[others[0][1]] = DISTINCT
        self._surnames.clear()

    def _solo_owner(self, fids: list[int]) -> list[int]:
        """The forms of the one listed person a surname English never uses belongs to: all of
        them when they are one person on several lists, else the person listed at least twice as
        fully as every namesake (Prigozhin the father, not the son); none otherwise."""
        names = {f: frozenset(normalise_name(self.entities[self.form_entity[f]].caption).split()) for f in fids}
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
        sizes = sorted(((max(self.alias_counts[self.form_entity[f]] for f in g), i) for i, g in enumerate(groups)),
                       reverse=True)
        return groups[sizes[0][1]] if sizes[0][0] >= FULLER_LISTING_RATIO * sizes[1][0] else []

    def _link_curated(self) -> dict[int, tuple[int, ...]]:
        """A person on the curated watch list is the sanctions-list entry that shares one of
        their full names ("Kim Jong Un" is named_officials:kim-jong-un and us_ofac_sdn:20157):
        a bare surname resolved to the curated person names the linked entries too."""
        ents = self.entities
        if not any(e.curated for e in ents):
            return {}
        links: dict[int, set[int]] = {}
        for codes in self.multi.values():
            curated: set[int] = set()
            listed: set[int] = set()
            for code in codes:
                if code & KIND_MASK != FORM:
                    continue
                fid = code >> 3
                if self.form_kind[fid] != STRONG or self.form_conf[fid] < LINK_MIN_CONFIDENCE:
                    continue
                ent = self.form_entity[fid]
                (curated if ents[ent].curated else listed).add(ent)
            if curated and listed and len(listed) <= MAX_NAMESAKES:
                for ent in curated:
                    links.setdefault(ent, set()).update(listed)
        return {k: tuple(sorted(v)) for k, v in links.items()}

    def _resolve_links(self) -> dict[int, frozenset[int]]:
        """Each "Linked To" name resolved to the entity of the same list whose primary name it is
        (PRIVATE MILITARY COMPANY 'WAGNER' <- UTKIN, Dmitriy Valeryevich); kept both ways."""
        if not self._linked_names:
            return {}
        by_name: dict[tuple[str, str], int] = {}
        for index, ent in enumerate(self.entities):
            by_name.setdefault((ent.dataset, normalise_name(ent.caption)), index)
        related: dict[int, set[int]] = {}
        for index, names in self._linked_names:
            dataset = self.entities[index].dataset
            for name in names:
                other = by_name.get((dataset, normalise_name(name)), -1)
                if other >= 0 and other != index:
                    related.setdefault(index, set()).add(other)
                    related.setdefault(other, set()).add(index)
        self._linked_names.clear()
        return {k: frozenset(v) for k, v in related.items()}

    def _add_countries(self) -> None:
        for form, code, caps in gazetteer():
            written = f"~{code}" if _NON_LATIN.search(form) else code
            for key in self.languages.place_keys(form):
                cid = len(self.countries)
                self.countries.append((written, caps))
                self.add_key(key, (cid << 3) | COUNTRY)

    def _codes(self, kid: int) -> tuple[int, ...]:
        own = self.owners[kid]
        return (own,) if own >= 0 else self.multi[kid]

    def _set_codes(self, kid: int, codes: tuple[int, ...]) -> None:
        if len(codes) == 1:
            self.owners[kid] = codes[0]
            self.multi.pop(kid, None)
        else:
            self.owners[kid] = -1
            self.multi[kid] = codes

    def _key_structures(self) -> tuple[Any, WordTable]:
        """The automaton of every key, or, past WORD_TABLE_MIN_KEYS alias keys, the automaton of
        the rule terms and country names and the word table of the alias forms and given names
        (a key both kinds own is split in two key ids, one in each, so no hit is seen twice)."""
        auto = ahocorasick.Automaton(ahocorasick.STORE_INTS, ahocorasick.KEY_STRING)
        table_keys: list[str] = []
        table_kids: list[int] = []
        aliases = {FORM, PART}
        large = sum(1 for kid in range(len(self.klen)) if any((c & KIND_MASK) in aliases for c in self._codes(kid)))
        large_mode = large >= self.word_table_min_keys
        for key, kid in self.kids.items():
            codes = self._codes(kid)
            if not large_mode:
                auto.add_word(key, kid)
                continue
            mine = tuple(c for c in codes if (c & KIND_MASK) in aliases)
            if not mine:
                auto.add_word(key, kid)
                continue
            if len(mine) < len(codes):
                self._set_codes(kid, tuple(c for c in codes if (c & KIND_MASK) not in aliases))
                auto.add_word(key, kid)
                kid = len(self.klen)
                self.klen.append(len(key))
                self.owners.append(0)
                self._set_codes(kid, mine)
            table_keys.append(key)
            table_kids.append(kid)
        self.kids.clear()
        auto.make_automaton()
        return auto, (build_table(table_keys, table_kids) if table_keys else empty_table())

    def finish(self) -> CompiledIndex:
        """Derive the whole-list facts and freeze everything into a CompiledIndex."""
        self._mark_distinct_surnames()
        links = self._link_curated()
        related = self._resolve_links()
        self._add_countries()
        automaton, words = self._key_structures()
        hashes = np.frombuffer(self.typo_hash, dtype=np.int64)
        order = np.argsort(hashes, kind="stable")
        return CompiledIndex(
            automaton=automaton,
            words=words,
            klen=self.klen,
            owners=self.owners,
            multi=self.multi,
            entities=self.entities,
            form_entity=self.form_entity,
            form_kind=self.form_kind,
            form_conf=self.form_conf,
            alias_counts=self.alias_counts,
            terms=self.terms,
            countries=self.countries,
            typo_hash=hashes[order],
            typo_fid=np.frombuffer(self.typo_fid, dtype=np.int32)[order],
            rare_fids=frozenset(self.rare_fids),
            proper_fids=frozenset(self.proper_fids),
            country_bound=frozenset(self.country_bound),
            given_names=frozenset(self.given),
            links=links,
            related=related,
            version=self.digest.hexdigest()[:16],
            alias_count=self.alias_count,
            term_index=self.term_index,
            name_words=frozenset(self.languages.tokens),
            han_words=frozenset(self.languages.han_words),
            term_costs=array("d", (term_cost(tokens, prefix) for tokens, prefix in self.terms)),
            sentence_words=common_words(SENTENCE_START_COMMON_TOP),
            distinct_words=common_words(DISTINCT_TOP),
            everyday_words=common_words(EVERYDAY_TOP),
        )


def build_index(rules: Iterable[RuleSpec], aliases: Iterable[AliasSpec],
                word_table_min_keys: int = WORD_TABLE_MIN_KEYS) -> tuple[CompiledIndex, list[RuleSpec]]:
    """Compile rules' terms and aliases into one index; the enabled rules alongside."""
    builder = IndexBuilder(word_table_min_keys)
    enabled = builder.add_rules(rules)
    builder.add_aliases(aliases)
    return builder.finish(), enabled
