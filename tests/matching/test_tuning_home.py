"""Every threshold and factor of the in-text matcher is in monitor/matching/tuning.py, one copy, with
why it has its value; the other modules read it from there."""

from __future__ import annotations

import ast
from pathlib import Path

import monitor.matching

FOLDER = Path(monitor.matching.__file__).parent


def _numbers(path: Path) -> list[str]:
    """Module-level names bound to a number in one module."""
    out = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        value = getattr(node, "value", None)
        if isinstance(value, ast.Constant) and type(value.value) in (int, float) and target is not None:
            out.append(f"{path.name}: {ast.unparse(target)} = {value.value}")
    return out


def test_no_factor_outside_tuning() -> None:
    # a factor (a confidence, a share, a probability) is a float: none is declared anywhere else
    others = [p for p in sorted(FOLDER.glob("*.py")) if p.name != "tuning.py"]
    floats = [n for p in others for n in _numbers(p) if "." in n.split("=")[1]]
    assert not floats, floats


def test_script_keys_read_their_thresholds_from_tuning() -> None:
    assert _numbers(FOLDER / "scriptkeys.py") == []
