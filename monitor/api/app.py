"""create_app(): the FastAPI application, one router per resource under /api/v1."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response

from monitor.api import pgread
from monitor.api.auth import require_role
from monitor.api.bodylimit import BodyLimitMiddleware
from monitor.api.errors import ERROR_RESPONSES, error_json, install_error_handlers
from monitor.api.logredact import install_log_redaction
from monitor.api.middleware import configure_json_logging, install_middleware
from monitor.api.openapi import install_openapi
from monitor.api.routers import (
    alerts,
    articles,
    audit,
    digests,
    entities,
    feeds,
    health,
    keys,
    metrics,
    rules,
    stories,
    subscriptions,
    suppressions,
)
from monitor.console import install as install_console
from monitor.console import not_found_page
from monitor.db import engine_for
from monitor.feeds.opml import MAX_OPML_BYTES
from monitor.settings import Settings

API_PREFIX = "/api/v1"
# Every router here needs at least a reader key; routes that need more ask for it themselves.
V1_ROUTERS = [
    alerts.router,
    stories.router,
    suppressions.router,
    articles.router,
    rules.router,
    rules.vocabularies_router,
    keys.router,
    feeds.router,
    entities.router,
    subscriptions.router,
    digests.router,
    audit.router,
]


_FROZEN = False
# Paths that belong to the API and the machine endpoints: their 404 stays the API's JSON error.
_MACHINE_PATHS = ("/api/", "/healthz", "/metrics", "/openapi.json", "/docs", "/redoc", "/static/", "/demo/")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    global _FROZEN
    if not _FROZEN:
        # The ~160,000 objects of the loaded app live as long as the process: moved out of the
        # collector's reach once, a full collection no longer walks them (40-80 ms pauses on
        # this machine, i.e. the API's p95 under load).
        _FROZEN = True
        gc.collect()
        gc.freeze()
    yield
    await pgread.close(app.state)  # the async read pool, opened by the first request that needed it


def _install_handlers(app: FastAPI) -> None:
    """App-wide handlers: JSON errors, request ids and JSON access logs, CORS when configured."""
    install_error_handlers(app)
    # Added before the request-id middleware, so it runs inside it (a 413 still gets its id and log line).
    # OPML imports have their own 2 MiB cap (checked by the route); the console's upload adds multipart framing.
    opml = {"/api/v1/feeds/import": MAX_OPML_BYTES, "/feeds/import": MAX_OPML_BYTES + 64 * 1024}
    app.add_middleware(BodyLimitMiddleware, max_bytes=app.state.settings.api_max_body_bytes, allowances=opml)
    install_middleware(app)


async def _not_found(request: Request, exc: Exception) -> Response:
    """404 for a path no route has: the JSON error under the API, the console's HTML page elsewhere."""
    if request.url.path.startswith(_MACHINE_PATHS):
        message = getattr(exc, "detail", None)
        return error_json(404, "not_found", message if isinstance(message, str) else "Not Found")
    return not_found_page(request)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for these settings (read from the environment when omitted)."""
    settings = settings or Settings()
    if settings.log_json:
        configure_json_logging()
    install_log_redaction()  # uvicorn's access log would write `?api_key=...` in clear
    app = FastAPI(
        title="sanctions-monitor",
        version="0.1.0",
        description="Sanctions-risk alerts from news feeds: alerts, entities, rules, feeds, subscriptions. "
        "Every route but /healthz and /metrics needs `Authorization: Bearer <key>`.",
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine_for(settings)
    app.include_router(health.router)
    app.include_router(metrics.router)
    for router in V1_ROUTERS:
        app.include_router(
            router, prefix=API_PREFIX, dependencies=[Depends(require_role("reader"))], responses=ERROR_RESPONSES
        )
    install_console(app)  # the browser console at /, over the same functions
    # By status, so it is chosen before the API's handler for every HTTPException (status first).
    app.add_exception_handler(404, _not_found)
    if settings.demo:
        from monitor.api.routers import demo

        app.include_router(demo.router)
    _install_handlers(app)
    install_openapi(app)
    return app
