"""The `sanctions-monitor` command: one Typer app, one module per group of commands.

Command modules are imported only when needed: `main()` looks at the first word of the command line
and registers just the module that defines it (importing every module costs about a second: the
stories module alone pulls in wordfreq). `--help`, no command or an unknown one register them all,
so the help lists every command and Typer's own error messages are unchanged. `app` (used by tests
with Typer's runner) is the full application, built on first use.
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Any

import typer

# The top-level commands and groups each module registers, in help order (kept in step with their
# `register` functions; tests/test_cli_commands.py checks the table against them).
COMMANDS: dict[str, tuple[str, ...]] = {
    "service_cmd": ("up", "db"),
    "feeds_cmd": ("feeds", "articles", "poll"),
    "lists_cmd": ("lists",),
    "rules_cmd": ("scan", "rules"),
    "alerts_cmd": ("alerts",),
    "keys_cmd": ("keys",),
    "subscriptions_cmd": ("subscriptions", "digest"),
    "screen_cmd": ("screen",),
    "audit_cmd": ("audit",),
    "stories_cmd": ("stories",),
    "entities_cmd": ("entities",),
}


def _group() -> None:
    pass


def build_app(modules: tuple[str, ...] | None = None) -> typer.Typer:
    """A Typer app with the commands of these modules (all when None)."""
    new = typer.Typer(
        name="sanctions-monitor",
        help="Watch news feeds for sanctions risk: poll feeds, match rules and sanctions lists, raise alerts.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    # A callback keeps the app a group even with one command registered (Typer would otherwise run
    # a lone command such as `screen` without its name).
    new.callback()(_group)
    for name in modules if modules is not None else tuple(COMMANDS):
        import_module(f"monitor.cli.{name}").register(new)
    return new


def modules_for(argv: list[str]) -> tuple[str, ...] | None:
    """The one module defining the command in argv, or None (help, no command, unknown command)."""
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    if first is None or argv[: argv.index(first)]:
        return None  # top-level options (--help) come before the command: let the full app answer
    return next(((name,) for name, commands in COMMANDS.items() if first in commands), None)


def __getattr__(name: str) -> Any:
    if name == "app":
        full = build_app()
        globals()["app"] = full
        return full
    raise AttributeError(name)


def main() -> None:
    """Entry point of the console script."""
    build_app(modules_for(sys.argv[1:]))()
