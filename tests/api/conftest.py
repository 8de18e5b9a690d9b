"""API test fixtures: the app on a migrated store (SQLite and PostgreSQL via `any_engine`), keys per role.

Requests go through httpx (Starlette's TestClient is an httpx client over the ASGI app);
one test in test_server.py goes through a real uvicorn on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from monitor.api.app import create_app
from monitor.db import session_scope
from monitor.keys import create_key


@dataclass
class Api:
    """The app, a client, the engine behind it, and one key per role."""

    app: FastAPI
    client: TestClient
    engine: Engine
    keys: dict[str, str]

    def h(self, role: str = "admin") -> dict[str, str]:
        """Authorization header of the key with this role."""
        return {"Authorization": f"Bearer {self.keys[role]}"}


def engine_url(engine: Engine) -> str:
    """The URL an engine was made from, password included."""
    return engine.url.render_as_string(hide_password=False)


def make_api(engine: Engine, make_settings) -> Iterator[Api]:  # type: ignore[no-untyped-def]
    """An app over `engine`'s database with a reader, an analyst and an admin key."""
    settings = make_settings(database_url=engine_url(engine), log_json=False, allowed_networks=["127.0.0.1/32"])
    app = create_app(settings)
    with session_scope(engine) as s:
        keys = {role: create_key(s, role, f"test-{role}") for role in ("reader", "analyst", "admin")}
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(app=app, client=client, engine=engine, keys=keys)
    app.state.engine.dispose()


@pytest.fixture
def api(any_engine: Engine, make_settings) -> Iterator[Api]:  # type: ignore[no-untyped-def]
    """The API on SQLite and on PostgreSQL (the test runs twice)."""
    yield from make_api(any_engine, make_settings)


@pytest.fixture
def sqlite_api(sqlite_engine: Engine, make_settings) -> Iterator[Api]:  # type: ignore[no-untyped-def]
    """The API on SQLite only (for tests whose subject does not depend on the database)."""
    yield from make_api(sqlite_engine, make_settings)


@pytest.fixture(scope="module")
def module_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One SQLite-backed API shared by a module's read-only tests (keeps parametrised suites fast)."""
    from monitor.db import make_engine, upgrade
    from monitor.settings import Settings

    root = tmp_path_factory.mktemp("api")
    engine = make_engine(f"sqlite:///{root / 'monitor.db'}")
    upgrade(engine)

    def _settings(**overrides: object) -> Settings:
        return Settings(_env_file=None, data_dir=root / "var", task_queue="test-api", **overrides)  # type: ignore[call-arg]

    yield from make_api(engine, _settings)
