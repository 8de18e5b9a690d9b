"""Migration 0006: rows of the old schema (one alert per article and rule) become one alert per
article with every rule as a label; reviews, entity links, deliveries (with their attempts) and
digest items keep pointing at valid rows. On SQLite and PostgreSQL, with rows written by SQL
against the 0005 schema (not by today's models)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from monitor.db import upgrade
from tests.support.migrated import engine_at


@pytest.fixture(params=["sqlite", "postgresql"])
def old_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty store migrated only to 0005 (the schema before labels)."""
    yield from engine_at("0005", request.param, tmp_path)


T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _stamp(at: datetime, engine: Engine) -> Any:
    # UTCDateTime stores naive UTC text on SQLite and timestamptz on PostgreSQL
    return at.replace(tzinfo=None).isoformat(sep=" ") if engine.dialect.name == "sqlite" else at


def _insert(conn: Any, table: str, engine: Engine, **values: Any) -> int:
    values = {k: (_stamp(v, engine) if isinstance(v, datetime) else v) for k, v in values.items()}
    values = {k: (json.dumps(v) if isinstance(v, list | dict) else v) for k, v in values.items()}
    cols = ", ".join(f'"{k}"' for k in values)
    marks = ", ".join(f":{k}" for k in values)
    row = conn.execute(text(f'INSERT INTO {table} ({cols}) VALUES ({marks}) RETURNING id'), values)
    return int(row.scalar_one())


def _alert(conn: Any, engine: Engine, article_id: int, rule: str, severity: str, rank: int, score: float,
           status: str, entities: list[str], at: datetime, suppressed: bool = False) -> int:
    return _insert(
        conn, "alert", engine, article_id=article_id, feed_id=None, rule_id=rule, category="sanctions",
        severity=severity, severity_rank=rank, score=score, title="Kim and Putin", explanation=f"{rule} fired",
        entity_ids=entities, evidence=[{"field": "text", "start": 0, "end": 5, "text": f"{rule} span"}],
        status=status, suppressed=suppressed, rescreened=False, created_at=at, updated_at=at,
    )


def _old_rows(engine: Engine) -> dict[str, Any]:
    kim, putin = "un_sc_sanctions:KPi.033", "us_ofac_sdn:123"
    with engine.begin() as conn:
        arts = [
            _insert(conn, "article", engine, title=t, text=t, dedupe_key=t, content_hash="h", fetched_at=T0)
            for t in ("Kim-Putin summit", "Tanker story")
        ]
        first = _alert(conn, engine, arts[0], "sanctioned-entity", "high", 3, 0.8, "dismissed", [kim], T0)
        arms = _alert(conn, engine, arts[0], "arms-transfer", "critical", 4, 0.95, "new", [kim, putin],
                      T0 + timedelta(minutes=1))
        officials = _alert(conn, engine, arts[0], "named-officials", "medium", 2, 0.6, "new", [putin],
                           T0 + timedelta(minutes=2), suppressed=True)
        lone = _alert(conn, engine, arts[1], "sanctions-evasion", "medium", 2, 0.5, "confirmed", [], T0)
        for alert_id, entity in ((first, kim), (arms, kim), (arms, putin), (officials, putin)):
            conn.execute(text("INSERT INTO alert_entity (alert_id, entity_id, dataset, created_at) "
                              "VALUES (:a, :e, :d, :t)"),
                         {"a": alert_id, "e": entity, "d": entity.split(":")[0], "t": _stamp(T0, engine)})
        _insert(conn, "alert_review", engine, alert_id=first, actor="analyst", at=T0, from_status="new",
                to_status="dismissed", reason="name clash")
        _insert(conn, "alert_review", engine, alert_id=lone, actor="analyst", at=T0, from_status="new",
                to_status="confirmed", reason="listed party")
        sub = _insert(conn, "subscription", engine, name="s", channel="webhook", target="http://127.0.0.1:9/h",
                      rules=[], categories=[], entity_ids=[], datasets=[], feed_ids=[], realtime=True, digest=True,
                      timezone="UTC", active=True, status="ok", created_at=T0, created_by="t")
        deliveries = [
            _insert(conn, "delivery", engine, alert_id=a, subscription_id=sub, message_id=f"msg_{a}",
                    status="delivered", attempts=1, next_attempt_at=T0, created_at=T0)
            for a in (first, arms)
        ]
        for d in deliveries:
            _insert(conn, "delivery_attempt", engine, delivery_id=d, at=T0, ok=True, status_code=200,
                    duration_ms=1.0)
        digest = _insert(conn, "digest", engine, subscription_id=sub, local_date="2026-11-01", status="sent",
                         claimed_at=T0, alert_count=2)
        for a in (first, arms):
            conn.execute(text("INSERT INTO digest_item (subscription_id, alert_id, digest_id) VALUES (:s, :a, :d)"),
                         {"s": sub, "a": a, "d": digest})
    return {"articles": arts, "first": first, "arms": arms, "officials": officials, "lone": lone,
            "sub": sub, "deliveries": deliveries}


