"""Feeds (URL checks, pause, delete, OPML), rules (query errors with positions, CRUD, backtest), articles."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from monitor.db import session_scope
from monitor.models import AuditEvent
from tests.api.conftest import Api
from tests.api.factories import seed


def _refuse_resolver(host: str, port: int) -> list[str]:
    """Every name resolves to a private address: the API must refuse before any connection."""
    return ["10.1.2.3"]


def test_feed_crud_with_url_checks(api: Api) -> None:
    c, h = api.client, api.h("admin")
    api.app.state.resolver = _refuse_resolver
    r = c.post("/api/v1/feeds", json={"url": "http://127.0.0.1:9/a.xml", "title": "A"}, headers=h)
    assert r.status_code == 201, r.text
    feed = r.json()
    assert feed["enabled"] and feed["title"] == "A"
    assert c.post("/api/v1/feeds", json={"url": "http://127.0.0.1:9/a.xml"}, headers=h).status_code == 409
    for bad, why in (
        ("http://127.0.0.2/feed", "127.0.0.2"),  # loopback outside MONITOR_ALLOWED_NETWORKS
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("http://news.internal.example/rss", "10.1.2.3"),  # resolves to a private address
        ("ftp://127.0.0.1/feed", "http"),
        ("not a url", "http"),
    ):
        r = c.post("/api/v1/feeds", json={"url": bad}, headers=h)
        assert r.status_code == 422, (bad, r.text)
        err = r.json()["error"]
        assert err["details"][0]["field"] == "body.url" and why in err["message"], err
    fid = feed["id"]
    assert c.post(f"/api/v1/feeds/{fid}/pause", headers=h).json()["enabled"] is False
    assert c.post(f"/api/v1/feeds/{fid}/resume", headers=h).json()["enabled"] is True
    r = c.patch(f"/api/v1/feeds/{fid}", json={"title": "B", "poll_interval": 600}, headers=h)
    assert r.json()["title"] == "B" and r.json()["poll_interval"] == 600
    assert c.patch(f"/api/v1/feeds/{fid}", json={"url": "http://127.0.0.2/x"}, headers=h).status_code == 422
    assert c.patch(f"/api/v1/feeds/{fid}", json={"poll_interval": 5}, headers=h).status_code == 422
    assert c.get(f"/api/v1/feeds/{fid}", headers=api.h("reader")).json()["title"] == "B"
    assert c.post("/api/v1/feeds", json={"url": "http://127.0.0.1:9/b"}, headers=api.h("analyst")).status_code == 403
    assert c.delete(f"/api/v1/feeds/{fid}", headers=h).status_code == 422  # needs confirm
    assert c.delete(f"/api/v1/feeds/{fid}?confirm=true", headers=h).status_code == 204
    assert c.get(f"/api/v1/feeds/{fid}", headers=h).status_code == 404
    with session_scope(api.engine) as s:
        actions = [e.action for e in s.query(AuditEvent).filter(AuditEvent.object_type == "feed").all()]
    assert actions == ["feed.create", "feed.pause", "feed.resume", "feed.update", "feed.delete"]


def test_deleting_a_feed_deletes_its_articles_and_alerts(api: Api) -> None:
    store = seed(api.engine)
    f1 = store.feed_ids[0]
    assert api.client.delete(f"/api/v1/feeds/{f1}?confirm=true", headers=api.h()).status_code == 204
    left = api.client.get("/api/v1/alerts?suppressed=include", headers=api.h()).json()["items"]
    assert {a["feed_id"] for a in left} == {store.feed_ids[1]}
    arts = api.client.get("/api/v1/articles", headers=api.h()).json()["items"]
    assert sorted(a["id"] for a in arts) == [store.article_ids[2], store.extra_article_ids[2]]


def test_opml_import_and_export(api: Api) -> None:
    api.app.state.resolver = _refuse_resolver
    opml = b"""<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>
      <outline text="One" title="One" type="rss" xmlUrl="http://127.0.0.1:9/one.xml"/>
      <outline text="Inside" type="rss" xmlUrl="http://intranet.example/feed"/>
      <outline text="Two" type="rss" xmlUrl="http://127.0.0.1:9/two.xml"/>
    </body></opml>"""
    r = api.client.post("/api/v1/feeds/import", content=opml, headers={**api.h(), "Content-Type": "text/x-opml"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [f["url"] for f in body["added"]] == ["http://127.0.0.1:9/one.xml", "http://127.0.0.1:9/two.xml"]
    assert body["skipped"][0]["url"] == "http://intranet.example/feed" and "10.1.2.3" in body["skipped"][0]["reason"]
    again = api.client.post("/api/v1/feeds/import", content=opml, headers=api.h()).json()
    assert again["added"] == [] and len(again["skipped"]) == 3
    bad = api.client.post("/api/v1/feeds/import", content=b"<html>nope</html>", headers=api.h())
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "body"
    r = api.client.get("/api/v1/feeds/export.opml", headers=api.h("reader"))
    assert r.status_code == 200
    urls = [o.get("xmlUrl") for o in ET.fromstring(r.content).iter("outline")]
    assert urls == ["http://127.0.0.1:9/one.xml", "http://127.0.0.1:9/two.xml"]


def test_articles_list_and_read(api: Api) -> None:
    store = seed(api.engine)
    c, h = api.client, api.h("reader")
    newest = (store.article_ids + store.extra_article_ids)[::-1]
    page = c.get("/api/v1/articles?limit=4", headers=h).json()
    assert [a["id"] for a in page["items"]] == newest[:4]
    rest = c.get(f"/api/v1/articles?limit=4&cursor={page['next_cursor']}", headers=h).json()
    assert [a["id"] for a in rest["items"]] == newest[4:] and rest["next_cursor"] is None
    assert [a["id"] for a in c.get("/api/v1/articles?q=PIANIST", headers=h).json()["items"]] == [store.article_ids[2]]
    one = c.get(f"/api/v1/articles/{store.article_ids[0]}", headers=h).json()
    assert "Sergei Shoigu" in one["text"]
    assert c.get("/api/v1/articles/999999", headers=h).status_code == 404


def test_rule_crud_and_query_errors_point_at_the_position(api: Api) -> None:
    c, h = api.client, api.h("admin")
    rule = {
        "id": "drone-exports",
        "title": "Drone exports",
        "category": "arms-transfer",
        "severity": "high",
        "query": "drone* w/5 (export* OR ship*)",
    }
    bad = {**rule, "query": "drone* AND (export OR"}
    r = c.post("/api/v1/rules", json=bad, headers=h)
    assert r.status_code == 422, r.text
    detail = r.json()["error"]["details"][0]
    assert detail["field"] == "body.query" and detail["line"] == 1 and detail["column"] == len(bad["query"]) + 1
    assert "line 1, column" in r.json()["error"]["message"]
    r = c.post("/api/v1/rules", json={**rule, "query": 'drone AND\n "unclosed'}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["line"] == 2
    r = c.post("/api/v1/rules", json=rule, headers=h)
    assert r.status_code == 201, r.text
    assert c.post("/api/v1/rules", json=rule, headers=h).status_code == 409
    assert c.get("/api/v1/rules/drone-exports", headers=api.h("reader")).json()["source"] == "db"
    r = c.patch("/api/v1/rules/drone-exports", json={"enabled": False, "severity": "critical"}, headers=h)
    assert r.json()["enabled"] is False and r.json()["severity"] == "critical"
    assert c.patch("/api/v1/rules/drone-exports", json={"query": "(("}, headers=h).status_code == 422
    listed = {x["id"]: x for x in c.get("/api/v1/rules", headers=h).json()}
    assert listed["drone-exports"]["source"] == "db"
    assert any(x["source"] == "file" for x in listed.values())  # the default pack is listed, read-only
    file_rule = next(x["id"] for x in listed.values() if x["source"] == "file")
    assert c.patch(f"/api/v1/rules/{file_rule}", json={"enabled": False}, headers=h).status_code == 409
    assert c.post("/api/v1/rules", json={**rule, "id": "Bad Id"}, headers=h).status_code == 422
    assert c.delete("/api/v1/rules/drone-exports", headers=h).status_code == 204
    assert c.get("/api/v1/rules/drone-exports", headers=h).status_code == 404


def test_rule_backtest_over_stored_articles(api: Api) -> None:
    store = seed(api.engine)
    c, h = api.client, api.h("admin")
    rule = {
        "id": "shells",
        "title": "Shells",
        "query": "artillery w/3 shells",
        "severity": "high",
        "category": "arms-transfer",
    }
    assert c.post("/api/v1/rules", json=rule, headers=h).status_code == 201
    r = c.post("/api/v1/rules/shells/test", headers=api.h("analyst"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["articles_scanned"] == 6 and body["hits"] == 1
    hit = body["items"][0]
    assert hit["article_id"] == store.article_ids[0]
    assert "artillery shells" in hit["evidence"][0]["text"]
    assert c.post("/api/v1/rules/nope/test", headers=h).status_code == 404


def test_every_shipped_rule_opens_backtests_and_copies(api: Api) -> None:
    """A first run: each rule of the default pack can be read, backtested and saved as a copy."""
    seed(api.engine)
    c, h = api.client, api.h("admin")
    shipped = [r for r in c.get("/api/v1/rules", headers=h).json() if r["source"] == "file"]
    assert {"arms-transfer", "sanctions-evasion", "proliferation", "sanctioned-entity"} <= {r["id"] for r in shipped}
    for rule in shipped:
        got = c.get(f"/api/v1/rules/{rule['id']}", headers=h)
        assert got.status_code == 200 and len(got.json()["query"]) < 3000, rule["id"]
        tested = c.post(f"/api/v1/rules/{rule['id']}/test", headers=api.h("analyst"))
        assert tested.status_code == 200, (rule["id"], tested.text)
        copy = {k: rule[k] for k in ("title", "description", "category", "severity", "query")}
        made = c.post("/api/v1/rules", json={**copy, "id": f"my-{rule['id']}"}, headers=h)
        assert made.status_code == 201, (rule["id"], made.text)
        assert c.post(f"/api/v1/rules/my-{rule['id']}/test", headers=api.h("analyst")).status_code == 200


def test_rules_use_vocabularies_and_unknown_names_are_refused_with_a_position(api: Api) -> None:
    seed(api.engine)
    c, h = api.client, api.h("admin")
    vocabs = c.get("/api/v1/vocabularies", headers=h).json()
    by_name = {v["name"]: v for v in vocabs}
    assert "weapons" in by_name and "artillery shells" in by_name["weapons"]["languages"]["en"]
    assert by_name["weapons"]["kind"] == "terms" and by_name["ammunition_deal"]["kind"] == "query"
    assert c.get("/api/v1/vocabularies/@weapons", headers=h).json()["name"] == "weapons"
    assert c.get("/api/v1/vocabularies/nope", headers=h).status_code == 404
    rule = {"id": "vocab-rule", "title": "V", "category": "arms-transfer", "severity": "high",
            "query": "(supply OR supplied) pre/6 @weapons"}
    assert c.post("/api/v1/rules", json=rule, headers=h).status_code == 201
    tested = c.post("/api/v1/rules/vocab-rule/test", headers=api.h("analyst"))
    assert tested.status_code == 200 and tested.json()["articles_scanned"] >= 3
    bad = c.post("/api/v1/rules", json={**rule, "id": "bad-vocab", "query": "supply pre/6\n  @weapns"}, headers=h)
    assert bad.status_code == 422
    detail = bad.json()["error"]["details"][0]
    assert (detail["field"], detail["line"], detail["column"]) == ("body.query", 2, 3)
    assert "unknown vocabulary '@weapns'" in detail["message"]
