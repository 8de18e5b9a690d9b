"""The `sanctions-monitor` command: one Typer app, one module per group of commands."""

from __future__ import annotations

import typer

from monitor.cli import (
    alerts_cmd,
    audit_cmd,
    entities_cmd,
    feeds_cmd,
    keys_cmd,
    lists_cmd,
    rules_cmd,
    screen_cmd,
    service_cmd,
    stories_cmd,
    subscriptions_cmd,
)

app = typer.Typer(
    name="sanctions-monitor",
    help="Watch news feeds for sanctions risk: poll feeds, match rules and sanctions lists, raise alerts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for module in (service_cmd, feeds_cmd, lists_cmd, rules_cmd, alerts_cmd, keys_cmd, subscriptions_cmd, screen_cmd,
               audit_cmd, stories_cmd, entities_cmd):
    module.register(app)


def main() -> None:
    """Entry point of the console script."""
    app()
