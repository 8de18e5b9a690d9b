"""Screening: a name in, candidates from the loaded lists out, best first, each explained.

Two stages, so that a query never compares against every alias:

1. Retrieval from an in-memory index built once per list version: name part -> aliases
   (a compressed posting array per part), phonetic key -> parts, and one-deletion variants
   of the phonetic keys -> keys (SymSpell style) so a typo still finds its part. Each query
   part adds its IDF weight to the aliases that contain it; the best few dozen go on.
2. Reranking of those candidates with `namematch.compare_prepared`, then filters (schema,
   birth year, country) that raise or lower the score, and one row per entity.

The index is cached per database and `lists_version_key`, so a list load makes the next
query rebuild it without a restart; a new process loads it from `screen_cache`'s file under
the data directory instead of building it again.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from monitor.models import Entity, EntityName
from monitor.settings import Settings
from monitor.watchlists import namematch, nametokens
from monitor.watchlists.aliases import lists_version_key
from monitor.watchlists.countries import country_code
from monitor.watchlists.links import load_clusters
from monitor.watchlists.resolve import Clusters

__all__ = [
    "MAX_QUERY_CHARS",
    "AliasRow",
    "ScreenError",
    "ScreenIndex",
    "ScreenMatch",
    "ScreenResult",
    "Screener",
    "get_screener",
    "lists_version_key",
]

#: Longer queries are refused with a clear message (no real name is this long).
MAX_QUERY_CHARS = 1000
#: Candidates taken from the index to the (costlier) pairwise comparison.
CANDIDATES = 48
#: The longest syllable of a Korean, Chinese or Vietnamese given name, romanised (a query part
#: that is two of them written as one is looked for as the two).
SYLLABLE_LETTERS = 5
_VOWEL = re.compile("[aeiouy]")
#: Candidates whose index score is under this share of the best one are not compared.
RELATIVE_CUTOFF = 0.3
#: Near misses at or above this score are listed under the decision threshold.
NEAR_MISS_FLOOR = 0.5
#: Weight of a part found by its consonants only (a query in Arabic or Persian script).
ABJAD_RETRIEVAL = 0.8
#: How much a part's own rarity adds to it then (orders the many spellings one key finds).
ABJAD_TIE = 0.01
#: A match on a weak alias (OFAC "weak AKA") counts for less.
WEAK_ALIAS_FACTOR = 0.9
# How a filter moves the score.
SCHEMA_MISMATCH_FACTOR = 0.7
BIRTH_YEAR_BONUS = 0.05
BIRTH_YEAR_MISMATCH = 0.15
COUNTRY_BONUS = 0.03
COUNTRY_MISMATCH = 0.1

_PERSON = {"person"}
_ORGS = {"organization", "organisation", "company", "legalentity", "publicbody"}
SCHEMAS = frozenset(_PERSON | _ORGS | {"vessel", "aircraft"})
_RAW_WORDS = re.compile(r"\w+")
_YEAR = re.compile(r"(1[89]\d\d|20\d\d)")


class ScreenError(ValueError):
    """A query that cannot be screened (empty, too long, nothing left after normalisation)."""


@dataclass(frozen=True, slots=True)
class AliasRow:
    """One name of one listed entity, with what the filters need."""

    entity_id: str
    dataset: str
    source_id: str
    caption: str
    alias: str
    schema: str = "LegalEntity"
    weak: bool = False
    countries: tuple[str, ...] = ()
    birth_years: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ScreenMatch:
    """One candidate entity with its best-matching alias."""

    entity_id: str
    dataset: str
    source_id: str
    name: str
    matched_alias: str
    score: float
    match: bool
    explanation: str
    schema: str = ""
    #: Every record merged into this entity (`<dataset>:<id>`), its own first.
    referents: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The `matches[]` object of DESIGN.md."""
        return {
            "entity_id": self.entity_id,
            "dataset": self.dataset,
            "source_id": self.source_id,
            "name": self.name,
            "matched_alias": self.matched_alias,
            "score": self.score,
            "match": self.match,
            "explanation": self.explanation,
            "referents": list(self.referents or (self.entity_id,)),
        }


