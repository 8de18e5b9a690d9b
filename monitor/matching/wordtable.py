"""Whole-token keys as a sorted array of 64-bit hashes: where the alias forms go when the lists are
too large for an Aho-Corasick trie in memory (OpenSanctions-sized lists: millions of keys).

Every alias key is a run of whole tokens framed by spaces (" kim jong un "), and the scan string
is tokens separated by single spaces (`normalise.NormText.padded`), so a key occurs exactly where
a run of consecutive tokens equals it. The table holds a hash of each key and of each of its
leading runs (" kim ", " kim jong "); the scan hashes the one-token run at every token, keeps
the runs that lead into some key, extends those by one token, and so on: a few vectorised
searches per field, and the same hits, in the same order, that an automaton of the same keys
reports (each hash hit is compared with the key's text, so a collision with some other run of
words costs a comparison, never a wrong hit).

Everything is plain numbers and bytes, memory-mapped from the saved index: a process loads it by
mapping the file, and workers share its pages. The hash is polynomial over the bytes modulo 2**64
(`_hashes`); the multiplier is stored with the table and changed at build time in the unlikely
case that two keys share a hash, so each entry names one key. Keys are normalised text (ASCII
letters, digits and single spaces), as the scan string is.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from monitor.cachefiles import CacheError, check_ids, check_offsets

# odd multipliers (a polynomial hash mod 2**64 needs an odd one to be invertible); the first that
# gives every entry its own hash is used
_MULTIPLIERS = (0x100000001B3, 0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9)
_BATCH = 1 << 18  # keys hashed at once while building (bounds the temporary arrays)
_POWERS_KEPT = 1 << 20  # powers kept for texts up to a million characters (16 MiB)
_FILTER_MAX_BITS = 28  # the filter's slots (a 32 MiB bitmap at most)
_THREE, _SEVEN = np.uint64(3), np.uint64(7)


class _Powers:
    """Powers of one multiplier and of its inverse mod 2**64, grown as longer texts come."""

    def __init__(self, mult: int) -> None:
        self.mult, self.inv = mult, pow(mult, -1, 1 << 64)
        self.up = self.down = np.ones(1, dtype=np.uint64)
        self._lock = threading.Lock()

    @staticmethod
    def _series(base: int, size: int) -> np.ndarray:
        out = np.empty(size, dtype=np.uint64)
        out[0] = 1
        if size > 1:
            np.cumprod(np.full(size - 1, base, dtype=np.uint64), out=out[1:])  # wraps mod 2**64
        return out

    def get(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """At least `size` powers of the multiplier and of its inverse (grown under a lock; never shrunk)."""
        up, down = self.up, self.down
        if size > _POWERS_KEPT:  # a huge text: its powers are not kept for the life of the process
            return self._series(self.mult, size), self._series(self.inv, size)
        if up.size < size:
            with self._lock:
                if self.up.size < size:
                    grown = max(size, 2 * self.up.size, 4096)
                    self.down = self._series(self.inv, grown)
                    self.up = self._series(self.mult, grown)
                up, down = self.up, self.down
        return up, down


_POWERS: dict[int, _Powers] = {}


def _powers(mult: int) -> _Powers:
    found = _POWERS.get(mult)
    if found is None:
        found = _POWERS.setdefault(mult, _Powers(mult))
    return found


def _hashes(keys: Sequence[str], mult: int) -> tuple[np.ndarray, np.ndarray]:
    """The hash of each key, and of each leading token run of each key (" kim " and " kim jong "
    of " kim jong un "): the sum of byte j times mult**j over the bytes, mod 2**64."""
    full: list[np.ndarray] = []
    runs: list[np.ndarray] = []
    for lo in range(0, len(keys), _BATCH):
        batch = keys[lo:lo + _BATCH]
        blob = np.frombuffer("".join(batch).encode("ascii"), dtype=np.uint8)
        lens = np.fromiter(map(len, batch), dtype=np.int64, count=len(batch))
        ends = np.cumsum(lens)
        starts = ends - lens
        up, _down = _powers(mult).get(int(lens.max(initial=1)) + 1)
        total = np.zeros(blob.size + 1, dtype=np.uint64)
        np.cumsum(blob * up[np.arange(blob.size, dtype=np.int64) - np.repeat(starts, lens)], out=total[1:])
        full.append(total[ends] - total[starts])
        # a space inside a key (neither its first nor its last character) closes a leading run
        spaces = np.flatnonzero(blob == 32)
        key_of = np.searchsorted(ends, spaces, side="right")
        inner = (spaces != starts[key_of]) & (spaces + 1 != ends[key_of])
        runs.append(total[spaces[inner] + 1] - total[starts[key_of[inner]]])
    return np.concatenate(full), np.concatenate(runs)


@dataclass(frozen=True)
class WordTable:
    """Keys and their leading runs by hash (sorted, unique); `entry` is `(kid << 1) | more` (kid -1:
    only a leading run; more: the run leads into a longer key); `text`/`text_off` the key of each
    entry, compared before a hit is reported; `mult` the hash multiplier."""

    hashes: np.ndarray  # uint64, sorted, unique
    entry: np.ndarray  # int64 per hash
    text: np.ndarray  # uint8: the keys' bytes
    text_off: np.ndarray  # int64 per hash + 1: where each entry's key is in `text` (empty for a run)
    mult: int

    @cached_property
    def _filter(self) -> tuple[np.ndarray, np.uint64]:
        """One bit per slot of the leading bits of a hash, set where some entry falls (about one
        slot in eight): most runs of words are no entry, and this answers them from a few
        megabytes that stay in the processor's cache, where a search of the table would fetch a
        dozen lines of memory each (measured on a million aliases: the search cost 3 times the
        rest of the scan)."""
        bits = max(10, min(_FILTER_MAX_BITS, int(self.hashes.size * 8).bit_length()))
        shift = np.uint64(64 - bits)
        slots = np.zeros(1 << bits, dtype=bool)
        slots[self.hashes >> shift] = True
        return np.packbits(slots, bitorder="little"), shift

    def __len__(self) -> int:
        return int(self.hashes.size)

    @property
    def key_count(self) -> int:
        """Keys (not leading runs) in the table."""
        return int(np.count_nonzero(self.entry >= 0))

    def hits(self, padded: str) -> list[tuple[int, int]]:
        """(end, key id) of every key occurring in a scan string, as Aho-Corasick reports them:
        by the position of the key's closing space, longer keys first at the same position."""
        raw = padded.encode("ascii", "replace")  # normalised text is ASCII; anything else matches no key
        chars = np.frombuffer(raw, dtype=np.uint8)
        size = chars.size
        up, down = _powers(self.mult).get(size + 1)
        total = np.zeros(size + 1, dtype=np.uint64)
        np.cumsum(chars * up[:size], out=total[1:])
        spaces = np.flatnonzero(chars == 32)
        hashes, entries, last = self.hashes, self.entry, self.hashes.size - 1
        if last < 0 or spaces.size < 2:
            return []
        bitmap, shift = self._filter
        first = np.arange(spaces.size - 1)  # the run starting at token i ...
        close = first + 1  # ... ends at the space spaces[close]
        found: list[tuple[int, int, int]] = []
        while first.size:
            start, end = spaces[first], spaces[close] + 1
            value = (total[end] - total[start]) * down[start]
            slot = value >> shift
            maybe = np.flatnonzero((bitmap[slot >> _THREE] >> (slot & _SEVEN).astype(np.uint8)) & 1)
            if maybe.size < value.size:
                first, close, start, end, value = first[maybe], close[maybe], start[maybe], end[maybe], value[maybe]
            pos = np.searchsorted(hashes, value)
            np.minimum(pos, last, out=pos)
            same = np.flatnonzero(hashes[pos] == value)
            if not same.size:
                break
            codes = entries[pos[same]]
            for j in np.flatnonzero(codes >= 0).tolist():
                p = int(pos[same[j]])
                s, e = int(start[same[j]]), int(end[same[j]])
                if raw[s:e] == self.text[self.text_off[p]:self.text_off[p + 1]].tobytes():
                    found.append((e - 1, s, int(codes[j]) >> 1))
            more = (codes & 1).astype(bool)
            first, close = first[same[more]], close[same[more]] + 1
            keep = close < spaces.size
            first, close = first[keep], close[keep]
        found.sort()
        return [(end, kid) for end, _start, kid in found]

    def check(self, key_count: int) -> None:
        """CacheError unless the arrays fit together (a damaged file never matches wrongly)."""
        n = self.hashes.size
        if self.hashes.dtype != np.uint64 or self.entry.dtype != np.int64 or self.text.dtype != np.uint8 \
                or self.text_off.dtype != np.int64:  # float offsets would pass the range checks, then fail mid-scan
            raise CacheError("word table: wrong array types")
        if self.entry.shape != (n,) or self.hashes.ndim != 1 or self.text.ndim != 1 or not self.mult & 1:
            raise CacheError("word table: shapes do not fit")
        if n > 1 and not bool(np.all(self.hashes[1:] > self.hashes[:-1])):
            raise CacheError("word table: hashes not sorted")
        check_offsets(self.text_off, n, self.text.size, "word table text")
        check_ids(self.entry[self.entry >= 0] >> 1, key_count, "word table key")
        if np.any(self.entry < -1):
            raise CacheError("word table: malformed entries")


