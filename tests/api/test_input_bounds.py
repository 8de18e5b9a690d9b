"""Input the API must refuse with a clear 4xx before it reaches the database: dates out of range,
oversized bodies, oversized list fields, unknown rule ids."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from monitor.api.app import create_app
from monitor.db import session_scope
from monitor.keys import create_key
from tests.api.conftest import Api, engine_url
from tests.api.factories import seed
from tests.support.live_server import live_server

# In UTC these fall before year 1 and after year 9999: valid ISO 8601, but no datetime can hold them.
OUT_OF_RANGE = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]


@pytest.mark.parametrize("when", OUT_OF_RANGE)
def test_out_of_range_times_get_422_on_every_route_that_takes_one(api: Api, when: str) -> None:
    seed(api.engine)
    q = quote(when)
    sub = api.client.post(
        "/api/v1/subscriptions", json={"channel": "webhook", "target": "http://127.0.0.1:9/hook"}, headers=api.h()
    ).json()["id"]
    for param in ("since", "until"):
        for path in ("/api/v1/alerts", "/api/v1/alerts.atom", "/api/v1/audit", "/api/v1/alerts/export",
                     "/api/v1/alerts/export?format=csv"):
            url = f"{path}{'&' if '?' in path else '?'}{param}={q}"
            r = api.client.get(url, headers=api.h())
            assert r.status_code == 422, (url, r.status_code, r.text[:200])
            err = r.json()["error"]
            assert err["details"][0]["field"] == f"query.{param}" and "out of range" in err["message"]
        body = {"since": "2026-01-01T00:00:00Z", param: when}
        r = api.client.post(f"/api/v1/subscriptions/{sub}/redeliver", json=body, headers=api.h())
        assert r.status_code == 422, r.text
        assert "out of range" in r.text
    # the edges that do fit still work
    assert api.client.get("/api/v1/alerts?since=0001-01-01T00:00:00Z", headers=api.h()).status_code == 200
    everything = api.client.get("/api/v1/alerts/export?suppressed=include", headers=api.h()).text
    r = api.client.get(f"/api/v1/alerts/export?suppressed=include&until={quote('9999-12-31T23:59:59Z')}",
                       headers=api.h())
    assert r.status_code == 200 and r.text == everything and len(r.text.splitlines()) >= 5


@pytest.fixture
def small_body_server(sqlite_engine, make_settings) -> Iterator[tuple[str, dict[str, str]]]:  # type: ignore[no-untyped-def]
    """A real uvicorn whose body limit is 4 KiB, and an admin key's header."""
    settings = make_settings(database_url=engine_url(sqlite_engine), log_json=False, api_max_body_bytes=4096,
                             allowed_networks=["127.0.0.1/32"])
    app = create_app(settings)
    with session_scope(sqlite_engine) as s:
        key = create_key(s, "admin", "uvicorn")
    with live_server(app) as base:
        yield base, {"Authorization": f"Bearer {key}"}
    app.state.engine.dispose()


def _subscription(name_len: int) -> bytes:
    return json.dumps({"channel": "email", "target": "a@example.org", "name": "n" * name_len}).encode()


def test_bodies_over_the_limit_get_413_before_parsing_declared_or_chunked(small_body_server) -> None:  # type: ignore[no-untyped-def]
    base, h = small_body_server
    json_h = {**h, "Content-Type": "application/json"}
    with httpx.Client(base_url=base, timeout=10) as client:
        small = client.post("/api/v1/subscriptions", content=_subscription(100), headers=json_h)
        assert small.status_code == 201, small.text
        sid = small.json()["id"]
        # Declared length over the limit: refused before the route runs, even without a key, and
        # before a route that reads no body could act (the subscription is not paused).
        big = b"{" + b" " * 5000 + b"}"
        for headers in (json_h, {"Content-Type": "application/json"}):
            r = client.post("/api/v1/subscriptions", content=big, headers=headers)
            assert r.status_code == 413, r.text
            assert r.json()["error"]["code"] == "too_large" and "4096" in r.json()["error"]["message"]
        r = client.post(f"/api/v1/subscriptions/{sid}/pause", content=big, headers=json_h)
        assert r.status_code == 413
        assert client.get(f"/api/v1/subscriptions/{sid}", headers=h).json()["active"] is True

        # Chunked (no Content-Length): counted as it arrives; the read that crosses the limit stops it.
        sent = 0

        def chunks() -> Iterator[bytes]:
            nonlocal sent
            yield b'{"channel": "email", "target": "a@example.org", "name": "'
            for _ in range(200):  # 200 x 1 KiB, far over the limit
                sent += 1
                yield b"n" * 1024
            yield b'"}'

        r = client.post("/api/v1/subscriptions", content=chunks(), headers=json_h)
        assert r.status_code == 413, r.text
        assert r.json()["error"]["code"] == "too_large"
        # a chunked body under the limit still works
        r = client.post("/api/v1/subscriptions", content=iter([_subscription(10)]), headers=json_h)
        assert r.status_code == 201, r.text
        assert len(client.get("/api/v1/subscriptions", headers=h).json()) == 2


