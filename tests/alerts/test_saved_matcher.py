"""The matcher from the saved index without the ORM (`scan`'s start-up): the same matches as the
process matcher on SQLite and PostgreSQL; any change of the lists, the rules or the schema gives
None (the ordinary path builds), so a scan never matches with old files; `scan` in a new process
imports no ORM and its output is the same as when it built the index."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.alerts import matcher_cache
from monitor.alerts.saved_matcher import saved_matcher
from monitor.db import engine_for, upgrade
from monitor.matching.engine import Matcher
from monitor.matching.types import ArticleInput
from monitor.models import Rule
from monitor.settings import Settings
from tests.matching.test_indexstore import _add

ROOT = Path(__file__).resolve().parents[2]
TEXTS = [("Shoigu", "Sergei Shoigu said Russia will supply artillery shells and rifles."),
         ("", "Yevgeniy Prigozhin will sell rifles."), ("Cycle lanes", "Nothing listed here.")]
RULES = """\
rules:
  - id: listed-supply
    title: Listed supply
    category: arms-transfer
    severity: medium
    query: supply pre/4 (rifles OR "artillery shells") AND entity:sanctioned
"""


@pytest.fixture
def cfg(make_settings, tmp_path: Path) -> Settings:  # type: ignore[no-untyped-def]
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "r.yaml").write_text(RULES)
    return make_settings(rules_dir=rules)  # type: ignore[no-any-return]


@pytest.fixture
def engine(cfg: Settings) -> Engine:
    engine = engine_for(cfg)  # the embedded store under data_dir, as `scan` opens it
    upgrade(engine)
    return engine


def _scan(matcher: Matcher) -> list[object]:
    out = []
    for title, text in TEXTS:
        out.append(matcher.scan(ArticleInput("x", title, text, language="en")).to_json(ArticleInput("x", title, text)))
    return out


def _built(engine: Engine, cfg: Settings) -> Matcher:
    matcher_cache._CACHE.clear()
    with Session(engine) as session:
        return matcher_cache.current_matcher(session, cfg, wait=True)


def test_saved_matcher_matches_as_the_process_matcher(engine: Engine, cfg: Settings) -> None:
    assert saved_matcher(cfg) is None  # nothing saved yet
    with Session(engine) as session:
        _add(session, "1", "SHOIGU, Sergei Kuzhugetovich")
    built = _built(engine, cfg)
    fast = saved_matcher(cfg)
    assert fast is not None and fast is not built
    assert _scan(fast) == _scan(built)
    assert "listed-supply" in [a["rule"] for a in _scan(fast)[0]["alerts"]]  # type: ignore[index]
    assert saved_matcher(cfg.model_copy(update={"match_cache_enabled": False})) is None


def test_every_change_is_a_miss_until_the_ordinary_path_saved_it(engine: Engine, cfg: Settings) -> None:
    with Session(engine) as session:
        _add(session, "1", "SHOIGU, Sergei Kuzhugetovich")
    _built(engine, cfg)
    assert saved_matcher(cfg) is not None
    # a list load
    with Session(engine) as session:
        _add(session, "2", "PRIGOZHIN, Yevgeniy Viktorovich")
    assert saved_matcher(cfg) is None
    _built(engine, cfg)
    fast = saved_matcher(cfg)
    assert fast is not None and _scan(fast)[1]["entities"]  # type: ignore[index]
    # a database rule added
    with Session(engine) as session:
        session.add(Rule(id="db-sell", title="Sell", category="arms-transfer", severity="high",
                         query="sell pre/2 rifles"))
        session.commit()
    assert saved_matcher(cfg) is None
    _built(engine, cfg)
    fast = saved_matcher(cfg)
    assert fast is not None and "db-sell" in [a["rule"] for a in _scan(fast)[1]["alerts"]]  # type: ignore[index]
    # a rule file edited
    (cfg.rules_dir / "r.yaml").write_text(RULES.replace("severity: medium", "severity: low"))  # type: ignore[operator]
    assert saved_matcher(cfg) is None
    _built(engine, cfg)
    fast = saved_matcher(cfg)
    assert fast is not None and [r.severity for r in fast.rules if r.id == "listed-supply"] == ["low"]
    # a schema behind the code: the ordinary path migrates first
    with sqlite3.connect(cfg.data_dir / "monitor.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    assert saved_matcher(cfg) is None


def test_saved_matcher_on_postgresql(fresh_pg_engine: Engine, cfg: Settings) -> None:
    pg = cfg.model_copy(update={"database_url": fresh_pg_engine.url.render_as_string(hide_password=False)})
    with Session(fresh_pg_engine) as session:
        _add(session, "1", "SHOIGU, Sergei Kuzhugetovich")
    built = _built(fresh_pg_engine, pg)
    fast = saved_matcher(pg)  # read with psycopg, no session
    assert fast is not None and _scan(fast) == _scan(built)
    with Session(fresh_pg_engine) as session:
        session.add(Rule(id="db-sell", title="Sell", category="arms-transfer", severity="high",
                         query="sell pre/2 rifles"))
        session.commit()
    assert saved_matcher(pg) is None


def _cli_scan(cfg: Settings, articles: Path, *python: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MONITOR_DATA_DIR": str(cfg.data_dir), "MONITOR_RULES_DIR": str(cfg.rules_dir),
           "PYTHONPATH": str(ROOT)}
    env.pop("MONITOR_DATABASE_URL", None)
    done = subprocess.run([sys.executable, *python, "-m", "monitor", "scan", str(articles)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def test_scan_over_a_saved_index_imports_no_orm(engine: Engine, cfg: Settings, tmp_path: Path) -> None:
    with Session(engine) as session:
        _add(session, "1", "SHOIGU, Sergei Kuzhugetovich")
    articles = tmp_path / "a.jsonl"
    articles.write_text("".join(json.dumps({"id": str(i), "title": t, "text": x}) + "\n"
                                for i, (t, x) in enumerate(TEXTS)))
    first = _cli_scan(cfg, articles)  # builds and saves
    second = _cli_scan(cfg, articles, "-X", "importtime")
    assert second.stdout == first.stdout and '"listed-supply"' in first.stdout
    imported = {line.split("|")[-1].strip() for line in second.stderr.splitlines() if line.startswith("import time:")}
    assert "monitor.matching.engine" in imported
    assert not {"sqlalchemy", "sqlmodel", "monitor.models", "monitor.db"} & imported
    # the next scan sees a database rule added meanwhile
    with Session(engine) as session:
        session.add(Rule(id="db-sell", title="Sell", category="arms-transfer", severity="high",
                         query="sell pre/2 rifles"))
        session.commit()
    third = _cli_scan(cfg, articles)
    assert '"db-sell"' in third.stdout and '"db-sell"' not in second.stdout
