"""Console sign-in: an API key exchanged for a server-side session, and CSRF tokens.

The browser holds only a signed session id (HTTP-only, SameSite=Strict cookie); the key
row it stands for is looked up on every request, so revoking the key or signing out ends
the session at once. The API key itself never goes into the cookie. Session rows live in
`key_value` under `console_session:<sid>` so any API process can check them.

CSRF: every state-changing request carries a token (form field `csrf_token` or header
`X-CSRF-Token`) equal to HMAC(secret, sid). The sign-in form, before a session exists,
uses a double-submit token: a signed random value in its own cookie echoed by the form.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel import Session, col, delete, select

from monitor.keys import authenticate, has_role
from monitor.models import ApiKey, KeyValue, utcnow
from monitor.notify.secretbox import fernet_key
from monitor.settings import Settings
from monitor.web.deps import SessionDep

SESSION_COOKIE = "smc_session"
PRE_CSRF_COOKIE = "smc_signin"
SESSION_TTL = timedelta(hours=12)
_PREFIX = "console_session:"


class SignInRequired(Exception):
    """No valid console session: the handler answers with a redirect to the sign-in page."""


class Forbidden(Exception):
    """A signed-in analyst whose key's role is too weak for this action."""

    def __init__(self, needed: str, role: str) -> None:
        super().__init__(f"this needs the {needed} role; your key is {role}")
        self.needed = needed
        self.role = role


class CsrfRejected(Exception):
    """A state-changing request without the right CSRF token."""


def _secret(settings: Settings) -> bytes:
    # Derived from the service's secret (MONITOR_SECRET_KEY or the key file), never used raw.
    return hmac.new(fernet_key(settings), b"console-session-v1", hashlib.sha256).digest()


def _serializer(settings: Settings, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_secret(settings), salt=salt)


def csrf_for(settings: Settings, sid: str) -> str:
    """The CSRF token bound to this session id."""
    return hmac.new(_secret(settings), b"csrf:" + sid.encode(), hashlib.sha256).hexdigest()


@dataclass
class ConsoleUser:
    """The signed-in analyst: the key row, its session id and CSRF token."""

    key: ApiKey
    sid: str
    csrf: str

    @property
    def actor(self) -> str:
        """Name in audit trails (the key's actor, marked as coming from the console)."""
        return self.key.actor

    def can(self, role: str) -> bool:
        """True when the key holds at least this role."""
        return has_role(self.key, role)

    def require(self, role: str) -> None:
        """Raise Forbidden unless the key holds at least this role."""
        if not self.can(role):
            raise Forbidden(role, self.key.role)


def start_session(session: Session, settings: Settings, plain_key: str) -> tuple[str, ApiKey] | None:
    """Check a plain key and open a session; returns (signed cookie value, key row) or None."""
    key = authenticate(session, plain_key.strip())
    if key is None:
        return None
    now = utcnow()
    # Drop expired sessions while we are here, so the table never grows without bound.
    session.exec(  # type: ignore[call-overload]
        delete(KeyValue).where(
            col(KeyValue.key).startswith(_PREFIX), col(KeyValue.updated_at) < now - SESSION_TTL
        )
    )
    sid = secrets.token_urlsafe(24)
    session.add(KeyValue(key=_PREFIX + sid, value=json.dumps({"key_id": key.id}), updated_at=now))
    key.last_used_at = now
    session.add(key)
    session.flush()
    return _serializer(settings, "session").dumps(sid), key


def end_session(session: Session, sid: str) -> None:
    """Forget a session (sign-out)."""
    row = session.get(KeyValue, _PREFIX + sid)
    if row is not None:
        session.delete(row)
        session.flush()


def load_user(session: Session, settings: Settings, cookie: str | None) -> ConsoleUser | None:
    """The signed-in user for a session cookie, or None (missing, forged, expired, revoked)."""
    if not cookie:
        return None
    try:
        sid = _serializer(settings, "session").loads(cookie, max_age=int(SESSION_TTL.total_seconds()))
    except BadSignature:
        return None
    if not isinstance(sid, str):
        return None
    row = session.exec(select(KeyValue).where(KeyValue.key == _PREFIX + sid)).first()
    if row is None or row.updated_at < utcnow() - SESSION_TTL:
        return None
    key = session.get(ApiKey, json.loads(row.value).get("key_id"))
    if key is None or key.revoked_at is not None:
        return None
    return ConsoleUser(key=key, sid=sid, csrf=csrf_for(settings, sid))


def new_signin_token(settings: Settings) -> tuple[str, str]:
    """A (form token, signed cookie value) pair for the sign-in form's double-submit check."""
    token = secrets.token_urlsafe(24)
    return token, _serializer(settings, "signin").dumps(token)


def signin_token_ok(settings: Settings, cookie: str | None, submitted: str | None) -> bool:
    """True when the sign-in form echoes the token of its signed cookie."""
    if not cookie or not submitted:
        return False
    try:
        token = _serializer(settings, "signin").loads(cookie, max_age=3600)
    except BadSignature:
        return False
    return isinstance(token, str) and hmac.compare_digest(token, submitted)


async def _submitted_csrf(request: Request) -> str | None:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else None
    return None


async def current_user(request: Request, session: SessionDep) -> ConsoleUser:
    """Dependency: the signed-in user; checks CSRF on every state-changing method."""
    settings: Settings = request.app.state.settings
    user = load_user(session, settings, request.cookies.get(SESSION_COOKIE))
    if user is None:
        raise SignInRequired()
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        submitted = await _submitted_csrf(request)
        if not submitted or not hmac.compare_digest(submitted, user.csrf):
            raise CsrfRejected()
    return user


UserDep = Annotated[ConsoleUser, Depends(current_user)]
