"""Shared FastAPI dependencies: settings, a database session per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI, Request
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


def install(app: FastAPI) -> None:
    """App-wide handlers: JSON errors, request ids and JSON access logs, CORS when configured."""
    from monitor.api.bodylimit import BodyLimitMiddleware
    from monitor.api.errors import install_error_handlers
    from monitor.api.middleware import install_middleware
    from monitor.api.routers.feeds import MAX_OPML_BYTES

    install_error_handlers(app)
    # Added before the request-id middleware, so it runs inside it (a 413 still gets its id and log line).
    # OPML imports have their own 2 MiB cap (checked by the route); the console's upload adds multipart framing.
    opml = {"/api/v1/feeds/import": MAX_OPML_BYTES, "/feeds/import": MAX_OPML_BYTES + 64 * 1024}
    app.add_middleware(BodyLimitMiddleware, max_bytes=app.state.settings.api_max_body_bytes, allowances=opml)
    install_middleware(app)
