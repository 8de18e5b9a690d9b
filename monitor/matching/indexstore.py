"""The compiled index on disk: built once per (lists version, rules version), loaded by every
later process (worker, API, each CLI command) in a fraction of the build time.

A file `<folder>/match-index-<key>.npz` holds the index as plain arrays (`monitor.cachefiles`: no
pickle, atomic writes, one index per folder). The key covers everything the index is built from:
the lists' and the rules' versions, and the code that shapes it (every module of
`monitor.matching`, the name-knowledge files of `monitor.resources`, and the versions of
pyahocorasick, wordfreq and pycountry). The file is mapped into memory, not read
(`cachefiles.map_arrays`), and every array is checked against the CRC its zip member records:
the word table of a large list (`wordtable`) and the typo hashes are used where they lie in the
mapping, so a worker's load costs a map and a checksum, and workers share those pages. The
Aho-Corasick automaton is stored as the node data pyahocorasick itself exports for copying an
automaton, checked against a SHA-256 recorded when it was written before it is handed back to
pyahocorasick; every array is checked for type, length and id ranges. A file that fails any check
raises CacheError: the caller rebuilds, it never matches with a damaged index.

Each field of `CompiledIndex` has a codec here (`CODECS`); tests fail when a field is added to the
index without one.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import sys
from array import array
from collections.abc import Callable, Sequence
from dataclasses import fields
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, overload

import ahocorasick
import numpy as np

from monitor.cachefiles import (
    CacheError,
    PackedStrings,
    check_ids,
    check_offsets,
    checked_header,
    code_digest,
    header_array,
    map_arrays,
    pack_lists,
    pack_strings,
    unpack_strings,
    write_arrays,
)
from monitor.matching.index import COUNTRY, FORM, KIND_MASK, PART, TERM, CompiledIndex, EntityInfo
from monitor.matching.wordtable import WordTable

#: Bump when the arrays below change meaning (the code digest also changes the key by itself).
FORMAT_VERSION = 2
PREFIX = "match-index-"
SUFFIX = ".npz"
# fields that are derived again on load, not stored
DERIVED = frozenset({"term_index", "_ent_countries"})
_HEADER_FIELDS = ("version", "alias_count")

Arrays = dict[str, np.ndarray]


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:  # the version is an extra safeguard, not a requirement
        return "?"


@cache  # the code a process runs does not change under it
def code_version() -> str:
    """A digest of the code and data that shape the index."""
    here = Path(__file__).resolve().parent
    files = sorted(here.glob("*.py")) + sorted((here.parent / "resources").glob("*.yaml"))
    extra = (f"format {FORMAT_VERSION} {sys.version_info[:2]} pyahocorasick {_package_version('pyahocorasick')} "
             f"wordfreq {_package_version('wordfreq')} pycountry {_package_version('pycountry')}")
    return code_digest(files, extra)


def index_key(lists_version: str, rules_version: str) -> str:
    """The key of the index built from one lists version and one rules version by this code."""
    return hashlib.sha256(f"{code_version()}\x1e{lists_version}\x1e{rules_version}".encode()).hexdigest()[:32]


def index_path(folder: Path, key: str) -> Path:
    """The file of one key."""
    return Path(folder) / f"{PREFIX}{key}{SUFFIX}"


# --------------------------------------------------------------------------- codecs


def _enc_automaton(auto: Any, name: str) -> Arrays:
    args = auto.__reduce__()[1]
    if not args or not isinstance(args[0], list):
        raise CacheError("an empty automaton is not cached")
    chunks = args[0]
    blob = np.frombuffer(b"".join(chunks), dtype=np.uint8)
    meta = np.array([-1 if v is None else int(v) for v in args[1:]], dtype=np.int64)
    digest = np.frombuffer(hashlib.sha256(blob.tobytes()).digest(), dtype=np.uint8)
    lengths = np.fromiter((len(c) for c in chunks), dtype=np.int64, count=len(chunks))
    return {name: blob, f"{name}.chunks": lengths, f"{name}.meta": meta, f"{name}.sha256": digest}


def _dec_automaton(a: Arrays, name: str) -> Any:
    blob, lengths, meta = a[name], a[f"{name}.chunks"], a[f"{name}.meta"]
    if blob.dtype != np.uint8 or lengths.dtype != np.int64 or meta.dtype != np.int64:
        raise CacheError("automaton: wrong array types")
    if hashlib.sha256(np.ascontiguousarray(blob).data).digest() != a[f"{name}.sha256"].tobytes():
        raise CacheError("automaton: checksum differs")
    if lengths.size == 0 or int(lengths.min()) < 0 or int(lengths.sum()) != blob.size:
        raise CacheError("automaton: chunks do not fit")
    values = [None if v == -1 else int(v) for v in meta.tolist()]
    # (automaton kind, store, key type, word count, longest word, values): a built automaton of ints
    if len(values) != 6 or values[:3] != [ahocorasick.AHOCORASICK, ahocorasick.STORE_INTS, ahocorasick.KEY_STRING]:
        raise CacheError("automaton: another kind of automaton")
    view = np.ascontiguousarray(blob).data
    ends = np.cumsum(lengths).tolist()
    chunks = [bytes(view[start:end]) for start, end in zip([0, *ends[:-1]], ends, strict=True)]
    del view, blob
    a.pop(name)  # the array's bytes are in the chunks now: hold them once, not twice, while the nodes are built
    try:
        return ahocorasick.Automaton(chunks, *values)
    except Exception as exc:
        raise CacheError(f"automaton: {exc}") from exc


def _enc_words(table: WordTable, name: str) -> Arrays:
    return {name: table.hashes, f"{name}.entry": table.entry, f"{name}.text": table.text,
            f"{name}.text_off": table.text_off, f"{name}.mult": np.array([table.mult], dtype=np.uint64)}


def _dec_words(a: Arrays, name: str) -> WordTable:
    mult = a[f"{name}.mult"]
    if mult.dtype != np.uint64 or mult.shape != (1,):
        raise CacheError(f"{name}: wrong multiplier")
    # the mapped arrays themselves: nothing is copied, and every process shares the pages
    return WordTable(a[name], a[f"{name}.entry"], a[f"{name}.text"], a[f"{name}.text_off"], int(mult[0]))


def _typed(dtype: Any, code: str | None = None) -> tuple[Callable[[Any, str], Arrays], Callable[[Arrays, str], Any]]:
    """A flat array of numbers: array.array in memory when `code` is given, numpy otherwise."""

    def enc(value: Any, name: str) -> Arrays:
        return {name: np.asarray(np.frombuffer(value, dtype=dtype) if isinstance(value, array) else value, dtype=dtype)}

    def dec(a: Arrays, name: str) -> Any:
        arr = a[name]
        if arr.dtype != np.dtype(dtype) or arr.ndim != 1:
            raise CacheError(f"{name}: wrong array type")
        if code is None:
            return arr
        out = array(code)
        out.frombytes(arr.tobytes())
        return out

    return enc, dec


def _enc_int_set(value: frozenset[int], name: str) -> Arrays:
    return {name: np.array(sorted(value), dtype=np.int64)}


def _dec_int_set(a: Arrays, name: str) -> frozenset[int]:
    return frozenset(a[name].tolist())


def _enc_str_set(value: frozenset[str], name: str) -> Arrays:
    items = sorted(value)
    return {name: pack_strings(items), f"{name}.count": np.array([len(items)], dtype=np.int64)}


def _dec_str_set(a: Arrays, name: str) -> frozenset[str]:
    return frozenset(unpack_strings(a[name], int(a[f"{name}.count"][0])))


def _enc_int_lists(value: dict[int, Any], name: str) -> Arrays:
    keys = sorted(value)
    flat, offs = pack_lists([sorted(value[k]) for k in keys])
    return {f"{name}.keys": np.array(keys, dtype=np.int64), name: flat, f"{name}.offsets": offs}


def _int_lists(a: Arrays, name: str) -> list[tuple[int, list[int]]]:
    keys, flat, offs = a[f"{name}.keys"], a[name], a[f"{name}.offsets"]
    check_offsets(offs, keys.size, flat.size, name)
    values, bounds = flat.tolist(), offs.tolist()
    return [(k, values[bounds[i]:bounds[i + 1]]) for i, k in enumerate(keys.tolist())]


def _enc_entities(value: list[EntityInfo], name: str) -> Arrays:
    strings = [s for e in value for s in (e.entity_id, e.dataset, e.source_id, e.caption, e.schema)]
    programs = [p for e in value for p in e.programs]
    countries = [c for e in value for c in e.countries]
    return {
        name: pack_strings(strings),
        f"{name}.count": np.array([len(value), len(programs), len(countries)], dtype=np.int64),
        f"{name}.programs": pack_strings(programs),
        f"{name}.programs_n": np.array([len(e.programs) for e in value], dtype=np.int64),
        f"{name}.countries": pack_strings(countries),
        f"{name}.countries_n": np.array([len(e.countries) for e in value], dtype=np.int64),
        f"{name}.head": np.array([e.head for e in value], dtype=np.bool_),
    }


class PackedEntities(Sequence[EntityInfo]):
    """The entities of a loaded index, each decoded when first asked for: a scan asks for a few,
    and decoding all of them would cost more than the rest of a load (and, for a million
    entities, a hundred megabytes of strings in every process)."""

    __slots__ = ("_countries", "_country_off", "_done", "_head", "_prog_off", "_programs", "_strings")

    def __init__(self, strings: Sequence[str], programs: Sequence[str], prog_off: np.ndarray,
                 countries: Sequence[str], country_off: np.ndarray, head: np.ndarray) -> None:
        self._strings, self._programs, self._prog_off = strings, programs, prog_off
        self._countries, self._country_off, self._head = countries, country_off, head
        self._done: dict[int, EntityInfo] = {}

    def __len__(self) -> int:
        return len(self._head)

    @overload
    def __getitem__(self, i: int) -> EntityInfo: ...

    @overload
    def __getitem__(self, i: slice) -> list[EntityInfo]: ...

    def __getitem__(self, i: int | slice) -> EntityInfo | list[EntityInfo]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        found = self._done.get(i)
        if found is None:
            if i < 0:
                return self[len(self) + i]
            if i >= len(self):
                raise IndexError(i)
            s = self._strings[5 * i: 5 * i + 5]
            p0, p1 = int(self._prog_off[i]), int(self._prog_off[i + 1])
            c0, c1 = int(self._country_off[i]), int(self._country_off[i + 1])
            found = self._done[i] = EntityInfo(
                s[0], s[1], s[2], s[3], s[4], tuple(self._programs[p0:p1]), tuple(self._countries[c0:c1]),
                bool(self._head[i]))
        return found


def _dec_entities(a: Arrays, name: str) -> PackedEntities:
    count, n_prog, n_country = (int(v) for v in a[f"{name}.count"].tolist())
    strings = PackedStrings(a[name], count * 5)
    programs = PackedStrings(a[f"{name}.programs"], n_prog)
    countries = PackedStrings(a[f"{name}.countries"], n_country)
    prog_n, country_n, head = a[f"{name}.programs_n"], a[f"{name}.countries_n"], a[f"{name}.head"]
    if prog_n.size != count or country_n.size != count or head.size != count or head.dtype != np.bool_:
        raise CacheError(f"{name}: columns differ in length")
    if min(prog_n.min(initial=0), country_n.min(initial=0)) < 0:
        raise CacheError(f"{name}: negative list lengths")
    prog_off = np.concatenate([[0], np.cumsum(prog_n)])
    country_off = np.concatenate([[0], np.cumsum(country_n)])
    if prog_off[-1] != n_prog or country_off[-1] != n_country:
        raise CacheError(f"{name}: list lengths do not fit")
    return PackedEntities(strings, programs, prog_off, countries, country_off, head)


def _enc_pairs(value: list[tuple[Any, bool]], name: str, join: Callable[[Any], str]) -> Arrays:
    return {name: pack_strings(join(k) for k, _flag in value), f"{name}.flag": np.array([f for _k, f in value],
                                                                                         dtype=np.bool_)}


def _dec_pairs(a: Arrays, name: str, split: Callable[[str], Any]) -> list[tuple[Any, bool]]:
    flags = a[f"{name}.flag"]
    if flags.dtype != np.bool_:
        raise CacheError(f"{name}: wrong array type")
    keys = unpack_strings(a[name], flags.size)
    return [(split(k), bool(f)) for k, f in zip(keys, flags.tolist(), strict=True)]


CODECS: dict[str, tuple[Callable[[Any, str], Arrays], Callable[[Arrays, str], Any]]] = {
    "automaton": (_enc_automaton, _dec_automaton),
    "words": (_enc_words, _dec_words),
    "klen": _typed(np.int32, "i"),
    "owners": _typed(np.int64, "q"),
    "multi": (_enc_int_lists, lambda a, n: {k: tuple(v) for k, v in _int_lists(a, n)}),
    "entities": (_enc_entities, _dec_entities),
    "form_entity": _typed(np.int32, "i"),
    "form_kind": _typed(np.int8, "b"),
    "form_conf": _typed(np.float32, "f"),
    "alias_counts": _typed(np.int32, "i"),
    "terms": (lambda v, n: _enc_pairs(v, n, " ".join), lambda a, n: _dec_pairs(a, n, lambda s: tuple(s.split(" ")))),
    "countries": (lambda v, n: _enc_pairs(v, n, str), lambda a, n: _dec_pairs(a, n, str)),
    "typo_hash": _typed(np.int64),
    "typo_fid": _typed(np.int32),
    "rare_fids": (_enc_int_set, _dec_int_set),
    "proper_fids": (_enc_int_set, _dec_int_set),
    "country_bound": (_enc_int_set, _dec_int_set),
    "given_names": (_enc_str_set, _dec_str_set),
    "term_costs": _typed(np.float64, "d"),
    "sentence_words": (_enc_str_set, _dec_str_set),
    "distinct_words": (_enc_str_set, _dec_str_set),
    "everyday_words": (_enc_str_set, _dec_str_set),
    "name_words": (_enc_str_set, _dec_str_set),
    "han_words": (_enc_str_set, _dec_str_set),
    "links": (_enc_int_lists, lambda a, n: {k: tuple(v) for k, v in _int_lists(a, n)}),
    "related": (_enc_int_lists, lambda a, n: {k: frozenset(v) for k, v in _int_lists(a, n)}),
}


def stored_fields() -> list[str]:
    """The CompiledIndex fields written to disk (all but the derived ones and the header's)."""
    return [f.name for f in fields(CompiledIndex) if f.name not in DERIVED and f.name not in _HEADER_FIELDS]


# --------------------------------------------------------------------------- whole index


def index_arrays(index: CompiledIndex, key: str) -> Arrays:
    """The index as plain arrays, with a JSON header naming its key and format."""
    arrays: Arrays = {}
    for name in stored_fields():
        codec = CODECS.get(name)
        if codec is None:
            raise CacheError(f"no codec for index field {name!r}")
        arrays.update(codec[0](getattr(index, name), name))
    header = {"format": FORMAT_VERSION, "key": key, "version": index.version, "alias_count": index.alias_count}
    arrays["header"] = header_array(header)
    return arrays


def _check(index: CompiledIndex) -> None:
    """Lengths and id ranges agree across the arrays (a damaged file never matches wrongly)."""
    n_keys, n_forms, n_ents = len(index.klen), len(index.form_entity), len(index.entities)
    if len(index.owners) != n_keys or len(index.automaton) + index.words.key_count != n_keys:
        raise CacheError("keys: lengths differ")
    index.words.check(n_keys)
    if len(index.form_kind) != n_forms or len(index.form_conf) != n_forms or len(index.alias_counts) != n_ents:
        raise CacheError("forms: lengths differ")
    check_ids(np.frombuffer(index.form_entity, dtype=np.int32), n_ents, "form entity")
    check_ids(np.frombuffer(index.form_kind, dtype=np.int8), 7, "form kind")
    bounds = {FORM: n_forms, TERM: len(index.terms), COUNTRY: len(index.countries), PART: 1}
    owners = np.frombuffer(index.owners, dtype=np.int64)
    multi_keys = np.array(sorted(index.multi), dtype=np.int64)
    if not np.array_equal(np.flatnonzero(owners < 0), multi_keys):
        raise CacheError("keys: shared keys do not fit")
    codes = np.concatenate([owners[owners >= 0], np.array([c for v in index.multi.values() for c in v],
                                                          dtype=np.int64)])
    for kind, bound in bounds.items():
        ids = codes[(codes & KIND_MASK) == kind] >> 3
        if kind != PART:
            check_ids(ids, bound, f"owner ids of kind {kind}")
    if len(index.typo_hash) != len(index.typo_fid) or np.any(np.diff(index.typo_hash) < 0):
        raise CacheError("typo index: not sorted or lengths differ")
    check_ids(index.typo_fid, n_forms, "typo form")
    for name in ("rare_fids", "proper_fids", "country_bound"):
        check_ids(np.array(sorted(getattr(index, name)), dtype=np.int64), n_forms, name)
    for name in ("links", "related"):
        value = getattr(index, name)
        check_ids(np.array([i for k, v in value.items() for i in (k, *v)], dtype=np.int64), n_ents, name)
    if len(index.term_costs) != len(index.terms) or any(len(t) != 2 or not isinstance(t[1], bool)
                                                        for t in index.terms):
        raise CacheError("terms: malformed")


def index_from_arrays(arrays: Arrays, key: str) -> CompiledIndex:
    """The index stored in `arrays` for `key`; CacheError when anything does not fit."""
    header = checked_header(arrays, FORMAT_VERSION, key)
    values: dict[str, Any] = {}
    try:
        for name in stored_fields():
            values[name] = CODECS[name][1](arrays, name)
        index = CompiledIndex(version=str(header["version"]), alias_count=int(header["alias_count"]), **values)
    except CacheError:
        raise
    except Exception as exc:  # a missing array, a wrong shape: the file is unusable
        raise CacheError(f"malformed: {type(exc).__name__}: {exc}") from exc
    _check(index)
    return index


def save_index(folder: Path, key: str, index: CompiledIndex) -> Path:
    """Store the index for `key` atomically; older files of other keys are removed."""
    return write_arrays(Path(folder), index_path(folder, key).name, PREFIX, index_arrays(index, key))


def load_index(folder: Path, key: str) -> CompiledIndex:
    """The index stored for `key`; CacheError when it is absent or cannot be used."""
    path = index_path(folder, key)
    if not path.exists():
        raise CacheError(f"no index file {path.name}")
    index = index_from_arrays(map_arrays(path), key)
    _release_free_memory()
    return index


def _release_free_memory() -> None:
    """Hand the heap the load freed (the file's arrays, the automaton's node data: as big as the
    automaton) back to the system; glibc keeps small freed blocks otherwise. A no-op elsewhere."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
