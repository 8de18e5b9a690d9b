"""The screening index on disk: same results as a fresh build, reused by the next process,
replaced after a list load, rebuilt when damaged, safe with concurrent writers."""

from __future__ import annotations

import io
import json
import logging
import multiprocessing
import os
import pickle
import random
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from monitor.cli import app
from monitor.db import make_engine, session_scope, upgrade
from monitor.models import Entity, utcnow
from monitor.watchlists import screen, screen_cache
from monitor.watchlists.screen import AliasRow, ScreenIndex, get_screener
from monitor.watchlists.store import load_list

FIXTURES = Path(__file__).parent / "fixtures"
# Every fixture list: OFAC XML, EU, UK, OpenSanctions CSV and FollowTheMoney JSON.
LISTS = [("sdn_advanced.xml", None), ("eu_fsf.xml", None), ("uk_conlist.csv", None),
         ("targets.simple.csv", None), ("entities.ftm.json", "os_test")]  # fmt: skip
QUERIES = ["Sergei Shoigu", "Сергей Шойгу", "Shoygu Sergey", "SHOIGU", "Ocean Star", "Vladimir Putin",
           "Kim Jong Un", "Oboronnye Initsiativy", "Rosoboronexport", "Nobody Atall"]  # fmt: skip


@pytest.fixture(autouse=True)
def _no_process_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts like a new process: nothing in memory, so the disk decides."""
    monkeypatch.setattr(screen, "_CACHE", {})


def _load(engine: Engine, *lists: tuple[str | Path, str | None]) -> None:
    for name, dataset in lists:
        with session_scope(engine) as s:
            load_list(s, FIXTURES / name if isinstance(name, str) else name, dataset=dataset)


def _fresh(session: Any, cfg: Any) -> screen.Screener:
    """A screener as a new process gets it (the in-memory cache emptied first)."""
    screen._CACHE.clear()
    return get_screener(session, cfg)


def _answers(screener: screen.Screener, queries: list[str]) -> list[Any]:
    out = []
    for q in queries:
        for kw in ({}, {"schema": "person", "birth_year": 1955, "country": "RU"}, {"datasets": ["us_ofac_sdn"]}):
            result = screener.screen(q, **kw)  # type: ignore[arg-type]
            out.append([(m.to_json(), m.schema) for m in result.matches])
    return out


def _cache_files(cfg: Any) -> list[Path]:
    return sorted(screen_cache.cache_dir(cfg.data_dir).glob("screen-index-*.npz"))


def _no_build(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(session: Any) -> Iterator[AliasRow]:
        raise AssertionError("index rebuilt from the database although the cache holds it")

    monkeypatch.setattr(screen, "iter_alias_rows", refuse)


# --------------------------------------------------------------------------- same results


def _synthetic_rows(n: int, seed: int = 7) -> list[AliasRow]:
    rng = random.Random(seed)
    syll = [
        "ka", "ro", "vel", "shoi", "gu", "ser", "gei", "mak", "hlouf", "al", "in", "ov", "ich", "zar", "ta",
        "nik", "ol", "ai", "bra", "dmi", "tri", "yev", "ko", "lev", "mo", "ham", "med", "ra", "mi", "stan",
    ]  # fmt: skip
    rows = []
    for i in range(n):
        parts = ["".join(rng.choice(syll) for _ in range(rng.randint(2, 3))).title() for _ in range(rng.randint(1, 3))]
        schema = rng.choice(["Person", "Organization", "Vessel", "LegalEntity"])
        countries = tuple(sorted(rng.sample(["RU", "KP", "IR", "SY", "BY"], rng.randint(0, 2))))
        years = (rng.randint(1940, 1990),) if schema == "Person" and rng.random() < 0.7 else ()
        caption = " ".join(parts)
        for j in range(rng.randint(1, 3)):
            alias = caption if j == 0 else " ".join([*rng.sample(parts, len(parts)), rng.choice(syll)])
            rows.append(AliasRow(f"syn:{i}", rng.choice(["syn", "alt"]), str(i), caption, alias, schema,
                                 weak=j == 2, countries=countries, birth_years=years))  # fmt: skip
    return rows


def test_results_identical_from_the_cache_file(tmp_path: Path) -> None:
    """A large synthetic index: every query, with and without filters, answers the same."""
    rows = _synthetic_rows(3000)
    built = ScreenIndex(rows)
    path = screen_cache.write_index(tmp_path, "k1", built)
    loaded = screen_cache.read_index(path, "k1")
    assert loaded.size == built.size > 1000
    assert list(loaded.rows) == list(built.rows)
    assert loaded.vocab == built.vocab
    rng = random.Random(3)
    queries = [r.alias for r in rng.sample(rows, 150)]
    queries += [q[:-2] + q[-1] for q in queries[:50]]  # a letter dropped
    queries += [" ".join(reversed(q.split())) for q in queries[:50]]
    for q in queries:
        for kw in ({}, {"schema": "person", "birth_year": 1960, "country": "RU"}, {"datasets": ["alt"]}):
            a = built.screen(q, threshold=0.7, **kw)  # type: ignore[arg-type]
            b = loaded.screen(q, threshold=0.7, **kw)  # type: ignore[arg-type]
            assert a == b, q
            assert built.candidates(q) == loaded.candidates(q)


def test_fixture_lists_same_matches_with_and_without_cache(sqlite_engine: Engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    _load(sqlite_engine, *LISTS)
    with session_scope(sqlite_engine) as s:
        uncached = _answers(_fresh(s, make_settings(screen_cache_enabled=False)), QUERIES)
        assert not _cache_files(make_settings())
        cfg = make_settings()
        first = _answers(_fresh(s, cfg), QUERIES)  # builds and writes the file
        assert len(_cache_files(cfg)) == 1
        second = _answers(_fresh(s, cfg), QUERIES)  # reads it
    assert uncached == first == second
    assert any(row for row in first), "the fixture queries found nothing: the comparison would be empty"


# --------------------------------------------------------------------------- hit, invalidation


def test_hit_after_first_run_and_invalidated_by_a_list_load(
    sqlite_engine: Engine, make_settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    cfg = make_settings()
    _load(sqlite_engine, ("uk_conlist.csv", None))
    with session_scope(sqlite_engine) as s:
        built = _fresh(s, cfg)
        key = screen_cache.index_key(s)
        assert key == screen_cache.index_key(s)  # stable while nothing changes
    assert [p.name for p in _cache_files(cfg)] == [f"screen-index-{key}.npz"]
    assert oct(_cache_files(cfg)[0].stat().st_mode & 0o777) == "0o600"

    with monkeypatch.context() as m:
        _no_build(m)
        with session_scope(sqlite_engine) as s:
            hit = _fresh(s, cfg)
        assert _answers(hit, QUERIES) == _answers(built, QUERIES)
        assert hit.index is not built.index

    # A new list: new key, the old file removed, the new entries found.
    _load(sqlite_engine, ("sdn_advanced.xml", None))
    with session_scope(sqlite_engine) as s:
        assert screen_cache.index_key(s) != key
        after = _fresh(s, cfg)
        key2 = screen_cache.index_key(s)
    assert [p.name for p in _cache_files(cfg)] == [f"screen-index-{key2}.npz"]
    assert "us_ofac_sdn" in {m.dataset for m in after.screen("Sergei Shoigu").matches}

    # A new version of the same list without Shoigu: his UK entry is gone from the cached index.
    lines = (FIXTURES / "uk_conlist.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    changed = tmp_path / "uk_conlist.csv"
    changed.write_text("".join(line for line in lines if "14195" not in line), encoding="utf-8")
    _load(sqlite_engine, (changed, None))
    with session_scope(sqlite_engine) as s:
        assert screen_cache.index_key(s) not in (key, key2)
        datasets = {m.dataset for m in _fresh(s, cfg).screen("Sergei Shoigu").matches}
    assert "gb_hmt_sanctions" not in datasets and "us_ofac_sdn" in datasets
    assert len(_cache_files(cfg)) == 1


def test_key_follows_removals_and_the_database(sqlite_engine: Engine, make_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _load(sqlite_engine, ("sdn_advanced.xml", None))
    with session_scope(sqlite_engine) as s:
        key = screen_cache.index_key(s)
        entity = s.exec(select(Entity)).first()
        assert entity is not None
        entity.removed_at = utcnow()  # removed outside a list load
    with session_scope(sqlite_engine) as s:
        assert screen_cache.index_key(s) != key
    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(other)
    _load(other, ("sdn_advanced.xml", None))
    with session_scope(other) as s, session_scope(sqlite_engine) as t:
        assert screen_cache.index_key(s) != screen_cache.index_key(t)
    other.dispose()


# --------------------------------------------------------------------------- damaged files


def _object_array_npz(path: Path, marker: Path) -> None:
    class Boom:
        def __reduce__(self) -> tuple[Any, ...]:
            return (os.system, (f"touch {marker}",))

    arr = np.empty(1, dtype=object)
    arr[0] = Boom()
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=True)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("header.npy", buf.getvalue())


@pytest.mark.parametrize("damage", ["truncated", "flipped", "garbage", "empty", "pickle", "raw-pickle",
                                    "other-key", "bad-offsets", "ids-out-of-range"])  # fmt: skip
def test_damaged_file_is_rebuilt_with_a_log_line(
    sqlite_engine: Engine, make_settings, caplog: pytest.LogCaptureFixture, tmp_path: Path, damage: str
) -> None:  # type: ignore[no-untyped-def]
    cfg = make_settings()
    _load(sqlite_engine, ("uk_conlist.csv", None), ("sdn_advanced.xml", None))
    with session_scope(sqlite_engine) as s:
        good = _answers(_fresh(s, cfg), QUERIES)
        key = screen_cache.index_key(s)
    path = screen_cache.cache_path(cfg.data_dir, key)
    data = path.read_bytes()
    marker = tmp_path / "pwned"
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flipped":
        path.write_bytes(data[:300] + bytes(b ^ 0x5A for b in data[300:340]) + data[340:])
    elif damage == "garbage":
        path.write_bytes(os.urandom(4096))
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "pickle":
        _object_array_npz(path, marker)
    elif damage == "raw-pickle":
        path.write_bytes(pickle.dumps({"a": 1}))
    else:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        if damage == "other-key":
            header = json.loads(arrays["header"].tobytes())
            header["key"] = "0" * 32
            arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
        elif damage == "bad-offsets":
            arrays["offsets"] = arrays["offsets"][::-1].copy()
        else:
            arrays["flat"] = arrays["flat"] + 10**6
        np.savez(path, **arrays)  # type: ignore[arg-type]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="monitor.watchlists.screen_cache"), session_scope(sqlite_engine) as s:
        again = _answers(_fresh(s, cfg), QUERIES)
    assert again == good
    assert any("ignored, rebuilding" in r.getMessage() for r in caplog.records), caplog.text
    assert not marker.exists(), "loading the cache ran code from the file"
    # Rewritten whole: the next process reads it without rebuilding.
    screen_cache.read_index(path, key)


def test_unwritable_cache_is_not_an_error(
    sqlite_engine: Engine, make_settings, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    cfg = make_settings()
    cfg.data_dir.mkdir(parents=True)
    (cfg.data_dir / "cache").write_text("a file where the cache folder should be")
    _load(sqlite_engine, ("uk_conlist.csv", None))
    with caplog.at_level(logging.WARNING, logger="monitor.watchlists.screen_cache"), session_scope(sqlite_engine) as s:
        assert _fresh(s, cfg).screen("Sergei Shoigu").matches
    assert "not cached" in caplog.text


def test_crashed_writers_temp_files_are_removed(tmp_path: Path) -> None:
    index = ScreenIndex(_synthetic_rows(50))
    folder = screen_cache.cache_dir(tmp_path)
    folder.mkdir(parents=True)
    old_tmp = folder / ".screen-index-a.x1.tmp"
    live_tmp = folder / ".screen-index-a.x2.tmp"
    old_tmp.write_bytes(b"half")
    live_tmp.write_bytes(b"being written")
    past = time.time() - screen_cache.STALE_TEMP_SECONDS - 60
    os.utime(old_tmp, (past, past))
    older = screen_cache.write_index(tmp_path, "a", index)
    os.utime(older, (past, past))
    screen_cache.write_index(tmp_path, "b", index)
    assert sorted(p.name for p in folder.iterdir()) == [".screen-index-a.x2.tmp", "screen-index-b.npz"]


# --------------------------------------------------------------------------- concurrency


def _writer(data_dir: str, key: str, rounds: int) -> None:
    index = ScreenIndex(_synthetic_rows(1500))
    for _ in range(rounds):
        screen_cache.write_index(Path(data_dir), key, index)


def test_concurrent_writers_never_leave_a_half_file(tmp_path: Path) -> None:
    """Writers of one key race while a reader reads: every read is a whole, valid index."""
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), "same", 6)) for _ in range(3)]
    for p in procs:
        p.start()
    path = screen_cache.cache_path(tmp_path, "same")
    reads = 0
    while any(p.is_alive() for p in procs) or reads == 0:
        if path.exists():
            try:
                index = screen_cache.read_index(path, "same")
            except screen_cache.CacheError as exc:
                # Only a file replaced between exists() and open() may vanish; never a torn one.
                assert "No such file" in str(exc), exc
                continue
            assert index.size > 1000
            reads += 1
        else:
            time.sleep(0.01)
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert reads > 0
    assert [p.name for p in screen_cache.cache_dir(tmp_path).iterdir()] == [path.name]


def test_two_keys_written_at_once_keep_the_last(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), key, 3)) for key in ("k1", "k2")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    files = list(screen_cache.cache_dir(tmp_path).iterdir())
    assert len(files) == 1 and files[0].name.startswith("screen-index-k")


# --------------------------------------------------------------------------- PostgreSQL, CLI


def test_postgresql_cache_hit_and_invalidation(
    fresh_pg_engine: Engine, make_settings, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    cfg = make_settings(database_url=str(fresh_pg_engine.url.render_as_string(hide_password=False)))
    _load(fresh_pg_engine, ("uk_conlist.csv", None), ("eu_fsf.xml", None))
    with session_scope(fresh_pg_engine) as s:
        uncached = _answers(_fresh(s, make_settings(screen_cache_enabled=False)), QUERIES)
        first = _answers(_fresh(s, cfg), QUERIES)
        key = screen_cache.index_key(s)
    assert "postgresql" in screen_cache.database_identity(fresh_pg_engine.url)
    assert [p.name for p in _cache_files(cfg)] == [f"screen-index-{key}.npz"]
    with monkeypatch.context() as m:
        _no_build(m)
        with session_scope(fresh_pg_engine) as s:
            assert _answers(_fresh(s, cfg), QUERIES) == first == uncached
    _load(fresh_pg_engine, ("sdn_advanced.xml", None))
    with session_scope(fresh_pg_engine) as s:
        assert screen_cache.index_key(s) != key
        assert "us_ofac_sdn" in {m.dataset for m in _fresh(s, cfg).screen("Sergei Shoigu").matches}
    assert len(_cache_files(cfg)) == 1


def test_screen_command_reuses_the_cache_across_processes(tmp_path: Path) -> None:
    """Two real `screen` processes: the second reads the file the first wrote, same output."""
    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = make_engine(url)
    upgrade(engine)
    _load(engine, ("uk_conlist.csv", None), ("sdn_advanced.xml", None))
    engine.dispose()
    env = {**os.environ, "MONITOR_DATABASE_URL": url, "MONITOR_DATA_DIR": str(tmp_path / "var")}
    cmd = [sys.executable, "-m", "monitor", "screen", "--json", "Sergei Shoigu", "Kim Jong Un"]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=True)
    files = list((tmp_path / "var" / "cache").glob("screen-index-*.npz"))
    assert len(files) == 1
    written = files[0].stat().st_mtime_ns
    second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=True)
    assert second.stdout == first.stdout
    assert [json.loads(line)["query"] for line in first.stdout.splitlines()] == ["Sergei Shoigu", "Kim Jong Un"]
    assert files[0].stat().st_mtime_ns == written  # read, not rewritten
    assert "rebuilding" not in second.stderr


def test_screen_command_output_unchanged_by_the_cache(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _load(sqlite_engine, *LISTS)
    monkeypatch.setenv("MONITOR_DATABASE_URL", str(sqlite_engine.url))
    monkeypatch.setenv("MONITOR_DATA_DIR", str(tmp_path / "var"))
    runner = CliRunner()
    outputs = []
    for enabled in ("false", "true", "true"):
        monkeypatch.setenv("MONITOR_SCREEN_CACHE_ENABLED", enabled)
        screen._CACHE.clear()
        result = runner.invoke(app, ["screen", "--json", *QUERIES])
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    assert len(list((tmp_path / "var" / "cache").glob("*.npz"))) == 1


def test_api_screen_loads_the_index_a_previous_process_cached(
    sqlite_engine: Engine, make_settings, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from tests.api.conftest import make_api

    _load(sqlite_engine, *LISTS)
    with session_scope(sqlite_engine) as s:
        expected = _fresh(s, make_settings()).screen("Sergei Shoigu").to_json()
    assert expected["matches"]
    screen._CACHE.clear()  # the API process starts with nothing in memory
    _no_build(monkeypatch)
    for api in make_api(sqlite_engine, make_settings):
        r = api.client.get("/api/v1/entities/screen", params={"name": "Sergei Shoigu"}, headers=api.h("reader"))
        assert r.status_code == 200, r.text
        assert r.json() == expected
