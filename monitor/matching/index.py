"""The compiled index: every alias form, rule term and country form of one (lists, rules) version
as keys of ONE Aho-Corasick automaton (or, for lists of millions of alias keys, the alias forms in
a word table of hashes, `wordtable`), and the flat arrays that say who owns each key.

Built by `monitor.matching.indexbuild`, saved and loaded by `monitor.matching.indexstore`, read by
the scan (`engine`, `resolve`, `cues`) through the methods below. A key's value is an index into
`owners`: an owner code is `(id << 3) | kind`, with kind FORM (an alias form: `form_entity`,
`form_kind`, `form_conf` say whose and how strong), TERM (a rule term), COUNTRY (a country form)
or PART (a given name probed for a surname with one typo), and the PREFIX flag for a key with a
trailing wildcard (no end-of-word check). A key with several owners holds -1 and its codes in
`multi`. Nothing outside the matching package reads these arrays.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from monitor import resources
from monitor.matching.wordtable import WordTable

FORM, TERM, COUNTRY, PART = 0, 1, 2, 3
PREFIX = 4  # owner flag: no end-of-word check (trailing wildcard)
KIND_MASK = 3

# Datasets that are watch lists rather than sanctions lists (not `entity:sanctioned`).
NON_SANCTIONS_DATASETS = frozenset({"named_officials"})


@dataclass(frozen=True, slots=True)
class EntityInfo:
    """What the matcher knows of one listed entity."""

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
        """The programmes as an analyst reads them (the dataset when there are none)."""
        return ", ".join(self.programs) if self.programs else self.dataset

    @property
    def curated(self) -> bool:
        """On a curated watch list (named officials) rather than a sanctions list."""
        return self.dataset in NON_SANCTIONS_DATASETS


@dataclass
class CompiledIndex:
    """Everything the scan looks up, frozen once built (see the module docstring)."""

    automaton: Any  # ahocorasick.Automaton (STORE_INTS): key -> key id
    words: WordTable  # the alias keys not in the automaton (empty unless the lists are large)
    # flat arrays (array.array: fast scalar reads in the scan loop, raw bytes on disk)
    klen: array[int]  # "i" per key id: length of the padded key
    owners: array[int]  # "q" per key id: owner code, or -1 when several (see `multi`)
    multi: dict[int, tuple[int, ...]]
    entities: Sequence[EntityInfo]  # a list when built, decoded lazily when loaded
    form_entity: array[int]  # "i" per form id
    form_kind: array[int]  # "b" per form id (aliasforms kinds)
    form_conf: array[float]  # "f" per form id
    alias_counts: array[int]  # "i" per entity: how many names the lists give it
    terms: list[tuple[tuple[str, ...], bool]]  # per term id: (tokens, trailing wildcard)
    countries: list[tuple[str, bool]]  # per country form id: (ISO code, capitals only)
    typo_hash: np.ndarray  # int64, sorted: hashes of "given surname" with one letter deleted
    typo_fid: np.ndarray  # int32: the form id of each hash
    rare_fids: frozenset[int]  # bare surnames English text hardly uses ("Prigozhin")
    proper_fids: frozenset[int]  # names of everyday words ("Islamic State")
    country_bound: frozenset[int]  # Spanish first surnames alone: need a country of theirs
    given_names: frozenset[str]  # every given name of every listed person
    links: dict[int, tuple[int, ...]]  # curated person -> sanctions entries sharing a full name
    related: dict[int, frozenset[int]]  # "Linked To" on the lists, both ways
    # per term id: chance the term occurs in an article (orders a rule's AND children, picks triggers)
    term_costs: array[float]
    # everyday English words by rank (wordfreq): the scan's checks of first names and typo probes
    sentence_words: frozenset[str]  # the commonest: a capital opening a sentence says nothing
    distinct_words: frozenset[str]  # under DISTINCT_TOP
    everyday_words: frozenset[str]  # under EVERYDAY_TOP
    version: str
    alias_count: int
    term_index: dict[tuple[tuple[str, ...], bool], int] = field(default_factory=dict)
    # other languages (multilingual): the words of every name form (an inflected article word is
    # cut back only to one of these) and the Han-script names (added to the Chinese segmenter)
    name_words: frozenset[str] = frozenset()
    han_words: frozenset[str] = frozenset()
    _ent_countries: dict[int, frozenset[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self.term_index:
            self.term_index = {term: tid for tid, term in enumerate(self.terms)}

    @property
    def key_count(self) -> int:
        """Keys in the automaton and the word table."""
        return len(self.klen)

    def term_id(self, tokens: tuple[str, ...], prefix: bool) -> int | None:
        """The id of a rule term compiled into this index (None: the index predates the rule)."""
        return self.term_index.get((tokens, prefix))

    def entity_countries(self, index: int) -> frozenset[str]:
        """Countries of an entity: its own, and those its sanctions programmes are about."""
        found = self._ent_countries.get(index)
        if found is None:
            ent = self.entities[index]
            codes = set(ent.countries)
            for prog in ent.programs:
                code = resources.programme_country(prog)
                if code:
                    codes.add(code)
            found = self._ent_countries[index] = frozenset(codes)
        return found

    def head_of(self, ent: int, place: str) -> bool:
        """Whether a listed person can be the head of state a title names: listed under a country's
        programme (of the country named before the title, when one is), or on a curated watch list."""
        if self.entities[ent].curated:
            return True
        codes = {resources.programme_country(prog) for prog in self.entities[ent].programs} - {None}
        return bool(codes) and (not place or place in codes)
