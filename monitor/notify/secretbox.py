"""Webhook secrets: generated as `whsec_<base64>`, encrypted at rest with Fernet.

The Fernet key comes from MONITOR_SECRET_KEY (any string; hashed to a key unless it is
already a Fernet key) or, when that is empty, from `secret.key` in the data directory,
created once with mode 0600. Losing the key only means re-issuing webhook secrets.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from monitor.settings import Settings

SECRET_PREFIX = "whsec_"  # noqa: S105 - a public prefix, not a password
SECRET_BYTES = 32


class SecretError(Exception):
    """A stored secret cannot be decrypted with the configured key."""


def new_webhook_secret() -> str:
    """A fresh signing secret in the Standard Webhooks form `whsec_<base64 of 32 random bytes>`."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_bytes(secret: str) -> bytes:
    """The HMAC key inside a `whsec_...` secret."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def _key_file(settings: Settings) -> Path:
    return Path(settings.data_dir) / "secret.key"


def fernet_key(settings: Settings) -> bytes:
    """The Fernet key for these settings (configured, or from the key file, created on first use)."""
    if settings.secret_key:
        raw = settings.secret_key.encode("utf-8")
        try:
            Fernet(raw)
            return raw
        except ValueError:
            return base64.urlsafe_b64encode(hashlib.sha256(raw).digest())
    path = _key_file(settings)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Fernet.generate_key()
        # O_EXCL: two processes starting together must not write two different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_bytes().strip()
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        return key
    return path.read_bytes().strip()


def encrypt(settings: Settings, secret: str) -> str:
    """Encrypt a secret for storage."""
    return Fernet(fernet_key(settings)).encrypt(secret.encode("utf-8")).decode("ascii")


def decrypt(settings: Settings, token: str) -> str:
    """Decrypt a stored secret; SecretError when the key does not fit."""
    try:
        return Fernet(fernet_key(settings)).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise SecretError("stored webhook secret cannot be decrypted with the configured secret key") from exc
