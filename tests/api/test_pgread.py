"""The alert list's async PostgreSQL read pool: same rows as the sync path, survives dropped connections."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.alerts.queries import AlertFilter, alert_rows_page, list_alert_rows
from tests.api.conftest import Api, make_api
from tests.api.factories import add_alert, seed
from tests.conftest import PG_ADMIN_URL


@pytest.fixture
def pg_api(fresh_pg_engine: Engine, make_settings) -> Iterator[Api]:  # type: ignore[no-untyped-def]
    """The API on a PostgreSQL database of its own."""
    yield from make_api(fresh_pg_engine, make_settings)


def _pool_backends(dbname: str) -> list[int]:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND application_name = '' AND pid <> pg_backend_pid()",
            (dbname,),
        ).fetchall()
    return [r[0] for r in rows]


def test_list_survives_its_connections_being_killed(pg_api: Api) -> None:
    """A server restart drops pooled connections: the next request still answers (pool checked, retried)."""
    store = seed(pg_api.engine)
    url = "/api/v1/alerts?suppressed=include&limit=3"
    first = pg_api.client.get(url, headers=pg_api.h("reader"))
    assert first.status_code == 200, first.text
    assert pg_api.app.state.pg_pool is not None, "the list should have used the async pool"
    dbname = pg_api.engine.url.database
    assert dbname is not None
    pg_api.engine.dispose()  # leave only the async pool's connections to kill
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        killed = [
            pid
            for pid in _pool_backends(dbname)
            if admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
        ]
    assert killed, "expected pooled connections to kill"
    again = pg_api.client.get(url, headers=pg_api.h("reader"))
    assert again.status_code == 200, again.text
    assert again.json()["items"] == first.json()["items"]
    assert {a["id"] for a in again.json()["items"]} <= set(store.alert_ids)


def test_compiled_page_matches_orm_path(fresh_pg_engine: Engine) -> None:
    """The per-shape compiled SQL returns what the SQLAlchemy-built query returns, page after page."""
    engine = fresh_pg_engine
    for n in range(7):
        add_alert(
            engine,
            article_id=None,
            feed_id=None,
            rule_id=f"rule-{n}",
            severity=("low", "high")[n % 2],
            entity_ids=("us_ofac_sdn:1",) if n % 2 else ("us_ofac_sdn:2", "un_sc_sanctions:X"),
            evidence_text=f"shipment {n}",
        )
    filters = [
        AlertFilter(),
        AlertFilter(rules=["rule-1", "rule-2", "rule-3"], severities=["high"]),
        AlertFilter(entity_ids=["us_ofac_sdn:1"]),
        AlertFilter(entity_ids=["us_ofac_sdn:1", "us_ofac_sdn:2"], min_severity="medium"),
        AlertFilter(datasets=["un_sc_sanctions"], q="SHIPMENT 4", suppressed="include"),
    ]
    for flt in filters:
        cursor = None
        for _ in range(5):
            fast = alert_rows_page(engine, flt, cursor, 2)
            with Session(engine) as s:
                slow = list_alert_rows(s, flt, cursor, 2)
            assert fast == slow
            cursor = fast[1]
            if cursor is None:
                break
    assert alert_rows_page(engine, AlertFilter(rules=["rule-1"]), None, 50)[0], "the filters should find rows"


def test_list_is_503_when_the_database_refuses_connections(pg_api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Database gone (connections refused): the list answers 503 with the JSON error, after a short wait."""
    from monitor.api import pgread

    monkeypatch.setattr(pgread, "POOL_WAIT", 1.0)
    seed(pg_api.engine)
    url = "/api/v1/alerts?limit=2"
    assert pg_api.client.get(url, headers=pg_api.h("reader")).status_code == 200  # key cached, pool open
    dbname = pg_api.engine.url.database
    pg_api.engine.dispose()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS false')
        try:
            for pid in _pool_backends(str(dbname)):
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            down = pg_api.client.get(url, headers=pg_api.h("reader"))
        finally:
            admin.execute(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS true')
    assert down.status_code == 503, down.text
    assert down.json()["error"]["code"] == "unavailable"
    assert pg_api.client.get(url, headers=pg_api.h("reader")).status_code == 200  # back once it is
