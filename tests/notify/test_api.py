"""/api/v1/subscriptions and /api/v1/digests/preview through the real app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.db import session_scope
from monitor.notify.deliver import deliver_one
from monitor.notify.outbox import enqueue_for_alert
from tests.api.conftest import Api, make_api
from tests.notify.conftest import make_alert
from tests.notify.receiver import ReceiverServer


@pytest.fixture
def api(sqlite_engine: Engine, make_settings) -> Iterator[Api]:
    yield from make_api(sqlite_engine, make_settings)


def test_subscription_crud_and_roles(api: Api) -> None:
    c = api.client
    body = {"channel": "webhook", "target": "http://127.0.0.1:9/hook", "rules": ["arms-transfer"]}
    assert c.post("/api/v1/subscriptions", json=body, headers=api.h("analyst")).status_code == 403
    assert c.get("/api/v1/subscriptions").status_code == 401
    r = c.post("/api/v1/subscriptions", json=body, headers=api.h())
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["secret"].startswith("whsec_") and created["rules"] == ["arms-transfer"]
    sid = created["id"]
    listed = c.get("/api/v1/subscriptions", headers=api.h()).json()
    assert [s["id"] for s in listed] == [sid] and "secret" not in listed[0]
    r = c.patch(f"/api/v1/subscriptions/{sid}", json={"min_severity": "high", "digest_time": "07:00",
                                                        "timezone": "Europe/London"}, headers=api.h())
    assert r.status_code == 200, r.text
    assert r.json()["digest"] is True and r.json()["min_severity"] == "high"
    bad = c.patch(f"/api/v1/subscriptions/{sid}", json={"timezone": "Nowhere/Land"}, headers=api.h())
    assert bad.status_code == 422 and "timezone" in bad.json()["error"]["message"]
    assert c.post(f"/api/v1/subscriptions/{sid}/pause", headers=api.h()).json()["active"] is False
    assert c.post(f"/api/v1/subscriptions/{sid}/resume", headers=api.h()).json()["active"] is True
    rot = c.post(f"/api/v1/subscriptions/{sid}/rotate-secret?overlap_hours=2", headers=api.h()).json()
    assert rot["secret"].startswith("whsec_") and rot["secret"] != created["secret"]
    assert c.get(f"/api/v1/subscriptions/{sid}", headers=api.h()).json()["secret_rotating_until"]
    assert c.delete(f"/api/v1/subscriptions/{sid}", headers=api.h()).status_code == 204
    assert c.get(f"/api/v1/subscriptions/{sid}", headers=api.h()).status_code == 404


def test_create_refuses_internal_and_bad_input(api: Api) -> None:
    c = api.client
    # only 127.0.0.1 is allowed in the test settings: 127.0.0.2 is loopback and refused
    r = c.post("/api/v1/subscriptions", json={"channel": "webhook", "target": "http://127.0.0.2:9/x"}, headers=api.h())
    assert r.status_code == 422 and "127.0.0.2" in r.json()["error"]["message"]
    r = c.post("/api/v1/subscriptions", json={"channel": "webhook", "target": "http://169.254.169.254/latest"},
               headers=api.h())
    assert r.status_code == 422 and "metadata" in r.json()["error"]["message"]
    r = c.post("/api/v1/subscriptions", json={"channel": "apprise", "target": "json://10.1.2.3/x"}, headers=api.h())
    assert r.status_code == 422
    r = c.post("/api/v1/subscriptions", json={"channel": "pigeon", "target": "x"}, headers=api.h())
    assert r.status_code == 422 and "channel" in r.json()["error"]["message"]
    r = c.post("/api/v1/subscriptions", json={"channel": "email", "target": "not-an-address"}, headers=api.h())
    assert r.status_code == 422
    for target in ("http://[::1", "ftp://127.0.0.1/x", "not a url"):
        r = c.post("/api/v1/subscriptions", json={"channel": "webhook", "target": target}, headers=api.h())
        assert r.status_code == 422, (target, r.text)
    r = c.post("/api/v1/subscriptions", json={"channel": "apprise", "target": "nonsense://x"}, headers=api.h())
    assert r.status_code == 422 and "apprise" in r.json()["error"]["message"]
    assert c.get("/api/v1/subscriptions", headers=api.h()).json() == []  # nothing was saved
    sub = c.post("/api/v1/subscriptions", json={"channel": "email", "target": "a@example.org"}, headers=api.h())
    sid = sub.json()["id"]
    r = c.post(f"/api/v1/subscriptions/{sid}/redeliver", json={"since": "2026-01-01T00:00:00"}, headers=api.h())
    assert r.status_code == 200 and r.json() == {"redelivering": []}
    r = c.get(f"/api/v1/digests/preview?subscription={sid}&date=0001-01-01", headers=api.h())
    assert r.status_code == 422


def test_deliveries_attempts_and_redelivery(api: Api, make_settings) -> None:
    settings = api.app.state.settings
    with ReceiverServer() as rx:
        r = api.client.post("/api/v1/subscriptions", json={"channel": "webhook", "target": rx.url}, headers=api.h())
        sid, rx.secrets = r.json()["id"], [r.json()["secret"]]
        with session_scope(api.engine) as s:
            (d,) = enqueue_for_alert(s, make_alert(s))
        rx.fail_first = 1
        with Session(api.engine, expire_on_commit=False) as s:
            assert deliver_one(s, d.id, settings).result == "retry"
        rows = api.client.get(f"/api/v1/subscriptions/{sid}/deliveries", headers=api.h()).json()
        assert rows[0]["status"] == "pending" and rows[0]["attempt_log"][0]["status_code"] == 503
        assert rows[0]["message_id"] == d.message_id
        # redeliver now, not in 5 s
        r = api.client.post(f"/api/v1/subscriptions/{sid}/deliveries/{d.id}/redeliver", headers=api.h())
        assert r.status_code == 200
        with Session(api.engine, expire_on_commit=False) as s:
            assert deliver_one(s, d.id, settings).result == "delivered"
        # replay the whole last hour: delivered again, same webhook-id
        since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        r = api.client.post(f"/api/v1/subscriptions/{sid}/redeliver", json={"since": since}, headers=api.h())
        assert r.json() == {"redelivering": [d.id]}
        with Session(api.engine, expire_on_commit=False) as s:
            assert deliver_one(s, d.id, settings).result == "delivered"
        assert [c.webhook_id for c in rx.accepted()] == [d.message_id, d.message_id]


def test_digest_preview_matches_cli_content(api: Api) -> None:
    r = api.client.post("/api/v1/subscriptions", json={"channel": "email", "target": "a@example.org",
                                                        "realtime": False, "digest_time": "08:00"}, headers=api.h())
    sid = r.json()["id"]
    with session_scope(api.engine) as s:
        make_alert(s, title="Drones for Moscow <b>bold</b>")
    today = datetime.now(UTC).date().isoformat()
    # admin only, as GET /subscriptions/{id}: a reader or analyst may not read the subscription
    for role in ("reader", "analyst"):
        denied = api.client.get(f"/api/v1/digests/preview?subscription={sid}&date={today}", headers=api.h(role))
        assert denied.status_code == 403, denied.text
    r = api.client.get(f"/api/v1/digests/preview?subscription={sid}&date={today}", headers=api.h())
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["digest"]["total"] == 1
    assert "Drones for Moscow <b>bold</b>" in out["text"] and "&lt;b&gt;bold&lt;/b&gt;" in out["html"]
    assert api.client.get(f"/api/v1/digests/preview?subscription=999&date={today}", headers=api.h()).status_code == 404


def test_test_send_reaches_the_endpoint_signed_and_reports_failures(api: Api) -> None:
    from tests.notify.receiver import Receiver

    with ReceiverServer(Receiver()) as rx:
        r = api.client.post("/api/v1/subscriptions", json={"channel": "webhook", "target": rx.url}, headers=api.h())
        sid, secret = r.json()["id"], r.json()["secret"]
        rx.secrets.append(secret)
        assert api.client.post(f"/api/v1/subscriptions/{sid}/test", headers=api.h("analyst")).status_code == 403
        out = api.client.post(f"/api/v1/subscriptions/{sid}/test", headers=api.h()).json()
        assert out["ok"] is True and out["status_code"] == 200
        (call,) = rx.accepted()
        assert call.payload is not None and call.payload["type"] == "subscription.test"
        rx.status = 500
        out = api.client.post(f"/api/v1/subscriptions/{sid}/test", headers=api.h()).json()
        assert out["ok"] is False and out["status_code"] == 500
    assert api.client.post("/api/v1/subscriptions/999/test", headers=api.h()).status_code == 404
    audit = api.client.get("/api/v1/audit?action=subscription.test", headers=api.h()).json()["items"]
    assert [e["detail"]["ok"] for e in audit] == [False, True]
