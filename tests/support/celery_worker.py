"""Start a real `celery -A workers.celery_app worker` subprocess for a test, and stop it.

    with CeleryWorker(env={"MONITOR_DATABASE_URL": url, "MONITOR_BROKER_URL": redis,
                           "MONITOR_TASK_QUEUE": queue, "MONITOR_DATA_DIR": str(tmp),
                           "MONITOR_ALLOWED_NETWORKS": "127.0.0.1/32"}) as worker:
        ...  # send tasks with workers.celery_app.make_celery(settings).send_task(...)

`settings_env(settings)` turns a test's Settings into that env. The worker consumes only
the given queue (tests use a unique one), logs to a file (`worker.log_text()` shows it on
failure), and is stopped with SIGTERM (SIGKILL after a grace period) when the block ends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from monitor.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def settings_env(settings: Settings) -> dict[str, str]:
    """The MONITOR_* variables that make a worker use the same store, broker and queue."""
    env = {
        "MONITOR_DATA_DIR": str(Path(settings.data_dir).resolve()),
        "MONITOR_TASK_QUEUE": settings.task_queue,
        "MONITOR_ALLOWED_NETWORKS": ",".join(settings.allowed_networks),
        "MONITOR_LOG_JSON": "false",
    }
    if settings.database_url:
        env["MONITOR_DATABASE_URL"] = settings.database_url
    if settings.broker_url:
        env["MONITOR_BROKER_URL"] = settings.broker_url
    return env


class CeleryWorker:
    """A Celery worker subprocess consuming one queue."""

    def __init__(self, env: dict[str, str], *, concurrency: int = 2, pool: str = "threads",
                 name: str | None = None, ready_timeout: float = 60.0) -> None:
        self.env = env
        self.concurrency = concurrency
        self.pool = pool
        self.name = name or f"test-{uuid.uuid4().hex[:6]}"
        self.ready_timeout = ready_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        fd, path = tempfile.mkstemp(prefix=f"celery-{self.name}-", suffix=".log")
        os.close(fd)
        self.log_path = Path(path)

    def start(self) -> CeleryWorker:
        """Start the worker and wait until it says it is ready."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
        env.update(self.env)
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        queue = self.env.get("MONITOR_TASK_QUEUE", "monitor")
        cmd = [
            sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker",
            "-Q", queue, f"--pool={self.pool}", f"--concurrency={self.concurrency}",
            "--hostname", f"{self.name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--loglevel=INFO", f"--logfile={self.log_path}",
        ]
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                     stderr=open(self.log_path.with_suffix(".err"), "wb"))  # noqa: SIM115
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"celery worker exited with {self.proc.returncode}:\n{self.log_text()}")
            if " ready." in self.log_text():
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"celery worker not ready after {self.ready_timeout} s:\n{self.log_text()}")

    def log_text(self) -> str:
        """The worker's log so far (and its stderr)."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        err = self.log_path.with_suffix(".err")
        if err.exists():
            text += err.read_text(errors="replace")
        return text

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM (warm shutdown), then SIGKILL if it does not exit in time."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def kill(self) -> None:
        """SIGKILL at once (a worker dying mid-task)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def __enter__(self) -> CeleryWorker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        for path in (self.log_path, self.log_path.with_suffix(".err")):
            path.unlink(missing_ok=True)
