"""The fetch deadline (MONITOR_FETCH_TIMEOUT) covers the whole exchange: a server that
trickles its status line and headers, or its body, a byte at a time (each byte well
inside the per-read timeout) is cut off at the deadline, on a new connection and on a
reused one."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from monitor.feeds.fetch import FetchError, fetch, make_client

FEED = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>x</title></item></channel></rss>")
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: %d\r\n\r\n" % len(FEED)


class Trickler:
    """A raw TCP server on 127.0.0.1: answers each request on a connection, the first
    `fast` answers at once, later ones one byte every `gap` seconds (headers or body)."""

    def __init__(self, gap: float, *, fast: int = 0, slow_part: str = "head") -> None:
        self.gap, self.fast, self.slow_part = gap, fast, slow_part
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.connections = 0

    def _serve(self, conn: socket.socket) -> None:
        answered = 0
        with conn:
            while not self.stop.is_set():
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                try:
                    if answered < self.fast:
                        conn.sendall(HEAD + FEED)
                    else:
                        slow = HEAD if self.slow_part == "head" else FEED
                        if self.slow_part == "body":
                            conn.sendall(HEAD)
                        for i in range(len(slow)):
                            if self.stop.wait(self.gap):
                                return
                            conn.sendall(slow[i:i + 1])
                        if self.slow_part == "head":
                            conn.sendall(FEED)
                except OSError:
                    return
                answered += 1

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def __enter__(self) -> Trickler:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture
def deadline_settings(make_settings):
    # each byte arrives 0.25 s apart: far inside the per-read timeout, so only a total deadline stops it
    return make_settings(fetch_timeout=1.5, fetch_connect_timeout=1.0)


@pytest.mark.parametrize("slow_part", ["head", "body"])
def test_a_trickling_server_is_cut_off_at_the_deadline(deadline_settings, slow_part: str) -> None:
    with Trickler(0.25, slow_part=slow_part) as srv:
        started = time.monotonic()
        with pytest.raises(FetchError) as err:
            fetch(f"http://127.0.0.1:{srv.port}/feed.xml", deadline_settings)
        elapsed = time.monotonic() - started
    assert err.value.kind == "timeout" and "1.5 s" in err.value.message
    # The trickle lasts about 19 s without the deadline; the upper bound leaves room for a loaded machine.
    assert 1.4 < elapsed < 8.0, elapsed


def test_the_deadline_holds_on_a_reused_connection(deadline_settings) -> None:
    with Trickler(0.25, fast=1) as srv, make_client(deadline_settings) as client:
        url = f"http://127.0.0.1:{srv.port}/feed.xml"
        assert fetch(url, deadline_settings, client=client).body == FEED  # the fast answer; connection kept
        started = time.monotonic()
        with pytest.raises(FetchError) as err:
            fetch(url, deadline_settings, client=client)
        elapsed = time.monotonic() - started
        assert srv.connections == 1  # the second request really went over the kept connection
    assert err.value.kind == "timeout"
    assert elapsed < 8.0, elapsed
