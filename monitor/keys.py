"""API keys: created once (the plain key is shown to the user and never stored), kept as a SHA-256 hash.

A key is `smk_` + 40 random URL-safe characters (~240 bits), so a plain SHA-256 is enough:
no salt or slow hash is needed against guessing, and lookup by hash stays an index probe.
The hash is compared again with `hmac.compare_digest` after the lookup.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlmodel import Session, col, select

from monitor.models import ApiKey, AuditEvent, KeyValue, utcnow

ROLES = ("reader", "analyst", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES, start=1)}
KEY_PREFIX = "smk_"
_FIRST_START_FLAG = "first_start_admin_key"


class KeyError_(ValueError):
    """A key operation that cannot be done (unknown role, unknown id)."""


def hash_key(plain: str) -> str:
    """SHA-256 hex digest of a plain key."""
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


def create_key(session: Session, role: str, name: str = "", *, actor: str = "cli") -> str:
    """Create a key with this role and return the plain key (shown once, stored hashed)."""
    if role not in ROLE_RANK:
        raise KeyError_(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    plain = KEY_PREFIX + secrets.token_urlsafe(30)
    row = ApiKey(name=name, prefix=plain[:12], key_hash=hash_key(plain), role=role)
    session.add(row)
    session.flush()
    session.add(
        AuditEvent(
            actor=actor,
            action="key.create",
            object_type="api_key",
            object_id=str(row.id),
            detail={"role": role, "name": name},
        )
    )
    session.flush()
    return plain


def authenticate(session: Session, plain: str) -> ApiKey | None:
    """The active key row for this plain key, or None (unknown or revoked)."""
    if not plain or len(plain) > 200:
        return None
    digest = hash_key(plain)
    row = session.exec(select(ApiKey).where(ApiKey.key_hash == digest)).first()
    if row is None or not hmac.compare_digest(row.key_hash, digest) or row.revoked_at is not None:
        return None
    return row


def has_role(key: ApiKey, needed: str) -> bool:
    """True when the key's role is at least `needed` (reader < analyst < admin)."""
    return ROLE_RANK.get(key.role, 0) >= ROLE_RANK[needed]


def list_keys(session: Session) -> list[ApiKey]:
    """Every key, oldest first (hashes included; callers show only safe fields)."""
    return list(session.exec(select(ApiKey).order_by(col(ApiKey.id))).all())


def revoke_key(session: Session, key_id: int, *, actor: str = "cli") -> ApiKey:
    """Revoke a key (idempotent); raises KeyError_ for an unknown id."""
    row = session.get(ApiKey, key_id)
    if row is None:
        raise KeyError_(f"no API key with id {key_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.add(AuditEvent(actor=actor, action="key.revoke", object_type="api_key", object_id=str(key_id)))
        session.flush()
    return row


def ensure_admin_key(session: Session) -> str | None:
    """On first start only, create an admin key and return it (None on every later start).

    "First start" is remembered in KeyValue, so revoking that key later does not make the next
    start mint a new one; a store that already has an active admin key gets none either.
    """
    if session.get(KeyValue, _FIRST_START_FLAG) is not None:
        return None
    has_admin = session.exec(
        select(ApiKey.id).where(ApiKey.role == "admin", col(ApiKey.revoked_at).is_(None)).limit(1)
    ).first()
    plain = None if has_admin is not None else create_key(session, "admin", "first-start admin", actor="startup")
    session.add(KeyValue(key=_FIRST_START_FLAG, value=utcnow().isoformat()))
    session.flush()
    return plain
