"""The screening index on disk: built once per list state, loaded by every later process.

Building the index from the stored names takes seconds on the real lists (every alias is
normalised and its phonetic key and typo variants are computed); loading the built arrays
takes a few tens of milliseconds. So a built index is kept under
`<data_dir>/cache/screen-index-<key>.npz`, where the key covers everything it was built from:

- the database's identity (SQLite file path, or the URL without its password);
- the active list versions (id, dataset, file hash, load time, entity count) and
  `lists_version_key` (last version id, version count, removed entities), plus the count and
  last id of the stored names, so that any `lists load` / `lists update`, a watch-list
  change or an entity removed outside a load gives a new key;
- the code that shapes the index: `FORMAT_VERSION`, a digest of the modules that build it,
  and the versions of the transliteration table and of Unicode.

The file holds only numpy arrays of numbers and UTF-8 bytes plus a JSON header, read with
`allow_pickle=False`: loading it runs no code from the file. Every array is checked (types,
lengths, offsets, ids in range) before use, and the zip's CRC catches torn or flipped bytes;
a file that fails any check is logged and rebuilt, never an error for the caller. Files are
written to a temporary name and moved into place with `os.replace`, so a concurrent reader
sees the old file or the new one, never half of one; the writer then removes the files of
other keys (and temporary files abandoned by a crashed writer) so the cache stays one index big.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from itertools import chain
from pathlib import Path
from typing import Any, overload

import numpy as np
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.engine import URL
from sqlmodel import Session, col, select

from monitor.cachefiles import (
    STALE_TEMP_SECONDS,
    CacheError,
    check_ids,
    check_offsets,
    checked_header,
    header_array,
    offsets,
    pack_lists,
    pack_strings,
    read_arrays,
    unpack_strings,
    write_arrays,
)
from monitor.models import Entity, EntityName, ListVersion
from monitor.watchlists.aliases import lists_version_key
from monitor.watchlists.screen import AliasRow, ScreenIndex

log = logging.getLogger(__name__)

__all__ = ["STALE_TEMP_SECONDS", "CacheError", "load_or_build", "read_index", "write_index"]

#: Bump when the arrays below change meaning (the code digest also changes the key by itself).
FORMAT_VERSION = 1
PREFIX = "screen-index-"
SUFFIX = ".npz"
# Modules whose code decides what goes into the index.
_CODE_FILES = ("screen.py", "namematch.py", "nametokens.py", "abjad.py", "screen_cache.py", "aliases.py")
# Name knowledge the parts are split and transliterated by.
_DATA_FILES = ("romanisation.yaml", "words.yaml", "person_names.yaml")


def cache_dir(data_dir: Path) -> Path:
    """Where the screening index files live."""
    return Path(data_dir) / "cache"


def cache_path(data_dir: Path, key: str) -> Path:
    """The file of one key."""
    return cache_dir(data_dir) / f"{PREFIX}{key}{SUFFIX}"


@cache  # the code a process runs does not change under it
def _code_digest() -> str:
    digest = hashlib.sha256(f"format {FORMAT_VERSION}\x1e".encode())
    here = Path(__file__).resolve().parent
    for name in _CODE_FILES:
        digest.update(name.encode() + b"\x1f" + (here / name).read_bytes() + b"\x1e")
    for name in _DATA_FILES:
        digest.update(name.encode() + b"\x1f" + (here.parent / "resources" / name).read_bytes() + b"\x1e")
    try:
        from importlib.metadata import version

        anyascii_version = version("anyascii")
    except Exception:  # the table's version is an extra safeguard, not a requirement
        anyascii_version = "?"
    digest.update(f"{anyascii_version}\x1f{unicodedata.unidata_version}\x1f{sys.version_info[:2]}".encode())
    return digest.hexdigest()


def database_identity(url: URL) -> str:
    """The database a URL points at, without its password (a SQLite file by its absolute path)."""
    if url.get_backend_name() == "sqlite":
        database = url.database or ":memory:"
        return f"sqlite:{database if database == ':memory:' else Path(database).resolve()}"
    return url.set(password=None).render_as_string(hide_password=False)


def index_key(session: Session) -> str:
    """A key that changes whenever the stored names the index is built from may have changed."""
    parts = [_code_digest(), database_identity(session.get_bind().engine.url), lists_version_key(session)]
    active = sa_select(
        col(ListVersion.id),
        col(ListVersion.dataset),
        col(ListVersion.file_hash),
        col(ListVersion.loaded_at),
        col(ListVersion.entities),
    ).where(col(ListVersion.status) == "active")
    for row in session.connection().execute(active.order_by(col(ListVersion.id))):
        parts.append("|".join(map(str, row)))
    names, last_name = session.exec(select(func.count(col(EntityName.id)), func.max(col(EntityName.id)))).one()
    live = session.exec(select(func.count(col(Entity.id))).where(col(Entity.removed_at).is_(None))).one()
    parts.append(f"names {names}:{last_name}:{live}")
    return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()[:32]


# --------------------------------------------------------------------------- arrays


def index_arrays(index: ScreenIndex, key: str) -> dict[str, np.ndarray]:
    """The index as plain arrays (no Python objects), with a JSON header naming the key."""
    # Aliases of one entity share its fields; each distinct set of them is stored once.
    entities: dict[tuple[Any, ...], int] = {}
    ent_rows: list[AliasRow] = []
    row_entity: list[int] = []
    for row in index.rows:
        fields = (row.entity_id, row.dataset, row.source_id, row.caption, row.schema, row.countries, row.birth_years)
        eid = entities.get(fields)
        if eid is None:
            eid = entities[fields] = len(ent_rows)
            ent_rows.append(row)
        row_entity.append(eid)
    ent_fields = [
        s for r in ent_rows for s in (r.entity_id, r.dataset, r.source_id, r.caption, r.schema)
    ]  # fmt: skip
    countries_flat = [c for r in ent_rows for c in r.countries]
    countries_off = offsets([r.countries for r in ent_rows])
    years, years_off = pack_lists([list(r.birth_years) for r in ent_rows])
    phons = list(index._by_phon)
    phon_tids, phon_off = pack_lists(list(index._by_phon.values()))
    phon_ids = {p: i for i, p in enumerate(phons)}
    variants = list(index._deletes)
    # Typo variants point at phonetic keys; stored by the keys' numbers.
    del_keys = [index._deletes[v] for v in variants]
    del_off = offsets(del_keys)
    del_refs = np.fromiter(map(phon_ids.__getitem__, chain.from_iterable(del_keys)), dtype=np.int64,
                           count=int(del_off[-1]))  # fmt: skip
    header = {
        "format": FORMAT_VERSION,
        "key": key,
        "rows": index.size,
        "entities": len(ent_rows),
        "countries": len(countries_flat),
        "tokens": len(index._tokens),
        "phonetic": len(phons),
        "variants": len(variants),
    }
    return {
        "header": header_array(header),
        "ent_strings": pack_strings(ent_fields),
        "countries": pack_strings(countries_flat),
        "countries_off": countries_off,
        "years": years.astype(np.int32),
        "years_off": years_off,
        "row_entity": np.asarray(row_entity, dtype=np.int32),
        "row_alias": pack_strings([r.alias for r in index.rows]),
        "row_weak": np.asarray([r.weak for r in index.rows], dtype=np.bool_),
        "tokens": pack_strings(index._tokens),
        "flat": index._flat,
        "offsets": index._offsets,
        "idf": index._idf,
        "phons": pack_strings(phons),
        "phon_tids": phon_tids,
        "phon_off": phon_off,
        "variants": pack_strings(variants),
        "del_refs": del_refs,
        "del_off": del_off,
    }


class _Packed(Mapping[str, list[Any]]):
    """Lists by key, each unpacked when asked for: a query asks for a few dozen of them, and
    building all (over 100,000 on the real lists) would cost more than the rest of a load."""

    __slots__ = ("_flat", "_offsets", "_values", "_where")

    def __init__(self, keys: list[str], flat: list[int], offsets: list[int], values: list[Any] | None = None) -> None:
        self._where = dict(zip(keys, range(len(keys)), strict=True))
        self._flat, self._offsets, self._values = flat, offsets, values

    def _items(self, i: int) -> list[Any]:
        items = self._flat[self._offsets[i] : self._offsets[i + 1]]
        return items if self._values is None else [self._values[j] for j in items]

    def get(self, key: str, default: Any = None) -> Any:
        """The list of `key`, or `default` (the lookup screening does per query part)."""
        i = self._where.get(key)
        return default if i is None else self._items(i)

    def __getitem__(self, key: str) -> list[Any]:
        return self._items(self._where[key])

    def __contains__(self, key: object) -> bool:
        return key in self._where

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


class _PackedEntities:
    """Per-entity fields of the aliases, as one tuple per entity made when first asked for."""

    __slots__ = ("_c_off", "_countries", "_fields", "_y_off", "_years")

    def __init__(
        self, fields: list[str], countries: list[str], c_off: list[int], years: list[int], y_off: list[int]
    ) -> None:
        self._fields, self._countries, self._c_off, self._years, self._y_off = fields, countries, c_off, years, y_off

    def row(self, e: int, alias: str, weak: bool) -> AliasRow:
        """Alias `alias` of entity number `e`."""
        eid, dataset, source_id, caption, schema = self._fields[e * 5 : e * 5 + 5]
        countries = tuple(self._countries[self._c_off[e] : self._c_off[e + 1]])
        years = tuple(self._years[self._y_off[e] : self._y_off[e + 1]])
        return AliasRow(eid, dataset, source_id, caption, alias, schema, weak, countries, years)


class _PackedRows(Sequence[AliasRow]):
    """The index's alias rows, each made when first asked for (a query reads a few dozen)."""

    __slots__ = ("_aliases", "_entities", "_row_entity", "_weak")

    def __init__(self, aliases: list[str], row_entity: list[int], weak: list[bool], entities: _PackedEntities) -> None:
        self._aliases, self._row_entity, self._weak, self._entities = aliases, row_entity, weak, entities

    @overload
    def __getitem__(self, i: int) -> AliasRow: ...
    @overload
    def __getitem__(self, i: slice) -> list[AliasRow]: ...
    def __getitem__(self, i: int | slice) -> AliasRow | list[AliasRow]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return self._entities.row(self._row_entity[i], self._aliases[i], self._weak[i])

    def __len__(self) -> int:
        return len(self._aliases)


