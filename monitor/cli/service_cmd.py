"""`up` (API + worker + beat on one machine) and `db upgrade`."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import typer

from monitor.cli.common import settings
from monitor.db import engine_for, upgrade

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the latest version."""
    cfg = settings()
    upgrade(engine_for(cfg))
    typer.echo("database is up to date")


CELERY = [sys.executable, "-m", "celery", "-A", "workers.celery_app"]
# Seconds the worker (finishing its current task) and beat get after SIGTERM before SIGKILL.
STOP_GRACE = 20.0


def _spawn(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    # A session (and process group) of its own: `up` forwards signals itself, so a Ctrl-C
    # in the terminal reaches each child once, and escalation can kill a worker's pool with it.
    return subprocess.Popen([*CELERY, *args], env=env, start_new_session=True)


def _kick_first_poll(env: dict[str, str], queue: str, host: str, port: int,
                     helpers: list[subprocess.Popen[bytes]], stopping: threading.Event) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not stopping.is_set():
        try:
            with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=2):
                break
        except OSError:
            time.sleep(0.5)
    if stopping.is_set():
        return
    call = _spawn(env, "call", "monitor.poll_due_feeds", "--queue", queue)
    helpers.append(call)
    call.wait()


def _signal_group(child: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, sig)


def stop_children(children: list[subprocess.Popen[bytes]], grace: float = STOP_GRACE) -> None:
    """SIGTERM every child, wait up to `grace` seconds (a second SIGTERM/SIGINT cuts it short),
    then SIGKILL whatever is left of each child's process group; returns once all are gone."""
    hurry = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: hurry.set())
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while not hurry.is_set() and time.monotonic() < deadline and any(c.poll() is None for c in children):
        time.sleep(0.1)
    for child in children:
        # the whole group: a worker's pool processes too, even when the worker itself has exited
        _signal_group(child, signal.SIGKILL)
        child.wait()


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    # Turns SIGTERM into an exception, so `up`'s cleanup runs (the default action would end
    # the process at once and orphan the worker and beat).
    raise SystemExit(128 + signum)


def _sighup_as_sigterm(_signum: int, _frame: object) -> None:
    # uvicorn handles SIGTERM (a graceful shutdown) but not SIGHUP; an exception raised inside its
    # event loop could leave the loop waiting on its own tasks, so a closed terminal takes SIGTERM's path.
    os.kill(os.getpid(), signal.SIGTERM)


def up(
    host: str = typer.Option(None, help="Address for the API (default MONITOR_API_HOST)"),
    port: int = typer.Option(None, help="Port for the API (default MONITOR_API_PORT)"),
    workers: int = typer.Option(1, min=1, help="Celery worker processes"),
    demo: bool = typer.Option(False, help="Serve and subscribe the demo feed and load the demo watch list"),
) -> None:
    """Run the API, a Celery worker and beat on this machine (embedded defaults unless configured)."""
    import uvicorn

    cfg = settings()
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    # `up` migrates whatever database it runs on (embedded or configured) before starting anything.
    engine = engine_for(cfg)
    upgrade(engine)
    host = host or cfg.api_host
    port = port or cfg.api_port
    env = dict(os.environ)
    env.setdefault("MONITOR_DATA_DIR", str(Path(cfg.data_dir).resolve()))
    if cfg.embedded:
        env.setdefault("MONITOR_DATABASE_URL", cfg.effective_database_url)
    # The worker and beat link to the console where this API listens (unless MONITOR_PUBLIC_URL says otherwise).
    env["MONITOR_API_HOST"], env["MONITOR_API_PORT"] = host, str(port)
    if demo:
        env["MONITOR_DEMO"] = "true"  # the API serves /demo/feed.xml

    from monitor.startup import first_start

    for line in first_start(engine, cfg, demo=demo, api_base=f"http://{host}:{port}"):
        typer.echo(line)

    # SIGHUP too: the children run in their own process groups, so a closed terminal reaches only `up`.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    signal.signal(signal.SIGHUP, _sighup_as_sigterm)
    children: list[subprocess.Popen[bytes]] = []
    stopping = threading.Event()
    try:
        children.append(_spawn(env, "worker", "--loglevel=INFO", f"--concurrency={workers}", "-Q", cfg.task_queue,
                               "--hostname", f"worker-{os.getpid()}@%h"))
        children.append(_spawn(env, "beat", "--loglevel=INFO", "--schedule",
                               str(Path(cfg.data_dir).resolve() / "beat-schedule")))
        # Beat's first tick comes a minute after it starts; kick one poll as soon as the
        # API (which serves the demo feed) answers, so a newcomer sees alerts at once.
        threading.Thread(target=_kick_first_poll, args=(env, cfg.task_queue, host, port, children, stopping),
                         daemon=True).start()
        typer.echo(f"API on http://{host}:{port}  (docs at /docs); Ctrl-C stops everything")
        os.environ.update(env)
        # uvicorn handles SIGINT/SIGTERM while it serves, then raises the signal again once it
        # has shut down: SIGTERM then reaches _exit_on_sigterm, SIGINT is a KeyboardInterrupt.
        uvicorn.run("monitor.api.app:create_app", factory=True, host=host, port=port, log_level="info")
    finally:
        stopping.set()
        typer.echo("stopping the worker and beat ...", err=True)
        stop_children(children)


def register(app: typer.Typer) -> None:
    """Add `up` and `db` to the main app."""
    app.command("up")(up)
    app.add_typer(db_app, name="db")
