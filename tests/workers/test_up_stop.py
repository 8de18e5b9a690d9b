"""`sanctions-monitor up` stops its whole tree: SIGTERM (what a process manager sends) or
SIGINT reaches the API, the Celery worker with its pool, and beat; `up` exits only once
every one of them is gone, so the next `up` never runs a second worker or beat."""

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


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_up_stops_its_whole_tree(tmp_path: Path, sig: signal.Signals) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.update(MONITOR_DATA_DIR=str(tmp_path / "var"), MONITOR_ALLOWED_NETWORKS="127.0.0.1/32",
               MONITOR_TASK_QUEUE=f"up-{port}", PYTHONPATH=str(ROOT))
    log = (tmp_path / "up.log").open("wb")
    up = subprocess.Popen([sys.executable, "-m", "monitor", "up", "--port", str(port)], cwd=tmp_path, env=env,
                          stdout=log, stderr=subprocess.STDOUT)
    tree: set[int] = set()
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            tree |= _descendants(up.pid)
            lines = [_cmdline(p) for p in tree]
            worker = [p for p, c in zip(tree, lines, strict=True) if " worker " in f"{c} "]
            beat = [c for c in lines if " beat " in f"{c} "]
            # the worker's pool child is a descendant of the worker
            pool = [p for w in worker for p in _descendants(w)]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    api = True
            except OSError:
                api = False
            if api and worker and beat and pool:
                tree |= set(pool)
                break
            time.sleep(0.5)
        else:
            raise AssertionError("up did not start API, worker with pool and beat:\n"
                                 + (tmp_path / "up.log").read_text(errors="replace")[-3000:])
        up.send_signal(sig)
        assert up.wait(60) is not None
        left = [(p, _cmdline(p)) for p in sorted(tree) if _alive(p)]
        assert left == [], f"left running after up exited: {left}"
    finally:
        for pid in tree | _descendants(up.pid) | {up.pid}:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        up.wait(10)
        log.close()
