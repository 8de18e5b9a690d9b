"""One alert per article, its rules as labels: the list, rule filters, detail, export, Atom and SSE rows,
and suppression of one label, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import feedparser
from sqlalchemy.engine import Engine

from monitor import alertlabels as labels
from monitor.db import session_scope
from monitor.models import Alert, AlertEntity, utcnow
from tests.api.conftest import Api
from tests.api.factories import add_article

KIM = "un_sc_sanctions:KPi.033"
PUTIN = "us_ofac_sdn:99"


def _label(rule: str, severity: str, score: float, entities: list[str], span: str) -> dict[str, Any]:
    return {"rule_id": rule, "category": "arms-transfer" if rule == "arms-transfer" else "sanctions",
            "severity": severity, "score": score, "explanation": f"{rule} because {span}", "entity_ids": entities,
            "evidence": [{"field": "text", "start": 0, "end": len(span), "text": span}], "suppressed": False,
            "created_at": utcnow().isoformat()}


def _kim_putin(engine: Engine) -> int:
    """The demo's story: one article on which four rules fired."""
    article = add_article(engine, None, "Kim to meet Putin", "Kim Jong Un will meet Vladimir Putin on arms.",
                          ((KIM, "Kim Jong Un"), (PUTIN, "Vladimir Putin")))
    with session_scope(engine) as s:
        alert = Alert(article_id=article, title="Kim to meet Putin", rule_id="", severity="", score=0)
        labels.apply(alert, [
            _label("sanctioned-entity", "high", 0.9, [KIM, PUTIN], "Kim Jong Un"),
            _label("arms-transfer", "critical", 0.8, [KIM], "meet Vladimir Putin on arms"),
            _label("named-officials", "medium", 0.95, [PUTIN], "Vladimir Putin"),
            _label("sanctions-evasion", "low", 0.3, [], "on arms"),
        ])
        s.add(alert)
        s.flush()
        for eid in (KIM, PUTIN):
            s.add(AlertEntity(alert_id=alert.id, entity_id=eid, dataset=eid.split(":")[0]))
        assert alert.id is not None
        return alert.id


def _get(api: Api, query: str = "") -> list[dict[str, Any]]:
    r = api.client.get(f"/api/v1/alerts{query}", headers=api.h())
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


def test_one_row_per_article_with_every_rule_as_a_label(api: Api) -> None:
    alert_id = _kim_putin(api.engine)
    (row,) = _get(api)
    assert row["id"] == alert_id
    assert row["rules"] == ["arms-transfer", "sanctioned-entity", "named-officials", "sanctions-evasion"]
    # compatible fields: the top label's rule, the highest severity and score, the unions
    assert row["rule_id"] == "arms-transfer" and row["category"] == "arms-transfer"
    assert row["severity"] == "critical" and row["score"] == 0.95
    assert row["explanation"] == "arms-transfer because meet Vladimir Putin on arms"
    assert set(row["entity_ids"]) == {KIM, PUTIN} and len(row["evidence"]) == 4
    by_rule = {lab["rule_id"]: lab for lab in row["labels"]}
    assert by_rule["named-officials"]["score"] == 0.95 and by_rule["named-officials"]["severity"] == "medium"
    assert by_rule["sanctions-evasion"]["evidence"][0]["text"] == "on arms"
    # every label selects the alert, not only the top one
    for rule in row["rules"]:
        assert [a["id"] for a in _get(api, f"?rule={rule}")] == [alert_id], rule
    assert _get(api, "?rule=proliferation") == []
    assert [a["id"] for a in _get(api, "?category=sanctions")] == [alert_id]
    detail = api.client.get(f"/api/v1/alerts/{alert_id}", headers=api.h()).json()
    assert detail["rules"] == row["rules"] and len(detail["labels"]) == 4
    assert detail["rule"]["id"] == "arms-transfer"


def test_export_atom_and_review_carry_the_labels(api: Api) -> None:
    alert_id = _kim_putin(api.engine)
    r = api.client.get("/api/v1/alerts/export?format=csv&rule=named-officials", headers=api.h())
    (row,) = list(csv.DictReader(io.StringIO(r.text)))
    assert row["rules"].split() == ["arms-transfer", "sanctioned-entity", "named-officials", "sanctions-evasion"]
    assert [lab["rule_id"] for lab in json.loads(row["labels"])][2] == "named-officials"
    r = api.client.get("/api/v1/alerts/export?format=jsonl", headers=api.h())
    (line,) = r.text.splitlines()
    assert len(json.loads(line)["labels"]) == 4
    feed = feedparser.parse(api.client.get("/api/v1/alerts.atom", headers=api.h()).content)
    (entry,) = feed.entries
    assert [t["term"] for t in entry.tags] == [
        "arms-transfer", "sanctioned-entity", "named-officials", "sanctions-evasion"]
    assert "named-officials because Vladimir Putin" in entry.summary
    r = api.client.post(f"/api/v1/alerts/{alert_id}/review", headers=api.h("analyst"),
                        json={"status": "confirmed", "reason": "listed parties named"})
    assert r.status_code == 201
    assert [a["status"] for a in _get(api, "?rule=sanctions-evasion")] == ["confirmed"]


def test_suppressing_an_entity_drops_its_labels_and_the_alert_only_when_none_is_left(api: Api) -> None:
    alert_id = _kim_putin(api.engine)

    def suppress(entity_id: str) -> None:
        r = api.client.post("/api/v1/suppressions", headers=api.h("analyst"),
                            json={"entity_id": entity_id, "scope": "global", "reason": "test"})
        assert r.status_code == 201, r.text

    suppress(PUTIN)
    (row,) = _get(api)
    # named-officials names only Putin: it drops out; the others name Kim too, or nobody
    assert row["rules"] == ["arms-transfer", "sanctioned-entity", "sanctions-evasion"]
    assert row["score"] == 0.9 and not row["suppressed"]
    assert [lab["suppressed"] for lab in row["labels"] if lab["rule_id"] == "named-officials"] == [True]
    assert _get(api, "?rule=named-officials") == []
    assert [a["id"] for a in _get(api, "?rule=named-officials&suppressed=include")] == [alert_id]
    suppress(KIM)
    (row,) = _get(api)
    assert row["rules"] == ["sanctions-evasion"]  # fired on language alone: never covered
    assert row["rule_id"] == "sanctions-evasion" and row["severity"] == "low"
