"""The compiled index on disk: saved and loaded to the same matches; a corrupt, truncated, stale
or foreign file is a clear CacheError for the loader, and the process matcher then rebuilds it
(never a wrong match, never a crash); a large matcher is rebuilt in the background while the old
one serves."""

from __future__ import annotations

import dataclasses
import struct
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.alerts import matcher_cache
from monitor.cachefiles import CacheError, map_arrays
from monitor.matching import indexstore
from monitor.matching.engine import Matcher
from monitor.matching.index import CompiledIndex
from monitor.matching.indexbuild import build_index
from monitor.matching.types import AliasSpec, ArticleInput, RuleSpec
from monitor.models import Entity, EntityName, ListVersion
from monitor.settings import Settings
from tests.matching.test_entity_cases import CASES, _aliases

RULES = [
    RuleSpec("any", "Any", "", "sanctions", "low", "entity:any"),
    RuleSpec("arms", "Arms", "", "arms-transfer", "medium", "(supply OR ship*) w/5 (weapons OR drones) AND country:RU"),
]
TEXTS = [(c.get("title", ""), c["text"]) for c in CASES] + [
    ("", "Iran will supply drones to Russia, Sergei Shoigu said; Sergei Shouigu denied it."),
]


def _scan_all(matcher: Matcher) -> list[object]:
    out: list[object] = []
    for title, text in TEXTS:
        res = matcher.scan(ArticleInput("x", title, text))
        out.append([(e.entity_id, e.field, e.start, e.end, e.confidence) for e in res.entities])
        out.append([(a.rule, a.severity, a.score, a.explanation, a.entity_ids) for a in res.alerts])
    return out


@pytest.fixture(scope="module", params=["automaton", "word table"])
def built(request: pytest.FixtureRequest) -> Matcher:
    # alias forms in the automaton, or in the word table as for lists of millions of alias keys
    index, enabled = build_index(RULES, _aliases(), word_table_min_keys=0 if request.param == "word table" else 10**9)
    return Matcher(index, enabled)


def test_word_table_and_automaton_find_the_same(built: Matcher) -> None:
    index, enabled = build_index(RULES, _aliases(), word_table_min_keys=10**9)
    assert not index.words and len(index.automaton) == index.key_count
    assert _scan_all(Matcher(index, enabled)) == _scan_all(built)


@pytest.fixture
def saved(built: Matcher, tmp_path: Path) -> Path:
    return indexstore.save_index(tmp_path, "k1", built.index)


def test_every_index_field_is_stored() -> None:
    names = {f.name for f in dataclasses.fields(CompiledIndex)}
    assert set(indexstore.stored_fields()) <= set(indexstore.CODECS), "a field of CompiledIndex has no codec"
    assert names == set(indexstore.stored_fields()) | indexstore.DERIVED | {"version", "alias_count"}


def test_round_trip_gives_the_same_matches(built: Matcher, saved: Path) -> None:
    loaded = Matcher(indexstore.load_index(saved.parent, "k1"), RULES)
    assert loaded.version == built.version and loaded.key_count == built.key_count
    assert _scan_all(loaded) == _scan_all(built)
    assert any(_scan_all(built)[1::2])  # the texts do raise alerts: the comparison means something


def test_missing_and_foreign_keys(saved: Path) -> None:
    with pytest.raises(CacheError, match="no index file"):
        indexstore.load_index(saved.parent, "other")
    saved.rename(indexstore.index_path(saved.parent, "other"))
    with pytest.raises(CacheError, match="another key"):
        indexstore.load_index(saved.parent, "other")


