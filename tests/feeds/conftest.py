"""Feed tests: a real HTTP server on 127.0.0.1 (tests.support.feed_server) and real stores."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from tests.support.cli import embedded_cli
from tests.support.feed_server import FeedServer


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A running FeedServer, stopped after the test."""
    with FeedServer() as srv:
        yield srv


@pytest.fixture
def cli_env(tmp_path, monkeypatch) -> CliRunner:  # type: ignore[no-untyped-def]
    """The CLI on a fresh embedded store in tmp_path."""
    return embedded_cli(tmp_path, monkeypatch)
