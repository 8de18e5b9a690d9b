"""Other channels and guards: SSRF refusal at send time, real-time e-mail (aiosmtpd), apprise."""

from __future__ import annotations

import socket

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from monitor.db import session_scope
from monitor.models import DeliveryAttempt
from monitor.notify.deliver import deliver_one
from monitor.notify.outbox import enqueue_for_alert
from monitor.notify.subscriptions import SubscriptionCreate, SubscriptionError, create_subscription
from tests.notify.conftest import make_alert, make_subscription
from tests.notify.receiver import ReceiverServer
from tests.notify.smtp import SmtpServer


def test_webhook_to_disallowed_loopback_is_refused_before_connecting(sqlite_engine: Engine, make_settings) -> None:
    only_one = make_settings(allowed_networks=["127.0.0.1/32"])
    listener = socket.socket()
    listener.bind(("127.0.0.2", 0))
    listener.listen(5)
    listener.settimeout(0.3)
    url = f"http://127.0.0.2:{listener.getsockname()[1]}/hook"
    try:
        # refused when subscribing ...
        with session_scope(sqlite_engine) as s:
            try:
                create_subscription(s, only_one, SubscriptionCreate(channel="webhook", target=url))
                raise AssertionError("127.0.0.2 accepted")
            except SubscriptionError as exc:
                assert "127.0.0.2" in str(exc)
            # ... and when sending (a row saved while the allow-list was wider)
            _sub, _ = create_subscription(s, make_settings(allowed_networks=["127.0.0.0/8"]),
                                         SubscriptionCreate(channel="webhook", target=url))
            (d,) = enqueue_for_alert(s, make_alert(s))
        with Session(sqlite_engine, expire_on_commit=False) as s:
            out = deliver_one(s, d.id, only_one)
            assert out.result == "retry" and out.attempt is not None
            assert "refused to connect to 127.0.0.2" in (out.attempt.error or "")
            attempt = s.exec(select(DeliveryAttempt)).one()
            assert attempt.status_code is None and not attempt.ok
        try:
            conn, _ = listener.accept()
            conn.close()
            raise AssertionError("a connection reached 127.0.0.2")
        except TimeoutError:
            pass
    finally:
        listener.close()


def test_realtime_email_is_multipart_and_escaped(sqlite_engine: Engine, make_settings) -> None:
    with SmtpServer() as smtp:
        settings = make_settings(smtp_port=smtp.port, smtp_sender="alerts@monitor.example")
        with session_scope(sqlite_engine) as s:
            create_subscription(s, settings, SubscriptionCreate(channel="email", target="analyst@example.org"))
            (d,) = enqueue_for_alert(s, make_alert(s, title="Arms <img src=x> for Russia", severity="critical"))
        with Session(sqlite_engine, expire_on_commit=False) as s:
            assert deliver_one(s, d.id, settings).result == "delivered"
    (msg,) = smtp.messages
    assert msg["To"] == "analyst@example.org" and msg["From"] == "alerts@monitor.example"
    assert msg["Subject"] == "[CRITICAL] Arms <img src=x> for Russia"
    assert msg["X-Monitor-Message-Id"] == d.message_id
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert "Arms <img src=x> for Russia" in text and "Pyongyang sent artillery shells." in text
    assert "Arms &lt;img src=x&gt; for Russia" in html and "<img" not in html


def test_email_failure_is_retried(sqlite_engine: Engine, make_settings) -> None:
    settings = make_settings(smtp_port=1)  # nothing listens there
    with session_scope(sqlite_engine) as s:
        make_subscription(s, channel="email", target="a@example.org")
        (d,) = enqueue_for_alert(s, make_alert(s))
    with Session(sqlite_engine, expire_on_commit=False) as s:
        out = deliver_one(s, d.id, settings)
    assert out.result == "retry" and out.attempt is not None and "Connection" in (out.attempt.error or "")


def test_apprise_json_target(sqlite_engine: Engine, make_settings) -> None:
    settings = make_settings()
    with ReceiverServer() as rx:
        url = f"json://127.0.0.1:{rx.port}/hook"
        with session_scope(sqlite_engine) as s:
            create_subscription(s, settings, SubscriptionCreate(channel="apprise", target=url))
            (d,) = enqueue_for_alert(s, make_alert(s, title="Shadow fleet tanker"))
        with Session(sqlite_engine, expire_on_commit=False) as s:
            assert deliver_one(s, d.id, settings).result == "delivered"
        (call,) = rx.accepted()
        assert call.payload is not None and "Shadow fleet tanker" in call.payload["title"]
        rx.status = 500
        with session_scope(sqlite_engine) as s:
            (d2,) = enqueue_for_alert(s, make_alert(s))
        with Session(sqlite_engine, expire_on_commit=False) as s:
            assert deliver_one(s, d2.id, settings).result == "retry"
