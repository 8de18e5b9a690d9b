"""`up` (API + worker + beat on one machine) and `db upgrade`."""

from __future__ import annotations

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


def _celery(cfg_env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*CELERY, *args], env=cfg_env)


def _kick_first_poll(env: dict[str, str], queue: str, host: str, port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=2):
                break
        except OSError:
            time.sleep(0.5)
    subprocess.run(
        [*CELERY, "call", "monitor.poll_due_feeds", "--queue", queue],
        env=env,
        capture_output=True,
        check=False,
    )


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
    env["MONITOR_PUBLIC_URL"] = os.environ.get("MONITOR_PUBLIC_URL", f"http://{host}:{port}")
    if demo:
        env["MONITOR_DEMO"] = "true"  # the API serves /demo/feed.xml

    from monitor.startup import first_start

    for line in first_start(engine, cfg, demo=demo, api_base=f"http://{host}:{port}"):
        typer.echo(line)

    children = [
        _celery(env, "worker", "--loglevel=INFO", f"--concurrency={workers}", "-Q", cfg.task_queue,
                "--hostname", f"worker-{os.getpid()}@%h"),
        _celery(env, "beat", "--loglevel=INFO", "--schedule", str(Path(cfg.data_dir).resolve() / "beat-schedule")),
    ]

    # Beat's first tick comes a minute after it starts; kick one poll as soon as the
    # API (which serves the demo feed) answers, so a newcomer sees alerts at once.
    threading.Thread(target=_kick_first_poll, args=(env, cfg.task_queue, host, port), daemon=True).start()

    def _stop(*_: object) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in children:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()

    try:
        typer.echo(f"API on http://{host}:{port}  (docs at /docs); Ctrl-C stops everything")
        os.environ.update(env)
        uvicorn.run("monitor.api.app:create_app", factory=True, host=host, port=port, log_level="info")
    finally:
        _stop()


def register(app: typer.Typer) -> None:
    """Add `up` and `db` to the main app."""
    app.command("up")(up)
    app.add_typer(db_app, name="db")
