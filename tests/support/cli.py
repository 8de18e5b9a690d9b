"""The real CLI against a fresh embedded store in a temporary folder, and its JSON Lines output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner


def embedded_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CliRunner whose commands use SQLite under tmp_path (no database or broker from the environment)."""
    for key in ("MONITOR_DATABASE_URL", "MONITOR_BROKER_URL", "MONITOR_SECRET_KEY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("MONITOR_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MONITOR_ALLOWED_NETWORKS", "127.0.0.1/32")
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def jsonl(text: str) -> list[dict]:
    """The JSON objects among a command's output lines."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]