_DTYPES: dict[str, Any] = {
    "header": np.uint8, "ent_strings": np.uint8, "countries": np.uint8, "countries_off": np.int64,
    "years": np.int32, "years_off": np.int64, "row_entity": np.int32, "row_alias": np.uint8,
    "row_weak": np.bool_, "tokens": np.uint8, "flat": np.int32, "offsets": np.int64, "idf": np.float32,
    "phons": np.uint8, "phon_tids": np.int64, "phon_off": np.int64, "variants": np.uint8,
    "del_refs": np.int64, "del_off": np.int64,
}  # fmt: skip


def _header(arrays: dict[str, np.ndarray], key: str) -> dict[str, int]:
    header = checked_header(arrays, FORMAT_VERSION, key)
    counts = ("rows", "entities", "countries", "tokens", "phonetic", "variants")
    if not all(isinstance(header.get(k), int) and header[k] >= 0 for k in counts):
        raise CacheError("header counts missing")
    return header


def index_from_arrays(arrays: dict[str, np.ndarray], key: str) -> ScreenIndex:
    """The index back from `index_arrays`' output, every part checked; CacheError if one does not fit."""
    for name, dtype in _DTYPES.items():
        arr = arrays.get(name)
        if arr is None or arr.dtype != dtype or arr.ndim != 1:
            raise CacheError(f"array {name!r} missing or of the wrong type")
    header = _header(arrays, key)
    size, n_ent, n_tok = header["rows"], header["entities"], header["tokens"]
    n_phon, n_var = header["phonetic"], header["variants"]

    ent_fields = unpack_strings(arrays["ent_strings"], n_ent * 5)
    countries = unpack_strings(arrays["countries"], header["countries"])
    check_offsets(arrays["countries_off"], n_ent, len(countries), "countries")
    check_offsets(arrays["years_off"], n_ent, arrays["years"].size, "birth years")
    row_entity, row_weak = arrays["row_entity"], arrays["row_weak"]
    if row_entity.size != size or row_weak.size != size:
        raise CacheError("row columns differ in length")
    check_ids(row_entity, n_ent, "row entity")
    aliases = unpack_strings(arrays["row_alias"], size)
    tokens = unpack_strings(arrays["tokens"], n_tok)
    flat, offsets, idf = arrays["flat"], arrays["offsets"], arrays["idf"]
    check_offsets(offsets, n_tok, flat.size, "postings")
    check_ids(flat, size, "posting")
    if idf.size != n_tok or not np.all(np.isfinite(idf)):
        raise CacheError("idf does not fit")
    phons = unpack_strings(arrays["phons"], n_phon)
    check_offsets(arrays["phon_off"], n_phon, arrays["phon_tids"].size, "phonetic keys")
    check_ids(arrays["phon_tids"], n_tok, "phonetic part")
    variants = unpack_strings(arrays["variants"], n_var)
    check_offsets(arrays["del_off"], n_var, arrays["del_refs"].size, "typo variants")
    check_ids(arrays["del_refs"], n_phon, "typo variant key")
    if len(set(tokens)) != n_tok or len(set(phons)) != n_phon or len(set(variants)) != n_var:
        raise CacheError("duplicate keys")

    entities = _PackedEntities(
        ent_fields, countries, arrays["countries_off"].tolist(), arrays["years"].tolist(), arrays["years_off"].tolist()
    )
    rows = _PackedRows(aliases, row_entity.tolist(), row_weak.tolist(), entities)
    by_phon = _Packed(phons, arrays["phon_tids"].tolist(), arrays["phon_off"].tolist())
    deletes = _Packed(variants, arrays["del_refs"].tolist(), arrays["del_off"].tolist(), phons)
    return ScreenIndex.restore(rows, tokens, flat, offsets, idf, by_phon, deletes)


