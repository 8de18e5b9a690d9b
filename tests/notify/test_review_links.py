"""The "Review" link of an e-mail opens the alert's console page on the address the service
is reachable at (the port `up` binds, not a fixed 8000, and never the JSON API)."""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import time_machine
from sqlmodel import Session, select

from monitor.db import session_scope
from monitor.models import Alert
from monitor.notify.deliver import deliver_one
from monitor.notify.digest import digest_tick
from monitor.notify.outbox import enqueue_for_alert
from monitor.notify.subscriptions import SubscriptionCreate, create_subscription, delete_subscription
from monitor.settings import Settings
from tests.console.conftest import LiveConsole, console, signed_in_client  # noqa: F401 (fixture)
from tests.notify.smtp import SmtpServer


def _settings(live: LiveConsole, smtp_port: int) -> Settings:
    port = urlsplit(live.url).port
    return live.settings.model_copy(update={"smtp_port": smtp_port, "api_port": port})


def test_public_base_url_follows_the_bound_address() -> None:
    def make(**kw: object) -> Settings:
        return Settings(_env_file=None, **kw)  # type: ignore[call-arg]

    assert make(api_port=9123).public_base_url == "http://127.0.0.1:9123"
    assert make(api_host="0.0.0.0", api_port=9000).public_base_url == f"http://{socket.gethostname()}:9000"
    assert make(api_host="::1").public_base_url == "http://[::1]:8000"
    assert make(public_url="https://monitor.example/", api_port=9).public_base_url == "https://monitor.example"


def _review_links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)">Review', html)


def test_realtime_and_digest_review_links_open_the_console_page(console: LiveConsole) -> None:  # noqa: F811
    alert_id = console.seeded.story_alert_id
    with session_scope(console.engine) as s:  # type: ignore[arg-type]
        title = s.exec(select(Alert.title).where(Alert.id == alert_id)).one()
    with SmtpServer() as smtp:
        settings = _settings(console, smtp.port)
        with session_scope(console.engine) as s:  # type: ignore[arg-type]
            sub, _ = create_subscription(s, settings, SubscriptionCreate(
                channel="email", target="analyst@example.org", digest_time="08:00", timezone="UTC"))
            alert = s.get(Alert, alert_id)
            assert alert is not None
            deliveries = [d for d in enqueue_for_alert(s, alert) if d.subscription_id == sub.id]
        try:
            with Session(console.engine, expire_on_commit=False) as s:  # type: ignore[arg-type]
                for d in deliveries:
                    assert deliver_one(s, d.id, settings).result == "delivered"
            tomorrow = datetime.now(UTC).replace(hour=8, minute=30) + timedelta(days=1)
            with time_machine.travel(tomorrow, tick=False), Session(
                console.engine, expire_on_commit=False  # type: ignore[arg-type]
            ) as s:
                digest_tick(s, settings)
        finally:  # the console's store is shared by the session's tests
            with session_scope(console.engine) as s:  # type: ignore[arg-type]
                delete_subscription(s, sub.id or 0)
        messages = [m for m in smtp.messages if m["To"] == "analyst@example.org"]
    assert len(messages) == 2  # the real-time alert and the next day's digest
    links = []
    for msg in messages:
        html = msg.get_body(preferencelist=("html",)).get_content()
        links += _review_links(html)
    assert f"{console.url}/alerts/{alert_id}" in links
    assert all(link.startswith(console.url + "/alerts/") for link in links), links
    with signed_in_client(console, console.seeded.reader_key) as client:
        page = client.get(f"/alerts/{alert_id}")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert title.split()[0] in page.text
