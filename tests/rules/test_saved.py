"""The rules saved under the data dir: parsed once per content, then loaded as the same rules; every
input (a rule file's text, a user folder, a database rule row, the code) is part of the key, so a
change is always seen; a damaged, truncated, foreign or stale file is parsed again, never used."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from monitor.cachefiles import CacheError, header_array, read_arrays, read_header, write_arrays
from monitor.matching.query import parse_query
from monitor.rules import saved
from monitor.rules.active import ActiveRules
from monitor.settings import Settings
from monitor.storeprobe import RuleRow

BODY = """\
vocabularies:
  my_arms: [rifles, "artillery shells"]
rules:
  - id: {id}
    title: T
    category: arms-transfer
    severity: low
    query: supply pre/3 @my_arms
    escalate:
      - when: "@my_arms w/s entity:sanctioned"
        severity: high
"""
DB_ROW: RuleRow = ("db-rule", "DB", "", "arms-transfer", "high", "sell pre/2 @my_arms", True)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "rules"
    path.mkdir()
    (path / "mine.yaml").write_text(BODY.format(id="first-rule"))
    return path


@pytest.fixture
def cfg(make_settings, folder: Path) -> Settings:  # type: ignore[no-untyped-def]
    return make_settings(rules_dir=folder)  # type: ignore[no-any-return]


def _files(cfg: Settings) -> list[Path]:
    return sorted(saved.cache_folder(cfg).glob(f"{saved.PREFIX}*"))


def _same(a: ActiveRules, b: ActiveRules) -> None:
    assert (a.version, a.rules, a.file_rules, a.origins) == (b.version, b.rules, b.file_rules, b.origins)
    assert a.vocabularies.fingerprint == b.vocabularies.fingerprint and not b.errors
    for ra, rb in zip(a.rules, b.rules, strict=True):
        queries = [(ra.query, rb.query)] + [(ea.when, eb.when) for ea, eb in zip(ra.escalate, rb.escalate, strict=True)]
        for qa, qb in queries:
            assert parse_query(qa, vocabularies=ra.vocabularies) == parse_query(qb, vocabularies=rb.vocabularies)


def _no_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(saved, "build", lambda *a: pytest.fail("parsed instead of loaded"))


def test_parsed_once_then_loaded_as_the_same_rules(cfg: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    first = saved.rules_for(cfg, [DB_ROW])
    assert first.origins["db-rule"] == "db" and first.get("first-rule") and first.get("arms-transfer")
    [path] = _files(cfg)
    with monkeypatch.context() as m:
        _no_parse(m)
        again = saved.rules_for(cfg, [DB_ROW])
    _same(first, again)
    assert again.vocabularies.expanded  # the expanded vocabularies came with them: nothing is expanded again
    assert _files(cfg) == [path]


def test_every_input_is_part_of_the_key(cfg: Settings, folder: Path, make_settings) -> None:  # type: ignore[no-untyped-def]
    base = saved.rules_for(cfg, [])
    # a file edited to the same size with its time put back: the text is in the key, not the time
    path = folder / "mine.yaml"
    stat = path.stat()
    path.write_text(BODY.format(id="other-rule"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    edited = saved.rules_for(cfg, [])
    assert edited.get("other-rule") and not edited.get("first-rule") and edited.version != base.version
    # a database rule added, then changed, then removed
    added = saved.rules_for(cfg, [DB_ROW])
    assert added.get("db-rule") is not None and added.version != edited.version
    disabled = saved.rules_for(cfg, [(*DB_ROW[:6], False)])
    assert disabled.get("db-rule").enabled is False  # type: ignore[union-attr]
    assert saved.rules_for(cfg, []).version == edited.version
    # another user folder, then none
    other = folder.parent / "other"
    other.mkdir()
    (other / "x.yaml").write_text(BODY.format(id="folder-rule").replace("my_arms", "arms2"))
    assert saved.rules_for(make_settings(rules_dir=other), []).get("folder-rule")
    assert not saved.rules_for(make_settings(), []).get("folder-rule")
    assert len(_files(cfg)) == 1  # one file per folder: the latest state's


def test_other_code_is_another_key(cfg: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    saved.rules_for(cfg, [])
    [path] = _files(cfg)
    monkeypatch.setattr(saved, "code_version", lambda: "other code")
    saved.rules_for(cfg, [])
    [newer] = _files(cfg)
    assert newer != path


def _rewrite(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    arrays = read_arrays(path)
    change(arrays)
    path.unlink()
    write_arrays(path.parent, path.name, "no-such-prefix-", arrays)


@pytest.mark.parametrize("damage", ["truncated", "payload", "header", "format", "key", "not json", "bad rule"])
def test_a_damaged_file_is_parsed_again(cfg: Settings, damage: str, monkeypatch: pytest.MonkeyPatch) -> None:
    good = saved.rules_for(cfg, [DB_ROW])
    [path] = _files(cfg)
    key = path.name[len(saved.PREFIX):-len(saved.SUFFIX)]

    def header(**changes: object) -> object:
        return lambda a: a.update(header=header_array({**read_header(a), **changes}))

    def payload(text: bytes) -> object:
        import hashlib

        def change(a: dict[str, np.ndarray]) -> None:
            a["payload"] = np.frombuffer(text, dtype=np.uint8)
            a["header"] = header_array({**read_header(a), "sha256": hashlib.sha256(text).hexdigest()})
        return change

    body = read_arrays(path)["payload"].tobytes()
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "payload":  # one byte changed, the checksum not: refused
        _rewrite(path, lambda a: a.update(payload=np.frombuffer(body.replace(b"sell", b"sale"), dtype=np.uint8)))
    else:
        _rewrite(path, {
            "header": lambda a: a.pop("header"),
            "format": header(format=99),
            "key": header(key="another"),
            "not json": payload(b"{not json"),
            # consistent checksum, a rule changed: the version no longer fits the rules
            "bad rule": payload(body.replace(b'"sell pre/2 @my_arms"', b'"sell pre/2 rifles"')),
        }[damage])
    with pytest.raises(CacheError):
        saved.load(saved.cache_folder(cfg), key)
    again = saved.rules_for(cfg, [DB_ROW])  # parsed again, and saved again
    _same(good, again)
    with monkeypatch.context() as m:
        _no_parse(m)
        _same(good, saved.rules_for(cfg, [DB_ROW]))


def test_invalid_rules_and_a_disabled_cache_save_nothing(cfg: Settings, folder: Path, make_settings) -> None:  # type: ignore[no-untyped-def]
    broken: RuleRow = ("broken", "B", "", "sanctions", "low", "supply pre/3 @nope", True)
    active = saved.rules_for(cfg, [broken])
    assert active.errors and not active.get("broken") and not _files(cfg)
    (folder / "bad.yaml").write_text("rules:\n  - id: bad\n    query: (unclosed\n")
    assert saved.rules_for(cfg, []).errors and not _files(cfg)
    off = make_settings(match_cache_enabled=False)
    assert saved.rules_for(off, []).get("arms-transfer") and not _files(off)
