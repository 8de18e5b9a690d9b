"""Backtests run within a cost budget and a wall-clock deadline: refused up front when too costly,
stopped between articles at the deadline with a partial result that says so."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from monitor.alerts.backtest import query_clauses
from monitor.db import session_scope
from monitor.models import Article
from tests.api.conftest import Api, make_api


def add_articles(engine: Engine, n: int) -> None:
    """n stored articles, every one mentioning drones for Russia."""
    with session_scope(engine) as s:
        for i in range(n):
            s.add(Article(title=f"Drones {i}", text=f"Iran is shipping drones to Russia, report {i} says.",
                          dedupe_key=f"bt-{i}", content_hash=f"bt-{i}"))


@pytest.fixture
def limited_api(any_engine: Engine, make_settings) -> Iterator[Api]:  # type: ignore[no-untyped-def]
    """The API with a tiny budget (1,000 article-clauses) and a deadline no scan can meet."""

    def settings(**kw):  # type: ignore[no-untyped-def]
        return make_settings(**kw, backtest_max_cost=1000, backtest_timeout=1e-6)

    yield from make_api(any_engine, settings)


def _rule(api: Api, rule_id: str, query: str) -> None:
    body = {"id": rule_id, "title": rule_id, "severity": "low", "category": "sanctions", "query": query}
    r = api.client.post("/api/v1/rules", json=body, headers=api.h())
    assert r.status_code == 201, r.text


def test_clauses_count_operators_not_words() -> None:
    assert query_clauses("drones") == 1
    assert query_clauses("drones OR missiles OR shells") == 2  # one OR, evaluated once per article
    assert query_clauses("(drones w/5 russia) AND NOT training") == 4  # AND, w/5, NOT, plus one
    assert query_clauses("((( unbalanced") == 1


def test_costly_backtest_is_refused_with_what_to_change(limited_api: Api) -> None:
    api = limited_api
    add_articles(api.engine, 3)
    _rule(api, "chain", " w/5 ".join(f"w{i}" for i in range(11)))  # 10 proximity clauses + 1
    r = api.client.post("/api/v1/rules/chain/test?articles=500", headers=api.h("analyst"))
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "backtest_too_costly"
    assert (err["details"][0]["cost"], err["details"][0]["max_cost"]) == (500 * 11, 1000)
    assert "scan at most 90 articles" in err["message"]
    r = api.client.post("/api/v1/rules/chain/test?articles=90", headers=api.h("analyst"))
    assert r.status_code == 200, r.text


def test_deadline_stops_between_articles_with_a_partial_result(limited_api: Api) -> None:
    api = limited_api
    add_articles(api.engine, 5)
    _rule(api, "drones-russia", "drones w/5 russia")
    r = api.client.post("/api/v1/rules/drones-russia/test?articles=5", headers=api.h("analyst"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["complete"] is False and out["articles_requested"] == 5
    assert out["articles_scanned"] == 1 and out["hits"] == 1  # what was scanned is reported, not thrown away
    assert "deadline" in out["stopped"] and "1 of 5 articles" in out["stopped"]


def test_backtest_within_limits_is_complete(api: Api) -> None:
    add_articles(api.engine, 4)
    _rule(api, "drones-russia", "drones w/5 russia")
    out = api.client.post("/api/v1/rules/drones-russia/test?articles=10", headers=api.h("analyst")).json()
    assert (out["complete"], out["stopped"], out["articles_scanned"], out["hits"]) == (True, None, 4, 4)


def test_backtest_says_why_a_stored_alert_scored_differently(api: Api) -> None:
    from datetime import timedelta

    from sqlmodel import select

    from monitor.models import Alert, ListVersion, utcnow

    add_articles(api.engine, 3)
    _rule(api, "drones-russia", "drones w/5 russia")
    first = api.client.post("/api/v1/rules/drones-russia/test?articles=10", headers=api.h("analyst")).json()
    live = {h["article_id"]: h for h in first["items"]}
    assert all(h["stored"] is None for h in live.values())  # nothing stored yet
    old, same, recent = sorted(live)
    now = utcnow()
    with session_scope(api.engine) as s:
        def alert(article_id: int, severity: str, score: float, at: object) -> None:
            s.add(Alert(article_id=article_id, rule_id="drones-russia", severity=severity, score=score,
                        created_at=at, updated_at=at))
        alert(old, "medium", 0.2, now - timedelta(days=2))  # before the list load and the rule edit below
        alert(same, live[same]["severity"], live[same]["score"], now - timedelta(days=2))  # scores as today
        alert(recent, "medium", 0.2, now + timedelta(minutes=5))  # after both: only the matcher can explain it
        s.add(ListVersion(dataset="us_ofac_sdn", number=7, source="sdn.csv", format="ofac-csv", file_hash="x",
                          loaded_at=now - timedelta(days=1)))
    r = api.client.patch("/api/v1/rules/drones-russia", json={"description": "edited"}, headers=api.h())
    assert r.status_code == 200, r.text
    out = api.client.post("/api/v1/rules/drones-russia/test?articles=10", headers=api.h("analyst")).json()
    hits = {h["article_id"]: h for h in out["items"]}
    with session_scope(api.engine) as s:
        ids = {a.article_id: a.id for a in s.exec(select(Alert))}
    stored = hits[old]["stored"]
    assert stored["alert_id"] == ids[old] and (stored["severity"], stored["score"]) == ("medium", 0.2)
    assert any("list us_ofac_sdn version 7 loaded" in c for c in stored["changes"]), stored
    assert any("the rule was edited" in c for c in stored["changes"]), stored
    assert "stored alert" in stored["note"] and "since then" in stored["note"]
    assert hits[same]["stored"] is None
    assert hits[recent]["stored"]["changes"] == [] and "matcher itself" in hits[recent]["stored"]["note"]


def test_a_deadline_passed_on_the_last_article_leaves_the_result_complete(limited_api: Api) -> None:
    api = limited_api
    add_articles(api.engine, 1)  # fewer articles than asked for, scanned after the (tiny) deadline
    _rule(api, "drones-russia", "drones w/5 russia")
    out = api.client.post("/api/v1/rules/drones-russia/test?articles=5", headers=api.h("analyst")).json()
    assert (out["complete"], out["stopped"], out["articles_scanned"], out["hits"]) == (True, None, 1, 1)
