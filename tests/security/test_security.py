"""Security properties written down in docs/security.md, each checked here.

- the per-route table in docs/security.md is the app's routes and roles (generated);
- API keys and webhook secrets never appear in logs (every logger at DEBUG, a real delivery
  to a real receiver included) and are not stored in the clear (every column of every row);
- alert text from a feed is escaped in the digest's HTML and in the Atom feed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from monitor.db import session_scope
from monitor.models import Subscription
from monitor.notify.deliver import deliver_one
from monitor.notify.digest import build_digest, render_digest
from monitor.notify.outbox import enqueue_for_alert
from monitor.notify.webhook import webhook_client
from tests.api.conftest import Api, make_api
from tests.notify.conftest import make_alert
from tests.notify.receiver import ReceiverServer
from tests.security.routes_table import BEGIN, DOC, END, render, table

HOSTILE_TITLE = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"'


@pytest.fixture
def api(sqlite_engine: Engine, make_settings) -> Iterator[Api]:  # type: ignore[no-untyped-def]
    yield from make_api(sqlite_engine, make_settings)


def test_routes_table_in_docs_is_generated_from_the_app(tmp_path) -> None:  # type: ignore[no-untyped-def]
    doc = DOC.read_text(encoding="utf-8")
    assert BEGIN in doc and END in doc
    tbl = table(tmp_path)
    assert render(doc, tbl) == doc, "docs/security.md is stale: run python -m tests.security.routes_table"
    assert "| GET | `/healthz` | none (public) |" in tbl
    assert tbl.count("none (public)") == 2  # only health and metrics
    assert "without a role" not in tbl  # every /api route needs a key
    assert "| GET | `/api/v1/alerts` | `reader` key |" in tbl


def _all_values(engine: Engine) -> str:
    """Every column of every row of every table, as one string."""
    out = []
    with engine.connect() as conn:
        for name in inspect(engine).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{name}"')):
                out.append(" ".join(str(v) for v in row))
    return "\n".join(out)


def test_keys_and_webhook_secrets_never_logged_nor_stored_in_clear(api: Api, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    c = api.client
    created = c.post("/api/v1/keys", json={"role": "reader", "name": "sec"}, headers=api.h())
    assert created.status_code == 201, created.text
    new_key = created.json()["key"]
    assert c.get("/api/v1/alerts", headers={"Authorization": f"Bearer {new_key}"}).status_code == 200
    c.get("/api/v1/alerts", headers={"Authorization": "Bearer wrong-key-123456"})  # a failed attempt is logged too
    with ReceiverServer() as rx:
        sub = c.post("/api/v1/subscriptions", json={"channel": "webhook", "target": rx.url}, headers=api.h())
        assert sub.status_code == 201, sub.text
        secret = sub.json()["secret"]
        rotated = c.post(f"/api/v1/subscriptions/{sub.json()['id']}/rotate-secret", headers=api.h()).json()["secret"]
        rx.secrets = [rotated, secret]
        settings = api.app.state.settings
        with session_scope(api.engine) as s:
            deliveries = enqueue_for_alert(s, make_alert(s))
        assert deliveries
        with Session(api.engine) as s:
            outcome = deliver_one(s, deliveries[0].id or 0, settings, webhook_client(settings))
        assert outcome.result == "delivered", outcome
        assert rx.accepted(), "the receiver verified the signature"
    logs = caplog.text
    assert logs, "logging was captured"
    stored = _all_values(api.engine)
    for plain in [*api.keys.values(), new_key, secret, rotated]:
        assert plain not in logs, "a secret reached the logs"
        assert plain not in stored, "a secret is stored in the clear"
        # nor its base64 body without the prefix (webhook secrets are whsec_<base64>)
        assert plain.split("_", 1)[-1] not in stored
    with Session(api.engine) as s:
        row = s.exec(select(Subscription)).one()
        assert row.secret and row.secret != secret


def test_feed_text_is_escaped_in_digest_html_and_atom(api: Api) -> None:
    settings = api.app.state.settings
    with session_scope(api.engine) as s:
        make_alert(s, title=HOSTILE_TITLE)
        sub = Subscription(channel="webhook", target="http://127.0.0.1:9/x", digest=True, digest_time="00:00",
                           timezone="UTC", realtime=False)
        s.add(sub)
        s.flush()
        content = build_digest(s, settings, sub, date.today())
        _text_body, html = render_digest(content, settings)
    assert content.total >= 1
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html
    atom = api.client.get("/api/v1/alerts.atom", headers=api.h("reader"))
    assert atom.status_code == 200, atom.text
    body = atom.text
    assert "<script>" not in body and "<img src=x" not in body
    assert "&lt;script&gt;" in body
