"""Webhooks after the Standard Webhooks specification (https://www.standardwebhooks.com).

Headers: `webhook-id` (the delivery's message id, the same on every retry),
`webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature`:
`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per active secret, separated
by spaces (two while a rotated secret overlaps). Redirects are not followed: a 3xx
is a failure, like any non-2xx. The response body is read up to a small cap only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from monitor import netguard
from monitor.notify.secretbox import secret_bytes
from monitor.settings import Settings
from monitor.transport import deadline

BODY_CAP = 2048
RETRY_AFTER_STATUSES = {429, 502, 503, 504}


@dataclass
class SendResult:
    """What one attempt produced."""

    ok: bool
    status_code: int | None = None
    error: str | None = None
    body: str | None = None
    duration_ms: float = 0.0
    retry_after: float | None = None  # seconds the endpoint asked us to wait
    gone: bool = False  # 410: the endpoint wants no more deliveries

    @classmethod
    def of_exception(cls, exc: Exception, started: float) -> SendResult:
        """A failed attempt for an exception raised while building or sending a message."""
        error = f"cannot build or send the message: {type(exc).__name__}: {exc}"
        return cls(False, error=error[:1000], duration_ms=(time.perf_counter() - started) * 1000)


def sign(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    """One `v1,<base64>` signature of `msg_id.timestamp.body` with a `whsec_` secret."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_header(secrets: list[str], msg_id: str, timestamp: str, body: bytes) -> str:
    """The `webhook-signature` value: every active secret's signature, space-separated."""
    return " ".join(sign(s, msg_id, timestamp, body) for s in secrets)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def webhook_client(settings: Settings, resolver: netguard.Resolver | None = None) -> httpx.Client:
    """An SSRF-guarded client that never follows redirects."""
    timeout = httpx.Timeout(settings.webhook_timeout, connect=min(settings.webhook_timeout, 5.0))
    return netguard.guarded_client(
        settings,
        resolver,
        follow_redirects=False,
        timeout=timeout,
        headers={"user-agent": settings.user_agent},
    )


def send_webhook(
    client: httpx.Client, url: str, msg_id: str, body: bytes, secrets: list[str], timestamp: int | None = None,
    total_timeout: float | None = None,
) -> SendResult:
    """POST one signed message and report the outcome (never raises for network errors).

    `total_timeout` bounds the whole exchange (connect, headers, body) on a guarded client, so
    an endpoint trickling bytes cannot hold a delivery past its lease."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": ts,
        "webhook-signature": signature_header(secrets, msg_id, ts, body),
    }
    started = time.perf_counter()
    try:
        with deadline(total_timeout) if total_timeout else nullcontext(), \
                client.stream("POST", url, content=body, headers=headers) as resp:
            raw = b""
            for chunk in resp.iter_bytes():
                raw += chunk
                if len(raw) >= BODY_CAP:
                    break
            text = raw[:BODY_CAP].decode("utf-8", "replace")
            code = resp.status_code
            retry_after = parse_retry_after(resp.headers.get("retry-after")) if code in RETRY_AFTER_STATUSES else None
    except netguard.BlockedAddressError as exc:
        return SendResult(False, error=str(exc), duration_ms=(time.perf_counter() - started) * 1000)
    except httpx.HTTPError as exc:
        return SendResult(
            False, error=f"{type(exc).__name__}: {exc}", duration_ms=(time.perf_counter() - started) * 1000
        )
    duration = (time.perf_counter() - started) * 1000
    ok = 200 <= code < 300
    error = None if ok else (f"redirect not followed ({code})" if 300 <= code < 400 else f"HTTP {code}")
    return SendResult(ok, code, error, text, duration, retry_after, gone=code == 410)
