"""The console's pages, one module per screen."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    """Every page router, in mount order."""
    from monitor.console.pages.alerts import router as alerts
    from monitor.console.pages.audit import router as audit
    from monitor.console.pages.entities import router as entities
    from monitor.console.pages.feeds import router as feeds
    from monitor.console.pages.rules import router as rules
    from monitor.console.pages.signin import router as signin
    from monitor.console.pages.stories import router as stories
    from monitor.console.pages.subscriptions import router as subscriptions

    return [signin, alerts, stories, entities, rules, feeds, subscriptions, audit]
