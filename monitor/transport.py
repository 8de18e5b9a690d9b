"""The HTTP transport of every guarded client: a total deadline for an exchange, and the
network guard applied to the address each connection really reached, before a byte is sent.

A total deadline for an HTTP exchange: connect, TLS handshake, headers and body.

httpx's timeouts bound each network operation (one read may wait 20 s), not the
exchange: a server that sends one header byte every few seconds never trips them and
holds a worker for as long as it likes. The transport here wraps every connection's
stream so that each connect, read and write waits at most until the deadline set (for
the calling thread) with `deadline()`, and fails with a timeout once it has passed.
It works on pooled connections too, since the deadline is looked up at every operation.

The guard: checking a URL's DNS answer before a request is not enough, because the
connection resolves the name again (a rebinding answer can differ). So the backend checks
the peer address of every new connection right after connect, and closes it before the
request is written when the guard refuses it.
"""

from __future__ import annotations

import ssl
import threading
import time
import typing
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import httpcore
import httpx

_local = threading.local()


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Within this block, network operations of a deadline transport on this thread end `seconds` from now."""
    previous = getattr(_local, "at", None)
    _local.at = time.monotonic() + seconds
    try:
        yield
    finally:
        _local.at = previous


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    at: float | None = getattr(_local, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise error("the deadline for the whole request has passed")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, peer_check: typing.Callable[[str], None] | None) -> None:
        self._inner = httpcore.SyncBackend()
        self._peer_check = peer_check

    def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, _bounded(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        if self._peer_check is not None:
            peer = stream.get_extra_info("server_addr")
            try:
                if isinstance(peer, tuple) and peer:
                    self._peer_check(str(peer[0]))
                else:  # a connection whose peer cannot be told is not trusted
                    self._peer_check(host)
            except BaseException:
                stream.close()
                raise
        return _Stream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
    ) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_unix_socket(path, _bounded(timeout, httpcore.ConnectTimeout),
                                                       socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def deadline_transport(
    peer_check: typing.Callable[[str], None] | None = None, **kwargs: typing.Any
) -> httpx.HTTPTransport:
    """An httpx transport (same options as httpx.HTTPTransport) whose connections honour
    `deadline()` and, when given, pass `peer_check(ip)` before anything is sent."""
    transport = httpx.HTTPTransport(**kwargs)
    # httpx does not take a network backend; its pool does (httpcore's documented extension point).
    pool = transport._pool
    if not isinstance(pool, httpcore.ConnectionPool):  # a proxy pool: not used for feeds (trust_env off)
        raise TypeError("deadline_transport needs a direct connection pool")
    pool._network_backend = _Backend(peer_check)
    return transport
