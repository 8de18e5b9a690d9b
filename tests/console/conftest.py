"""Console test fixtures: a seeded SQLite store served by a real uvicorn on 127.0.0.1.

One server per test session (seeding and starting take about a second); tests that
change state use their own alerts so their order does not matter. The browser tests
drive Debian's Chromium at /usr/bin/chromium and skip with the reason when it is absent.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from monitor.api.app import create_app
from monitor.db import make_engine, upgrade
from monitor.settings import Settings
from tests.conftest import ROOT, SHARED_SEEDS
from tests.console.seed import Seeded, seed

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts" / "console"


@dataclass
class LiveConsole:
    """The running server: its base URL, settings, engine and seeded ids and keys."""

    url: str
    settings: Settings
    seeded: Seeded
    engine: object


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed_story() -> Path:
    """The seed story file, or skip."""
    files = sorted(SHARED_SEEDS.glob("*.txt"))
    if not files:
        pytest.skip(f"seed story not available in {SHARED_SEEDS}")
    return files[0]


@contextmanager
def serve_console(tmp: Path, **overrides: object) -> Iterator[LiveConsole]:
    """A freshly seeded store under `tmp` behind a real uvicorn on 127.0.0.1, with settings overrides."""
    story = seed_story()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp / "var",
        database_url=f"sqlite:///{tmp / 'console.db'}",
        allowed_networks=["127.0.0.1/32"],
        task_queue=f"test-{uuid.uuid4().hex[:8]}",
        log_json=False,
        **overrides,
    )
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    seeded = seed(engine, story, settings)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, name="console-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield LiveConsole(url=f"http://127.0.0.1:{port}", settings=settings, seeded=seeded, engine=engine)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveConsole]:
    """A seeded store behind a real uvicorn on 127.0.0.1 (stopped at the end of the session)."""
    with serve_console(tmp_path_factory.mktemp("console")) as live:
        yield live


@contextmanager
def signed_in_client(console: LiveConsole, key: str) -> Iterator[httpx.Client]:
    """An httpx client with a console session for this key."""
    import re

    with httpx.Client(base_url=console.url, follow_redirects=False, timeout=10) as client:
        page = client.get("/signin")
        token = re.search(r'name="signin_token" value="([^"]+)"', page.text)
        assert token, page.text[:500]
        resp = client.post("/signin", data={"api_key": key, "signin_token": token.group(1), "next": "/"})
        assert resp.status_code == 303, resp.text[:500]
        yield client


def csrf_of(html: str) -> str:
    """The CSRF token in a console page."""
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)
