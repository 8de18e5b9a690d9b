"""create_app(): the FastAPI application, one router per resource under /api/v1."""

from __future__ import annotations

from fastapi import FastAPI

from monitor.api import deps
from monitor.api.routers import health
from monitor.db import engine_for
from monitor.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for these settings (read from the environment when omitted)."""
    settings = settings or Settings()
    app = FastAPI(
        title="sanctions-monitor",
        version="0.1.0",
        description="Sanctions-risk alerts from news feeds: alerts, entities, rules, feeds, subscriptions.",
    )
    app.state.settings = settings
    app.state.engine = engine_for(settings)
    app.include_router(health.router)
    deps.install(app)
    return app
