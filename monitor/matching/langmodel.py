"""py3langid's packaged model, loaded once per process and kept uncompressed in a cache folder.

The package ships its model as an LZMA-compressed npz: decompressing it costs about half a CPU second
in every process that detects a language (a `scan` of one article, a worker's first article). With a
cache folder the decompressed arrays are written there once (`langid-model-<key>.npz`, the key from
py3langid's version and the model file's size and time) and read back in a tenth of that, with
`allow_pickle=False`. The identifier built either way holds the same arrays, so it classifies
identically. A missing, damaged or unwritable cache only costs the decompression.
"""

from __future__ import annotations

import hashlib
import logging
import lzma
import os
import shutil
import tempfile
import zipfile
from array import array
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

_PREFIX = "langid-model-"
_KEYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")
_TYPECODE = {2: "H", 4: "I", 8: "L"}


def _model_path() -> Path:
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    path = Path(MODEL_FILE)
    return path if path.is_absolute() else Path(MODEL_DIR) / path


def _key(path: Path) -> str:
    from importlib.metadata import version

    stat = path.stat()
    text = f"{version('py3langid')}:{path.name}:{stat.st_size}:{stat.st_mtime_ns}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _stdlib_array(values: np.ndarray) -> array:
    # the identifier walks its automaton element by element: stdlib arrays index faster than numpy
    out = array(_TYPECODE[values.dtype.itemsize])
    out.frombytes(np.ascontiguousarray(values).tobytes())
    return out


def _write(path: Path, folder: Path, target: Path) -> None:
    """Decompress the packaged model into target (atomically) and drop other keys' copies."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".langid-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out, lzma.open(path) as src:
            shutil.copyfileobj(src, out, length=1 << 20)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    for other in folder.glob(f"{_PREFIX}*.npz"):
        if other != target:
            other.unlink(missing_ok=True)


def _from_arrays(source: Any) -> Any:
    from py3langid.langid import LanguageIdentifier

    with np.load(source, allow_pickle=False) as data:
        if set(_KEYS) - set(data.files):
            raise ValueError("not a py3langid model")
        return LanguageIdentifier(
            np.asarray(data["ptc"]), np.asarray(data["pc"]), data["classes"].tolist(),
            _stdlib_array(data["nextmove"]), data["out_feat"].tolist(), norm_probs=True,
            tk_row=_stdlib_array(data["nextmove_row"]),
        )


def identifier(folder: Path | None) -> Any:
    """py3langid's identifier with normalised probabilities, via the cached copy in folder when given."""
    path = _model_path()
    if folder is not None:
        target = folder / f"{_PREFIX}{_key(path)}.npz"
        try:
            if not target.exists():
                _write(path, folder, target)
            return _from_arrays(target)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:  # unwritable folder, damaged file
            log.warning("language model not cached in %s: %s", folder, exc)
            if target.exists():
                target.unlink(missing_ok=True)
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def score_in_float32(ident: Any) -> None:
    """Keep the identifier's feature table (after `set_languages`) as a row-major float32 matrix.

    py3langid scores an article as `log1p(counts) @ ptc[features]`: the table is float16 and, once
    restricted to some languages, column-major, so every article gathers scattered half-precision
    rows and converts them to float32 before the product (numpy's type promotion). Gathering the
    same rows from a row-major float32 copy yields the very matrix that conversion produced, so the
    scores are bit for bit the same, at a fifth of the cost per article (46 MB instead of 23)."""
    ident.nb_ptc = np.ascontiguousarray(ident.nb_ptc, dtype=np.float32)
