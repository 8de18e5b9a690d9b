"""Hostile text in messages: feed text never becomes a header, control characters never
reach a target, and a message that cannot be built fails that one delivery like any
other failure (an attempt recorded, retried, never left `sending`)."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from monitor.db import session_scope
from monitor.models import Delivery, DeliveryAttempt
from monitor.notify.deliver import MAX_ATTEMPTS, deliver_one
from monitor.notify.outbox import enqueue_for_alert
from monitor.notify.subscriptions import SubscriptionCreate, SubscriptionError, create_subscription
from tests.notify.conftest import make_alert, make_subscription
from tests.notify.receiver import ReceiverServer
from tests.notify.smtp import SmtpServer

INJECTED = "Kim Jong Un missiles\r\nBcc: x@example.org"


def test_crlf_in_a_feed_title_is_no_header_injection(sqlite_engine: Engine, make_settings) -> None:
    with SmtpServer() as smtp:
        settings = make_settings(smtp_port=smtp.port)
        with session_scope(sqlite_engine) as s:
            create_subscription(s, settings, SubscriptionCreate(channel="email", target="analyst@example.org"))
            (d,) = enqueue_for_alert(s, make_alert(s, title=INJECTED))
        with Session(sqlite_engine, expire_on_commit=False) as s:
            assert deliver_one(s, d.id, settings).result == "delivered"
    (msg,) = smtp.messages
    (envelope,) = smtp.handler.envelopes
    assert envelope.rcpt_tos == ["analyst@example.org"]  # nobody was added by the title
    assert msg["Bcc"] is None
    assert msg["Subject"] == "[HIGH] Kim Jong Un missiles Bcc: x@example.org"


@pytest.mark.parametrize(
    ("channel", "target"),
    [
        ("webhook", "http://127.0.0.1:9/hook\r\nX-Injected: 1"),
        ("webhook", "http://127.0.0.\r\n1:9/hook"),  # urlsplit drops the CR/LF: must be seen first
        ("webhook", "http://127.0.0.1:9/hook\x00"),
        ("email", "analyst@example.org\x07"),
        ("email", "analyst@example.org\x7f"),
        ("apprise", "json://127.0.0.1:9/hook\r\n"),
        ("apprise", "json://127.0.0.1:9/\thook"),
    ],
)
def test_targets_with_control_characters_are_refused(
    sqlite_engine: Engine, make_settings, channel: str, target: str
) -> None:
    with session_scope(sqlite_engine) as s, pytest.raises(SubscriptionError, match="control character"):
        create_subscription(s, make_settings(), SubscriptionCreate(channel=channel, target=target))


def _stored_then_delivered(engine: Engine, settings, **sub_fields: str) -> tuple[int, int]:
    """A subscription saved without the creation check (as a row from an older release would
    be), two alerts queued for it; returns the two delivery ids."""
    with session_scope(engine) as s:
        make_subscription(s, **sub_fields)
        (first,) = enqueue_for_alert(s, make_alert(s))
        (second,) = enqueue_for_alert(s, make_alert(s))
        return first.id or 0, second.id or 0


@pytest.mark.parametrize(
    "sub_fields",
    [
        {"channel": "email", "target": "analyst@example.org\r\nBcc: x@example.org"},
        {"channel": "webhook", "target": "http://127.0.0.1:9/hook\r\nX-Injected: 1"},
    ],
    ids=["email", "webhook"],
)
def test_a_message_that_cannot_be_built_fails_that_delivery_only(
    sqlite_engine: Engine, make_settings, sub_fields: dict[str, str]
) -> None:
    with SmtpServer() as smtp:
        settings = make_settings(smtp_port=smtp.port)
        first, second = _stored_then_delivered(sqlite_engine, settings, **sub_fields)
        with Session(sqlite_engine, expire_on_commit=False) as s:
            out = deliver_one(s, first, settings)
        assert out.result == "retry" and out.attempt is not None and not out.attempt.ok
        assert "cannot build" in (out.attempt.error or "")
        with Session(sqlite_engine) as s:
            row = s.get(Delivery, first)
            assert row is not None and row.status == "pending" and row.attempts == 1 and row.lease_until is None
            assert "cannot build" in (row.last_error or "")
            (attempt,) = s.exec(select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == first)).all()
            assert not attempt.ok
            # retried like any other failure: after the last attempt it fails, and the
            # subscription's next message goes out (here it fails too, on its own account)
            row.attempts = MAX_ATTEMPTS - 1
            row.next_attempt_at = row.created_at
            s.add(row)
            s.commit()
        with Session(sqlite_engine, expire_on_commit=False) as s:
            out = deliver_one(s, first, settings)
        assert out.result == "failed" and out.chained == 1
        with Session(sqlite_engine) as s:
            nxt = s.get(Delivery, second)
            assert nxt is not None and nxt.status == "pending" and nxt.attempts == 1
    assert smtp.messages == []  # nothing was sent to an injected recipient


def test_a_clean_webhook_is_unaffected(sqlite_engine: Engine, make_settings) -> None:
    settings = make_settings()
    with ReceiverServer() as rx:
        with session_scope(sqlite_engine) as s:
            _sub, secret = create_subscription(s, settings, SubscriptionCreate(channel="webhook", target=rx.url))
            rx.secrets.append(secret or "")
            (d,) = enqueue_for_alert(s, make_alert(s, title=INJECTED))
        with Session(sqlite_engine, expire_on_commit=False) as s:
            assert deliver_one(s, d.id, settings).result == "delivered"
        (call,) = rx.accepted()
        assert call.payload is not None and call.payload["data"]["title"] == INJECTED  # JSON keeps it verbatim
