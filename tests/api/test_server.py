"""Through a real uvicorn on 127.0.0.1: keys over the wire, and the SSE stream delivering a new alert."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from monitor.api.app import create_app
from monitor.db import session_scope
from monitor.keys import create_key
from tests.api.conftest import engine_url
from tests.api.factories import add_alert, seed
from tests.support.live_server import live_server


@pytest.fixture
def server(sqlite_engine, make_settings) -> Iterator[tuple[str, str, object]]:  # type: ignore[no-untyped-def]
    app = create_app(make_settings(database_url=engine_url(sqlite_engine), log_json=False))
    with session_scope(sqlite_engine) as s:
        key = create_key(s, "reader", "uvicorn")
    with live_server(app) as base:
        yield base, key, sqlite_engine
    app.state.engine.dispose()


def test_real_server_auth_and_sse_stream(server) -> None:  # type: ignore[no-untyped-def]
    base, key, engine = server
    store = seed(engine)
    h = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, timeout=10) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/api/v1/alerts").status_code == 401
        r = client.get("/api/v1/alerts?rule=arms-transfer&since=7d", headers=h)
        assert r.status_code == 200 and r.headers["x-request-id"]
        assert [a["id"] for a in r.json()["items"]] == [store.alert_ids[0]]
        events: list[dict[str, object]] = []
        with client.stream("GET", "/api/v1/alerts/stream?rule=named-officials&poll=0.2", headers=h) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.iter_lines()
            assert next(lines).startswith("retry:")
            # Only new alerts matching the filter arrive: one of another rule first, then one of ours.
            add_alert(engine, article_id=None, feed_id=None, rule_id="proliferation")
            wanted = add_alert(engine, article_id=None, feed_id=None, rule_id="named-officials")
            event_id = None
            for line in lines:
                if line.startswith("id: "):
                    event_id = int(line[4:])
                elif line.startswith("data: "):
                    events.append(json.loads(line[6:]))
                    break
        assert event_id == wanted and events[0]["id"] == wanted and events[0]["rule_id"] == "named-officials"
        # Reconnecting with Last-Event-ID resumes after the last event seen.
        later = add_alert(engine, article_id=None, feed_id=None, rule_id="named-officials")
        with client.stream(
            "GET", "/api/v1/alerts/stream?rule=named-officials&poll=0.2", headers={**h, "Last-Event-ID": str(wanted)}
        ) as stream:
            data = next(line for line in stream.iter_lines() if line.startswith("data: "))
        assert json.loads(data[6:])["id"] == later
