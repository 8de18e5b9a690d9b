"""SSRF through apprise: every host an apprise URL can make the worker reach passes the
network guard, when the subscription is saved and again before each send. Only 127.0.0.1
is allowed; the internal targets listen on 127.0.0.2 and must never see a connection."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.db import session_scope
from monitor.notify.deliver import deliver_one
from monitor.notify.outbox import enqueue_for_alert
from monitor.notify.subscriptions import SubscriptionCreate, SubscriptionError, create_subscription
from tests.notify.conftest import make_alert, make_subscription
from tests.notify.receiver import Receiver, ReceiverServer
from tests.notify.smtp import SmtpServer

PUBLIC = "93.184.215.14"  # a public address: passes the guard; nothing here connects to it


def _mailto(smtp_port: int, smtp_host: str) -> str:
    return (f"mailto://{PUBLIC}:{smtp_port}?smtp={smtp_host}&mode=insecure"
            "&from=alerts@example.com&to=analyst@example.org")


def _deliver(engine: Engine, settings, target: str) -> str:
    """Save an apprise subscription unchecked (as an older release could), deliver one alert;
    returns the outcome."""
    with session_scope(engine) as s:
        sub = make_subscription(s, channel="apprise", target=target)
        (d,) = [d for d in enqueue_for_alert(s, make_alert(s, title="Shadow fleet tanker"))
                if d.subscription_id == sub.id]
    with Session(engine, expire_on_commit=False) as s:
        out = deliver_one(s, d.id, settings)
    error = out.attempt.error if out.attempt else ""
    return f"{out.result}: {error}"


def test_smtp_parameter_of_mailto_passes_the_guard(sqlite_engine: Engine, make_settings) -> None:
    with SmtpServer(host="127.0.0.2") as smtp:
        url = _mailto(smtp.port, "127.0.0.2")
        # the receiver is real: where 127.0.0.2 is allowed, the message arrives there
        wide = make_settings(allowed_networks=["127.0.0.0/8"])
        assert _deliver(sqlite_engine, wide, url).startswith("delivered")
        assert len(smtp.messages) == 1
        narrow = make_settings()
        with session_scope(sqlite_engine) as s, pytest.raises(SubscriptionError, match=r"127\.0\.0\.2"):
            create_subscription(s, narrow, SubscriptionCreate(channel="apprise", target=url))
        outcome = _deliver(sqlite_engine, narrow, url)
        assert outcome.startswith("retry") and "refused to connect to 127.0.0.2" in outcome
        assert len(smtp.messages) == 1  # nothing more reached 127.0.0.2


@pytest.fixture
def internal_listener() -> Iterator[tuple[socket.socket, int]]:
    """A TCP listener on 127.0.0.2 (outside the allowed network) that must stay untouched."""
    listener = socket.socket()
    listener.bind(("127.0.0.2", 0))
    listener.listen(5)
    listener.settimeout(0.3)
    yield listener, listener.getsockname()[1]
    with pytest.raises(TimeoutError):
        conn, _ = listener.accept()
        conn.close()
    listener.close()


def test_a_redirect_is_not_followed(sqlite_engine: Engine, make_settings, internal_listener) -> None:
    _listener, port = internal_listener
    rx = Receiver(fail_first=1, fail_status=302, fail_headers={"Location": f"http://127.0.0.2:{port}/steal"})
    with ReceiverServer(rx):
        outcome = _deliver(sqlite_engine, make_settings(), f"json://127.0.0.1:{rx.port}/hook")
    assert outcome.startswith("retry")
    assert len(rx.calls) == 1


@pytest.mark.parametrize(
    ("target", "message"),
    [
        # a parameter the plugin does not declare may not name a host, public or not
        ("json://127.0.0.1:9/hook?callback=http://127.0.0.2:{port}/", "not a parameter of json://"),
        ("json://127.0.0.1:9/hook?relay=8.8.8.8:53", "not a parameter of json://"),
        # declared parameters that name hosts go through the guard
        ("nostr://nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5/"
         "?relay=wss://127.0.0.2:{port}", "refused to connect to 127.0.0.2"),
        ("deltachat://bot@example.com?smtp=127.0.0.2&to=analyst@example.org", "refused to connect to 127.0.0.2"),
        ("json://127.0.0.1:9/hook?+X-Forward=http://127.0.0.2:{port}/", "refused to connect to 127.0.0.2"),
        # what the guard cannot follow is refused
        ("json://127.0.0.1:9/hook?redirect=yes", "redirect= refused"),
        ("mailto://alerts@example.com?smtp=127.0.0.1&wkd=yes&to=analyst@example.org", "wkd= refused"),
        # key files on the worker's disk are no subscription's to name
        ("mailto://alerts@example.com?smtp=127.0.0.1&pgppub=/etc/passwd&to=analyst@example.org", "pgppub= refused"),
        ("mailto://alerts@example.com?smtp=127.0.0.1&pgpprv=/root/key.asc&to=analyst@example.org", "pgpprv= refused"),
    ],
)
def test_hosts_named_by_parameters_are_checked(
    sqlite_engine: Engine, make_settings, internal_listener, target: str, message: str
) -> None:
    _listener, port = internal_listener
    url = target.format(port=port)
    with session_scope(sqlite_engine) as s, pytest.raises(SubscriptionError, match=message.replace(".", r"\.")):
        create_subscription(s, make_settings(), SubscriptionCreate(channel="apprise", target=url))
    outcome = _deliver(sqlite_engine, make_settings(), url)
    assert outcome.startswith("retry") and message in outcome


def test_allowed_parameters_still_work(sqlite_engine: Engine, make_settings) -> None:
    settings = make_settings()
    with session_scope(sqlite_engine) as s:
        for url in (
            f"nostr://nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5/?relay=wss://{PUBLIC}",
            "json://127.0.0.1:9/hook?+X-Token=abc&redirect=no",
            "slack://T000/B000/XXXX",
            "mailto://alerts@example.com?smtp=127.0.0.1&to=analyst@example.org",
        ):
            create_subscription(s, settings, SubscriptionCreate(channel="apprise", target=url))


def test_every_connection_apprise_makes_passes_the_guard(make_settings, internal_listener) -> None:
    """Below the table: whatever apprise connects to (a host the table misses, a DNS answer
    that changed since the check) is checked at the socket, in the sending thread."""
    import smtplib

    import apprise

    from monitor import netguard
    from monitor.notify.apprise_guard import asset

    _listener, port = internal_listener
    narrow = make_settings()
    with netguard.guard_connections(narrow):
        with pytest.raises(netguard.BlockedConnectionError, match=r"127\.0\.0\.2"):
            smtplib.SMTP("127.0.0.2", port, timeout=2)
        notifier = apprise.Apprise(asset=asset())
        assert notifier.add(f"json://127.0.0.2:{port}/hook")  # no table check here: only the socket guard
        assert not notifier.notify(body="b", title="t")
    with SmtpServer() as smtp, netguard.guard_connections(narrow):  # allowed addresses still connect
        smtplib.SMTP("127.0.0.1", smtp.port, timeout=2).quit()
