"""The store's versions read with the plain driver are the ones the ORM reads, on both backends; a
store the probe cannot answer for (no file, a schema behind, another URL form, no server) is None."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.db import make_engine, upgrade
from monitor.models import Entity, EntityName, ListVersion, Rule
from monitor.storeprobe import SCHEMA_HEAD, probe
from monitor.watchlists.aliases import lists_version_key
from monitor.watchlists.links import links_version


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _orm_lists_key(session: Session) -> str:
    last, count = session.exec(select(func.max(ListVersion.id), func.count(col(ListVersion.id)))).one()
    removed = session.exec(select(func.count(col(Entity.id))).where(col(Entity.removed_at).is_not(None))).one()
    return f"{last or 0}:{count}:{removed}:{links_version(session)}"


def test_probe_reads_what_the_orm_reads(any_engine: Engine) -> None:
    assert probe(_url(any_engine)) is not None
    with Session(any_engine) as session:
        for n in ("1", "2"):
            lv = ListVersion(dataset="us_ofac_sdn", source="t", format="ofac-csv", file_hash=n)
            session.add(lv)
            session.flush()
            session.add(Entity(id=f"us_ofac_sdn:{n}", dataset="us_ofac_sdn", source_id=n, schema_="Person",
                               name=f"NAME {n}", version_id=lv.id,
                               removed_at=datetime.now(UTC) if n == "2" else None))
            session.flush()
            session.add(EntityName(entity_id=f"us_ofac_sdn:{n}", name=f"NAME {n}", kind="primary"))
        session.add(Rule(id="b-rule", title="B", description="d", category="sanctions", severity="low",
                         query="entity:any", enabled=False))
        session.add(Rule(id="a-rule", title="A", category="arms-transfer", severity="high", query="arms"))
        session.commit()
        expected_lists = _orm_lists_key(session)
        expected_rules = [(r.id, r.title, r.description, r.category, r.severity, r.query, r.enabled)
                          for r in session.exec(select(Rule).order_by(col(Rule.id)))]
        assert lists_version_key(session) == expected_lists
    state = probe(_url(any_engine))
    assert state is not None
    assert state.lists_key == expected_lists and expected_lists.split(":")[1:3] == ["2", "1"]  # 2 loads, 1 removed
    assert state.rules == expected_rules and state.rules[1][-1] is False


def test_probe_answers_none_when_it_cannot_tell(sqlite_engine: Engine, tmp_path: Path) -> None:
    missing = tmp_path / "nothing" / "monitor.db"
    assert probe(f"sqlite:///{missing}") is None and not missing.exists()  # never creates a store
    assert probe("sqlite:///:memory:") is None
    assert probe("mysql://u@127.0.0.1/db") is None
    assert probe("postgresql://nobody@127.0.0.1:1/nothing") is None  # no server there
    url = _url(sqlite_engine)
    assert probe(url) is not None
    path = url[len("sqlite:///"):]
    with sqlite3.connect(path) as conn:  # a schema behind the code: the ordinary path migrates it
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    assert probe(url) is None
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (SCHEMA_HEAD,))
        conn.execute("DROP TABLE entity_link")
    assert probe(url) is None  # a table missing: no answer rather than a wrong one


def test_a_percent_encoded_sqlite_path_is_the_file_the_orm_opens(tmp_path: Path) -> None:
    # two stores: the one SQLAlchemy opens for the URL (the path decoded) and one named as the URL is written
    decoded, literal = tmp_path / "my data.db", tmp_path / "my%20data.db"
    url = f"sqlite:///{tmp_path}/my%20data.db"
    for path, rule_id in ((decoded, "orm-rule"), (literal, "other-rule")):
        engine = make_engine(f"sqlite:///{quote(str(path))}")  # SQLAlchemy decodes what it is given
        upgrade(engine)
        with Session(engine) as session:
            session.add(Rule(id=rule_id, title="T", category="sanctions", severity="low", query="arms"))
            session.commit()
        engine.dispose()
    orm = make_engine(url)
    with Session(orm) as session:
        assert [r.id for r in session.exec(select(Rule))] == ["orm-rule"]
    orm.dispose()
    assert decoded.is_file() and literal.is_file()
    state = probe(url)
    assert state is not None and [row[0] for row in state.rules] == ["orm-rule"]
