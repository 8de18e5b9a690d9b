"""The outbox: filters decide who gets an alert; one delivery per (alert, subscription), ever."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from monitor.db import session_scope
from monitor.models import Delivery
from monitor.notify.filters import alert_matches
from monitor.notify.outbox import enqueue_for_alert
from tests.notify.conftest import make_alert, make_subscription


def test_filters_each_field(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as s:
        alert = make_alert(s, rule="arms-transfer", severity="high", score=0.8,
                           entity_ids=("us_ofac_sdn:35173",), feed_id=7)
        cases = {
            "no filter": ({}, True),
            "rule in": ({"rules": ["arms-transfer", "x"]}, True),
            "rule out": ({"rules": ["named-officials"]}, False),
            "category out": ({"categories": ["proliferation"]}, False),
            "severity equal": ({"min_severity": "high"}, True),
            "severity above": ({"min_severity": "critical"}, False),
            "score below": ({"min_score": 0.81}, False),
            "score equal": ({"min_score": 0.8}, True),
            "entity in": ({"entity_ids": ["us_ofac_sdn:35173"]}, True),
            "entity out": ({"entity_ids": ["us_ofac_sdn:1"]}, False),
            "dataset in": ({"datasets": ["us_ofac_sdn"]}, True),
            "dataset out": ({"datasets": ["un_sc_sanctions"]}, False),
            "feed in": ({"feed_ids": [7]}, True),
            "feed out": ({"feed_ids": [8]}, False),
            "all hold": ({"rules": ["arms-transfer"], "min_severity": "medium", "datasets": ["us_ofac_sdn"]}, True),
            "one fails": ({"rules": ["arms-transfer"], "min_severity": "critical"}, False),
        }
        for name, (fields, expected) in cases.items():
            sub = make_subscription(s, **fields)
            assert alert_matches(sub, alert, {"us_ofac_sdn"}) is expected, name


def test_enqueue_matches_and_is_idempotent(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        wanted = make_subscription(s, rules=["arms-transfer"])
        also = make_subscription(s, min_severity="medium")
        make_subscription(s, rules=["named-officials"])  # filter says no
        make_subscription(s, active=False)  # paused
        make_subscription(s, realtime=False, digest=True, digest_time="08:00")  # digest only
        make_subscription(s, status="disabled")  # endpoint said 410
        alert = make_alert(s)
        created = enqueue_for_alert(s, alert)
        assert sorted(d.subscription_id for d in created) == sorted([wanted.id, also.id])
        assert all(d.message_id.startswith("msg_") and d.status == "pending" for d in created)
        assert len({d.message_id for d in created}) == 2
        # a second call (a re-run of the matcher) creates nothing new
        assert enqueue_for_alert(s, alert) == []
    with Session(any_engine) as s:
        rows = s.exec(select(Delivery)).all()
        assert len(rows) == 2
        assert {r.message_id for r in rows} == {d.message_id for d in created}


def test_suppressed_alert_is_not_enqueued(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as s:
        make_subscription(s)
        alert = make_alert(s, suppressed=True)
        assert enqueue_for_alert(s, alert) == []
