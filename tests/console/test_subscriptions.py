"""The console's subscriptions page over real HTTP (httpx against uvicorn): list, add with the secret
shown once, pause/resume, test-send to a real endpoint, delete; errors on the page; CSRF and roles;
HTML 404 for unknown console paths."""

from __future__ import annotations

import html
import re
import socket

import httpx
from sqlmodel import Session, select

from monitor.models import AuditEvent, Subscription
from tests.console.conftest import LiveConsole, csrf_of, signed_in_client
from tests.notify.receiver import ReceiverServer


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _flash(client: httpx.Client, resp: httpx.Response) -> str:
    """Follow a 303 after a POST and return the page's message or error text."""
    assert resp.status_code == 303, resp.text[:300]
    page = client.get(resp.headers["location"])
    found = re.search(r'<p class="(?:flash|error)" role="(?:status|alert)"[^>]*>([^<]+)</p>', page.text)
    assert found, page.text[:2000]
    return html.unescape(found.group(1))


def test_subscriptions_page_add_secret_once_pause_test_send_delete(console: LiveConsole) -> None:
    with signed_in_client(console, console.seeded.admin_key) as client, ReceiverServer() as rx:
        page = client.get("/subscriptions")
        assert page.status_code == 200 and "Add a subscription" in page.text
        csrf = csrf_of(page.text)
        resp = client.post("/subscriptions", data={"csrf_token": csrf, "channel": "webhook", "target": rx.url,
                                                   "name": "console hook", "rules": ["arms-transfer"],
                                                   "realtime": "1", "timezone": "UTC"})
        assert resp.status_code == 201, resp.text[:2000]
        secret = re.search(r'id="secret-value" class="wide mono" readonly value="(whsec_[^"]+)"', resp.text)
        assert secret, "the new webhook's secret is not on the page"
        rx.secrets.append(secret.group(1))
        with Session(console.engine) as s:  # type: ignore[arg-type]
            sub = s.exec(select(Subscription).where(Subscription.name == "console hook")).one()
        assert sub.rules == ["arms-transfer"]
        again = client.get("/subscriptions")
        assert f"sub-{sub.id}" in again.text and secret.group(1) not in again.text  # shown once only

        # a test message, signed with that secret, reaches the endpoint; the page says so
        msg = _flash(client, client.post(f"/subscriptions/{sub.id}/test", data={"csrf_token": csrf}))
        assert "delivered" in msg and "HTTP 200" in msg, msg
        (call,) = rx.accepted()
        assert call.payload and call.payload["type"] == "subscription.test"

        assert "Paused" in _flash(client, client.post(f"/subscriptions/{sub.id}/pause", data={"csrf_token": csrf}))
        with Session(console.engine) as s:  # type: ignore[arg-type]
            assert s.get(Subscription, sub.id).active is False  # type: ignore[union-attr]
        assert "Resumed" in _flash(client, client.post(f"/subscriptions/{sub.id}/pause",
                                                       data={"csrf_token": csrf, "resume": "1"}))

        # delete needs the confirm box; then it is gone, and every step is in the audit log
        assert "confirm" in _flash(client, client.post(f"/subscriptions/{sub.id}/delete", data={"csrf_token": csrf}))
        assert "Deleted" in _flash(client, client.post(f"/subscriptions/{sub.id}/delete",
                                                       data={"csrf_token": csrf, "confirm": "1"}))
        with Session(console.engine) as s:  # type: ignore[arg-type]
            assert s.get(Subscription, sub.id) is None
            actions = [e.action for e in s.exec(select(AuditEvent).where(AuditEvent.object_id == str(sub.id),
                                                                         AuditEvent.object_type == "subscription"))]
        assert actions == ["subscription.create", "subscription.test", "subscription.pause",
                           "subscription.resume", "subscription.delete"]


