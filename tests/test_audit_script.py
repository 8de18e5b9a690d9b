"""`make audit` (scripts/audit) never reports a pass it did not earn: with no advisory data it
prints a WARNING "NOT AUDITED" line instead of pip-audit's "No known vulnerabilities found".
pip-audit's advisory service is the internet, so it is stood in for by a script printing what
pip-audit prints in each situation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _installed() -> list[str]:
    out = subprocess.run([sys.executable, "-m", "pip", "list", "--format=freeze", "--exclude-editable"],
                         capture_output=True, text=True, check=True).stdout
    return [line.split("==")[0] for line in out.splitlines() if "==" in line]


def _run(tmp_path: Path, output: str, rc: int) -> subprocess.CompletedProcess[str]:
    (tmp_path / "out.txt").write_text(output)
    stub = tmp_path / "pip-audit"
    stub.write_text(f'#!/bin/sh\ncat "{tmp_path / "out.txt"}"\nexit {rc}\n')
    stub.chmod(0o755)
    (tmp_path / "python").symlink_to(sys.executable)
    env = {**os.environ, "PIP_AUDIT": str(stub)}
    env.pop("GITHUB_ACTIONS", None)
    return subprocess.run([str(ROOT / "scripts" / "audit")], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)


def test_no_advisory_data_is_not_a_pass(tmp_path: Path) -> None:
    skipped = "".join(f"{n:<24}Dependency not found on PyPI and could not be audited: {n} (1.0)\n"
                      for n in _installed())
    done = _run(tmp_path, "No known vulnerabilities found\nName                    Skip Reason\n" + skipped, 0)
    assert done.returncode == 0
    assert "No known vulnerabilities found" not in done.stdout + done.stderr
    assert done.stderr.startswith("WARNING: make audit: NOT AUDITED: the advisory source had no data")


def test_unreachable_advisory_service_is_not_a_pass(tmp_path: Path) -> None:
    done = _run(tmp_path, "ConnectionError: HTTPSConnectionPool(host='pypi.org'): Max retries exceeded\n", 1)
    assert done.returncode == 0 and "WARNING: make audit: NOT AUDITED" in done.stderr


def test_real_findings_fail_and_clean_results_pass(tmp_path: Path) -> None:
    found = _run(tmp_path, "Found 1 known vulnerability in 1 package\nName Version ID\njinja2 3.0 GHSA-x\n", 1)
    assert found.returncode == 1 and "GHSA-x" in found.stdout
    (tmp_path / "python").unlink()
    clean = _run(tmp_path, "No known vulnerabilities found\n", 0)
    assert clean.returncode == 0 and "No known vulnerabilities found" in clean.stdout and "WARNING" not in clean.stderr
