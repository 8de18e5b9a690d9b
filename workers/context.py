"""Per-process resources for tasks: settings and one engine, built on first use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.db import engine_for, session_scope
from monitor.settings import Settings


@cache
def settings() -> Settings:
    """Settings of this worker process."""
    return Settings()


@cache
def engine() -> Engine:
    """The engine of this worker process."""
    return engine_for(settings())


@contextmanager
def session() -> Iterator[Session]:
    """A committing session on this process's engine."""
    with session_scope(engine()) as s:
        yield s
