"""/api/v1/entities/screen and /api/v1/entities/{id}: screening, entity detail, list history, alerts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine

from monitor.db import session_scope
from monitor.models import Entity, EntityChange, EntityName, ListVersion, utcnow
from tests.api.conftest import Api
from tests.api.factories import add_alert, add_article

SHOIGU = "us_ofac_sdn:35173"


def _listed(engine: Engine) -> None:
    """Shoigu loaded twice (added, then changed) and Putin once, as a list load would write them."""
    with session_scope(engine) as s:
        v1 = ListVersion(dataset="us_ofac_sdn", source="sdn-1.csv", format="ofac-csv", file_hash="a")
        v2 = ListVersion(dataset="us_ofac_sdn", source="sdn-2.csv", format="ofac-csv", file_hash="b")
        s.add_all([v1, v2])
        s.flush()
        s.add(Entity(id=SHOIGU, dataset="us_ofac_sdn", source_id="35173", schema_="person",
                     name="SHOIGU, Sergei Kuzhugetovich", programs=["RUSSIA-EO14024"], countries=["RU"],
                     birth_dates=["1955-05-21"], identifiers=[{"type": "Gender", "value": "Male"}],
                     version_id=v2.id))  # fmt: skip
        s.add(Entity(id="us_ofac_sdn:35096", dataset="us_ofac_sdn", source_id="35096", schema_="person",
                     name="PUTIN, Vladimir Vladimirovich", countries=["RU"], version_id=v1.id))  # fmt: skip
        s.flush()
        s.add_all([
            EntityName(entity_id=SHOIGU, name="SHOIGU, Sergei Kuzhugetovich", kind="primary"),
            EntityName(entity_id=SHOIGU, name="SHOYGU, Sergey", kind="alias"),
            EntityName(entity_id="us_ofac_sdn:35096", name="PUTIN, Vladimir Vladimirovich", kind="primary"),
            EntityChange(version_id=v1.id, entity_id=SHOIGU, change="added", at=utcnow() - timedelta(days=2)),
            EntityChange(version_id=v2.id, entity_id=SHOIGU, change="changed", detail={"fields": ["programs"]}),
        ])  # fmt: skip


def test_screen_returns_the_contract_shape(api: Api) -> None:
    _listed(api.engine)
    r = api.client.get("/api/v1/entities/screen", params={"name": "Сергей Шойгу"}, headers=api.h("reader"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"query", "threshold", "matches"}
    assert body["query"] == "Сергей Шойгу" and body["threshold"] == 0.7
    first = body["matches"][0]
    assert first["entity_id"] == SHOIGU and first["match"] is True
    assert set(first) == {
        "entity_id", "dataset", "source_id", "name", "matched_alias", "score", "match", "explanation", "referents"
    }
    assert first["referents"] == [SHOIGU]
    assert "sergey~sergey (exact)" in first["explanation"]


def test_screen_filters(api: Api) -> None:
    _listed(api.engine)
    h = api.h("reader")
    base = api.client.get("/api/v1/entities/screen", params={"name": "Sergei Shoigu"}, headers=h).json()
    born = api.client.get(
        "/api/v1/entities/screen", params={"name": "Sergei Shoigu", "birth_year": 1970}, headers=h
    ).json()
    assert born["matches"][0]["score"] < base["matches"][0]["score"]
    org = api.client.get(
        "/api/v1/entities/screen", params={"name": "Sergei Shoigu", "schema": "organization"}, headers=h
    ).json()
    assert org["matches"][0]["score"] < base["matches"][0]["score"]
    none = api.client.get(
        "/api/v1/entities/screen", params={"name": "Sergei Shoigu", "dataset": "un_sc_sanctions"}, headers=h
    ).json()
    assert none["matches"] == []
    strict = api.client.get(
        "/api/v1/entities/screen", params={"name": "Sergie Shoygu", "threshold": 0.99}, headers=h
    ).json()
    assert strict["threshold"] == 0.99 and strict["matches"][0]["match"] is False


def test_screen_bad_input_is_a_clear_422(sqlite_api: Api) -> None:
    h = sqlite_api.h("reader")
    for params, field in (
        ({"name": ""}, "query.name"),
        ({"name": "  ...  "}, "query.name"),
        ({"name": "x" * 10_000}, "query.name"),
        ({"name": "Putin", "country": "Atlantis"}, "query.country"),
        ({"name": "Putin", "schema": "spaceship"}, "query.schema"),
    ):
        r = sqlite_api.client.get("/api/v1/entities/screen", params=params, headers=h)
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert error["code"] == "validation_error" and field in error["message"]
    r = sqlite_api.client.get("/api/v1/entities/screen", headers=h)
    assert r.status_code == 422


def test_screen_needs_a_key(sqlite_api: Api) -> None:
    assert sqlite_api.client.get("/api/v1/entities/screen", params={"name": "Putin"}).status_code == 401
    assert sqlite_api.client.get(f"/api/v1/entities/{SHOIGU}").status_code == 401


def test_entity_detail_with_history_and_alerts_newest_first(api: Api) -> None:
    _listed(api.engine)
    article = add_article(api.engine, None, "Shoigu in Pyongyang", "Sergei Shoigu met Kim Jong Un.")
    other = add_article(api.engine, None, "Cycle lanes", "The council approved cycle lanes.")
    now = utcnow()
    old = add_alert(api.engine, article_id=article, feed_id=None, entity_ids=(SHOIGU,),
                    created_at=now - timedelta(days=3))  # fmt: skip
    new = add_alert(api.engine, article_id=None, feed_id=None, rule_id="sanctioned-entity",
                    entity_ids=(SHOIGU,), created_at=now - timedelta(hours=1), suppressed=True)  # fmt: skip
    add_alert(api.engine, article_id=other, feed_id=None, rule_id="arms-transfer")  # mentions nobody
    r = api.client.get(f"/api/v1/entities/{SHOIGU}", headers=api.h("reader"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["entity"]["id"] == SHOIGU and body["entity"]["schema"] == "person"
    assert body["entity"]["birth_dates"] == ["1955-05-21"]
    assert [n["name"] for n in body["names"]] == ["SHOIGU, Sergei Kuzhugetovich", "SHOYGU, Sergey"]
    assert body["programs"] == ["RUSSIA-EO14024"]
    assert body["identifiers"] == [{"type": "Gender", "value": "Male"}]
    assert [(h["change"], h["source"]) for h in body["history"]] == [("added", "sdn-1.csv"), ("changed", "sdn-2.csv")]
    # Every alert that mentions it (suppressed ones too), newest first.
    assert [a["id"] for a in body["alerts"]["items"]] == [new, old]
    page1 = api.client.get(f"/api/v1/entities/{SHOIGU}", params={"limit": 1}, headers=api.h("reader")).json()
    assert [a["id"] for a in page1["alerts"]["items"]] == [new]
    cursor = page1["alerts"]["next_cursor"]
    assert cursor
    page2 = api.client.get(
        f"/api/v1/entities/{SHOIGU}", params={"limit": 1, "cursor": cursor}, headers=api.h("reader")
    ).json()
    assert [a["id"] for a in page2["alerts"]["items"]] == [old]


def test_unknown_entity_is_404_and_bad_cursor_422(sqlite_api: Api) -> None:
    _listed(sqlite_api.engine)
    h = sqlite_api.h("reader")
    r = sqlite_api.client.get("/api/v1/entities/us_ofac_sdn:999999", headers=h)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = sqlite_api.client.get(f"/api/v1/entities/{SHOIGU}", params={"cursor": "nonsense"}, headers=h)
    assert r.status_code == 422 and "cursor" in r.json()["error"]["message"]
