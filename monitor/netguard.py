"""SSRF guard: user-supplied URLs (feeds, webhooks, apprise targets) may only reach
public addresses, unless an address is inside `settings.allowed_ip_networks`.

The check runs after DNS resolution, on every redirect hop (the client below checks
each request it sends), and again on the address the connection actually reached,
so a DNS answer that changes between the check and the connect is still caught. Code
that opens its own sockets (apprise) runs inside `guard_connections`, which checks the
address of every connect and datagram its thread makes.
"""

from __future__ import annotations

import contextvars
import ipaddress
import socket
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx

from monitor.settings import Settings
from monitor.transport import deadline_transport

Resolver = Callable[[str, int], Iterable[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges the `is_*` flags of ipaddress do not all cover: CGNAT, cloud metadata,
# benchmarking, NAT64 and 6to4 (which can wrap a private IPv4 address).
_EXTRA_BLOCKED = [
    ipaddress.ip_network(c)
    for c in (
        "0.0.0.0/8",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "192.0.0.0/24",
        "198.18.0.0/15",
        "fc00::/7",
        "fe80::/10",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "2002::/16",
    )
]


class BlockedAddressError(Exception):
    """The URL resolves to an address that user-supplied URLs may not reach."""


class BlockedConnectionError(PermissionError):
    """A connection refused by `guard_connections` (an OSError, so libraries report it as a failed connect)."""


def default_resolver(host: str, port: int) -> list[str]:
    """Resolve a host name with the system resolver (every address it returns)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _allowed(ip: IPAddress, settings: Settings) -> bool:
    return any(ip.version == net.version and ip in net for net in settings.allowed_ip_networks)


def blocked_reason(ip: IPAddress) -> str | None:
    """Why this address is off limits for user-supplied URLs, or None when it is public."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return blocked_reason(ip.ipv4_mapped)
    if str(ip) in ("169.254.169.254", "fd00:ec2::254"):
        return "cloud metadata address"
    checks = (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
    )
    for name, hit in checks:
        if hit:
            return f"{name} address"
    for net in _EXTRA_BLOCKED:
        if ip.version == net.version and ip in net:
            return f"reserved address ({net})"
    if not ip.is_global:
        return "non-public address"
    return None


def check_ip(address: str, settings: Settings) -> None:
    """Raise BlockedAddressError when this IP address may not be reached."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError as exc:
        raise BlockedAddressError(f"not an IP address: {address!r}") from exc
    if _allowed(ip, settings):
        return
    reason = blocked_reason(ip)
    if reason:
        raise BlockedAddressError(
            f"refused to connect to {ip}: {reason} (allow it with MONITOR_ALLOWED_NETWORKS)"
        )


def check_url(url: str, settings: Settings, resolver: Resolver | None = None) -> None:
    """Resolve the URL's host and raise BlockedAddressError unless every address is allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise BlockedAddressError(f"only http and https URLs are fetched, not {parts.scheme or 'no scheme'!r}")
    host = parts.hostname
    if not host:
        raise BlockedAddressError(f"URL has no host: {url!r}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise BlockedAddressError(f"bad port in URL {url!r}") from exc
    try:
        addresses: Sequence[str] = [str(ipaddress.ip_address(host))]
    except ValueError:
        try:
            addresses = list((resolver or default_resolver)(host, port))
        except OSError as exc:
            raise BlockedAddressError(f"cannot resolve {host}: {exc}") from exc
    if not addresses:
        raise BlockedAddressError(f"{host} resolves to no address")
    # Every address counts: the connection may use any of them.
    for address in addresses:
        check_ip(address, settings)


def connected_address(response: httpx.Response) -> str | None:
    """The peer IP address the response came from (None when the transport cannot tell)."""
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None
    try:
        peer = stream.get_extra_info("server_addr")
    except Exception:
        return None
    if isinstance(peer, tuple) and peer:
        return str(peer[0])
    return None


class GuardedClient(httpx.Client):
    """An httpx client whose every request and response passes the guard (see guarded_client)."""


def guarded_client(settings: Settings, resolver: Resolver | None = None, **kwargs: Any) -> GuardedClient:
    """An httpx client that checks every request (each redirect hop too) before it is sent,
    the address each new connection reached before writing to it, and each response's peer.

    Calls within `transport.deadline(seconds)` end when the deadline passes."""

    def _check_request(request: httpx.Request) -> None:
        check_url(str(request.url), settings, resolver)

    def _check_response(response: httpx.Response) -> None:
        peer = connected_address(response)
        if peer is not None:
            try:
                check_ip(peer, settings)
            except BlockedAddressError:
                response.close()
                raise

    if "transport" not in kwargs:
        # Every connection's real peer is checked right after connect, before the request is
        # written (the request hook checked a DNS answer that the connect may not use).
        kwargs["transport"] = deadline_transport(
            peer_check=lambda ip: check_ip(ip, settings), limits=kwargs.pop("limits", httpx.Limits())
        )
    hooks = kwargs.pop("event_hooks", {}) or {}
    hooks = {
        "request": [_check_request, *hooks.get("request", [])],
        "response": [_check_response, *hooks.get("response", [])],
    }
    # Proxies from the environment would hide the real peer; never use them here.
    kwargs.setdefault("trust_env", False)
    return GuardedClient(event_hooks=hooks, **kwargs)


# --------------------------------------------------------------------------- every socket

# A context variable, not a thread-local: apprise runs a send in a worker thread with a copy
# of the caller's context, which carries the guard there.
_guarded: contextvars.ContextVar[Settings | None] = contextvars.ContextVar("netguard_connections", default=None)
_hook_lock = threading.Lock()
_hook_installed = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    # Runs for every audit event of the process: leave at once unless it is a connect or a
    # datagram send made inside guard_connections().
    if event != "socket.connect" and event != "socket.sendto":
        return
    settings = _guarded.get()
    if settings is None:
        return
    sock, address = args[0], args[1]
    if getattr(sock, "family", None) not in (socket.AF_INET, socket.AF_INET6):
        return
    host = str(address[0])
    try:
        addresses = [str(ipaddress.ip_address(host.split("%", 1)[0]))]
    except ValueError:
        addresses = default_resolver(host, int(address[1]))
    for ip in addresses:
        try:
            check_ip(ip, settings)
        except BlockedAddressError as exc:
            raise BlockedConnectionError(str(exc)) from None


@contextmanager
def guard_connections(settings: Settings) -> Iterator[None]:
    """Within this block (and in threads started with its context), every TCP connect and UDP
    send passes the guard.

    For code that opens its own sockets (apprise's plugins): whatever host a URL made it
    reach, by any parameter, redirect or DNS answer, the address actually connected to is
    checked, and a refused one fails the connect with BlockedConnectionError. A thread the
    code starts without copying the context is not covered.
    """
    global _hook_installed
    with _hook_lock:
        if not _hook_installed:
            sys.addaudithook(_audit)  # process-wide and permanent; inert outside this block
            _hook_installed = True
    token = _guarded.set(settings)
    try:
        yield
    finally:
        _guarded.reset(token)
