"""Delivery per story: story.created once, then story.updated at most every N minutes while the story
grows, through the alerts' outbox (signed, retried with the same data, in order), against a real
webhook receiver and a real SMTP server; subscriptions per article are unchanged."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.db import session_scope
from monitor.models import Alert, Article, Delivery, Feed, Story, StoryNotice, utcnow
from monitor.notify.deliver import claim_due, deliver_one, redeliver
from monitor.notify.outbox import enqueue_for_alert
from monitor.notify.story_outbox import enqueue_for_story, release_due_updates
from monitor.notify.subscriptions import (
    SubscriptionCreate,
    SubscriptionUpdate,
    create_subscription,
    update_subscription,
)
from monitor.stories.store import place_article
from tests.notify.conftest import wait_for
from tests.notify.receiver import ReceiverServer
from tests.notify.smtp import SmtpServer
from tests.stories.test_service import SUMMIT, add_in

ARMS = ("arms-transfer", "high", ("us_ofac_sdn:1",))


def place(s: Session, outlet: str, title: str, text: str, hours: float,
          alerts: tuple[tuple[str, str, tuple[str, ...]], ...] = (ARMS,), now: datetime | None = None
          ) -> tuple[Story, list[Delivery]]:
    """Store an article of this outlet with these alerts, place it in its story and enqueue for the story,
    as the pipeline does (monitor.pipeline.match); returns the story and the deliveries made."""
    _article, alert, story = add_in(s, outlet, title, text, hours, alerts=alerts)
    return story, enqueue_for_story(s, story, alert, now=now or utcnow())


def story_sub(s: Session, settings, target: str, minutes: int = 5, **fields) -> tuple[int, str | None]:
    sub, secret = create_subscription(s, settings, SubscriptionCreate(
        channel="webhook", target=target, deliver_per="story", story_update_minutes=minutes, **fields))
    assert sub.id is not None
    return sub.id, secret


def test_created_once_then_one_throttled_update_and_nothing_when_nothing_changed(sqlite_engine: Engine,
                                                                                 make_settings) -> None:
    settings = make_settings()
    now = utcnow()
    with session_scope(sqlite_engine) as s:
        sub_id, _ = story_sub(s, settings, "http://127.0.0.1:9/hook", minutes=5)
        story, made = place(s, "bbc", *SUMMIT[0], 0, now=now)
        assert [d.kind for d in made] == ["story.created"]
        created = made[0]
        assert created.story_id == story.id and created.alert_id is None
        assert created.payload is not None and created.payload["changes"] is None
        assert created.payload["sources"] == ["bbc"] and created.payload["article_count"] == 1
        # another outlet within the interval: no message yet, an update is due when the interval ends
        officials = (("named-officials", "critical", ("us_ofac_sdn:2",)),)
        story2, made = place(s, "guardian", *SUMMIT[1], 1, alerts=officials, now=now + timedelta(minutes=1))
        assert story2.id == story.id and made == []
        notice = s.get(StoryNotice, (story.id, sub_id))
        assert notice is not None and notice.due_at == now + timedelta(minutes=5)
        # a third outlet, still within the interval: the same one update will carry it
        _, made = place(s, "reuters", *SUMMIT[2], 2, alerts=(), now=now + timedelta(minutes=2))
        assert made == []
    with Session(sqlite_engine, expire_on_commit=False) as s:
        assert release_due_updates(s, now=now + timedelta(minutes=4)) == []  # not yet
        (update_id,) = release_due_updates(s, now=now + timedelta(minutes=5, seconds=1))
        assert release_due_updates(s, now=now + timedelta(hours=3)) == []  # made once
        upd = s.get(Delivery, update_id)
        assert upd is not None and upd.kind == "story.updated" and upd.story_id == story.id
        changes = upd.payload["changes"]  # type: ignore[index]
        assert changes["sources"] == ["guardian", "reuters"] and changes["article_count"] == 2
        assert changes["severity"] == {"from": "high", "to": "critical"}
        assert [e["entity_id"] for e in changes["entities"]] == ["us_ofac_sdn:2"]
        assert changes["rules"] == ["named-officials"]
        assert {a["source"] for a in changes["articles"]} == {"guardian", "reuters"}
        assert upd.payload["source_count"] == 3  # type: ignore[index]
    with session_scope(sqlite_engine) as s:
        # placing an article again (a re-match that brings nothing) makes no message, even long after
        article_id = s.exec(select(Article.id).where(Article.title == SUMMIT[0][0])).one()
        article = s.get(Article, article_id)
        assert article is not None
        again = place_article(s, article)
        alert = s.exec(select(Alert).where(Alert.article_id == article_id)).one()
        assert enqueue_for_story(s, again, alert, now=now + timedelta(days=1)) == []
        assert s.get(StoryNotice, (story.id, sub_id)).due_at is None  # type: ignore[union-attr]
        kinds = [d.kind for d in s.exec(select(Delivery).order_by(col(Delivery.id)))]
    assert kinds == ["story.created", "story.updated"]


def test_growth_after_the_interval_is_sent_at_once_and_filters_pick_the_story(sqlite_engine: Engine,
                                                                             make_settings) -> None:
    settings = make_settings()
    now = utcnow()
    with session_scope(sqlite_engine) as s:
        story_sub(s, settings, "http://127.0.0.1:9/hook", minutes=5, min_severity="critical")
        # a high alert does not pass the filter: no story message
        _, made = place(s, "bbc", *SUMMIT[0], 0, now=now)
        assert made == []
        # a critical one joining the story does: story.created, the story as a whole
        _, made = place(s, "guardian", *SUMMIT[1], 1, alerts=(("arms-transfer", "critical", ("us_ofac_sdn:1",)),),
                        now=now)
        assert [d.kind for d in made] == ["story.created"]
        assert made[0].payload["sources"] == ["bbc", "guardian"]  # type: ignore[index]
        # a report after the interval has passed: the update is made with it, not by the sweep
        _, made = place(s, "reuters", *SUMMIT[2], 2, alerts=(), now=now + timedelta(minutes=6))
        assert [d.kind for d in made] == ["story.updated"]
        assert made[0].payload["changes"]["sources"] == ["reuters"]  # type: ignore[index]


def test_per_article_subscriptions_are_unchanged(sqlite_engine: Engine, make_settings) -> None:
    settings = make_settings()
    with session_scope(sqlite_engine) as s:
        per_article, _ = create_subscription(s, settings, SubscriptionCreate(channel="webhook",
                                                                              target="http://127.0.0.1:9/a"))
        assert per_article.deliver_per == "article" and per_article.story_update_minutes == 60
        per_story, _ = story_sub(s, settings, "http://127.0.0.1:9/s")
        _, story_made = place(s, "bbc", *SUMMIT[0], 0)
        alert = s.exec(select(Alert)).one()
        article_made = enqueue_for_alert(s, alert)
        assert [(d.kind, d.subscription_id) for d in article_made] == [("alert", per_article.id)]
        assert [(d.kind, d.subscription_id) for d in story_made] == [("story.created", per_story)]
        # switching a subscription to per story stops its per-article messages
        update_subscription(s, per_article.id or 0, SubscriptionUpdate(deliver_per="story"))
        _, made = place(s, "guardian", *SUMMIT[1], 30)  # a new story (30 hours later)
        alert2 = s.exec(select(Alert).order_by(col(Alert.id).desc())).first()
        assert alert2 is not None and enqueue_for_alert(s, alert2) == []
        assert sorted(d.subscription_id for d in made) == sorted([per_article.id, per_story])


def test_webhook_retries_carry_the_same_message_while_the_story_grows(any_engine: Engine, make_settings) -> None:
    settings = make_settings()
    now = utcnow()
    with ReceiverServer() as rx:
        with session_scope(any_engine) as s:
            _sub_id, secret = story_sub(s, settings, rx.url, minutes=0)
            rx.secrets = [secret or ""]
            _, (created,) = place(s, "bbc", *SUMMIT[0], 0, now=now)
        rx.fail_first = 1
        with Session(any_engine, expire_on_commit=False) as s:
            assert deliver_one(s, created.id or 0, settings).result == "retry"
        with session_scope(any_engine) as s:  # the story grows between the two attempts
            _, (upd,) = place(s, "guardian", *SUMMIT[1], 1, now=now)
            assert upd.kind == "story.updated"
        with Session(any_engine, expire_on_commit=False) as s:
            # the update waits behind the created message of the same subscription
            assert deliver_one(s, upd.id or 0, settings).result == "deferred"
            s.execute(update(Delivery).where(col(Delivery.id) == created.id).values(next_attempt_at=utcnow()))
            s.commit()
            assert deliver_one(s, created.id or 0, settings).result == "delivered"  # and the update after it
            assert s.get(Delivery, upd.id).status == "delivered"  # type: ignore[union-attr]
            redeliver(s, created.id or 0)
            s.commit()
            for i in claim_due(s):
                deliver_one(s, i, settings)
    calls = [c for c in rx.calls if c.verified]
    assert [c.webhook_id for c in calls] == [created.message_id] * 2 + [upd.message_id, created.message_id]
    bodies = [{k: v for k, v in (c.payload or {}).items() if k != "timestamp"} for c in calls]
    assert bodies[0] == bodies[1] == bodies[3]  # a retry and a redelivery: the same message
    first, second = bodies[1], bodies[2]
    assert first["type"] == "story.created" and second["type"] == "story.updated"
    assert first["data"]["sources"] == ["bbc"] and first["data"]["source_count"] == 1
    assert second["data"]["sources"] == ["bbc", "guardian"] and second["data"]["changes"]["sources"] == ["guardian"]
    assert first["data"]["review_url"].endswith(f"/stories/{first['data']['id']}")
    assert first["data"]["url"].endswith(f"/api/v1/stories/{first['data']['id']}")
    assert first["data"]["entities"][0]["entity_id"] == "us_ofac_sdn:1" and first["data"]["rules"] == ["arms-transfer"]
    assert first["data"]["severity"] == "high"


def test_story_email_names_the_story_and_what_changed(sqlite_engine: Engine, make_settings) -> None:
    with SmtpServer() as smtp:
        settings = make_settings(smtp_port=smtp.port, smtp_sender="alerts@monitor.example")
        now = utcnow()
        with session_scope(sqlite_engine) as s:
            create_subscription(s, settings, SubscriptionCreate(
                channel="email", target="analyst@example.org", deliver_per="story", story_update_minutes=0))
            _, (created,) = place(s, "bbc", "Kim <b>meets</b> Putin at Vostochny cosmodrome", SUMMIT[0][1], 0,
                                  now=now)
            _, (upd,) = place(s, "guardian", *SUMMIT[1], 1, now=now)
        with Session(sqlite_engine, expire_on_commit=False) as s:
            assert deliver_one(s, created.id or 0, settings).result == "delivered"
    first, second = smtp.messages
    # (a long subject is folded: the parsed header keeps the fold's blank)
    assert first["Subject"].strip() == "[HIGH] Story: Kim <b>meets</b> Putin at Vostochny cosmodrome (1 source)"
    assert second["Subject"].strip() == ("[HIGH] Story update: Kim <b>meets</b> Putin at Vostochny cosmodrome"
                                         " (2 sources)")
    assert first["X-Monitor-Message-Id"] == created.message_id and second["X-Monitor-Message-Id"] == upd.message_id
    html = second.get_body(preferencelist=("html",)).get_content()
    text = second.get_body(preferencelist=("plain",)).get_content()
    assert "new sources: guardian" in text and "Kim and Putin meet in Russia" in text
    assert "Kim &lt;b&gt;meets&lt;/b&gt;" in html and "<b>meets" not in html


def test_subscription_field_through_the_service(sqlite_engine: Engine, make_settings) -> None:
    settings = make_settings()
    with session_scope(sqlite_engine) as s:
        with pytest.raises(ValueError):
            SubscriptionCreate(channel="webhook", target="http://127.0.0.1:9/x", deliver_per="outlet")
        with pytest.raises(ValueError):
            SubscriptionCreate(channel="webhook", target="http://127.0.0.1:9/x", story_update_minutes=-1)
        sub, _ = create_subscription(s, settings, SubscriptionCreate(channel="webhook", target="http://127.0.0.1:9/x"))
        changed = update_subscription(s, sub.id or 0, SubscriptionUpdate(deliver_per="story", story_update_minutes=15))
        assert (changed.deliver_per, changed.story_update_minutes) == ("story", 15)


def test_api_sets_delivery_per_story_and_lists_story_messages(sqlite_engine: Engine, make_settings) -> None:
    from tests.api.conftest import make_api

    for api in make_api(sqlite_engine, make_settings):
        c = api.client
        r = c.post("/api/v1/subscriptions", json={"channel": "webhook", "target": "http://127.0.0.1:9/h"},
                   headers=api.h())
        assert r.status_code == 201 and (r.json()["deliver_per"], r.json()["story_update_minutes"]) == ("article", 60)
        sid = r.json()["id"]
        bad = c.patch(f"/api/v1/subscriptions/{sid}", json={"deliver_per": "outlet"}, headers=api.h())
        assert bad.status_code == 422 and "deliver_per" in bad.text
        bad = c.patch(f"/api/v1/subscriptions/{sid}", json={"story_update_minutes": 10081}, headers=api.h())
        assert bad.status_code == 422
        r = c.patch(f"/api/v1/subscriptions/{sid}", json={"deliver_per": "story", "story_update_minutes": 1},
                    headers=api.h())
        assert r.status_code == 200 and (r.json()["deliver_per"], r.json()["story_update_minutes"]) == ("story", 1)
        r = c.post("/api/v1/subscriptions", json={"channel": "email", "target": "a@example.org",
                                                  "deliver_per": "story"}, headers=api.h())
        assert r.status_code == 201 and r.json()["deliver_per"] == "story"
        with session_scope(api.engine) as s:
            story, made = place(s, "bbc", *SUMMIT[0], 0)
        rows = c.get(f"/api/v1/subscriptions/{sid}/deliveries", headers=api.h()).json()
        assert [(d["kind"], d["alert_id"], d["story_id"]) for d in rows] == [("story.created", None, story.id)]
        assert {d.subscription_id for d in made} == {sid, r.json()["id"]}


SHELLS = [
    ("North Korea ships artillery shells to Russia", "North Korea has shipped millions of artillery shells to "
     "Russia for its war in Ukraine, South Korean officials said on Tuesday."),
    ("North Korea has sent millions of artillery shells to Russia, Seoul says", "South Korean officials said on "
     "Tuesday that North Korea has shipped millions of artillery shells to Russia for the war in Ukraine."),
]


@pytest.mark.slow
def test_celery_worker_sends_created_then_the_sweep_sends_the_throttled_update(fresh_pg_engine: Engine,
                                                                              make_settings) -> None:
    """Real worker processes on Redis + PostgreSQL: matching places the articles in one story, the story
    subscription gets story.created, then, when the interval ends, the sweep's story.updated; the
    per-article subscription gets one alert.created per article as before."""
    import time

    from tests.api.conftest import engine_url
    from tests.conftest import REDIS_URL
    from tests.support.celery_worker import CeleryWorker, settings_env
    from workers.celery_app import make_celery

    settings = make_settings(database_url=engine_url(fresh_pg_engine), broker_url=REDIS_URL)
    celery = make_celery(settings)

    def article(outlet: str, title: str, text: str) -> int:
        with session_scope(fresh_pg_engine) as s:
            feed = Feed(url=f"http://127.0.0.1/{outlet}.xml", title=outlet)
            s.add(feed)
            s.flush()
            row = Article(feed_id=feed.id, title=title, text=text, url=f"https://{outlet}.example/1",
                          dedupe_key=outlet, content_hash=outlet, published_at=utcnow(), fetched_at=utcnow())
            s.add(row)
            s.flush()
            assert row.id is not None
            return row.id

    with ReceiverServer() as stories_rx, ReceiverServer() as articles_rx:
        with session_scope(fresh_pg_engine) as s:
            sub_id, secret = story_sub(s, settings, stories_rx.url, minutes=1, rules=["arms-transfer"])
            stories_rx.secrets = [secret or ""]
            _, secret = create_subscription(s, settings, SubscriptionCreate(channel="webhook", target=articles_rx.url,
                                                                            rules=["arms-transfer"]))
            articles_rx.secrets = [secret or ""]
        with CeleryWorker(settings_env(settings), concurrency=2) as worker:
            celery.send_task("monitor.match_article", args=[article("bbc", *SHELLS[0])])
            wait_for(lambda: len(stories_rx.accepted()) == 1 and len(articles_rx.accepted()) == 1, 60, "story.created")
            celery.send_task("monitor.match_article", args=[article("guardian", *SHELLS[1])])
            wait_for(lambda: len(articles_rx.accepted()) == 2, 60, "the second alert.created")
            with Session(fresh_pg_engine) as s:
                notice = s.exec(select(StoryNotice).where(StoryNotice.subscription_id == sub_id)).one()
            assert notice.due_at is not None, worker.log_text()[-3000:]  # held back by the interval
            assert len(stories_rx.accepted()) == 1
            # the interval ends (instead of waiting a minute, move the notice's times back)
            with session_scope(fresh_pg_engine) as s:
                s.execute(update(StoryNotice).values(due_at=utcnow() - timedelta(seconds=1),
                                                     last_message_at=utcnow() - timedelta(minutes=2)))
            celery.send_task("monitor.deliver_due")
            wait_for(lambda: len(stories_rx.accepted()) == 2, 60, "story.updated")
            celery.send_task("monitor.deliver_due")  # nothing more is due
            time.sleep(1.0)
    created, updated = (c.payload or {} for c in stories_rx.accepted())
    assert (created["type"], updated["type"]) == ("story.created", "story.updated")
    assert created["data"]["id"] == updated["data"]["id"] and created["data"]["sources"] == ["bbc"]
    assert updated["data"]["changes"]["sources"] == ["guardian"] and updated["data"]["source_count"] == 2
    assert [(c.payload or {}).get("type") for c in articles_rx.accepted()] == ["alert.created"] * 2
    assert len(stories_rx.calls) == 2


def test_a_merged_story_is_told_to_its_subscribers_as_an_update_of_the_story_it_joined(
        sqlite_engine: Engine, make_settings) -> None:
    from monitor.stories.review import merge_stories

    settings = make_settings()
    now = utcnow()
    with session_scope(sqlite_engine) as s:
        sub_id, _ = story_sub(s, settings, "http://127.0.0.1:9/hook", minutes=0, min_severity="critical")
        # two stories (a day apart); the subscription is told of the second only
        first, made = place(s, "bbc", *SUMMIT[0], 0, now=now)
        assert made == []  # high: below the filter
        second, (created,) = place(s, "guardian", *SUMMIT[1], 40,
                                   alerts=(("arms-transfer", "critical", ("us_ofac_sdn:1",)),), now=now)
        assert first.id != second.id and created.story_id == second.id
        merge_stories(s, first.id or 0, second.id or 0, actor="analyst")
        # the next report of the merged story: an update of the story it joined, against what was told
        _, made = place(s, "reuters", *SUMMIT[2], 1, alerts=(), now=now + timedelta(minutes=1))
        assert [(d.kind, d.story_id) for d in made] == [("story.updated", first.id)]
        data = made[0].payload
        assert data is not None and data["merged_story_ids"] == [second.id]
        assert data["changes"]["sources"] == ["bbc", "reuters"] and data["changes"]["article_count"] == 2
        assert s.get(StoryNotice, (first.id, sub_id)) is not None
