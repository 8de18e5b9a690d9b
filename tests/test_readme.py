"""The README documents every setting and keeps the two-command quick start."""

from __future__ import annotations

from pathlib import Path

from monitor.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_setting_is_documented():
    missing = [f"MONITOR_{name.upper()}" for name in Settings.model_fields if f"`MONITOR_{name.upper()}`" not in README]
    assert missing == []


def test_quick_start_is_make_run_and_make_test():
    quick = README.split("## Quick start", 1)[1].split("##", 1)[0]
    assert "make run" in quick and "make test" in quick
