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


def _add_label(engine, alert_id: int, rule_id: str) -> None:  # type: ignore[no-untyped-def]
    """Add a label to a stored alert as re-matching does (monitor.alerts.store)."""
    from monitor import alertlabels as labels
    from monitor.models import Alert, utcnow

    with session_scope(engine) as s:
        alert = s.get(Alert, alert_id)
        assert alert is not None
        found = {"rule_id": rule_id, "category": "sanctions", "severity": "critical", "score": 0.95,
                 "explanation": "fired on re-matching", "entity_ids": [], "evidence": [], "suppressed": False,
                 "created_at": utcnow().isoformat()}
        merged, added = labels.merge(labels.labels_of(alert), [found])
        assert added
        labels.apply(alert, merged)
        alert.updated_at = utcnow()
        s.add(alert)


def _events(lines, count: int) -> list[tuple[str, str, dict]]:  # type: ignore[no-untyped-def]
    """The next `count` events from an SSE stream's lines: (id, event, data)."""
    out, fields = [], {}
    for line in lines:
        if line.startswith(("id: ", "event: ", "data: ")):
            key, value = line.split(": ", 1)
            fields[key] = value
        elif line == "" and "data" in fields:
            out.append((fields.get("id", ""), fields.get("event", "message"), json.loads(fields["data"])))
            fields = {}
            if len(out) == count:
                return out
    raise AssertionError("stream ended")


def test_sse_stream_sends_labels_added_to_an_existing_alert(server) -> None:  # type: ignore[no-untyped-def]
    base, key, engine = server
    h = {"Authorization": f"Bearer {key}"}
    old = add_alert(engine, article_id=None, feed_id=None, rule_id="arms-transfer")
    other = add_alert(engine, article_id=None, feed_id=None, rule_id="arms-transfer")
    _add_label(engine, other, "proliferation")  # before the stream opens: not told
    with httpx.Client(base_url=base, timeout=10) as client:
        with client.stream("GET", "/api/v1/alerts/stream?rule=named-officials&poll=0.2", headers=h) as stream:
            lines = stream.iter_lines()
            # a label of the stream's rule added to an alert made before: one alert.labels event;
            # then a new alert of that rule as before
            _add_label(engine, old, "named-officials")
            (event_id, event, data), = _events(lines, 1)
            assert event == "alert.labels" and data["id"] == old and data["added_rules"] == ["named-officials"]
            assert "named-officials" in data["rules"] and int(event_id) == other  # the alert cursor, unchanged
            new = add_alert(engine, article_id=None, feed_id=None, rule_id="named-officials")
            (event_id, event, data), = _events(lines, 1)
            assert (event, data["id"], int(event_id)) == ("alert", new, new)
        # reconnecting: labels_since replays the additions made after it, and only those
        with client.stream("GET", f"/api/v1/alerts/stream?rule=named-officials&poll=0.2&after_id={new}"
                           "&labels_since=2000-01-01T00:00:00Z", headers=h) as stream:
            (_, event, data), = _events(stream.iter_lines(), 1)
            assert event == "alert.labels" and data["id"] == old and data["labels_at"]
            labels_at = data["labels_at"]
        _add_label(engine, other, "named-officials")
        with client.stream("GET", f"/api/v1/alerts/stream?rule=named-officials&poll=0.2&after_id={new}",
                           params={"labels_since": labels_at}, headers=h) as stream:
            (_, event, data), = _events(stream.iter_lines(), 1)
            assert event == "alert.labels" and data["id"] == other  # not `old` again