def test_truncated_file(saved: Path) -> None:
    data = saved.read_bytes()
    for size in (0, 100, len(data) // 2, len(data) - 10):
        saved.write_bytes(data[:size])
        with pytest.raises(CacheError):
            indexstore.load_index(saved.parent, "k1")


def _member_data(path: Path) -> list[range]:
    """Where each member's bytes lie in the archive (the zip header's alignment padding is not data)."""
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    raw = path.read_bytes()
    spans = []
    for info in infos:
        name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
        start = info.header_offset + 30 + name_len + extra_len
        spans.append(range(start, start + info.file_size))
    return spans


def test_flipped_bytes(saved: Path) -> None:
    data = bytearray(saved.read_bytes())
    spans = _member_data(saved)
    # a third, half and two thirds of the way, each moved on to the next byte of some member's data:
    # a flip in a member's alignment padding changes no array (and the CRC does not cover it)
    for at in (len(data) // 3, len(data) // 2, 2 * len(data) // 3):
        at = min(max(at, span.start) for span in spans if span.stop > at)
        broken = bytearray(data)
        broken[at] ^= 0xFF
        saved.write_bytes(bytes(broken))
        with pytest.raises(CacheError):
            indexstore.load_index(saved.parent, "k1")


def _rewrite(path: Path, **changes: np.ndarray) -> None:
    arrays = {name: np.array(value) for name, value in map_arrays(path).items()}  # copies: the file is rewritten
    arrays.update(changes)
    np.savez(path, allow_pickle=False, **arrays)  # type: ignore[arg-type]


def test_consistent_zip_with_wrong_contents(saved: Path) -> None:
    arrays = {name: np.array(value) for name, value in map_arrays(saved).items()}
    cases = {
        "automaton": arrays["automaton"][::-1].copy(),  # valid zip, bytes that are not the automaton
        "form_entity": np.full_like(arrays["form_entity"], 10**6),  # ids out of range
        "owners": arrays["owners"][:-1].copy(),  # lengths disagree
        "typo_hash": arrays["typo_hash"][::-1].copy(),  # no longer sorted
        "header": np.frombuffer(b'{"format": 99, "key": "k1"}', dtype=np.uint8),  # another format
        "entities": arrays["entities"][:10].copy(),  # strings cut short
        "words": np.zeros(3, dtype=np.uint64),  # hashes not sorted and not as many as their entries
        "words.mult": np.array([2], dtype=np.uint64),  # an even multiplier has no inverse
    }
    if arrays["words.entry"].size:  # the word table's key ids beyond the keys
        cases["words.entry"] = arrays["words.entry"] + 10**6
    for name, value in cases.items():
        _rewrite(saved, **{**arrays, name: value})
        with pytest.raises(CacheError):
            indexstore.load_index(saved.parent, "k1")


def test_code_version_is_part_of_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    key = indexstore.index_key("lists", "rules")
    assert indexstore.index_key("lists2", "rules") != key and indexstore.index_key("lists", "rules2") != key
    monkeypatch.setattr(indexstore, "code_version", lambda: "another build of the code")
    assert indexstore.index_key("lists", "rules") != key


# --------------------------------------------------------------------------- the process matcher


def _add(session: Session, source_id: str, caption: str) -> None:
    lv = ListVersion(dataset="us_ofac_sdn", source="test", format="ofac-csv", file_hash=source_id)
    session.add(lv)
    session.flush()
    eid = f"us_ofac_sdn:{source_id}"
    session.add(Entity(id=eid, dataset="us_ofac_sdn", source_id=source_id, schema_="Person", name=caption,
                       programs=["RUSSIA-EO14024"], version_id=lv.id))
    session.flush()
    session.add(EntityName(entity_id=eid, name=caption, kind="primary"))
    session.commit()


@pytest.fixture
def cfg(make_settings, tmp_path: Path) -> Settings:  # type: ignore[no-untyped-def]
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "r.yaml").write_text("rules:\n  - id: listed\n    title: Listed\n    category: sanctions\n"
                                  "    severity: medium\n    query: entity:sanctioned\n")
    return make_settings(rules_dir=rules)  # type: ignore[no-any-return]


def _files(cfg: Settings) -> list[Path]:
    return sorted((cfg.data_dir / "cache").glob("match-index-*.npz"))


def _ids(matcher: Matcher, text: str) -> set[str]:
    return {e.entity_id for e in matcher.scan(ArticleInput("x", "", text)).entities}


def test_built_once_then_loaded_and_rebuilt_when_damaged(sqlite_engine: Engine, cfg: Settings,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    matcher_cache._CACHE.clear()
    with Session(sqlite_engine) as session:
        _add(session, "1", "SHOIGU, Sergei Kuzhugetovich")
        first = matcher_cache.current_matcher(session, cfg)
        assert _ids(first, "Sergei Shoigu spoke.") == {"us_ofac_sdn:1"}
        [path] = _files(cfg)
        # a new process: nothing in memory, the file is loaded, nothing is built
        matcher_cache._CACHE.clear()
        with monkeypatch.context() as m:
            m.setattr(matcher_cache, "build_matcher", lambda *a: pytest.fail("built instead of loaded"))
            loaded = matcher_cache.current_matcher(session, cfg)
        assert loaded is not first and _ids(loaded, "Sergei Shoigu spoke.") == {"us_ofac_sdn:1"}
        # a damaged file: rebuilt (and rewritten), same matches
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        matcher_cache._CACHE.clear()
        rebuilt = matcher_cache.current_matcher(session, cfg)
        assert _ids(rebuilt, "Sergei Shoigu spoke.") == {"us_ofac_sdn:1"}
        assert indexstore.load_index(path.parent, path.name[len(indexstore.PREFIX):-len(indexstore.SUFFIX)])
        # a list load: a new key, a new file, the old one removed
        _add(session, "2", "PRIGOZHIN, Yevgeniy Viktorovich")
        newer = matcher_cache.current_matcher(session, cfg)
        assert _ids(newer, "Yevgeniy Prigozhin spoke.") == {"us_ofac_sdn:2"}
        assert len(_files(cfg)) == 1 and _files(cfg) != [path]


def test_an_index_older_than_the_rules_is_rebuilt(sqlite_engine: Engine, cfg: Settings,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    matcher_cache._CACHE.clear()
    monkeypatch.setattr(indexstore, "index_key", lambda lists, rules: "fixed")  # a key that missed a rules change
    with Session(sqlite_engine) as session:
        _add(session, "1", "SHOIGU, Sergei Kuzhugetovich")
        matcher_cache.current_matcher(session, cfg)
        (cfg.rules_dir / "r.yaml").write_text(  # type: ignore[operator]
            "rules:\n  - id: arms\n    title: Arms\n    category: arms-transfer\n    severity: high\n"
            "    query: brandnewterm AND entity:sanctioned\n")
        matcher_cache._CACHE.clear()
        fresh = matcher_cache.current_matcher(session, cfg)  # StaleIndexError inside: rebuilt, no crash
        alerts = fresh.scan(ArticleInput("x", "", "Sergei Shoigu and brandnewterm.")).alerts
        assert "arms" in [a.rule for a in alerts]


def test_a_large_matcher_is_rebuilt_in_the_background(sqlite_engine: Engine, cfg: Settings,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    matcher_cache._CACHE.clear()
    cfg = cfg.model_copy(update={"match_background_min_aliases": 1})
    gate = threading.Event()
    real_build = matcher_cache._build

    def slow_build(*args, **kwargs):  # type: ignore[no-untyped-def]
        if threading.current_thread().name == "matcher-rebuild":
            assert gate.wait(30)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(matcher_cache, "_build", slow_build)
    with Session(sqlite_engine) as session:
        _add(session, "1", "SHOIGU, Sergei Kuzhugetovich")
        old = matcher_cache.current_matcher(session, cfg)
        _add(session, "2", "PRIGOZHIN, Yevgeniy Viktorovich")
        serving = matcher_cache.current_matcher(session, cfg)
        assert serving is old  # the old one serves while the new one is built
        assert matcher_cache.current_matcher(session, cfg, wait=True) is not old  # unless asked to wait
        gate.set()
        for thread in [t for t in threading.enumerate() if t.name == "matcher-rebuild"]:
            thread.join(30)
        newest = matcher_cache.current_matcher(session, cfg)
        assert _ids(newest, "Yevgeniy Prigozhin spoke.") == {"us_ofac_sdn:2"}


def test_a_loaded_table_is_the_mapped_file(saved: Path) -> None:
    arrays = map_arrays(saved)
    # every member starts aligned, so nothing is copied: the arrays are views of the mapping
    assert all(a.flags.aligned and not a.flags.owndata and not a.flags.writeable for a in arrays.values())
    loaded = indexstore.load_index(saved.parent, "k1")
    assert not loaded.typo_hash.flags.owndata and not loaded.words.hashes.flags.owndata


def test_an_unaligned_archive_still_loads(built: Matcher, saved: Path) -> None:
    # np.savez starts members anywhere: such an array is copied once instead of used in place
    _rewrite(saved)
    assert any(a.flags.owndata for a in map_arrays(saved).values())  # some were copied
    loaded = Matcher(indexstore.load_index(saved.parent, "k1"), RULES)
    assert _scan_all(loaded) == _scan_all(built)


def test_packed_strings_are_decoded_when_asked_for() -> None:
    from monitor.cachefiles import PackedStrings, pack_strings

    values = ["SHOIGU, Sergei", "", "Шойгу", "us_ofac_sdn", ""]
    packed = PackedStrings(pack_strings(values), len(values))
    assert list(packed) == values and packed[-3] == "Шойгу" and packed[1:3] == ["", "Шойгу"]
    with pytest.raises(IndexError):
        packed[5]
    with pytest.raises(CacheError):
        PackedStrings(pack_strings(values), 4)  # not as many strings as recorded
    with pytest.raises(CacheError):
        PackedStrings(np.frombuffer(b"ab\xff\x00cd", dtype=np.uint8), 2)  # not UTF-8
    assert list(PackedStrings(np.zeros(0, np.uint8), 0)) == []


def test_a_key_both_a_rule_term_and_an_alias_is_split_between_automaton_and_table(tmp_path: Path) -> None:
    # "wagner group" is a rule's phrase and the name of a listed organisation: the rule hit comes
    # from the automaton, the entity from the word table, each once, before and after a save
    rules = [RuleSpec("merc", "Mercenaries", "", "sanctions-evasion", "medium", '"wagner group" AND entity:any')]
    aliases = [AliasSpec("us_ofac_sdn:1", "us_ofac_sdn", "1", "WAGNER GROUP", "WAGNER GROUP", schema="Organization",
                         programs=("RUSSIA-EO14024",))]
    article = ArticleInput("x", "", "The Wagner Group said the Wagner Group would stay.")
    expected = None
    for threshold in (10**9, 0):
        index, enabled = build_index(rules, aliases, word_table_min_keys=threshold)
        assert bool(index.words) == (threshold == 0) and index.automaton.exists(" wagner group ")
        assert bool(index.words.hits(" wagner group ")) == (threshold == 0)  # the alias side, in the table
        for matcher in (Matcher(index, enabled),
                        Matcher(indexstore.load_index(indexstore.save_index(tmp_path, "k", index).parent, "k"),
                                enabled)):
            res = matcher.scan(article)
            got = ([(e.entity_id, e.start, e.end) for e in res.entities], [(a.rule, a.score) for a in res.alerts])
            assert got[0] and got[1] == [("merc", got[1][0][1])]
            expected = expected or got
            assert got == expected