def test_failures_show_on_the_page(console: LiveConsole) -> None:
    with signed_in_client(console, console.seeded.admin_key) as client:
        csrf = csrf_of(client.get("/subscriptions").text)
        cases = [
            ({"channel": "webhook", "target": "http://127.0.0.2:9/hook"}, "refused"),  # SSRF guard
            ({"channel": "email", "target": "not-an-address"}, "not an e-mail address"),
            ({"channel": "email", "target": "a@example.org", "rules": ["no-such-rule"]}, "unknown rule ids"),
            ({"channel": "email", "target": "a@example.org", "digest_time": "25:00"}, "HH:MM"),
        ]
        for form, expect in cases:
            resp = client.post("/subscriptions", data={"csrf_token": csrf, "realtime": "1", **form})
            assert resp.status_code == 422, (form, resp.status_code)
            error = re.search(r'id="page-error">([^<]+)<', resp.text)
            assert error and expect in html.unescape(error.group(1)), (form, resp.text[:1500])
            assert form["target"] in resp.text  # the form keeps what was typed
        # a test-send that cannot connect says why, on the page
        resp = client.post("/subscriptions", data={"csrf_token": csrf, "channel": "webhook", "realtime": "1",
                                                   "target": f"http://127.0.0.1:{_closed_port()}/hook"})
        assert resp.status_code == 201
        sid = int(re.search(r'Subscription (\d+) added', resp.text).group(1))  # type: ignore[union-attr]
        msg = _flash(client, client.post(f"/subscriptions/{sid}/test", data={"csrf_token": csrf}))
        assert f"Test message to subscription {sid} failed" in msg, msg
        assert "not found" in _flash(client, client.post("/subscriptions/999999/test", data={"csrf_token": csrf}))
        client.post(f"/subscriptions/{sid}/delete", data={"csrf_token": csrf, "confirm": "1"})


def test_delivery_per_story_from_the_form_and_the_list(console: LiveConsole) -> None:
    with signed_in_client(console, console.seeded.admin_key) as client:
        csrf = csrf_of(client.get("/subscriptions").text)
        resp = client.post("/subscriptions", data={"csrf_token": csrf, "channel": "email", "realtime": "1",
                                                   "target": "stories@example.org", "deliver_per": "story",
                                                   "story_update_minutes": "15"})
        assert resp.status_code == 201, resp.text[:1500]
        assert "each story, updates at most every 15 min" in resp.text
        sid = int(re.search(r'Subscription (\d+) added', resp.text).group(1))  # type: ignore[union-attr]
        with Session(console.engine) as s:  # type: ignore[arg-type]
            sub = s.get(Subscription, sid)
            assert sub is not None and (sub.deliver_per, sub.story_update_minutes) == ("story", 15)
        msg = _flash(client, client.post(f"/subscriptions/{sid}/delivery",
                                         data={"csrf_token": csrf, "deliver_per": "article"}))
        assert "per article" in msg, msg
        bad = _flash(client, client.post(f"/subscriptions/{sid}/delivery",
                                         data={"csrf_token": csrf, "deliver_per": "outlet"}))
        assert "deliver_per" in bad, bad
        with Session(console.engine) as s:  # type: ignore[arg-type]
            sub = s.get(Subscription, sid)
            assert sub is not None and (sub.deliver_per, sub.story_update_minutes) == ("article", 60)
        client.post(f"/subscriptions/{sid}/delete", data={"csrf_token": csrf, "confirm": "1"})


def test_csrf_and_admin_role_are_required(console: LiveConsole) -> None:
    with signed_in_client(console, console.seeded.admin_key) as client:
        resp = client.post("/subscriptions", data={"channel": "email", "target": "a@example.org"})
        assert resp.status_code == 403 and "CSRF" in resp.text
    with signed_in_client(console, console.seeded.analyst_key) as client:
        page = client.get("/subscriptions")
        assert page.status_code == 403 and "text/html" in page.headers["content-type"]
        assert 'href="/subscriptions"' not in client.get("/").text  # not in an analyst's navigation


def test_unknown_console_paths_answer_an_html_page_and_api_paths_json(console: LiveConsole) -> None:
    with signed_in_client(console, console.seeded.admin_key) as client:
        for path in ("/no-such-page", "/subscriptions/1/nothing", "/alerts/1/nope"):
            resp = client.get(path)
            assert resp.status_code == 404, path
            assert resp.headers["content-type"].startswith("text/html"), path
            assert "Page not found" in resp.text and "<html" in resp.text
        api = client.get("/api/v1/no-such-thing")
        assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
