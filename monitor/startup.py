"""What `up` does once before the processes start: first-start admin key, default
watch lists, demo feed. Each step is a plain function owned by its domain; this module
only sequences them and collects the lines to show the user."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.engine import Engine

from monitor.db import session_scope
from monitor.feeds.demo import install_demo
from monitor.keys import ensure_admin_key
from monitor.settings import Settings
from monitor.watchlists.store import load_default_watchlists


def first_start(engine: Engine, settings: Settings, *, demo: bool, api_base: str) -> Iterator[str]:
    """Run first-start steps and yield the lines to show the user."""
    with session_scope(engine) as session:
        key = ensure_admin_key(session)
    if key:
        yield "first start: created an admin API key (shown once, keep it safe):"
        yield f"  {key}"
    with session_scope(engine) as session:
        yield from load_default_watchlists(session, settings)
    if demo:
        with session_scope(engine) as session:
            yield from install_demo(session, settings, api_base)
