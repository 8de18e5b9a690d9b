"""Signing and header parsing, checked against the independent `standardwebhooks` implementation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from monitor.notify.secretbox import SecretError, decrypt, encrypt, new_webhook_secret, secret_bytes
from monitor.notify.webhook import parse_retry_after, sign, signature_header


def test_signature_verifies_with_the_reference_library() -> None:
    secret = new_webhook_secret()
    assert secret.startswith("whsec_") and len(secret_bytes(secret)) >= 24
    ts = str(int(datetime.now(UTC).timestamp()))
    body = '{"type":"alert.created","data":{"id":1,"title":"Сергей Шойгу"}}'.encode()
    headers = {"webhook-id": "msg_1", "webhook-timestamp": ts, "webhook-signature": sign(secret, "msg_1", ts, body)}
    assert Webhook(secret).verify(body, headers)["data"]["id"] == 1
    with pytest.raises(WebhookVerificationError):  # a changed body fails
        Webhook(secret).verify(body.replace(b"1", b"2"), headers)
    with pytest.raises(WebhookVerificationError):  # another secret fails
        Webhook(new_webhook_secret()).verify(body, headers)
    other = new_webhook_secret()
    both = {**headers, "webhook-signature": signature_header([secret, other], "msg_1", ts, body)}
    assert Webhook(other).verify(body, both) and Webhook(secret).verify(body, both)


def test_retry_after_forms() -> None:
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(format_datetime(now + timedelta(minutes=3), usegmt=True), now) == 180.0
    assert parse_retry_after(format_datetime(now - timedelta(minutes=3), usegmt=True), now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_encryption_needs_the_right_key(make_settings) -> None:
    a = make_settings(secret_key="correct horse battery staple")
    token = encrypt(a, "whsec_abc")
    assert decrypt(a, token) == "whsec_abc"
    with pytest.raises(SecretError):
        decrypt(make_settings(secret_key="another key"), token)
