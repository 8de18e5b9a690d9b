"""Migration 0007 (delivery per story): existing deliveries keep their attempts (SQLite rebuilds the
delivery table to make `alert_id` nullable, and dropping the old one would cascade to the attempts),
subscriptions stay per article, and a story message can be stored; the downgrade keeps alert
deliveries. Rows written by SQL against the 0006 schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from monitor.db import upgrade
from tests.alerts.test_migration_labels import T0, _insert
from tests.support.migrated import engine_at


@pytest.fixture(params=["sqlite", "postgresql"])
def engine_0006(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty store migrated only to 0006."""
    yield from engine_at("0006", request.param, tmp_path)


def test_deliveries_keep_their_attempts_and_story_messages_fit(engine_0006: Engine) -> None:
    engine = engine_0006
    with engine.begin() as conn:
        article = _insert(conn, "article", engine, title="Kim-Putin summit", text="t", dedupe_key="k",
                          content_hash="h", fetched_at=T0)
        alert = _insert(conn, "alert", engine, article_id=article, rule_id="arms-transfer", category="sanctions",
                        severity="high", severity_rank=3, score=0.9, title="Kim", explanation="", entity_ids=[],
                        evidence=[], rules=["arms-transfer"], labels=[], status="new", suppressed=False,
                        rescreened=False, created_at=T0, updated_at=T0)
        sub = _insert(conn, "subscription", engine, name="", channel="webhook", target="http://127.0.0.1:9/h",
                      rules=[], categories=[], entity_ids=[], datasets=[], feed_ids=[], realtime=True, digest=False,
                      timezone="UTC", active=True, status="ok", created_at=T0, created_by="cli")
        delivery = _insert(conn, "delivery", engine, alert_id=alert, subscription_id=sub, message_id="msg_1",
                           status="delivered", attempts=2, next_attempt_at=T0, created_at=T0)
        for ok in (False, True):
            _insert(conn, "delivery_attempt", engine, delivery_id=delivery, at=T0, ok=ok, duration_ms=1.0)
        story = _insert(conn, "story", engine, title="Kim", first_seen=T0, last_seen=T0, article_count=1,
                        sources=[], entity_ids=[], rules=[], alert_count=1, severity_rank=3, status="new",
                        created_at=T0, updated_at=T0)
    upgrade(engine, "0007")
    with engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM delivery_attempt WHERE delivery_id = :d"),
                            {"d": delivery}).scalar_one() == 2
        assert conn.execute(text("SELECT kind, alert_id FROM delivery")).one() == ("alert", alert)
        assert conn.execute(text("SELECT deliver_per, story_update_minutes FROM subscription")).one() == ("article", 60)
        _insert(conn, "delivery", engine, alert_id=None, story_id=story, kind="story.created", payload={"id": story},
                subscription_id=sub, message_id="msg_2", status="pending", attempts=0, next_attempt_at=T0,
                created_at=T0)
    from alembic import command

    from monitor.db import _alembic_config

    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006")
    with engine.begin() as conn:
        assert conn.execute(text("SELECT id FROM delivery")).scalars().all() == [delivery]  # the story message went
        assert conn.execute(text("SELECT count(*) FROM delivery_attempt")).scalar_one() == 2
    upgrade(engine, "0007")  # again, after a downgrade (SQLite kept the subscription's columns)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM delivery_attempt")).scalar_one() == 2
