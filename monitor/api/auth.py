"""API-key authentication and roles: reader < analyst < admin.

Readers read; analysts also review alerts and manage suppressions; admins also manage
feeds, rules, keys and subscriptions. A missing or wrong key is 401 (with
`WWW-Authenticate: Bearer`), a valid key without the role is 403.

A valid key is remembered in-process for `settings.api_key_cache_seconds` (default 5 s),
so the hot read path needs no database round trip and no worker thread for auth; a key
revoked elsewhere stops working within that time (at once in the process that revoked it).
Unknown keys are never cached: each attempt is checked against the database.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from monitor.api.errors import ApiError
from monitor.keys import ROLE_RANK, authenticate, has_role, hash_key
from monitor.models import ApiKey, utcnow

_bearer = HTTPBearer(auto_error=False, description="API key created with `sanctions-monitor keys create`")
_CHALLENGE = 'Bearer realm="sanctions-monitor"'
# Recording every use would turn each read into a write; once a few minutes is enough to audit.
_TOUCH_EVERY = timedelta(minutes=5)
_CACHE_MAX = 10_000


def _forbidden(key: ApiKey, role: str) -> ApiError:
    return ApiError(
        403, f"this key's role ({key.role}) may not do this; {role} needed", details={"role": key.role, "needed": role}
    )


def _lookup(engine: object, plain: str) -> ApiKey | None:
    """The active key row (detached), recording its use at most every few minutes."""
    with Session(engine, expire_on_commit=False) as session:  # type: ignore[arg-type]
        key = authenticate(session, plain)
        if key is None:
            return None
        now = utcnow()
        if key.last_used_at is None or now - key.last_used_at > _TOUCH_EVERY:
            key.last_used_at = now
            session.add(key)
            session.commit()
        session.expunge(key)
        return key


def forget_keys(app: FastAPI) -> None:
    """Drop the in-process key cache (after a revocation in this process)."""
    app.state.key_cache = {}


async def current_key(request: Request, credentials: HTTPAuthorizationCredentials | None) -> ApiKey:
    """The authenticated key of this request, or a 401."""
    cached: ApiKey | None = getattr(request.state, "api_key", None)
    if cached is not None:  # the router-level check already authenticated this request
        return cached
    if credentials is None:
        raise ApiError(
            401, "missing API key: send Authorization: Bearer <key>", headers={"WWW-Authenticate": _CHALLENGE}
        )
    app = request.app
    ttl: float = app.state.settings.api_key_cache_seconds
    cache: dict[str, tuple[float, ApiKey]] = getattr(app.state, "key_cache", None) or {}
    app.state.key_cache = cache
    digest = hash_key(credentials.credentials)
    hit = cache.get(digest)
    now = time.monotonic()
    if hit is not None and hit[0] > now:
        key = hit[1]
    else:
        found = await run_in_threadpool(_lookup, app.state.engine, credentials.credentials)
        if found is None:
            cache.pop(digest, None)
            raise ApiError(
                401,
                "invalid or revoked API key",
                headers={"WWW-Authenticate": _CHALLENGE + ', error="invalid_token"'},
            )
        key = found
        if ttl > 0:
            if len(cache) >= _CACHE_MAX:
                cache.clear()
            cache[digest] = (now + ttl, key)
    request.state.api_key = key
    return key


def require_role(role: str) -> Callable[..., Awaitable[ApiKey]]:
    """A dependency that admits a key holding at least `role` and returns its ApiKey row (`.actor` for audit)."""
    if role not in ROLE_RANK:
        raise ValueError(f"unknown role {role!r}")

    async def _check(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> ApiKey:
        key = await current_key(request, credentials)
        if not has_role(key, role):
            raise _forbidden(key, role)
        return key

    _check.__name__ = f"require_{role}"
    return _check


AnalystKey = Annotated[ApiKey, Depends(require_role("analyst"))]
AdminKey = Annotated[ApiKey, Depends(require_role("admin"))]
