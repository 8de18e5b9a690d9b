"""The migrations produce the schema the models describe, on both backends."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlmodel import Session, SQLModel, select

import monitor.models as m


def test_migrations_match_models(any_engine):
    tables = set(inspect(any_engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables


def test_schema_head_is_alembics_head_and_read_from_the_database(any_engine):
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from monitor.db import SCHEMA_HEAD, _alembic_config, schema_is_current

    assert ScriptDirectory.from_config(_alembic_config()).get_heads() == [SCHEMA_HEAD]
    assert schema_is_current(any_engine)  # the fixture's database was migrated
    with any_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    assert not schema_is_current(any_engine)
    with any_engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    assert not schema_is_current(any_engine)


def test_times_round_trip_as_utc(any_engine):
    with Session(any_engine) as s:
        feed = m.Feed(url="http://127.0.0.1/feed.xml")
        s.add(feed)
        s.commit()
        got = s.exec(select(m.Feed)).one()
        assert got.created_at.utcoffset() is not None
        assert got.created_at.utcoffset().total_seconds() == 0