def test_default_body_limit_is_one_mebibyte(sqlite_api: Api) -> None:
    assert sqlite_api.app.state.settings.api_max_body_bytes == 1024 * 1024
    r = sqlite_api.client.post("/api/v1/keys", content=b"x" * (1024 * 1024 + 1), headers=sqlite_api.h())
    assert r.status_code == 413


def test_subscription_list_fields_are_bounded_and_rule_ids_must_exist(api: Api) -> None:
    base = {"channel": "email", "target": "a@example.org"}
    cases = [
        ({"rules": [f"r{i}" for i in range(101)]}, "body.rules"),
        ({"rules": ["x" * 101]}, "body.rules.0"),
        ({"entity_ids": [f"us_ofac_sdn:{i}" for i in range(1001)]}, "body.entity_ids"),
        ({"datasets": ["d"] * 101}, "body.datasets"),
        ({"feed_ids": [0]}, "body.feed_ids.0"),
    ]
    for extra, field in cases:
        r = api.client.post("/api/v1/subscriptions", json={**base, **extra}, headers=api.h())
        assert r.status_code == 422, (extra, r.text[:300])
        assert r.json()["error"]["details"][0]["field"] == field
    r = api.client.post("/api/v1/subscriptions", json={**base, "rules": ["arms-transfer", "no-such-rule"]},
                        headers=api.h())
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["details"][0]["field"] == "body.rules" and "no-such-rule" in err["message"]
    assert "arms-transfer" not in err["message"]
    ok = api.client.post("/api/v1/subscriptions", json={**base, "rules": ["arms-transfer", "sanctioned-entity"]},
                         headers=api.h())
    assert ok.status_code == 201, ok.text
    sid = ok.json()["id"]
    # a rule stored in the database counts as known too
    rule = {"id": "my-rule", "title": "Mine", "severity": "low", "category": "sanctions", "query": "drones"}
    assert api.client.post("/api/v1/rules", json=rule, headers=api.h()).status_code == 201
    r = api.client.patch(f"/api/v1/subscriptions/{sid}", json={"rules": ["my-rule", "ghost"]}, headers=api.h())
    assert r.status_code == 422 and "ghost" in r.text and r.json()["error"]["details"][0]["field"] == "body.rules"
    r = api.client.patch(f"/api/v1/subscriptions/{sid}", json={"rules": ["my-rule"]}, headers=api.h())
    assert r.status_code == 200 and r.json()["rules"] == ["my-rule"]
    assert len(api.client.get("/api/v1/subscriptions", headers=api.h()).json()) == 1


def test_opml_imports_keep_their_own_two_mebibyte_cap(sqlite_api: Api) -> None:
    def opml(padding: int) -> bytes:
        return (b'<?xml version="1.0"?><opml version="2.0"><head><title>' + b"x" * padding
                + b'</title></head><body><outline type="rss" text="Demo" xmlUrl="http://127.0.0.1:9/feed.xml"/>'
                b"</body></opml>")

    h = {**sqlite_api.h(), "Content-Type": "text/x-opml"}
    r = sqlite_api.client.post("/api/v1/feeds/import", content=opml(1536 * 1024), headers=h)
    assert r.status_code != 413 and r.status_code < 500, r.text[:300]  # over the 1 MiB default, under 2 MiB
    r = sqlite_api.client.post("/api/v1/feeds/import", content=opml(3 * 1024 * 1024), headers=h)
    assert r.status_code == 413
