"""A store migrated only up to an older revision, on SQLite or on a PostgreSQL database of its own,
for migration tests that write rows of the old schema by SQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
from sqlalchemy.engine import Engine

from monitor.db import make_engine, upgrade
from tests.conftest import PG_ADMIN_URL


def engine_at(revision: str, backend: str, tmp_path: Path) -> Iterator[Engine]:
    """Yield an empty store migrated to `revision` (`backend`: sqlite or postgresql); dropped afterwards."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        upgrade(engine, revision)
        yield engine
        engine.dispose()
        return
    name = f"monitor_m_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(PG_ADMIN_URL, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].split("://", 1)[1]
    engine = make_engine(f"postgresql+psycopg://{base}/{name}")
    upgrade(engine, revision)
    yield engine
    engine.dispose()
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()
