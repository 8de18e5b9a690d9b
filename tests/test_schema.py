"""The migrations produce the schema the models describe, on both backends."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlmodel import Session, SQLModel, select

import monitor.models as m


def test_migrations_match_models(any_engine):
    tables = set(inspect(any_engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables


def test_times_round_trip_as_utc(any_engine):
    with Session(any_engine) as s:
        feed = m.Feed(url="http://127.0.0.1/feed.xml")
        s.add(feed)
        s.commit()
        got = s.exec(select(m.Feed)).one()
        assert got.created_at.utcoffset() is not None
        assert got.created_at.utcoffset().total_seconds() == 0
