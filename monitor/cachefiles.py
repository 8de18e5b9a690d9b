"""Built indexes kept on disk as plain numpy arrays: shared by the screening index
(`watchlists.screen_cache`) and the matcher's compiled index (`matching.indexstore`).

A file holds only arrays of numbers and UTF-8 bytes plus a JSON header, read with
`allow_pickle=False`: loading it runs no code from the file. Readers check every array before
use (`check_offsets`, `check_ids`, string counts) and the zip's CRC catches torn or flipped
bytes; a file that fails a check raises CacheError and is rebuilt by the caller. Files are
written to a temporary name and moved into place with `os.replace`, so a concurrent reader sees
the old file or the new one, never half of one; the writer then removes the files of other keys
(and temporary files abandoned by a crashed writer) so a cache stays one index big.
"""

from __future__ import annotations

import hashlib
import io
import json
import mmap
import os
import shutil
import struct
import tempfile
import time
import zipfile
import zlib
from collections.abc import Collection, Iterable, Sequence
from itertools import chain
from pathlib import Path
from typing import Any, overload

import numpy as np

#: Temporary files older than this are a crashed writer's and are removed.
STALE_TEMP_SECONDS = 600
_SEP = "\x00"


class CacheError(ValueError):
    """A cache file that cannot be used (unreadable, corrupt, another key, another format)."""


def code_digest(files: Iterable[Path], extra: str = "") -> str:
    """A digest of source files (and any extra text): a cache built by other code is stale."""
    digest = hashlib.sha256(extra.encode() + b"\x1e")
    for path in files:
        digest.update(path.name.encode() + b"\x1f" + path.read_bytes() + b"\x1e")
    return digest.hexdigest()


def pack_strings(values: Iterable[str]) -> np.ndarray:
    """Strings as one UTF-8 byte array (NUL-separated)."""
    values = list(values)
    for value in values:
        if _SEP in value:
            raise CacheError("a string holds a NUL character; not cacheable")
    return np.frombuffer(_SEP.join(values).encode("utf-8"), dtype=np.uint8)


def unpack_strings(blob: np.ndarray, count: int) -> list[str]:
    """The `count` strings of pack_strings; CacheError when there are not exactly that many."""
    if count == 0:
        if blob.size:
            raise CacheError("strings where none were expected")
        return []
    try:
        values = blob.tobytes().decode("utf-8").split(_SEP)
    except UnicodeDecodeError as exc:
        raise CacheError(f"strings: {exc}") from exc
    if len(values) != count:
        raise CacheError(f"{len(values)} strings where {count} were expected")
    return values


class PackedStrings(Sequence[str]):
    """The strings of pack_strings, each decoded when asked for (a million names would be a million
    Python objects held by every process otherwise); CacheError at once when the bytes are not
    `count` strings of UTF-8."""

    __slots__ = ("_blob", "_ends", "_starts")

    def __init__(self, blob: np.ndarray, count: int) -> None:
        if count == 0:
            if blob.size:
                raise CacheError("strings where none were expected")
            self._blob, self._starts, self._ends = blob, np.zeros(0, np.int64), np.zeros(0, np.int64)
            return
        try:
            blob.tobytes().decode("utf-8")  # valid as a whole: so is every piece between two NULs
        except UnicodeDecodeError as exc:
            raise CacheError(f"strings: {exc}") from exc
        seps = np.flatnonzero(blob == 0)
        if seps.size != count - 1:
            raise CacheError(f"{seps.size + 1} strings where {count} were expected")
        self._blob = blob
        self._starts = np.concatenate([np.zeros(1, np.int64), seps + 1])
        self._ends = np.concatenate([seps, np.array([blob.size], np.int64)])

    def __len__(self) -> int:
        return int(self._starts.size)

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> list[str]: ...

    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return bytes(self._blob[self._starts[i]:self._ends[i]]).decode("utf-8")


def offsets(lists: Collection[Collection[Any]]) -> np.ndarray:
    """Start offsets of each list in their concatenation, plus the total."""
    out = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, lists), dtype=np.int64, count=len(lists)), out=out[1:])
    return out