# --------------------------------------------------------------------------- files


def read_index(path: Path, key: str) -> ScreenIndex:
    """The index stored at `path` for `key`; CacheError when the file cannot be used."""
    return index_from_arrays(read_arrays(path), key)


def write_index(data_dir: Path, key: str, index: ScreenIndex) -> Path:
    """Store the index for `key` atomically, then remove the files of other keys."""
    return write_arrays(cache_dir(data_dir), cache_path(data_dir, key).name, PREFIX, index_arrays(index, key))


def load_or_build(session: Session, data_dir: Path, build: Callable[[], ScreenIndex]) -> ScreenIndex:
    """The cached index for the current lists, or `build()` stored for the next process.

    Never raises because of the cache: a missing, stale or broken file is rebuilt, and a
    cache folder that cannot be written only costs the next process a rebuild.
    """
    started = time.perf_counter()
    key = index_key(session)
    path = cache_path(data_dir, key)
    if path.exists():
        try:
            index = read_index(path, key)
        except Exception as exc:  # a file that cannot be used is rebuilt, whatever is wrong with it
            log.warning("screening index cache %s ignored, rebuilding: %s", path, exc)
        else:
            log.info("screening index loaded from cache", extra={"path": str(path), "aliases": index.size,
                     "seconds": round(time.perf_counter() - started, 3)})  # fmt: skip
            return index
    index = build()
    try:
        write_index(data_dir, key, index)
    except Exception as exc:  # a read-only or full disk only costs the next process a rebuild
        log.warning("screening index not cached in %s: %s", cache_dir(data_dir), exc)
    else:
        log.info("screening index built and cached", extra={"path": str(path), "aliases": index.size,
                 "seconds": round(time.perf_counter() - started, 3)})  # fmt: skip
    return index
