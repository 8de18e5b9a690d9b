"""Feed tests: a real HTTP server on 127.0.0.1 (tests.support.feed_server) and real stores."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.feed_server import FeedServer


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A running FeedServer, stopped after the test."""
    with FeedServer() as srv:
        yield srv
