"""/healthz (database, broker, worker heartbeat), /metrics (Prometheus text from the store), logs, CORS."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from monitor.api.app import create_app
from monitor.api.middleware import JsonFormatter
from monitor.db import session_scope
from monitor.models import Delivery, Feed, Heartbeat, Subscription, utcnow
from tests.api.conftest import Api, engine_url
from tests.api.factories import seed


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_are_computed_from_the_store(api: Api) -> None:
    store = seed(api.engine)
    with session_scope(api.engine) as s:
        feed = s.get(Feed, store.feed_ids[0])
        assert feed is not None
        feed.last_polled_at = utcnow()
        feed.consecutive_errors = 2
        feed.last_error_at = utcnow()
        sub = Subscription(channel="webhook", target="http://127.0.0.1:9/hook")
        s.add(sub)
        s.flush()
        s.add(Delivery(alert_id=store.alert_ids[0], subscription_id=sub.id, message_id="msg_1", status="delivered"))
        s.add(Heartbeat(name="worker@test", kind="worker", at=utcnow() - timedelta(seconds=30)))
    r = api.client.get("/metrics")  # no key needed
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    m = _samples(r.text)
    assert m[("monitor_feeds", (("state", "all"),))] == 2
    assert m[("monitor_feeds", (("state", "failing"),))] == 1
    assert m[("monitor_feeds_polled_last_hour", ())] == 1
    assert m[("monitor_feed_fetch_errors_last_hour", ())] == 1
    assert m[("monitor_articles_stored", ())] == 6
    assert m[("monitor_alerts", (("rule", "arms-transfer"),))] == 3
    assert m[("monitor_alerts", (("rule", "sanctioned-entity"),))] == 2
    assert m[("monitor_deliveries", (("status", "delivered"),))] == 1
    assert 29 <= m[("monitor_heartbeat_age_seconds", (("kind", "worker"), ("name", "worker@test")))] < 120
    assert ("monitor_task_latency_seconds", (("quantile", "0.95"), ("stage", "match"))) in m


def test_healthz_reports_worker_heartbeat(api: Api) -> None:
    r = api.client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["checks"]["database"] == "ok" and body["checks"]["worker"].startswith("missing")
    assert body["status"] == "degraded"
    with session_scope(api.engine) as s:
        s.add(Heartbeat(name="worker@old", kind="worker", at=utcnow() - timedelta(minutes=10)))
    assert api.client.get("/healthz").json()["checks"]["worker"].startswith("stale")
    with session_scope(api.engine) as s:
        s.add(Heartbeat(name="worker@new", kind="worker", at=utcnow()))
    body = api.client.get("/healthz").json()
    assert body["status"] == "ok" and body["checks"]["worker"] == "ok"
    assert set(body["heartbeats"]) == {"worker:worker@old", "worker:worker@new"}


def test_healthz_is_503_when_the_broker_is_down(sqlite_engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(database_url=engine_url(sqlite_engine), broker_url="redis://127.0.0.1:9/0", log_json=False)
    with TestClient(create_app(settings)) as client:
        r = client.get("/healthz")
    assert r.status_code == 503 and r.json()["status"] == "down"
    assert r.json()["checks"]["broker"].startswith("error")


def test_request_ids_and_json_logs(sqlite_api: Api, caplog) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.INFO, logger="monitor.api.access"):
        r = sqlite_api.client.get("/api/v1/alerts", headers={**sqlite_api.h(), "X-Request-ID": "abc-123"})
        other = sqlite_api.client.get("/api/v1/alerts", headers={**sqlite_api.h(), "X-Request-ID": "bad id\n"})
    assert r.headers["x-request-id"] == "abc-123"
    assert other.headers["x-request-id"] != "bad id\n" and len(other.headers["x-request-id"]) == 32
    record = next(rec for rec in caplog.records if getattr(rec, "request_id", None) == "abc-123")
    line = json.loads(JsonFormatter().format(record))
    assert line["status"] == 200 and line["path"] == "/api/v1/alerts" and line["request_id"] == "abc-123"
    assert "authorization" not in json.dumps(line).lower()


def test_cors_is_off_unless_origins_are_set(sqlite_engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    url = engine_url(sqlite_engine)
    pre = {"Origin": "http://127.0.0.1:3000", "Access-Control-Request-Method": "GET"}
    with TestClient(create_app(make_settings(database_url=url, log_json=False))) as client:
        r = client.options("/api/v1/alerts", headers=pre)
        assert "access-control-allow-origin" not in r.headers
    settings = make_settings(database_url=url, log_json=False, cors_origins=["http://127.0.0.1:3000"])
    with TestClient(create_app(settings)) as client:
        r = client.options("/api/v1/alerts", headers=pre)
        assert r.headers["access-control-allow-origin"] == "http://127.0.0.1:3000"


def test_unexpected_errors_are_json_500_and_logged_with_the_request_id(sqlite_api: Api) -> None:
    import io

    from monitor.api.middleware import RequestIdFilter

    @sqlite_api.app.get("/boom-for-test")
    def boom() -> dict[str, str]:
        raise RuntimeError("kaboom")

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("monitor.api")
    logger.addHandler(handler)
    try:
        r = sqlite_api.client.get("/boom-for-test", headers={"X-Request-ID": "req-500"})
    finally:
        logger.removeHandler(handler)
    assert r.status_code == 500 and r.headers["x-request-id"] == "req-500"
    assert r.json() == {"error": {"code": "internal_error", "message": "internal server error", "details": None}}
    lines = [json.loads(x) for x in stream.getvalue().splitlines()]
    error = next(x for x in lines if x["level"] == "error")
    assert error["request_id"] == "req-500" and "kaboom" in error["exc"]


def test_out_of_range_ids_are_client_errors_on_every_route(api: Api) -> None:
    import re

    document = api.client.get("/openapi.json").json()
    checked = 0
    for path, operations in document["paths"].items():
        if "{" not in path:
            continue
        for method in operations:
            for big in ("99999999999", str(10**20)):
                url = re.sub(r"\{[^}]+\}", big, path)
                r = api.client.request(method, url, headers=api.h("admin"), json={})
                assert r.status_code < 500, (method, url, r.text)
                assert "error" in r.json(), (method, url)
                checked += 1
    assert checked >= 30
