"""`sanctions-monitor up` stops its whole tree: SIGTERM (what a process manager sends),
SIGINT or SIGHUP (a closed terminal) reaches the API, the Celery worker with its pool, and
beat; `up` exits only once every one of them is gone, so the next `up` never runs a second
worker or beat."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.notify.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _descendants(pid: int) -> set[int]:
    tree, found, todo = _children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class Up:
    """`sanctions-monitor up` (embedded defaults in a temporary folder) in a process of its own."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
        env.update(MONITOR_DATA_DIR=str(tmp_path / "var"), MONITOR_ALLOWED_NETWORKS="127.0.0.1/32",
                   MONITOR_TASK_QUEUE=f"up-{self.port}", PYTHONPATH=str(ROOT))
        self.log_path = tmp_path / "up.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "monitor", "up", "--port", str(self.port)],
                                     cwd=tmp_path, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self.tree: set[int] = set()

    @property
    def log(self) -> str:
        """Everything `up` and its children wrote so far."""
        return self.log_path.read_text(errors="replace")

    def wait_running(self) -> None:
        """Until the API answers and the worker (with its pool) and beat run; remembers every pid."""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            self.tree |= _descendants(self.proc.pid)
            lines = [_cmdline(p) for p in self.tree]
            worker = [p for p, c in zip(self.tree, lines, strict=True) if " worker " in f"{c} "]
            beat = [c for c in lines if " beat " in f"{c} "]
            # the worker's pool child is a descendant of the worker
            pool = [p for w in worker for p in _descendants(w)]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2):
                    api = True
            except OSError:
                api = False
            if api and worker and beat and pool:
                self.tree |= set(pool)
                return
            time.sleep(0.5)
        raise AssertionError(f"up did not start API, worker with pool and beat:\n{self.log[-3000:]}")

    def close(self) -> None:
        """Kill whatever is left (only after a failed test is there anything)."""
        for pid in self.tree | _descendants(self.proc.pid) | {self.proc.pid}:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait(10)
        self._log.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_up_stops_its_whole_tree(tmp_path: Path, sig: signal.Signals) -> None:
    up = Up(tmp_path)
    try:
        up.wait_running()
        up.proc.send_signal(sig)
        assert up.proc.wait(60) is not None
        left = [(p, _cmdline(p)) for p in sorted(up.tree) if _alive(p)]
        assert left == [], f"left running after up exited: {left}"
    finally:
        up.close()


def test_up_access_log_redacts_credentials(tmp_path: Path) -> None:
    key = "smk_" + "k" * 40
    up = Up(tmp_path)
    try:
        up.wait_running()
        base = f"http://127.0.0.1:{up.port}"
        for target, headers in [
            (f"/api/v1/alerts?since=7d&api_key={key}&limit=5", {}),
            ("/api/v1/alerts?access_token=tok-secret-1&q=x", {}),
            ("/api/v1/alerts?password=pw-secret-2", {"Authorization": "Bearer bearer-secret-3"}),
            (f"/api/v1/alerts/{key}", {"Authorization": f"Bearer {key}"}),
        ]:
            request = urllib.request.Request(base + target, headers=headers)
            with contextlib.suppress(OSError):
                urllib.request.urlopen(request, timeout=5).close()
        up.proc.send_signal(signal.SIGTERM)
        up.proc.wait(60)
    finally:
        up.close()
    log = up.log
    assert "/api/v1/alerts?since=7d&api_key=REDACTED&limit=5" in log  # the access log is on, and redacted
    for secret in (key, "tok-secret-1", "pw-secret-2", "bearer-secret-3"):
        assert secret not in log
