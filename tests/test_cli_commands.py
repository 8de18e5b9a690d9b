"""The command line imports one command module per run: its table must match what the modules register."""

from __future__ import annotations

import subprocess
import sys
from importlib import import_module

import typer
from typer.main import get_command

from monitor.cli import COMMANDS, build_app, modules_for


def _names(app: typer.Typer) -> list[str]:
    return list(get_command(app).commands)  # type: ignore[attr-defined]


def test_table_lists_exactly_what_each_module_registers() -> None:
    for module, commands in COMMANDS.items():
        app = typer.Typer()
        import_module(f"monitor.cli.{module}").register(app)
        registered = [c.name for c in app.registered_commands] + [g.name for g in app.registered_groups]
        assert sorted(n for n in registered if n) == sorted(commands), module


def test_command_line_picks_the_module_or_all() -> None:
    assert modules_for(["scan", "a.jsonl"]) == ("rules_cmd",)
    assert modules_for(["lists", "load", "--json"]) == ("lists_cmd",)
    assert modules_for(["--help"]) is None
    assert modules_for([]) is None
    assert modules_for(["no-such-command"]) is None


def test_a_lone_command_keeps_its_name() -> None:
    # with only `screen` registered, Typer must still expect the command's name
    assert _names(build_app(("screen_cmd",))) == ["screen"]
    assert sorted(_names(build_app())) == sorted(n for c in COMMANDS.values() for n in c)


def test_scan_help_does_not_import_the_other_command_modules() -> None:
    code = ("import sys; sys.argv = ['sanctions-monitor', 'scan', '--help']\n"
            "from monitor.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('monitor.cli.') and m.endswith('_cmd')),"
            " 'monitor.grouping.features' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Match articles offline" in done.stdout
    # rules_cmd imports alerts_cmd (its --since parser) only when `rules test` runs
    assert done.stderr.strip().startswith("['monitor.cli.rules_cmd']"), done.stderr
    assert done.stderr.strip().endswith("False")  # the stories module (and its grouping) not imported
