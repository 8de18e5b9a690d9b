"""Fixture policy.

- Real services only: PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (started
  by .ci/run), SQLite files in tmp_path for the embedded default. Nothing is mocked but
  the internet: feeds, webhooks and SMTP are real servers on 127.0.0.1 in the tests.
- Every test session gets its own PostgreSQL database and its own Celery queue name,
  so parallel sessions on one machine never see each other's rows or tasks.
- Settings are built per test (`make_settings`) and passed down; no module globals.
- Real data from ../shared/data is read in place (never copied); tests that need it
  skip with a clear reason when it is absent (a user's fresh clone).
- Traffic goes to loopback only. Tests that prove the SSRF guard point at 127.0.0.2
  with only 127.0.0.1 allowed, or use a resolver that answers with a private address.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import Engine

from monitor.db import make_engine, upgrade
from monitor.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("MONITOR_SHARED_DATA", ROOT.parent / "shared" / "data"))
SHARED_SEEDS = SHARED_DATA.parent / "seeds"
PG_ADMIN_URL = os.environ.get("MONITOR_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("MONITOR_TEST_REDIS", "redis://127.0.0.1:6379/0")


def shared_path(*parts: str) -> Path:
    """A path under ../shared/data, or skip the test with the reason."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available: {path} (../shared/data is absent in this checkout)")
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    name = f"monitor_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:  # pragma: no cover - CI starts PostgreSQL
        pytest.fail(f"PostgreSQL is not answering at {PG_ADMIN_URL}: {exc}")
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"postgresql+psycopg://{base.split('://', 1)[1]}/{name}"
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="session")
def pg_engine(pg_url: str) -> Engine:
    """A migrated PostgreSQL engine shared by the session (tests clean what they add)."""
    engine = make_engine(pg_url)
    upgrade(engine)
    return engine


@pytest.fixture
def make_settings(tmp_path: Path):
    """Build Settings for a test: embedded defaults under tmp_path unless overridden."""

    def _make(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "data_dir": tmp_path / "var",
            "allowed_networks": ["127.0.0.1/32"],
            "task_queue": f"test-{uuid.uuid4().hex[:8]}",
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return _make


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Engine:
    """A migrated SQLite engine in tmp_path (the embedded default)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'monitor.db'}")
    upgrade(engine)
    return engine


@pytest.fixture
def fresh_pg_engine(pg_url: str) -> Iterator[Engine]:
    """A migrated PostgreSQL database of its own, for tests that need an empty store."""
    name = f"monitor_t_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(PG_ADMIN_URL, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].split("://", 1)[1]
    engine = make_engine(f"postgresql+psycopg://{base}/{name}")
    upgrade(engine)
    yield engine
    engine.dispose()
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_engine(request: pytest.FixtureRequest) -> Engine:
    """An empty migrated store on each backend: the test runs on both."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_engine")  # type: ignore[no-any-return]
    return request.getfixturevalue("fresh_pg_engine")  # type: ignore[no-any-return]
