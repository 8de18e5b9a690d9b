"""Templates and small view helpers shared by the console's pages."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from monitor.console.session import ConsoleUser
from monitor.matching.language import language_names
from monitor.matching.types import SEVERITIES

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))

FLASH_COOKIE = "smc_flash"


def _as_utc(value: datetime | str | None) -> datetime | None:
    """A datetime or ISO string (as the API's JSON has it) in UTC; naive means UTC; None when unreadable."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def fmt_time(value: datetime | str | None) -> str:
    """A UTC time (or an ISO string of one, as the API's JSON has it) as `2026-11-29 12:42 UTC`."""
    value = _as_utc(value)
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def fmt_iso(value: datetime | str | None) -> str:
    """A UTC time in ISO 8601 for `<time datetime=...>`."""
    value = _as_utc(value)
    return value.isoformat(timespec="seconds") if value else ""


def safe_url(value: str | None) -> str:
    """The URL when it is http(s), else empty (a feed's `javascript:` link must never become a link)."""
    if value and value.strip().lower().startswith(("http://", "https://")):
        return value.strip()
    return ""


templates.env.filters["time"] = fmt_time
templates.env.filters["safe_url"] = safe_url
templates.env.filters["iso"] = fmt_iso
templates.env.globals["SEVERITIES"] = SEVERITIES
templates.env.globals["LANGUAGES"] = list(language_names().items())


# The console serves only its own files: no inline script, no framing, no third-party origin.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def secure(response: HTMLResponse) -> HTMLResponse:
    """Add the console's security headers to a page."""
    response.headers.update(SECURITY_HEADERS)
    return response


def render(
    request: Request, name: str, user: ConsoleUser | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render a page template with the user, their CSRF token and the active nav section."""
    context.setdefault("section", "")
    flash = _take_flash(request)
    if flash.get("message") and not context.get("flash"):
        context["flash"] = flash["message"]
    if flash.get("error") and not context.get("error"):
        context["error"] = flash["error"]
    response = templates.TemplateResponse(
        request, name, {"user": user, "csrf": user.csrf if user else "", **context}, status_code=status_code
    )
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return secure(response)


def redirect(path: str, *, message: str | None = None, error: str | None = None, **params: Any) -> RedirectResponse:
    """303 See Other to a console path (after a POST), with query parameters and a one-time message.

    Free-text messages travel in a short-lived HTTP-only cookie, never in the URL, so a link
    cannot make the console display text of someone else's choosing.
    """
    clean = {k: v for k, v in params.items() if v not in (None, "")}
    response = RedirectResponse(path + ("?" + urlencode(clean, doseq=True) if clean else ""), status_code=303)
    if message or error:
        payload = json.dumps({"message": (message or "")[:500], "error": (error or "")[:500]})
        response.set_cookie(
            FLASH_COOKIE,
            base64.urlsafe_b64encode(payload.encode()).decode(),
            max_age=60,
            httponly=True,
            samesite="strict",
            path="/",
        )
    return response


def _take_flash(request: Request) -> dict[str, str]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return {}
    try:
        data = json.loads(base64.urlsafe_b64decode(raw.encode()))
    except (ValueError, binascii.Error):
        return {}
    return {k: str(v) for k, v in data.items() if isinstance(v, str) and v} if isinstance(data, dict) else {}


def safe_next(value: str | None) -> str:
    """A post-sign-in destination that stays on this site (a path, never `//host` or a URL)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value