def empty_table() -> WordTable:
    """A table of no keys (the lists are small enough for the automaton)."""
    return WordTable(np.zeros(0, np.uint64), np.zeros(0, np.int64), np.zeros(0, np.uint8),
                     np.zeros(1, np.int64), _MULTIPLIERS[0])


def build_table(keys: Sequence[str], kids: Sequence[int]) -> WordTable:
    """The table of whole-token keys (" a b ", framed by spaces, each once) and their key ids."""
    if not keys:
        return empty_table()
    for mult in _MULTIPLIERS:
        full, runs = _hashes(keys, mult)
        # two keys must not share a hash (an entry names one key); a leading run may share one
        # with anything: the scan only goes on from it, and every hit is compared with its key
        if np.unique(full).size == full.size:
            break
    else:  # pragma: no cover - four 64-bit hashes colliding
        raise ValueError("word table: no collision-free hash multiplier")
    hashes, inverse = np.unique(np.concatenate([full, runs]), return_inverse=True)
    at = inverse[:full.size]
    entry = np.full(hashes.size, -1, dtype=np.int64)
    entry[at] = np.asarray(kids, dtype=np.int64) << 1
    more = np.zeros(hashes.size, dtype=bool)
    more[inverse[full.size:]] = True
    entry[more] |= 1
    lens = np.zeros(hashes.size, dtype=np.int64)
    lens[at] = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
    text_off = np.zeros(hashes.size + 1, dtype=np.int64)
    np.cumsum(lens, out=text_off[1:])
    text = np.frombuffer("".join(keys[i] for i in np.argsort(at).tolist()).encode("ascii"), dtype=np.uint8)
    return WordTable(hashes, entry, text, text_off, mult)
