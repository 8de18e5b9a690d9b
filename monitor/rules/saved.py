"""The rules in force, saved under the data dir per content, so a new process does not parse them.

Reading the rule pack is mostly expanding its vocabularies (every entry of every language parsed and
normalised): about a sixth of a second, paid by every CLI command and every worker after a restart.
`rules_for` keys the result on everything it is made from: the rule files' paths and texts, the
database's rule rows (every column a rule is built from), and the code that parses them (the
modules of `monitor.rules` and `monitor.matching`, the name-knowledge files, the versions of
PyYAML and of the packages the index key names). The same inputs give the same `ActiveRules`,
so a file edited, a user folder set or a database rule added, changed or removed is a new key:
that state is parsed once, then loaded.

The file `<data_dir>/cache/match-rules-<key>.npz` (`monitor.cachefiles`: no pickle, atomic writes,
one per folder) holds the rules, the vocabularies' definitions and their expanded trees
(`matching.querycodec`) as JSON with its SHA-256; a file that is damaged, truncated, of another
key or another format is refused (CacheError) and the rules are parsed again and the file written
again. A pack with an invalid rule is not saved: it is parsed every time, so its errors keep their
exact positions. Nothing is saved when MONITOR_MATCH_CACHE_ENABLED is false.
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from monitor.cachefiles import CacheError, checked_header, code_digest, header_array, read_arrays, write_arrays
from monitor.matching import indexstore
from monitor.matching.querycodec import dump_vocabularies, load_vocabularies
from monitor.matching.rulefile import RuleError, RuleTexts, read_texts
from monitor.matching.types import Escalation, RuleSpec
from monitor.matching.vocabulary import Vocabularies
from monitor.rules.active import ActiveRules, build, combine, rule_paths
from monitor.settings import Settings
from monitor.storeprobe import RuleRow

log = logging.getLogger(__name__)

#: Bump when the saved data changes meaning (the code digest also changes the key by itself).
FORMAT_VERSION = 1
PREFIX = "match-rules-"
SUFFIX = ".npz"


def cache_folder(settings: Settings) -> Path:
    """Where the matcher's saved artefacts live (the index, the rules, the language model)."""
    return Path(settings.data_dir) / "cache"


@cache  # the code a process runs does not change under it
def code_version() -> str:
    """A digest of the code that turns rule files and rows into rules."""
    try:
        pyyaml = version("PyYAML")
    except PackageNotFoundError:  # the version is an extra safeguard, not a requirement
        pyyaml = "?"
    here = Path(__file__).resolve().parent
    return code_digest(sorted(here.glob("*.py")),
                       f"format {FORMAT_VERSION} index code {indexstore.code_version()} pyyaml {pyyaml}")


def rules_key(texts: RuleTexts, rows: list[RuleRow]) -> str:
    """The key of the rules made from these file texts and database rows by this code."""
    digest = hashlib.sha256(code_version().encode() + b"\x1e")
    for path, text in texts:
        digest.update(f"file\x1f{path}\x1f{text}\x1e".encode())
    for row in rows:
        digest.update(f"db\x1f{json.dumps(row, ensure_ascii=False)}\x1e".encode())
    return digest.hexdigest()[:32]


def rules_path(folder: Path, key: str) -> Path:
    """The file of one key."""
    return Path(folder) / f"{PREFIX}{key}{SUFFIX}"


def _spec_data(spec: RuleSpec) -> dict[str, Any]:
    return {"id": spec.id, "title": spec.title, "description": spec.description, "category": spec.category,
            "severity": spec.severity, "query": spec.query, "enabled": spec.enabled,
            "escalate": [[e.when, e.severity, e.scope] for e in spec.escalate]}


def _spec(data: Any, vocabularies: Vocabularies) -> RuleSpec:
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in
                                             ("id", "title", "description", "category", "severity", "query")):
        raise CacheError("rules: a rule is not a mapping of strings")
    escalate = data.get("escalate")
    if not isinstance(data.get("enabled"), bool) or not isinstance(escalate, list) or not all(
            isinstance(e, list) and len(e) == 3 and all(isinstance(v, str) for v in e) for e in escalate):
        raise CacheError("rules: malformed enabled flag or escalation")
    return RuleSpec(data["id"], data["title"], data["description"], data["category"], data["severity"],
                    data["query"], data["enabled"], tuple(Escalation(*e) for e in escalate), vocabularies)


def encode(active: ActiveRules, key: str) -> dict[str, np.ndarray]:
    """The saved form of error-free rules: a JSON header and the JSON payload."""
    payload = json.dumps({
        "vocabularies": dump_vocabularies(active.vocabularies),
        "db_rules": [_spec_data(r) for r in active.rules if active.origins.get(r.id) == "db"],
        "file_rules": [_spec_data(r) for r in active.file_rules],
        "version": active.version,
    }, ensure_ascii=False).encode()
    header = {"format": FORMAT_VERSION, "key": key, "sha256": hashlib.sha256(payload).hexdigest()}
    return {"header": header_array(header), "payload": np.frombuffer(payload, dtype=np.uint8)}


def decode(arrays: dict[str, np.ndarray], key: str) -> ActiveRules:
    """The rules saved in `arrays` for `key`; CacheError when anything does not fit."""
    header = checked_header(arrays, FORMAT_VERSION, key)
    blob = arrays.get("payload")
    if blob is None or blob.dtype != np.uint8 or blob.ndim != 1:
        raise CacheError("rules: no payload")
    payload = blob.tobytes()
    if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
        raise CacheError("rules: checksum differs")
    try:
        data = json.loads(payload.decode())
        vocabularies = load_vocabularies(data["vocabularies"])
        db_specs = [_spec(r, vocabularies) for r in data["db_rules"]]
        file_specs = [_spec(r, vocabularies) for r in data["file_rules"]]
    except CacheError:
        raise
    except Exception as exc:  # a missing field, a wrong type: the file is unusable
        raise CacheError(f"rules: malformed: {type(exc).__name__}: {exc}") from exc
    active = combine(db_specs, file_specs, vocabularies)
    if active.version != data.get("version"):
        raise CacheError("rules: version differs from the rules saved")
    return active


def save(folder: Path, key: str, active: ActiveRules) -> Path:
    """Keep error-free rules for `key` (older files of other keys are removed)."""
    return write_arrays(Path(folder), rules_path(folder, key).name, PREFIX, encode(active, key))


def load(folder: Path, key: str) -> ActiveRules:
    """The rules saved for `key`; CacheError when absent or unusable."""
    path = rules_path(folder, key)
    if not path.exists():
        raise CacheError(f"no rules file {path.name}")
    return decode(read_arrays(path), key)


def rules_for(settings: Settings, rows: list[RuleRow]) -> ActiveRules:
    """The rules in force for the configured rule folders and these database rule rows: loaded when
    saved for the same content, else parsed (and saved when the match cache is on and none is invalid)."""
    texts = read_texts(rule_paths(settings))
    if isinstance(texts, RuleError) or any(isinstance(text, RuleError) for _path, text in texts):
        return build(texts, rows)
    if not settings.match_cache_enabled:
        return build(texts, rows)
    folder = cache_folder(settings)
    key = rules_key(texts, rows)
    try:
        return load(folder, key)
    except CacheError as exc:
        log.info("rules not loaded from the cache (%s): reading them", exc)
    active = build(texts, rows)
    if not active.errors:
        try:
            save(folder, key, active)
        except Exception as exc:  # a read-only or full disk only costs the next process a parse
            log.warning("rules not cached in %s: %s", folder, exc)
    return active