def _rows(conn: Any, sql: str, **params: Any) -> list[Any]:
    return list(conn.execute(text(sql), params).all())


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def test_old_rows_merge_into_one_alert_per_article(old_engine: Engine) -> None:
    old = _old_rows(old_engine)
    upgrade(old_engine)
    with old_engine.begin() as conn:
        alerts = _rows(conn, "SELECT id, article_id, rule_id, severity, score, status, suppressed, rules, labels, "
                             "entity_ids FROM alert ORDER BY id")
        assert [a.id for a in alerts] == [old["first"], old["lone"]]  # the oldest row of each article stays
        merged, lone = alerts
        labels = _json(merged.labels)
        assert [lab["rule_id"] for lab in labels] == ["arms-transfer", "sanctioned-entity", "named-officials"]
        assert [lab["suppressed"] for lab in labels] == [False, False, True]
        assert labels[0]["explanation"] == "arms-transfer fired" and labels[0]["score"] == 0.95
        assert labels[1]["evidence"][0]["text"] == "sanctioned-entity span"
        assert _json(merged.rules) == ["arms-transfer", "sanctioned-entity"]
        assert (merged.rule_id, merged.severity, merged.score) == ("arms-transfer", "critical", 0.95)
        assert not merged.suppressed
        # dismissed + new + new: the rules still waiting for review keep the alert open
        assert merged.status == "new" and lone.status == "confirmed"
        assert _json(lone.rules) == ["sanctions-evasion"] and len(_json(lone.labels)) == 1
        # the audit trail moved with the rows, and the merge is written to it
        trail = _rows(conn, "SELECT alert_id, actor, from_status, to_status, note FROM alert_review ORDER BY id")
        assert [(r.alert_id, r.actor) for r in trail] == [
            (old["first"], "analyst"), (old["lone"], "analyst"), (old["first"], "migration")]
        assert trail[-1].from_status == "dismissed" and trail[-1].to_status == "new"
        assert f"alert {old['arms']} (arms-transfer, new)" in trail[-1].note
        links = _rows(conn, "SELECT alert_id, entity_id FROM alert_entity ORDER BY entity_id")
        assert [(r.alert_id, r.entity_id) for r in links] == [
            (old["first"], "un_sc_sanctions:KPi.033"), (old["first"], "us_ofac_sdn:123")]
        labels_rows = _rows(conn, "SELECT alert_id, rule_id, suppressed FROM alert_label ORDER BY alert_id, rule_id")
        assert [(r.alert_id, r.rule_id, bool(r.suppressed)) for r in labels_rows] == [
            (old["first"], "arms-transfer", False), (old["first"], "named-officials", True),
            (old["first"], "sanctioned-entity", False), (old["lone"], "sanctions-evasion", False)]
        # one delivery per (alert, subscription), both attempts kept on it
        deliveries = _rows(conn, "SELECT id, alert_id FROM delivery")
        assert [(d.id, d.alert_id) for d in deliveries] == [(old["deliveries"][0], old["first"])]
        attempts = _rows(conn, "SELECT delivery_id FROM delivery_attempt")
        assert [a.delivery_id for a in attempts] == [old["deliveries"][0]] * 2
        items = _rows(conn, "SELECT alert_id FROM digest_item")
        assert [i.alert_id for i in items] == [old["first"]]
    # one alert per article from now on
    with pytest.raises(IntegrityError), old_engine.begin() as conn:
        _alert(conn, old_engine, old["articles"][0], "other", "low", 1, 0.1, "new", [], T0)


