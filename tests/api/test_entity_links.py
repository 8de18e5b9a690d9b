"""One entity across lists through the API: screening with referents, the entity page, analyst merge/split."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy.engine import Engine
from sqlmodel import select

from monitor.db import session_scope
from monitor.models import AuditEvent, Entity, EntityName, ListVersion
from monitor.watchlists.links import refresh_links
from tests.api.conftest import Api
from tests.api.factories import add_alert, add_article

SDN = "us_ofac_sdn:2676"
UN = "un_sc_sanctions:QDi.006"


def _two_lists(engine: Engine) -> None:
    """The same man on the SDN and UN lists (same name, same date of birth), as two loads would store him."""
    with session_scope(engine) as s:
        sdn = ListVersion(dataset="us_ofac_sdn", source="sdn.csv", format="ofac-csv", file_hash="a")
        un = ListVersion(dataset="un_sc_sanctions", source="un.xml", format="un-xml", file_hash="b")
        s.add_all([sdn, un])
        s.flush()
        s.add(Entity(id=SDN, dataset="us_ofac_sdn", source_id="2676", schema_="person", name="AL ZAWAHIRI, Ayman",
                     programs=["SDGT"], birth_dates=["1951-06-19"], version_id=sdn.id))  # fmt: skip
        s.add(Entity(id=UN, dataset="un_sc_sanctions", source_id="QDi.006", schema_="person",
                     name="AYMAN MUHAMMED RABI AL-ZAWAHIRI", programs=["Al-Qaida"], birth_dates=["1951-06-19"],
                     identifiers=[{"type": "UN Reference Number", "value": "QDi.006"}], version_id=un.id))  # fmt: skip
        s.flush()
        s.add_all([
            EntityName(entity_id=SDN, name="AL ZAWAHIRI, Ayman", kind="primary"),
            EntityName(entity_id=SDN, name="AL-ZAWAHIRI, Ayman Muhammed Rabi", kind="alias"),
            EntityName(entity_id=UN, name="AYMAN MUHAMMED RABI AL-ZAWAHIRI", kind="primary"),
        ])  # fmt: skip
        s.flush()
        refresh_links(s)


def test_screening_shows_one_entity_with_every_record(api: Api) -> None:
    _two_lists(api.engine)
    r = api.client.get("/api/v1/entities/screen", params={"name": "Ayman al-Zawahiri"}, headers=api.h("reader"))
    assert r.status_code == 200, r.text
    matches = r.json()["matches"]
    assert len(matches) == 1
    assert sorted(matches[0]["referents"]) == [UN, SDN]
    assert matches[0]["referents"][0] == matches[0]["entity_id"]


def test_entity_page_lists_memberships_links_and_alerts_of_every_record(api: Api) -> None:
    _two_lists(api.engine)
    article = add_article(api.engine, None, "Al-Qaeda leader", "Ayman al-Zawahiri was named.")
    alert = add_alert(api.engine, article_id=article, feed_id=None, entity_ids=(UN,))
    body = api.client.get(f"/api/v1/entities/{SDN}", headers=api.h("reader")).json()
    assert body["referents"] == [SDN, UN]
    assert [(m["dataset"], m["programs"]) for m in body["records"]] == [
        ("us_ofac_sdn", ["SDGT"]),
        ("un_sc_sanctions", ["Al-Qaida"]),
    ]
    assert [a["id"] for a in body["alerts"]["items"]] == [alert]  # raised on the UN record
    links = api.client.get(f"/api/v1/entities/{UN}/links", headers=api.h("reader")).json()
    assert links["referents"] == [UN, SDN]
    assert [(lk["source"], lk["judgement"]) for lk in links["links"]] == [("strong-match", "same")]
    assert "same name" in links["links"][0]["reason"] and "1951-06-19" in links["links"][0]["reason"]


def test_analyst_parts_and_rejoins_two_records_audited(api: Api) -> None:
    _two_lists(api.engine)
    body = {"other": UN, "judgement": "different", "reason": "two men: passports differ"}
    r = api.client.post(f"/api/v1/entities/{SDN}/links", json=body, headers=api.h("reader"))
    assert r.status_code == 403
    r = api.client.post(f"/api/v1/entities/{SDN}/links", json=body, headers=api.h("analyst"))
    assert r.status_code == 201, r.text
    assert r.json()["source"] == "analyst" and r.json()["judgement"] == "different"
    screened = api.client.get("/api/v1/entities/screen", params={"name": "Ayman al-Zawahiri"}, headers=api.h())
    assert sorted(m["entity_id"] for m in screened.json()["matches"]) == [UN, SDN]
    assert all(len(m["referents"]) == 1 for m in screened.json()["matches"])
    r = api.client.delete(f"/api/v1/entities/{UN}/links/{SDN}", headers=api.h("analyst"))
    assert r.status_code == 200, r.text
    screened = api.client.get("/api/v1/entities/screen", params={"name": "Ayman al-Zawahiri"}, headers=api.h())
    assert len(screened.json()["matches"]) == 1
    with session_scope(api.engine) as s:
        actions = [e.action for e in s.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]
    assert actions[-2:] == ["entity.split", "entity.withdraw"]
    assert "entity.resolve" in actions


def test_bad_judgements_are_clear_errors(sqlite_api: Api) -> None:
    _two_lists(sqlite_api.engine)
    h = sqlite_api.h("analyst")
    url = f"/api/v1/entities/{SDN}/links"
    r = sqlite_api.client.post(url, json={"other": SDN, "judgement": "same", "reason": "x"}, headers=h)
    assert r.status_code == 422 and "itself" in r.json()["error"]["message"]
    r = sqlite_api.client.post(url, json={"other": "eu_fsf:404", "judgement": "same", "reason": "x"}, headers=h)
    assert r.status_code == 404 and "eu_fsf:404" in r.json()["error"]["message"]
    r = sqlite_api.client.post(url, json={"other": UN, "judgement": "maybe", "reason": "x"}, headers=h)
    assert r.status_code == 422 and "judgement" in r.json()["error"]["message"]
    r = sqlite_api.client.post(url, json={"other": UN, "judgement": "same", "reason": ""}, headers=h)
    assert r.status_code == 422
    r = sqlite_api.client.delete(f"{url}/{UN}", headers=h)
    assert r.status_code == 422 and "no analyst judgement" in r.json()["error"]["message"]
    assert sqlite_api.client.get("/api/v1/entities/eu_fsf:404/links", headers=h).status_code == 404


def test_alerts_and_exports_show_one_entity_with_its_list_memberships(api: Api) -> None:
    _two_lists(api.engine)
    article = add_article(api.engine, None, "Al-Qaeda leader", "Ayman al-Zawahiri was named.")
    alert = add_alert(api.engine, article_id=article, feed_id=None, entity_ids=(UN, SDN))
    one = {"entity_id": UN, "referents": [UN, SDN], "lists": ["un_sc_sanctions", "us_ofac_sdn"]}
    detail = api.client.get(f"/api/v1/alerts/{alert}", headers=api.h("reader")).json()
    assert detail["entity_ids"] == [UN, SDN]
    assert detail["entities"] == [one]  # two records of one entity: one entry
    page = api.client.get("/api/v1/alerts", headers=api.h("reader")).json()
    assert page["items"][0]["entities"] == [one]
    jsonl = api.client.get("/api/v1/alerts/export", params={"format": "jsonl"}, headers=api.h("reader"))
    assert json.loads(jsonl.text.splitlines()[0])["entities"] == [one]
    rows = list(csv.DictReader(io.StringIO(api.client.get("/api/v1/alerts/export", params={"format": "csv"},
                                                          headers=api.h("reader")).text)))  # fmt: skip
    assert json.loads(rows[0]["entities"]) == [one]
    # an analyst parts the two records: the alert names two entities, each on its own list
    r = api.client.post(f"/api/v1/entities/{SDN}/links", headers=api.h("analyst"),
                        json={"other": UN, "judgement": "different", "reason": "two men"})  # fmt: skip
    assert r.status_code == 201, r.text
    detail = api.client.get(f"/api/v1/alerts/{alert}", headers=api.h("reader")).json()
    assert [(e["entity_id"], e["lists"]) for e in detail["entities"]] == [
        (UN, ["un_sc_sanctions"]),
        (SDN, ["us_ofac_sdn"]),
    ]
