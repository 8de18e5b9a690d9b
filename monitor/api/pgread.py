"""Async reads on PostgreSQL for the API's hot paths (the alert list), without a worker thread.

A sync handler costs a hop to the thread pool and, with many requests in flight, GIL hand-offs
between the event loop and the worker threads; a small psycopg async pool per process
(autocommit: no BEGIN/ROLLBACK round trips) runs the query on the event loop itself.

The pool belongs to the event loop that first used it (a uvicorn worker has one loop for its
life); a request on another loop (a test client without a lifespan) gets None from `pool()` and
the caller takes its sync path instead. `close()` runs at shutdown (the app's lifespan).
A connection broken by a server restart fails the query: the pool then checks its idle
connections and the query is tried once more. No pooled connection within `POOL_WAIT` leads to one
direct connection attempt (the pool may still be backing off after an outage); only if that fails is it a 503.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError
from starlette.datastructures import State

from monitor.api.errors import ApiError

log = logging.getLogger("monitor.api")
POOL_MAX = 10  # per process, like the sync engine's pool_size
POOL_WAIT = 10.0  # seconds a request waits for a connection before a 503 (database down or pool exhausted)


def conninfo(engine: Engine) -> str:
    """A libpq URL for the engine's database (SQLAlchemy's driver name removed)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _configure(conn: psycopg.AsyncConnection[Any]) -> None:
    # Times come back in UTC, as the API writes them.
    await conn.execute("SET TIME ZONE 'UTC'")


async def pool(state: State) -> AsyncConnectionPool | None:
    """This process's async pool for the app's PostgreSQL database, opened on first use; None when the
    database is not PostgreSQL or the pool belongs to another event loop."""
    engine: Engine = state.engine
    if engine.dialect.name != "postgresql":
        return None
    loop = asyncio.get_running_loop()
    owned: tuple[asyncio.AbstractEventLoop, AsyncConnectionPool] | None = getattr(state, "pg_pool", None)
    if owned is not None:
        return owned[1] if owned[0] is loop else None
    created = AsyncConnectionPool(
        conninfo(engine),
        min_size=1,
        max_size=POOL_MAX,
        kwargs={"autocommit": True},
        configure=_configure,
        timeout=POOL_WAIT,
        open=False,
        name="api-read",
    )
    await created.open()
    owned = getattr(state, "pg_pool", None)
    if owned is not None:  # another request opened one meanwhile
        await created.close()
        return owned[1] if owned[0] is loop else None
    state.pg_pool = (loop, created)
    return created


async def _rows(conn: psycopg.AsyncConnection[Any], sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    # Binary results: timestamps and numbers load faster than from their text form.
    cur = await conn.cursor(binary=True).execute(sql, params)
    names = [d.name for d in cur.description or ()]
    return [dict(zip(names, row, strict=True)) for row in await cur.fetchall()]


async def _direct(pg: AsyncConnectionPool, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    # After an outage the pool waits (with growing back-off) between reconnect attempts, so it can
    # still have no connection for a while after the database is back; one direct connection tells
    # at once. Only when that fails too is the database really not answering.
    try:
        async with await psycopg.AsyncConnection.connect(
            cast(str, pg.conninfo), autocommit=True, connect_timeout=5  # `pool()` builds it from a URL
        ) as conn:
            await _configure(conn)
            return await _rows(conn, sql, params)
    except psycopg.OperationalError:
        raise ApiError(503, "the database is not answering; try again shortly", code="unavailable") from None


async def fetch_dicts(pg: AsyncConnectionPool, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of one query as dicts; a value PostgreSQL cannot take is SQLAlchemy's DataError (a 422)."""
    for attempt in (1, 2):
        try:
            async with pg.connection() as conn:
                return await _rows(conn, sql, params)
        except psycopg.DataError as exc:
            raise DataError(sql, params, exc) from exc
        except PoolTimeout:
            return await _direct(pg, sql, params)
        except psycopg.OperationalError:
            if attempt == 2:
                raise
            log.warning("PostgreSQL connection failed in the API read pool; checking the pool and retrying once")
            await pg.check()
    raise AssertionError("unreachable")  # pragma: no cover


async def close(state: State) -> None:
    """Close the pool if this process opened one on the running event loop."""
    owned = getattr(state, "pg_pool", None)
    state.pg_pool = None
    if owned is not None and owned[0] is asyncio.get_running_loop():
        await owned[1].close()
