"""/api/v1/stories: the queue one row per story, a story whole, review per story."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.stories.test_service import ARMS, OTHER, SUMMIT, add


def test_api_lists_the_queue_and_reviews_a_story(api: Api) -> None:
    a = add(api.engine, "bbc", *SUMMIT[0], 0, alerts=ARMS)
    add(api.engine, "guardian", *SUMMIT[1], 1, alerts=ARMS)
    add(api.engine, "local", *OTHER, 2)  # no alert: not in the queue
    r = api.client.get("/api/v1/stories", headers=api.h("reader"))
    assert r.status_code == 200, r.text
    rows = r.json()
    assert len(rows) == 1
    row = rows[0]
    assert row["source_count"] == 2 and row["sources"] == ["bbc", "guardian"] and row["severity"] == "high"
    assert len(api.client.get("/api/v1/stories?include_quiet=true", headers=api.h("reader")).json()) == 2
    detail = api.client.get(f"/api/v1/stories/{row['id']}", headers=api.h("reader")).json()
    assert detail["articles"][0]["id"] == a and len(detail["articles"]) == 2
    body = {"status": "confirmed", "reason": "arms deal"}
    assert api.client.post(f"/api/v1/stories/{row['id']}/review", json=body, headers=api.h("reader")).status_code == 403
    r = api.client.post(f"/api/v1/stories/{row['id']}/review", json=body, headers=api.h("analyst"))
    assert r.status_code == 200, r.text
    assert r.json()["alerts_updated"] == 2 and r.json()["status"] == "confirmed"
    alerts = api.client.get("/api/v1/alerts", headers=api.h("reader")).json()
    items = alerts["items"] if isinstance(alerts, dict) else alerts
    assert {x["status"] for x in items} == {"confirmed"}
    bad = api.client.post(f"/api/v1/stories/{row['id']}/review", json={"status": "maybe", "reason": "x"},
                          headers=api.h("analyst"))
    assert bad.status_code == 422
    assert api.client.get("/api/v1/stories/999999", headers=api.h("reader")).status_code == 404