@dataclass(frozen=True, slots=True)
class ScreenResult:
    """The answer for one query: `{"query", "threshold", "matches"}`."""

    query: str
    threshold: float
    matches: tuple[ScreenMatch, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """The screening JSON of DESIGN.md."""
        return {"query": self.query, "threshold": self.threshold, "matches": [m.to_json() for m in self.matches]}


def _schema_group(schema: str | None) -> str:
    low = (schema or "").lower()
    if low in _PERSON:
        return "person"
    if low in _ORGS:
        return "org"
    return low or "any"


def _compatible(query_schema: str, entity_schema: str) -> bool:
    q, e = _schema_group(query_schema), _schema_group(entity_schema)
    return q == e or "legalentity" in (query_schema.lower(), entity_schema.lower()) or "any" in (q, e)


def _deletes(key: str) -> list[str]:
    return [key[:i] + key[i + 1 :] for i in range(len(key))]


def _index_tokens(prepared: namematch.PreparedName) -> list[str]:
    """The parts worth indexing: no particles, no initials."""
    return [p.text for p in prepared.parts if len(p.text) > 1 and p.text not in namematch.PARTICLES]


class ScreenIndex:
    """Aliases of every loaded entity, indexed by name part, phonetic key and typo variants."""

    def __init__(self, rows: Iterable[AliasRow]) -> None:
        kept: list[AliasRow] = []
        postings: dict[str, list[int]] = {}
        seen: set[tuple[str, frozenset[str], tuple[str, ...]]] = set()
        seen_raw: set[tuple[str, frozenset[str]]] = set()
        for row in rows:
            # Cheap first pass: the same words in another order ("SHOIGU, Sergei" / "Sergei SHOIGU").
            raw = (row.entity_id, frozenset(_RAW_WORDS.findall(row.alias.lower())))
            if raw in seen_raw:
                continue
            seen_raw.add(raw)
            prepared = namematch.prepare(row.alias, row.schema)
            tokens = _index_tokens(prepared)
            if not tokens:
                continue
            # "SHOIGU, Sergei" and "Sergei SHOIGU" are one alias to an order-free matcher.
            key = (row.entity_id, frozenset(tokens), prepared.numbers)
            if key in seen:
                continue
            seen.add(key)
            alias_id = len(kept)
            kept.append(row)
            for tok in set(tokens):
                postings.setdefault(tok, []).append(alias_id)
        self.rows: Sequence[AliasRow] = kept
        self.size = len(kept)
        self.vocab: dict[str, int] = {}
        offsets = [0]
        flat: list[int] = []
        for tok, ids in postings.items():
            self.vocab[tok] = len(self.vocab)
            flat.extend(ids)
            offsets.append(len(flat))
        self._flat = np.asarray(flat, dtype=np.int32)
        self._offsets = np.asarray(offsets, dtype=np.int64)
        self._idf = np.asarray(
            [math.log(1.0 + self.size / max(1, len(ids))) for ids in postings.values()], dtype=np.float32
        )
        self._tokens = list(postings)
        by_phon: dict[str, list[int]] = {}
        for tok, tid in self.vocab.items():
            by_phon.setdefault(namematch.phonetic(tok), []).append(tid)
        deletes: dict[str, list[str]] = {}
        for phon in by_phon:
            if len(phon) >= 4:
                for variant in _deletes(phon):
                    deletes.setdefault(variant, []).append(phon)
        self._by_phon: Mapping[str, list[int]] = by_phon
        self._deletes: Mapping[str, list[str]] = deletes
        self._ready()

    @classmethod
    def restore(
        cls,
        rows: Sequence[AliasRow],
        tokens: list[str],
        flat: np.ndarray,
        offsets: np.ndarray,
        idf: np.ndarray,
        by_phon: Mapping[str, list[int]],
        deletes: Mapping[str, list[str]],
    ) -> ScreenIndex:
        """An index from the parts a built one had (`screen_cache` stores and checks them)."""
        index = cls.__new__(cls)
        index.rows = rows
        index.size = len(rows)
        index._tokens = tokens
        index.vocab = {tok: tid for tid, tok in enumerate(tokens)}
        index._flat, index._offsets, index._idf = flat, offsets, idf
        index._by_phon = by_phon
        index._deletes = deletes
        index._ready()
        return index

    def _ready(self) -> None:
        # Per-query scratch space, reused under the lock instead of allocated per query.
        self._acc = np.zeros(max(1, self.size), dtype=np.float32)
        self._lock = threading.Lock()
        # Consonant key -> parts: a name written in Arabic or Persian script has (mostly) no
        # vowels, so it finds the romanised parts by their consonants ("bshr" -> "bashar").
        by_skel: dict[str, list[int]] = {}
        for tid, tok in enumerate(self._tokens):
            key = namematch.skeletons(tok, False)[0]
            if len(key) >= 2:
                by_skel.setdefault(key, []).append(tid)
        self._by_skel = by_skel

    def _posting(self, tid: int) -> np.ndarray:
        return self._flat[self._offsets[tid] : self._offsets[tid + 1]]

    def _variants(self, token: str) -> dict[int, float]:
        """Vocabulary parts that may be this query part: exact, phonetic, one edit away."""
        found: dict[int, float] = {}
        tid = self.vocab.get(token)
        if tid is not None:
            found[tid] = 1.0
        phon = namematch.phonetic(token)
        for tid in self._by_phon.get(phon, ()):
            found.setdefault(tid, 0.9)
        if len(phon) >= 4:
            near: set[str] = set(self._deletes.get(phon, ()))
            for variant in _deletes(phon):
                if variant in self._by_phon:
                    near.add(variant)
                near.update(self._deletes.get(variant, ()))
            near.discard(phon)
            for key in near:
                for tid in self._by_phon.get(key, ()):
                    found.setdefault(tid, 0.7)
        return found

    def _halves(self, token: str) -> list[str]:
        """Syllables of a given name an unknown query part may be written from ("jong" + "un")."""
        if len(token) > 2 * SYLLABLE_LETTERS:
            return []
        vocab = self.vocab
        return [half for i in range(max(2, len(token) - SYLLABLE_LETTERS), min(len(token) - 1, SYLLABLE_LETTERS + 1))
                if token[:i] in vocab and token[i:] in vocab and _VOWEL.search(token[:i]) and _VOWEL.search(token[i:])
                for half in (token[:i], token[i:])]  # fmt: skip

    def candidates(self, query: str, limit: int = CANDIDATES) -> list[int]:
        """Alias ids sharing the most informative parts with the query (no pairwise comparison)."""
        if not self.size:
            return []
        tokens: list[str] = []
        for kind in ("Person", "Organization"):
            for tok in _index_tokens(namematch.prepare(query, kind)):
                if tok not in tokens:
                    tokens.append(tok)
        # Parts written together in the list ("Ramimakhlouf") or apart ("van der bilt"), and a
        # query part the list writes as two ("Jongun" for JONG UN).
        joined = ["".join(tokens[i : i + 2]) for i in range(len(tokens) - 1)]
        joined += [half for tok in tokens if tok not in self.vocab for half in self._halves(tok)]
        weighted: list[tuple[np.ndarray, float]] = []
        abjad = namematch.is_abjad(query)
        if abjad:
            # the parts as written too: "Abd al-Malik" is compared as one part, found by each
            tokens += [tok for tok in nametokens.tokens(query) if len(tok) > 1 and tok not in tokens]
            for tok in tokens + joined:
                for key in namematch.skeletons(tok, True):
                    tids = self._by_skel.get(key, ())
                    if not tids:
                        continue
                    # weighed by how many aliases carry the consonants in any spelling: thirty
                    # spellings of Hassan, each rare, still make one common name
                    carriers = sum(len(self._posting(tid)) for tid in tids)
                    weight = math.log(1.0 + self.size / carriers) * ABJAD_RETRIEVAL
                    for tid in tids:  # among equals, the rarer spelling first (HAMAS before Hamza)
                        weighted.append((self._posting(tid), weight + ABJAD_TIE * float(self._idf[tid])))
        # consonants spelled out are no Latin word: their typo variants are noise ("hsnnsr" ~ "sons"),
        # and the same consonants in the lists' own Arabic-script names are found by their keys above
        for tok in [] if abjad else tokens + joined:
            scale = 1.0 if tok in tokens else 0.8
            for tid, sim in self._variants(tok).items():
                weighted.append((self._posting(tid), float(self._idf[tid]) * sim * scale))
        if not weighted:
            return []
        with self._lock:
            acc = self._acc
            for ids, weight in weighted:
                acc[ids] += weight
            touched = np.unique(np.concatenate([ids for ids, _ in weighted]))
            scores = acc[touched]
            acc[touched] = 0.0
        # Aliases that share only a common part ("mohammed", "trading") with the query score far
        # below those sharing its rare parts; they are not worth a pairwise comparison.
        keep = scores >= scores.max() * RELATIVE_CUTOFF
        touched, scores = touched[keep], scores[keep]
        if len(touched) > limit:
            top = np.argpartition(-scores, limit)[:limit]
            touched, scores = touched[top], scores[top]
        order = np.argsort(-scores, kind="stable")
        return [int(i) for i in touched[order]]

    def screen(
        self,
        name: str,
        *,
        threshold: float,
        schema: str | None = None,
        birth_year: int | None = None,
        country: str | None = None,
        datasets: Iterable[str] | None = None,
        limit: int = 10,
    ) -> ScreenResult:
        """Candidates for one name, best first, with the decision at `threshold` and near misses."""
        query = check_query(name)
        wanted = {d.strip() for d in datasets or () if d and d.strip()}
        code = _country(country)
        if schema and schema.strip().lower() not in SCHEMAS:
            raise ScreenError(f"unknown schema: {schema!r} (use one of {', '.join(sorted(SCHEMAS))})")
        best: dict[str, ScreenMatch] = {}
        as_written: dict[str, bool] = {}  # equal scores: the alias written as the query is ranks first
        for alias_id in self.candidates(query, CANDIDATES * (4 if wanted else 1)):
            row = self.rows[alias_id]
            if wanted and row.dataset not in wanted:
                continue
            use_schema = row.schema
            asked, listed = namematch.prepare(query, use_schema), namematch.prepare(row.alias, use_schema)
            result = namematch.compare_prepared(asked, listed)
            score = result.score
            notes = [result.explanation] if result.explanation else []
            if row.weak:
                score *= WEAK_ALIAS_FACTOR
                notes.append("weak alias")
            score, filter_notes = _apply_filters(score, row, schema, birth_year, code)
            notes.extend(filter_notes)
            score = round(max(0.0, min(1.0, score)), 4)
            if score < NEAR_MISS_FLOOR:
                continue
            written = [p.text for p in asked.parts] == [p.text for p in listed.parts] and asked.forms == listed.forms
            current = best.get(row.entity_id)
            if current is None or (score, written) > (current.score, as_written[row.entity_id]):
                as_written[row.entity_id] = written
                best[row.entity_id] = ScreenMatch(
                    entity_id=row.entity_id,
                    dataset=row.dataset,
                    source_id=row.source_id,
                    name=row.caption,
                    matched_alias=row.alias,
                    score=score,
                    match=score >= threshold,
                    explanation="; ".join(notes),
                    schema=row.schema,
                )
        ranked = sorted(best.values(), key=lambda m: (-m.score, not as_written[m.entity_id], m.entity_id))
        ranked = ranked[: max(0, limit)]
        return ScreenResult(query=name, threshold=threshold, matches=tuple(ranked))


def _country(country: str | None) -> str | None:
    if not country or not country.strip():
        return None
    value = country.strip()
    if len(value) == 2 and value.isalpha():
        return value.upper()
    code = country_code(value)
    if code is None:
        raise ScreenError(f"unknown country: {country!r} (use an ISO 3166 code such as RU or a country name)")
    return code


def _apply_filters(
    score: float, row: AliasRow, schema: str | None, birth_year: int | None, country: str | None
) -> tuple[float, list[str]]:
    notes: list[str] = []
    if schema:
        if _compatible(schema, row.schema):
            notes.append(f"schema {row.schema} fits {schema}")
        else:
            score *= SCHEMA_MISMATCH_FACTOR
            notes.append(f"schema {row.schema} is not {schema} (x{SCHEMA_MISMATCH_FACTOR})")
    if birth_year is not None and row.birth_years:
        if birth_year in row.birth_years:
            score += BIRTH_YEAR_BONUS
            notes.append(f"born {birth_year} (+{BIRTH_YEAR_BONUS})")
        elif any(abs(birth_year - y) <= 1 for y in row.birth_years):
            notes.append(f"born {'/'.join(map(str, row.birth_years))}, within a year of {birth_year}")
        else:
            score -= BIRTH_YEAR_MISMATCH
            notes.append(f"born {'/'.join(map(str, row.birth_years))}, not {birth_year} (-{BIRTH_YEAR_MISMATCH})")
    if country and row.countries:
        if country in row.countries:
            score += COUNTRY_BONUS
            notes.append(f"country {country} (+{COUNTRY_BONUS})")
        else:
            score -= COUNTRY_MISMATCH
            notes.append(f"countries {'/'.join(row.countries)}, not {country} (-{COUNTRY_MISMATCH})")
    return score, notes


def check_query(name: str | None) -> str:
    """The query, stripped; ScreenError with a clear reason when it cannot be screened."""
    if name is None or not name.strip():
        raise ScreenError("empty name: give a person, organisation or vessel name to screen")
    query = name.strip()
    if len(query) > MAX_QUERY_CHARS:
        raise ScreenError(f"name too long: {len(query)} characters (at most {MAX_QUERY_CHARS})")
    if namematch.prepare(query, "Person").empty and namematch.prepare(query, "Organization").empty:
        raise ScreenError(f"nothing to screen in {query!r}: no letters or digits left after normalisation")
    return query


# --------------------------------------------------------------------------- from the database


def birth_years(dates: Iterable[str]) -> tuple[int, ...]:
    """Years out of the birth dates as the loaders store them ('1955-05-21', '1955', 'circa 1960')."""
    years = {int(m.group(1)) for d in dates for m in [_YEAR.search(str(d))] if m}
    return tuple(sorted(years))


def iter_alias_rows(session: Session) -> Iterator[AliasRow]:
    """Every name of every entity still listed (two queries: entities, then their names).

    Like ENGINE's `aliases.iter_alias_specs`, plus the birth years the screening filter needs.
    """
    entities: dict[str, tuple[str, str, str, str, tuple[str, ...], tuple[int, ...]]] = {}
    ent_stmt = sa_select(
        col(Entity.id),
        col(Entity.dataset),
        col(Entity.source_id),
        col(Entity.name),
        col(Entity.schema_),
        col(Entity.countries),
        col(Entity.birth_dates),
    ).where(col(Entity.removed_at).is_(None))
    for eid, dataset, source_id, caption, schema, countries, dates in session.connection().execute(ent_stmt):
        entities[eid] = (
            dataset,
            source_id,
            caption,
            schema or "LegalEntity",
            tuple(countries or ()),
            birth_years(dates or ()),
        )
    name_stmt = select(EntityName.entity_id, EntityName.name, EntityName.weak).order_by(
        col(EntityName.entity_id), col(EntityName.id)
    )
    for eid, alias, weak in session.exec(name_stmt):
        entity = entities.get(eid)
        if entity is None:  # a removed entity
            continue
        dataset, source_id, caption, schema, ent_countries, years = entity
        yield AliasRow(eid, dataset, source_id, caption, alias, schema, bool(weak), ent_countries, years)


def merge_entities(result: ScreenResult, groups: Clusters, limit: int) -> ScreenResult:
    """One match per real-world entity: records of several lists merged into one are one row
    (the best-scoring record's), carrying every merged record id as `referents`."""
    seen: set[str] = set()
    merged: list[ScreenMatch] = []
    for m in result.matches:
        referents = groups.referents(m.entity_id)
        if m.entity_id in seen:
            continue
        seen.update(referents)
        merged.append(replace(m, referents=referents))
    return replace(result, matches=tuple(merged[: max(0, limit)]))


class Screener:
    """Screens names against one built index with the configured decision threshold."""

    def __init__(
        self, index: ScreenIndex, threshold: float, version: str = "", groups: Clusters | None = None
    ) -> None:
        self.index = index
        self.threshold = threshold
        self.version = version
        self.groups = groups or Clusters({}, [])

    def screen(
        self,
        name: str,
        *,
        schema: str | None = None,
        birth_year: int | None = None,
        country: str | None = None,
        datasets: Iterable[str] | None = None,
        threshold: float | None = None,
        limit: int = 10,
    ) -> ScreenResult:
        """Candidates for `name`, best first, one per entity; `match` is true at or above the threshold."""
        result = self.index.screen(
            name,
            threshold=self.threshold if threshold is None else threshold,
            schema=schema,
            birth_year=birth_year,
            country=country,
            datasets=datasets,
            limit=limit * 2 if self.groups.members else limit,  # room for the rows that merge away
        )
        return merge_entities(result, self.groups, limit)


_CACHE: dict[str, tuple[str, ScreenIndex, Clusters]] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_DATABASES = 4


def _load_or_build(session: Session, settings: Settings) -> ScreenIndex:
    """The index from the on-disk cache when it matches the stored lists, else built (and cached)."""
    if not settings.screen_cache_enabled:
        return ScreenIndex(iter_alias_rows(session))
    from monitor.watchlists import screen_cache  # it imports this module

    return screen_cache.load_or_build(session, settings.data_dir, lambda: ScreenIndex(iter_alias_rows(session)))


def get_screener(session: Session, settings: Settings) -> Screener:
    """A screener over the lists in this database, rebuilt only when a list load changed them."""
    bind = session.get_bind()
    db_key = str(getattr(bind, "url", id(bind)))
    version = lists_version_key(session)
    with _CACHE_LOCK:
        cached = _CACHE.get(db_key)
        if cached is None or cached[0] != version:
            cached = (version, _load_or_build(session, settings), load_clusters(session))
            if db_key not in _CACHE and len(_CACHE) >= _CACHE_DATABASES:
                _CACHE.pop(next(iter(_CACHE)))  # one process rarely serves more than one database
            _CACHE[db_key] = cached
    return Screener(cached[1], settings.screen_threshold, version, cached[2])
