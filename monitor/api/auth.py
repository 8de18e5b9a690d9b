"""API-key authentication and roles: reader < analyst < admin.

Readers read; analysts also review alerts and manage suppressions; admins also manage
feeds, rules, keys and subscriptions. A missing or wrong key is 401 (with
`WWW-Authenticate: Bearer`), a valid key without the role is 403.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from monitor.api.deps import SessionDep
from monitor.api.errors import ApiError
from monitor.keys import ROLE_RANK, authenticate, has_role
from monitor.models import ApiKey, utcnow

_bearer = HTTPBearer(auto_error=False, description="API key created with `sanctions-monitor keys create`")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="sanctions-monitor"'}
# Recording every use would turn each read into a write; once a few minutes is enough to audit.
_TOUCH_EVERY = timedelta(minutes=5)


def _forbidden(key: ApiKey, role: str) -> ApiError:
    return ApiError(
        403, f"this key's role ({key.role}) may not do this; {role} needed", details={"role": key.role, "needed": role}
    )


def require_role(role: str) -> Callable[..., ApiKey]:
    """A dependency that admits a key holding at least `role` and returns its ApiKey row (`.actor` for audit)."""
    if role not in ROLE_RANK:
        raise ValueError(f"unknown role {role!r}")

    def _check(
        request: Request,
        session: SessionDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> ApiKey:
        cached: ApiKey | None = getattr(request.state, "api_key", None)
        if cached is not None:  # the router-level check already authenticated this request
            if not has_role(cached, role):
                raise _forbidden(cached, role)
            return cached
        if credentials is None:
            raise ApiError(401, "missing API key: send Authorization: Bearer <key>", headers=_CHALLENGE)
        key = authenticate(session, credentials.credentials)
        if key is None:
            raise ApiError(
                401,
                "invalid or revoked API key",
                headers={**_CHALLENGE, "WWW-Authenticate": _CHALLENGE["WWW-Authenticate"] + ', error="invalid_token"'},
            )
        if not has_role(key, role):
            raise _forbidden(key, role)
        request.state.api_key = key
        now = utcnow()
        if key.last_used_at is None or now - key.last_used_at > _TOUCH_EVERY:
            key.last_used_at = now
            session.add(key)
        return key

    _check.__name__ = f"require_{role}"
    return _check


ReaderKey = Annotated[ApiKey, Depends(require_role("reader"))]
AnalystKey = Annotated[ApiKey, Depends(require_role("analyst"))]
AdminKey = Annotated[ApiKey, Depends(require_role("admin"))]
