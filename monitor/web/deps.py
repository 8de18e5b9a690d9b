"""FastAPI dependencies shared by the API and the console: settings, a database session per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from monitor.settings import Settings


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    return request.app.state.settings  # type: ignore[no-any-return]


def get_session(request: Request) -> Iterator[Session]:
    """A session per request, committed when the handler returns without error.

    Used with scope="function" so the commit happens before the response is sent: a
    client that got 201 knows its write is stored, and a failed commit is a 500, not a
    silent loss. Streaming routes open their own sessions inside the stream."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session
        session.commit()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]

