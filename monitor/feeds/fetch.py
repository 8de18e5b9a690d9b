"""Fetch one feed over HTTP: the only stage that talks to the network.

Rules (after Miniflux's fetcher): send the stored ETag / Last-Modified back and treat
304 as "nothing new"; accept gzip, deflate and brotli; a connect timeout and a total
deadline (MONITOR_FETCH_TIMEOUT) for the whole exchange, redirects, connect, headers and
body together, so a server trickling bytes cannot hold a worker (clients from
make_client; see monitor/transport.py); a body cap counted after decompression while
streaming, so a small gzip bomb is stopped early; a descriptive User-Agent; redirects
followed here, hop by hop, each hop checked by the SSRF guard after DNS resolution;
429 and 503 report their Retry-After so the scheduler can honour it. A chain of only
permanent redirects (301/308) ending in a good answer reports the new address, which the
poller then stores (audited as `feed.moved`). Every failure is a FetchError with a
message fit to show on the feed.
"""

from __future__ import annotations

import email.utils
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin

import httpx

from monitor.netguard import BlockedAddressError, GuardedClient, Resolver, check_url, guarded_client
from monitor.settings import Settings
from monitor.transport import deadline

REDIRECTS = {301, 302, 303, 307, 308}
# A feed that moved for good (301 Moved Permanently, 308 Permanent Redirect at every hop) is
# polled at its new address from then on; 302/303/307 are temporary and leave the stored URL.
PERMANENT = {301, 308}
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


class FetchError(Exception):
    """A fetch that produced no usable body; `message` is shown on the feed."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: int | None = None,
                 kind: str = "error") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.kind = kind


@dataclass
class FetchResult:
    """What one fetch returned (body is None on 304)."""

    url: str
    status: int
    body: bytes | None
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    max_age: int | None = None
    moved_to: str | None = None  # set when every redirect on the way here was permanent

    @property
    def not_modified(self) -> bool:
        """True when the server answered 304."""
        return self.status == 304

    @property
    def content_type(self) -> str | None:
        """The response's Content-Type header."""
        return self.headers.get("content-type")


def make_client(settings: Settings, resolver: Resolver | None = None) -> GuardedClient:
    """A guarded, pooled client for fetching feeds (share one between threads)."""
    timeout = httpx.Timeout(settings.fetch_timeout, connect=settings.fetch_connect_timeout)
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    return guarded_client(
        settings,
        resolver,
        timeout=timeout,
        limits=limits,
        follow_redirects=False,
        headers={"User-Agent": settings.user_agent, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate, br"},
    )


def parse_retry_after(value: str | None, now: datetime | None = None) -> int | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, int((when - (now or datetime.now(UTC))).total_seconds()))


_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.I)


def parse_max_age(cache_control: str | None) -> int | None:
    """max-age seconds from a Cache-Control header, or None (no-store/no-cache count as 0)."""
    if not cache_control:
        return None
    match = _MAX_AGE.search(cache_control)
    if match:
        return int(match.group(1))
    if re.search(r"no-(store|cache)", cache_control, re.I):
        return 0
    return None


def _describe(exc: httpx.HTTPError) -> str:
    text = str(exc) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text}" if text != exc.__class__.__name__ else text


def fetch(
    url: str,
    settings: Settings,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    client: httpx.Client | None = None,
    resolver: Resolver | None = None,
) -> FetchResult:
    """GET a feed conditionally, following redirects by hand; raise FetchError on any failure."""
    own = client is None
    http = client or make_client(settings, resolver)
    try:
        with deadline(settings.fetch_timeout):
            return _fetch(http, url, settings, etag, last_modified, resolver)
    finally:
        if own:
            http.close()


def _fetch(
    http: httpx.Client,
    url: str,
    settings: Settings,
    etag: str | None,
    last_modified: str | None,
    resolver: Resolver | None,
) -> FetchResult:
    deadline = time.monotonic() + settings.fetch_timeout
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    seen: list[str] = []
    current = url
    permanent = True  # every hop so far was 301/308
    while True:
        if not isinstance(http, GuardedClient):
            # A caller-supplied plain client is guarded here; a GuardedClient checks in its hook
            # (so the host is resolved once per hop, not twice).
            try:
                check_url(current, settings, resolver)
            except BlockedAddressError as exc:
                raise FetchError(str(exc), kind="blocked") from exc
        seen.append(current)
        try:
            with http.stream("GET", current, headers=headers) as response:
                status = response.status_code
                if status in REDIRECTS:
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError(f"HTTP {status} redirect without a Location header", status=status)
                    target = urljoin(current, location)
                    if target in seen:
                        raise FetchError(f"redirect loop: {target} was already visited", status=status,
                                         kind="redirect")
                    if len(seen) > settings.fetch_max_redirects:
                        raise FetchError(f"too many redirects (more than {settings.fetch_max_redirects})",
                                         status=status, kind="redirect")
                    permanent = permanent and status in PERMANENT
                    current = target
                    continue
                moved_to = current if permanent and current != url else None
                lower = {k.lower(): v for k, v in response.headers.items()}
                if status == 304:
                    # Drain the (empty) body so the connection goes back to the pool.
                    response.read()
                    return FetchResult(
                        url=current, status=304, body=None, headers=lower,
                        etag=lower.get("etag") or etag,
                        last_modified=lower.get("last-modified") or last_modified,
                        max_age=parse_max_age(lower.get("cache-control")), moved_to=moved_to,
                    )
                if status in (429, 503):
                    retry = parse_retry_after(lower.get("retry-after"))
                    hint = f", retry after {retry} s" if retry is not None else ""
                    raise FetchError(f"HTTP {status} {response.reason_phrase}{hint}", status=status,
                                     retry_after=retry, kind="throttled")
                if status >= 400 or status < 200:
                    raise FetchError(f"HTTP {status} {response.reason_phrase}", status=status, kind="http")
                body = _read_capped(response, settings, deadline)
                return FetchResult(
                    url=current, status=status, body=body, headers=lower,
                    etag=lower.get("etag"), last_modified=lower.get("last-modified"),
                    max_age=parse_max_age(lower.get("cache-control")), moved_to=moved_to,
                )
        except FetchError:
            raise
        except BlockedAddressError as exc:
            raise FetchError(str(exc), kind="blocked") from exc
        except httpx.TimeoutException as exc:
            raise FetchError(f"timed out after {settings.fetch_timeout:g} s ({exc.__class__.__name__})",
                             kind="timeout") from exc
        except httpx.DecodingError as exc:
            raise FetchError(f"cannot decode the response body: {exc}", kind="decode") from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"connection failed: {_describe(exc)}", kind="connect") from exc


def _read_capped(response: httpx.Response, settings: Settings, deadline: float) -> bytes:
    cap = settings.fetch_max_bytes
    declared = response.headers.get("content-length")
    encoded = response.headers.get("content-encoding", "identity").lower() not in ("", "identity")
    if declared and declared.isdigit() and not encoded and int(declared) > cap:
        raise FetchError(f"body too large: Content-Length {declared} exceeds the {cap}-byte cap", kind="size")
    chunks: list[bytes] = []
    total = 0
    # iter_bytes yields decompressed bytes, so the cap holds for compressed bodies too.
    for chunk in response.iter_bytes():
        total += len(chunk)
        if total > cap:
            raise FetchError(f"body too large: more than {cap} bytes after decompression", kind="size")
        if time.monotonic() > deadline:
            raise FetchError(f"timed out after {settings.fetch_timeout:g} s reading the body", kind="timeout")
        chunks.append(chunk)
    return b"".join(chunks)