def pack_lists(lists: Collection[Collection[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Lists of integers as one flat array and its offsets."""
    offs = offsets(lists)
    return np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(offs[-1])), offs


def check_offsets(offs: np.ndarray, count: int, flat_len: int, what: str) -> None:
    """CacheError unless `offs` cuts a flat array of `flat_len` items into `count` lists."""
    if offs.shape != (count + 1,) or offs[0] != 0 or offs[-1] != flat_len:
        raise CacheError(f"{what}: offsets do not fit")
    if count and np.any(np.diff(offs) < 0):
        raise CacheError(f"{what}: offsets go backwards")


def check_ids(ids: np.ndarray, bound: int, what: str) -> None:
    """CacheError when an id is outside [0, bound)."""
    if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= bound):
        raise CacheError(f"{what}: id out of range")


def header_array(header: dict[str, Any]) -> np.ndarray:
    """A JSON header as a byte array."""
    return np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)


def read_header(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """The JSON header of an archive; CacheError when absent or not JSON."""
    try:
        header = json.loads(arrays["header"].tobytes().decode())
    except (KeyError, ValueError) as exc:
        raise CacheError(f"no usable header: {exc}") from exc
    if not isinstance(header, dict):
        raise CacheError("header is not a mapping")
    return header


def checked_header(arrays: dict[str, np.ndarray], format_version: int, key: str) -> dict[str, Any]:
    """The JSON header of an archive written in `format_version` for `key`; CacheError otherwise."""
    header = read_header(arrays)
    if header.get("format") != format_version:
        raise CacheError(f"format {header.get('format')!r}, expected {format_version}")
    if header.get("key") != key:
        raise CacheError("written for another key")
    return header


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    """Every array of an .npz archive (no pickles); CacheError when it cannot be read."""
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise CacheError("not an index archive")
        with loaded as npz:
            return {name: npz[name] for name in npz.files}
    except CacheError:
        raise
    except Exception as exc:  # whatever a damaged zip or array raises, the file is unusable
        raise CacheError(f"unreadable: {exc}") from exc


def map_arrays(path: Path) -> dict[str, np.ndarray]:
    """Every array of an .npz archive as a read-only view of the file mapped into memory (no
    copy: processes that map one file share its pages), each member checked against the CRC the
    zip records for it; CacheError when it cannot be read."""
    try:
        with open(path, "rb") as fh, zipfile.ZipFile(fh) as archive:
            members = archive.infolist()
            mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        whole = memoryview(mapped)
        out: dict[str, np.ndarray] = {}
        for info in members:
            if info.compress_type != zipfile.ZIP_STORED or not info.filename.endswith(".npy"):
                raise CacheError(f"{info.filename}: not a stored array")
            at = info.header_offset
            if whole[at:at + 4] != b"PK\x03\x04":
                raise CacheError(f"{info.filename}: no local header")
            name_len, extra_len = struct.unpack("<HH", whole[at + 26:at + 30])
            start = at + 30 + name_len + extra_len
            data = whole[start:start + info.file_size]
            if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
                raise CacheError(f"{info.filename}: checksum differs")
            head = io.BytesIO(data[:4096].tobytes())
            major, _minor = np.lib.format.read_magic(head)
            read_header_fn = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read_header_fn(head)
            count = int(np.prod(shape, dtype=np.int64))
            if dtype.hasobject or (fortran and len(shape) > 1) or head.tell() + count * dtype.itemsize > info.file_size:
                raise CacheError(f"{info.filename}: not a plain array")
            arr = np.frombuffer(mapped, dtype=dtype, count=count, offset=start + head.tell()).reshape(shape)
            # a file written elsewhere (np.savez) may leave an array unaligned: copied once here
            # rather than by numpy at every use
            out[info.filename[:-4]] = arr if arr.flags.aligned else arr.copy()
        return out
    except CacheError:
        raise
    except Exception as exc:  # whatever a damaged zip or array raises, the file is unusable
        raise CacheError(f"unreadable: {exc}") from exc


_ALIGN = 64  # numpy pads an array's header to this; a member starting on it keeps its data aligned
_PAD_FIELD = 0xD935  # the zip extra field id zipalign uses for padding


def _write_npz(out: Any, arrays: dict[str, np.ndarray]) -> None:
    """The arrays as an .npz archive (what np.savez writes), each member padded to start on a
    64-byte boundary so that a mapped array is aligned (numpy copies an unaligned array on
    every search)."""
    with zipfile.ZipFile(out, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, value in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            # local header: 30 bytes, the name, the padding field (4 + pad) and the zip64 field (20)
            pad = -(out.tell() + 30 + len(info.filename.encode()) + 4 + 20) % _ALIGN
            info.extra = struct.pack("<HH", _PAD_FIELD, pad) + bytes(pad)
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=False)


def write_arrays(folder: Path, name: str, prefix: str, arrays: dict[str, np.ndarray]) -> Path:
    """Store arrays as `folder/name` atomically, then remove older files starting with `prefix`."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / name
    # mkstemp makes the file 0600 in the same folder, so os.replace is an atomic rename.
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            _write_npz(out, arrays)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    remove_others(folder, target, prefix)
    return target


def _remove(path: Path) -> None:
    # a cache is a file (an .npz archive) or a folder of arrays (the language model's .npy files)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def remove_others(folder: Path, keep: Path, prefix: str) -> None:
    """Remove older files of other keys, and temporary files left by crashed writers.

    A file of another key written after `keep` is left alone: when two processes that saw
    different states write at once, the last one written survives instead of neither.
    """
    now = time.time()
    try:
        written = keep.stat().st_mtime_ns
    except OSError:  # another writer already replaced it
        return
    suffix = keep.suffix
    for path in folder.glob(f"{prefix}*{suffix}"):
        try:
            if path.name != keep.name and path.stat().st_mtime_ns <= written:
                _remove(path)
        except OSError:  # removed by another writer meanwhile
            continue
    for path in folder.glob(f".{prefix}*.tmp"):
        try:
            if now - path.stat().st_mtime > STALE_TEMP_SECONDS:
                _remove(path)
        except OSError:
            continue
