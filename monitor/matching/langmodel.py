"""py3langid's packaged model, prepared once for scoring and mapped from a cache folder by every process.

The package ships its model as an LZMA-compressed npz: decompressing it costs about half a CPU second
in every process that detects a language (a `scan` of one article, a worker's first article), and
restricting it to the two-letter languages copies its feature table again. With a cache folder the
prepared arrays are written there once, one `.npy` file each in `langid-model-<key>/` (the key from
py3langid's version, the model file's size and time and this format), and every later process maps
them read-only (`np.load(mmap_mode="r")`, no pickle): nothing is decompressed or copied at start-up,
the pages a process touches come from the page cache, shared by every worker on the machine.

Prepared means: restricted to the languages with a two-letter code (as `set_languages` does), and
the feature table kept row-major in float32. py3langid scores an article as
`log1p(counts) @ ptc[features]`; its table is float16 and, once restricted, column-major, so every
article gathered scattered half-precision rows and converted them to float32 (numpy's type
promotion) before the product. Gathering the same rows from the row-major float32 table yields the
very matrix that conversion produced, so scores are bit for bit the same, at a fifth of the cost
per article. A missing, damaged or unwritable cache only costs the preparation in that process.

Counting: py3langid walks its byte automaton in Python, one step per byte (`visit_counts`), the
largest cost of a detection. The automaton is an Aho-Corasick automaton over the model's byte
n-grams: its state after a byte is the longest suffix of the text so far that is a node of the
trie, and no node is longer than the deepest one (six bytes in the shipped model). So the state
after byte i is also the state reached by walking from the start state over bytes i-5..i alone,
and those walks, one per position, are computed for every position at once with numpy (one
gathered transition per byte of the window: six array steps instead of one Python step per
byte). The counts come out in the order of first occurrence, as `visit_counts` makes them, so the
float32 product adds the same rows in the same order: the scores are bit for bit the same (a test
compares the counts with `visit_counts` on varied texts). The trie's depth is found once, by a
breadth-first walk of the automaton, and kept with the prepared arrays.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import lzma
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from py3langid.langid import LanguageIdentifier

from monitor.cachefiles import remove_others

log = logging.getLogger(__name__)

_PREFIX = "langid-model-"
_FORMAT = 3  # one .npy per array, prepared (two-letter languages, row-major float32 table, trie depth)
_KEYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")
_DEPTH = "walk_depth"  # prepared only: the deepest node of the automaton's trie


def _model_path() -> Path:
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    path = Path(MODEL_FILE)
    return path if path.is_absolute() else Path(MODEL_DIR) / path


def _key(path: Path) -> str:
    from importlib.metadata import version

    stat = path.stat()
    text = f"{version('py3langid')}:{path.name}:{stat.st_size}:{stat.st_mtime_ns}:{_FORMAT}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def two_letter(labels: list[str]) -> list[str]:
    """The languages the service tells apart: those with an ISO 639-1 code."""
    return [lang for lang in labels if len(lang) == 2]


def state_depths(nextmove: Any, rows: Any) -> np.ndarray:
    """For each state of the automaton, the length of the byte string it remembers."""
    table = np.asarray(nextmove).reshape(-1, 256)
    rows = np.asarray(rows)
    depth = np.full(len(rows), -1, dtype=np.int16)
    depth[0] = 0
    frontier, level = np.zeros(1, dtype=np.intp), 0
    # breadth first: a step adds at most one byte to the remembered suffix, so a state first
    # reached from the states of depth d has depth d + 1
    while frontier.size:
        reached = table[rows[frontier]].ravel()
        frontier = np.unique(reached[depth[reached] < 0])
        level += 1
        depth[frontier] = level
    if (depth < 0).any():
        raise ValueError("language model automaton has unreachable states")
    return depth


def trie_depth(nextmove: Any, rows: Any) -> int:
    """Length of the longest byte string the automaton remembers (the depth of its deepest state)."""
    return int(state_depths(nextmove, rows).max())


class ByteWalkIdentifier(LanguageIdentifier):
    """py3langid's identifier with its byte n-grams counted by numpy over the whole text (same counts,
    same scores; see the module docstring)."""

    __slots__ = ("_walk_bases", "_walk_depth", "_walk_moves", "_walk_out", "_walk_root")

    def __init__(self, *args: Any, walk_depth: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._walk_moves = np.asarray(self.tk_nextmove)
        self._walk_bases = np.asarray(self.tk_row, dtype=np.intp) << 8
        start = int(self._walk_bases[0])
        self._walk_root = self._walk_moves[start:start + 256]
        self._walk_out = np.asarray(self.tk_output, dtype=np.intp)
        self._walk_depth = trie_depth(self.tk_nextmove, self.tk_row) if walk_depth is None else walk_depth

    def _states(self, data: bytes) -> np.ndarray:
        """The automaton's state after each byte of data, as `visit_counts` walks it."""
        n, depth = len(data), max(self._walk_depth, 1)
        states = np.empty(n, dtype=np.intp)
        state, moves, rowbase = 0, self.tk_nextmove, self._rowbase
        for i in range(min(n, depth - 1)):  # the first bytes: the walk from the start is the whole text
            state = moves[rowbase[state] + data[i]]
            states[i] = state
        if n >= depth:
            at = np.frombuffer(data, dtype=np.uint8).astype(np.intp)
            last = n - depth + 1  # windows of `depth` bytes, one ending at each later byte
            walked = self._walk_root.take(at[:last])
            for step in range(1, depth):
                walked = self._walk_moves.take(self._walk_bases.take(walked) + at[step:last + step])
            states[depth - 1:] = walked
        return states

    def feature_counts(self, data: bytes) -> tuple[np.ndarray, np.ndarray] | None:
        """(feature ids, counts as float32) in order of first occurrence, as `visit_counts`; None if none."""
        if not data:
            return None
        found = self._walk_out.take(self._states(data))
        found = found[found >= 0]
        if not found.size:
            return None
        ids, first, counts = np.unique(found, return_index=True, return_counts=True)
        order = np.argsort(first)
        return ids.take(order), counts.take(order).astype(np.float32)

    def _raw_score(self, text: bytes) -> np.ndarray:
        found = self.feature_counts(text)
        if found is None:  # no features: as py3langid scores a featureless text
            return super()._raw_score(b"")
        ids, counts = found
        return np.log1p(counts) @ self.nb_ptc[ids] + self.nb_pc


