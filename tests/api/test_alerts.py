"""GET /alerts filters and pagination, detail, review and history, Atom and export, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import feedparser
import pytest

from monitor.models import utcnow
from tests.api.conftest import Api
from tests.api.factories import add_alert, seed


def _ids(api: Api, query: str = "", role: str = "reader") -> list[int]:
    r = api.client.get(f"/api/v1/alerts{query}", headers=api.h(role))
    assert r.status_code == 200, r.text
    return [a["id"] for a in r.json()["items"]]


def test_filters_select_the_right_alerts(api: Api) -> None:
    store = seed(api.engine)
    crit, sanc, evasion, pianist, old, suppressed = store.alert_ids
    _f1, f2 = store.feed_ids
    assert _ids(api) == [crit, sanc, evasion, pianist, old]  # newest first, suppressed hidden
    assert _ids(api, "?since=7d") == [crit, sanc, evasion, pianist]
    assert _ids(api, "?until=" + (utcnow() - timedelta(days=5)).isoformat().replace("+00:00", "Z")) == [old]
    assert _ids(api, "?rule=arms-transfer") == [crit, old]
    assert _ids(api, "?rule=arms-transfer&rule=sanctions-evasion") == [crit, evasion, old]
    assert _ids(api, "?rule=arms-transfer&severity=high&since=7d") == []
    assert _ids(api, "?rule=arms-transfer&severity=critical&since=7d") == [crit]
    assert _ids(api, "?category=sanctions") == [sanc, pianist]
    assert _ids(api, "?min_severity=high") == [crit, sanc, old]
    assert _ids(api, "?min_score=0.65") == [crit, sanc, old]
    assert _ids(api, "?entity_id=us_ofac_sdn:35173") == [crit, sanc]
    assert _ids(api, "?dataset=un_sc_sanctions") == [crit, pianist]
    assert _ids(api, f"?feed_id={f2}") == [pianist]
    assert _ids(api, "?q=PIANIST") == [pianist]  # title, case-insensitive
    assert _ids(api, "?q=ship-to-ship") == [evasion]  # evidence text
    assert _ids(api, "?q=100%25") == []  # a literal %, not a wildcard
    assert _ids(api, "?suppressed=only") == [suppressed]
    assert suppressed in _ids(api, "?suppressed=include")
    assert _ids(api, "?status=confirmed") == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?severity=urgent", "query.severity.0"),
        ("?min_score=2", "query.min_score"),
        ("?limit=0", "query.limit"),
        ("?since=last-tuesday", "query.since"),
        ("?feed_id=abc", "query.feed_id.0"),
        ("?cursor=not-a-cursor", "query.cursor"),
        ("?suppressed=maybe", "query.suppressed"),
    ],
)
def test_bad_parameters_get_422_naming_the_field(module_api: Api, query: str, field: str) -> None:
    r = module_api.client.get(f"/api/v1/alerts{query}", headers=module_api.h())
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "validation_error"
    assert field in err["message"] and err["details"][0]["field"] == field


def test_cursor_pages_are_stable_under_inserts(api: Api) -> None:
    store = seed(api.engine)
    first = api.client.get("/api/v1/alerts?limit=2", headers=api.h()).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    # New alerts arrive (newer than everything) and one with the same timestamp as the page's last row.
    add_alert(api.engine, article_id=None, feed_id=None, rule_id="named-officials", severity="high")
    seen = [a["id"] for a in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = api.client.get(f"/api/v1/alerts?limit=2&cursor={cursor}", headers=api.h()).json()
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
    assert seen == store.alert_ids[:5]  # every old alert exactly once, in order, the new one not mixed in


def test_ties_on_created_at_are_ordered_by_id(api: Api) -> None:
    seed(api.engine)
    at = utcnow() - timedelta(minutes=5)
    same = [
        add_alert(api.engine, article_id=None, feed_id=None, rule_id=f"tie-{n}", created_at=at)
        for n in range(5)
    ]
    got: list[int] = []
    cursor = ""
    while True:
        page = api.client.get(
            f"/api/v1/alerts?rule=tie-0&rule=tie-1&rule=tie-2&rule=tie-3&rule=tie-4&limit=2{cursor}", headers=api.h()
        ).json()
        got += [a["id"] for a in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert got == sorted(same, reverse=True)


def test_alert_detail_has_article_rule_mentions_and_evidence(api: Api) -> None:
    store = seed(api.engine)
    r = api.client.get(f"/api/v1/alerts/{store.alert_ids[0]}", headers=api.h())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["article"]["id"] == store.article_ids[0]
    text = body["article"]["text"]
    mention = next(m for m in body["mentions"] if m["entity_id"] == "us_ofac_sdn:35173")
    assert text[mention["start"] : mention["end"]] == "Sergei Shoigu"
    assert mention["entity_name"] == "SHOIGU, Sergei Kuzhugetovich" and mention["dataset"] == "us_ofac_sdn"
    assert body["evidence"][0]["text"] == "shipping artillery shells"
    assert api.client.get("/api/v1/alerts/999999", headers=api.h()).status_code == 404


def test_review_appends_to_the_history(api: Api) -> None:
    store = seed(api.engine)
    aid = store.alert_ids[3]
    url = f"/api/v1/alerts/{aid}/review"
    body = {"status": "dismissed", "reason": "name clash", "note": "this Kim is a pianist"}
    assert api.client.post(url, json=body, headers=api.h("reader")).status_code == 403
    r = api.client.post(url, json=body, headers=api.h("analyst"))
    assert r.status_code == 201, r.text
    r = api.client.post(url, json={"status": "escalated", "reason": "second look"}, headers=api.h("admin"))
    assert r.status_code == 201
    hist = api.client.get(f"/api/v1/alerts/{aid}/history", headers=api.h()).json()
    assert [(h["from_status"], h["to_status"]) for h in hist] == [("new", "dismissed"), ("dismissed", "escalated")]
    assert hist[0]["actor"] == "key:2 (test-analyst)" and hist[0]["note"] == "this Kim is a pianist"
    assert api.client.get(f"/api/v1/alerts/{aid}", headers=api.h()).json()["status"] == "escalated"
    assert _ids(api, "?status=escalated") == [aid]
    bad = api.client.post(url, json={"status": "closed", "reason": "x"}, headers=api.h("analyst"))
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "body.status"
    missing = api.client.post(url, json={"status": "confirmed"}, headers=api.h("analyst"))
    assert missing.status_code == 422 and missing.json()["error"]["details"][0]["field"] == "body.reason"
    gone = api.client.post("/api/v1/alerts/999999/review", json=body, headers=api.h("analyst"))
    assert gone.status_code == 404
    assert api.client.get("/api/v1/alerts/999999/history", headers=api.h()).status_code == 404


def test_export_csv_and_jsonl_follow_the_filters(api: Api) -> None:
    store = seed(api.engine)
    r = api.client.get("/api/v1/alerts/export?format=csv&rule=arms-transfer", headers=api.h())
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [int(x["id"]) for x in rows] == [store.alert_ids[0], store.alert_ids[4]]
    assert rows[0]["entity_ids"] == "us_ofac_sdn:35173 un_sc_sanctions:KPi.033"
    assert json.loads(rows[0]["evidence"])[0]["text"] == "shipping artillery shells"
    r = api.client.get("/api/v1/alerts/export?format=jsonl&suppressed=include", headers=api.h())
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert sorted(x["id"] for x in lines) == sorted(store.alert_ids)
    assert api.client.get("/api/v1/alerts/export?format=xml", headers=api.h()).status_code == 422


def test_atom_feed_lists_matching_alerts(api: Api) -> None:
    store = seed(api.engine)
    r = api.client.get("/api/v1/alerts.atom?min_severity=high", headers=api.h())
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(r.content)
    assert not feed.bozo, feed.bozo_exception
    ids = [int(e.id.rsplit("/", 1)[1]) for e in feed.entries]
    assert ids == [store.alert_ids[0], store.alert_ids[1], store.alert_ids[4]]
    assert feed.entries[0].title.startswith("[critical] arms-transfer")


def test_entity_pages_follow_alert_time_across_pages(api: Api) -> None:
    from monitor.db import session_scope
    from monitor.models import AlertEntity

    store = seed(api.engine)
    now = utcnow()
    # Inserted out of time order, so id order and time order disagree.
    offsets = [5, 1, 9, 3, 7, 2, 8]
    ids = [
        add_alert(
            api.engine,
            article_id=None,
            feed_id=None,
            rule_id=f"ent-{n}",
            entity_ids=("us_ofac_sdn:999",),
            created_at=now - timedelta(hours=h),
        )
        for n, h in enumerate(offsets)
    ]
    expected = [i for _, i in sorted(zip(offsets, ids, strict=True))]
    with session_scope(api.engine) as s:  # the link carries the alert's own time
        links = {
            x.alert_id: x.created_at for x in s.query(AlertEntity).filter(AlertEntity.entity_id == "us_ofac_sdn:999")
        }
    assert [links[i] for i in expected] == sorted(links.values(), reverse=True)
    got: list[int] = []
    cursor = ""
    while True:
        page = api.client.get(f"/api/v1/alerts?entity_id=us_ofac_sdn:999&limit=3{cursor}", headers=api.h()).json()
        got += [a["id"] for a in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert got == expected
    assert _ids(api, "?entity_id=us_ofac_sdn:999&since=4h") == expected[:3]
    # Two entities (the EXISTS path) interleave by time with the same ordering.
    crit, sanc = store.alert_ids[0], store.alert_ids[1]  # seeded 1 h and 2 h before this test's `now`
    both = _ids(api, "?entity_id=us_ofac_sdn:999&entity_id=us_ofac_sdn:35173&since=4h")
    assert both == [expected[0], crit, expected[1], sanc, expected[2]]
