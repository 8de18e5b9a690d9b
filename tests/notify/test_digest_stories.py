"""The digest lists the day's alerts by story, each with its number of sources."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.db import session_scope
from monitor.notify.digest import build_digest, digest_json, render_digest
from monitor.notify.subscriptions import SubscriptionCreate, create_subscription
from tests.stories.test_service import ARMS, OTHER, SUMMIT, add


def test_digest_groups_alerts_by_story_with_source_counts(sqlite_engine: Engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(now - timedelta(hours=3), tick=False):
        with session_scope(sqlite_engine) as s:
            sub, _secret = create_subscription(s, settings, SubscriptionCreate(
                channel="email", target="c@example.org", realtime=False, digest_time="08:00", timezone="UTC"))
            sub_id = sub.id
        for n, outlet in enumerate(("bbc", "guardian", "nbc")):
            add(sqlite_engine, outlet, *SUMMIT[n], n, alerts=ARMS)
        add(sqlite_engine, "local", *OTHER, 1, alerts=(("sanctions-evasion", "medium", ()),))
    with time_machine.travel(now, tick=False), Session(sqlite_engine, expire_on_commit=False) as s:
        from monitor.models import Subscription

        content = build_digest(s, settings, s.get(Subscription, sub_id), now.date())  # type: ignore[arg-type]
    assert content.total == 4
    top, other = content.stories
    assert top["source_count"] == 3 and top["alerts"] == 3 and top["severity"] == "high"
    assert top["sources"] == ["bbc", "guardian", "nbc"]
    assert other["source_count"] == 1 and other["rules"] == ["sanctions-evasion"]
    text, html = render_digest(content, settings)
    assert "Stories (2)" in text and "3 source(s), 3 alert(s)" in text
    assert "Stories (2)" in html
    assert digest_json(content)["stories"][0]["source_count"] == 3


def test_an_alert_message_names_its_story(sqlite_engine: Engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    from sqlmodel import select

    from monitor.models import Alert
    from monitor.notify.payload import alert_data

    settings = make_settings()
    first = add(sqlite_engine, "bbc", *SUMMIT[0], 0, alerts=ARMS)
    second = add(sqlite_engine, "guardian", *SUMMIT[1], 1, alerts=ARMS)
    with Session(sqlite_engine) as s:
        alert = s.exec(select(Alert).where(Alert.article_id == second)).one()
        story = alert_data(s, alert, settings)["story"]
        first_alert = s.exec(select(Alert).where(Alert.article_id == first)).one()
        first_story = alert_data(s, first_alert, settings)["story"]
        assert first_story["id"] == story["id"] and story["title"]
        # a retry of the first alert's message, sent after the second outlet joined, carries the
        # same story data (nothing that grows with the story)
        assert first_story == story and set(story) == {"id", "title"}