def _prepared(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The packaged arrays restricted to two-letter languages, the table row-major float32 (what
    `set_languages` and `score_in_float32` make of them in memory), with the trie's depth."""
    classes = arrays["classes"].tolist()
    keep = set(two_letter(list(dict.fromkeys(classes))))
    indices = [i for i, c in enumerate(classes) if c in keep]
    return {
        "ptc": np.ascontiguousarray(np.asarray(arrays["ptc"])[:, indices], dtype=np.float32),
        "pc": np.asarray(arrays["pc"])[indices],
        "classes": np.asarray([classes[i] for i in indices]),
        "nextmove": np.asarray(arrays["nextmove"]),
        "nextmove_row": np.asarray(arrays["nextmove_row"]),
        "out_feat": np.asarray(arrays["out_feat"]),
        _DEPTH: np.asarray([trie_depth(arrays["nextmove"], arrays["nextmove_row"])], dtype=np.int64),
    }


def _write(path: Path, folder: Path, target: Path) -> None:
    """Prepare the packaged model into target (a folder, renamed into place whole) and drop other keys'."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{_PREFIX}", suffix=".tmp", dir=folder))
    try:
        with lzma.open(path) as src, np.load(io.BytesIO(src.read()), allow_pickle=False) as data:
            if set(_KEYS) - set(data.files):
                raise ValueError("not a py3langid model")
            prepared = _prepared({name: data[name] for name in _KEYS})
        for name, values in prepared.items():
            np.save(tmp / f"{name}.npy", values, allow_pickle=False)
        try:
            os.replace(tmp, target)
        except OSError:
            if not target.is_dir():  # another process renamed its copy into place first: use that one
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    # other keys' copies (the old .npz too) and copies half written by a process killed while writing
    remove_others(folder, target, _PREFIX)


def _mapped(target: Path) -> Any:
    """The identifier over the prepared arrays in target, mapped read-only; ValueError when they do not fit."""
    arrays = {name: np.load(target / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in (*_KEYS, _DEPTH)}
    ptc, pc, classes = arrays["ptc"], arrays["pc"], arrays["classes"]
    nextmove, rows, out = arrays["nextmove"], arrays["nextmove_row"], arrays["out_feat"]
    shapes_fit = (ptc.dtype == np.float32 and ptc.ndim == 2 and ptc.flags["C_CONTIGUOUS"]
                  and pc.shape == classes.shape == (ptc.shape[1],) and nextmove.dtype == np.uint32
                  and rows.ndim == out.ndim == nextmove.ndim == 1 and len(rows) == len(out) > 0)
    # every state and row a walk can reach is inside the arrays (a damaged file raises here, not mid-scan)
    if not shapes_fit or int(nextmove.max()) >= len(rows) or (int(rows.max()) + 1) * 256 > len(nextmove) \
            or int(out.max()) >= ptc.shape[0] or arrays[_DEPTH].shape != (1,) or not 0 < int(arrays[_DEPTH][0]) < 64:
        raise ValueError("prepared language model arrays do not fit together")
    return ByteWalkIdentifier(
        np.asarray(ptc), np.array(pc), classes.tolist(), np.asarray(nextmove).data, out.tolist(),
        norm_probs=True, tk_row=np.asarray(rows).data, walk_depth=int(arrays[_DEPTH][0]),
    )


def score_in_float32(ident: Any) -> None:
    """Keep the identifier's feature table (after `set_languages`) row-major in float32 (same scores)."""
    ident.nb_ptc = np.ascontiguousarray(ident.nb_ptc, dtype=np.float32)


def identifier(folder: Path | None) -> Any:
    """py3langid's identifier with normalised probabilities over the two-letter languages, mapped from
    the prepared copy in folder when given (written there first when absent)."""
    path = _model_path()
    if folder is not None:
        target = folder / f"{_PREFIX}{_key(path)}"
        try:
            if not target.is_dir():
                _write(path, folder, target)
            return _mapped(target)
        except (OSError, ValueError, KeyError, EOFError, lzma.LZMAError) as exc:  # unwritable, damaged
            log.warning("language model not cached in %s: %s", folder, exc)
            if target.is_dir():
                shutil.rmtree(target, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    target.unlink(missing_ok=True)
    from py3langid.langid import MODEL_FILE

    ident = ByteWalkIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(two_letter(ident.labels))
    score_in_float32(ident)
    return ident