def test_today_s_code_reads_the_migrated_rows(old_engine: Engine) -> None:
    from sqlmodel import Session

    from monitor.alerts.queries import AlertFilter, list_alerts

    old = _old_rows(old_engine)
    upgrade(old_engine)
    with Session(old_engine) as session:
        by_rule = list_alerts(session, AlertFilter(rules=["sanctioned-entity"])).items
        assert [a.id for a in by_rule] == [old["first"]]
        # a suppressed label does not select its alert unless suppressed ones are asked for
        assert list_alerts(session, AlertFilter(rules=["named-officials"])).items == []
        wide = AlertFilter(rules=["named-officials"], suppressed="include")
        assert [a.id for a in list_alerts(session, wide).items] == [old["first"]]


def test_downgrade_splits_the_labels_again(old_engine: Engine) -> None:
    old = _old_rows(old_engine)
    upgrade(old_engine)
    upgrade_to = "0005"
    from alembic import command

    from monitor.db import _alembic_config

    cfg = _alembic_config()
    with old_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, upgrade_to)
    with old_engine.begin() as conn:
        rows = _rows(conn, "SELECT article_id, rule_id, suppressed FROM alert ORDER BY article_id, rule_id")
    assert [(r.article_id, r.rule_id, bool(r.suppressed)) for r in rows] == [
        (old["articles"][0], "arms-transfer", False), (old["articles"][0], "named-officials", True),
        (old["articles"][0], "sanctioned-entity", False), (old["articles"][1], "sanctions-evasion", False)]


def test_a_newer_alerts_delivery_created_first_does_not_break_the_merge(old_engine: Engine) -> None:
    # The kept delivery of a subscription (the oldest row) belongs to a merged-away alert while
    # the kept alert has its own, newer delivery to the same subscription.
    with old_engine.begin() as conn:
        art = _insert(conn, "article", old_engine, title="t", text="t", dedupe_key="t", content_hash="h",
                      fetched_at=T0)
        first = _alert(conn, old_engine, art, "sanctioned-entity", "high", 3, 0.8, "new", [], T0)
        later = _alert(conn, old_engine, art, "arms-transfer", "critical", 4, 0.9, "new", [], T0)
        sub = _insert(conn, "subscription", old_engine, name="s", channel="webhook", target="http://127.0.0.1:9/h",
                      rules=[], categories=[], entity_ids=[], datasets=[], feed_ids=[], realtime=True,
                      digest=True, timezone="UTC", active=True, status="ok", created_at=T0, created_by="t")
        older = _insert(conn, "delivery", old_engine, alert_id=later, subscription_id=sub, message_id="msg_a",
                        status="delivered", attempts=1, next_attempt_at=T0, created_at=T0)
        newer = _insert(conn, "delivery", old_engine, alert_id=first, subscription_id=sub, message_id="msg_b",
                        status="delivered", attempts=1, next_attempt_at=T0, created_at=T0)
        for d in (older, newer):
            _insert(conn, "delivery_attempt", old_engine, delivery_id=d, at=T0, ok=True, status_code=200,
                    duration_ms=1.0)
    upgrade(old_engine)
    with old_engine.begin() as conn:
        deliveries = _rows(conn, "SELECT id, alert_id FROM delivery")
        attempts = _rows(conn, "SELECT delivery_id FROM delivery_attempt")
    assert [(d.id, d.alert_id) for d in deliveries] == [(older, first)]
    assert sorted(a.delivery_id for a in attempts) == [older, older]  # both attempts kept on the one row


def test_upgrade_runs_again_after_a_downgrade(old_engine: Engine) -> None:
    from alembic import command

    from monitor.db import SCHEMA_HEAD, _alembic_config, schema_is_current

    old = _old_rows(old_engine)
    upgrade(old_engine)
    cfg = _alembic_config()
    with old_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
    upgrade(old_engine)  # SQLite kept the label columns on the way down: found, not added twice
    assert schema_is_current(old_engine) and SCHEMA_HEAD
    with old_engine.begin() as conn:
        rows = _rows(conn, "SELECT article_id, rules FROM alert ORDER BY article_id")
    assert [r.article_id for r in rows] == old["articles"]
    assert sorted(_json(rows[0].rules)) == ["arms-transfer", "sanctioned-entity"]
