"""Jinja2 rendering of notification messages: HTML autoescaped, plain text verbatim."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


@cache
def environment() -> Environment:
    """The template environment (HTML templates autoescape every value)."""
    env = Environment(
        loader=PackageLoader("monitor.notify", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["pct"] = lambda v: f"{float(v):.2f}"
    return env


def render(name: str, **context: Any) -> str:
    """Render one template with this context."""
    return environment().get_template(name).render(**context)


def render_pair(stem: str, **context: Any) -> tuple[str, str]:
    """The (text, html) versions of a message."""
    return render(f"{stem}.txt.j2", **context), render(f"{stem}.html.j2", **context)
