"""Engine and sessions for SQLite (embedded default) and PostgreSQL.

SQLite gets WAL, a busy timeout and foreign keys so that the API, a worker and beat
can share one file; PostgreSQL gets a pre-ping pool so workers survive a restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session, create_engine

from monitor.settings import Settings
from monitor.storeprobe import SCHEMA_HEAD as SCHEMA_HEAD  # the newest migration: set in storeprobe.py
from monitor.storeprobe import SCHEMA_SQL

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str, **kwargs: object) -> Engine:
    """Create an engine with the per-dialect settings this service relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        # pysqlite opens transactions lazily and never for SELECT; BEGIN IMMEDIATE on
        # write paths is done by callers that need it (see `write_session`).
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


def engine_for(settings: Settings) -> Engine:
    """The engine for the configured (or embedded) database."""
    return make_engine(settings.effective_database_url)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _alembic_config() -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def schema_is_current(engine: Engine) -> bool:
    """True when the database is at SCHEMA_HEAD (one query; False when it was never migrated).

    SCHEMA_HEAD, the newest migration, lives in `monitor.storeprobe` (update it there with a new
    migration) so that a command can check it without importing Alembic or SQLAlchemy."""
    try:
        with engine.connect() as conn:
            versions = {row[0] for row in conn.execute(text(SCHEMA_SQL))}
    except (OperationalError, ProgrammingError):  # no alembic_version table yet
        return False
    return versions == {SCHEMA_HEAD}


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run Alembic migrations up to `revision` on this engine."""
    from alembic import command

    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
