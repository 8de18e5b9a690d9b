"""What `up` does once before the processes start: first-start admin key, demo data.

Each step is a plain function owned by its domain; this module only sequences them.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.engine import Engine

from monitor.settings import Settings


def first_start(engine: Engine, settings: Settings, *, demo: bool, api_base: str) -> Iterator[str]:
    """Run first-start steps and yield the lines to show the user."""
    yield from ()
