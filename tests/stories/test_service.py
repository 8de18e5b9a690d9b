"""Stories in the service: placement on arrival, the triage row, review per story, merge and split remembered, API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor import alertlabels as labels
from monitor.db import session_scope
from monitor.models import Alert, AlertReview, Article, AuditEvent, Feed, Story, StoryArticle
from monitor.stories.review import merge_stories, review_story, split_story
from monitor.stories.store import place_article

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
SUMMIT = [
    ("Kim Jong Un and Vladimir Putin meet at Russia's Vostochny Cosmodrome",
     "Vladimir Putin welcomed North Korea's Kim Jong Un at Russia's main spaceport."),
    ("Kim and Putin meet in Russia at cosmodrome summit",
     "The Russian president and North Korea's leader meet at the Vostochny cosmodrome in the far east."),
    ("North Korea's Kim vows support for Russia at Vostochny cosmodrome summit with Putin",
     "Kim Jong Un vowed to support Russia at the Vostochny cosmodrome summit with Vladimir Putin."),
]
OTHER = ("Council approves new cycle lanes for the city centre", "The council voted on Tuesday.")


def add(engine: Engine, feed: str, title: str, text: str, hours: float, *,
        alerts: tuple[tuple[str, str, tuple[str, ...]], ...] = ()) -> int:
    """Store an article of this outlet with these (rule, severity, entity ids) alerts, then place it."""
    with session_scope(engine) as s:
        article, _alert, _story = add_in(s, feed, title, text, hours, alerts=alerts)
        assert article.id is not None
        return article.id


def add_in(s: Session, feed: str, title: str, text: str, hours: float, *,
           alerts: tuple[tuple[str, str, tuple[str, ...]], ...] = ()) -> tuple[Article, Alert | None, Story]:
    """`add` in this session: the article, its alert (if any) and the story it was placed in."""
    row = s.exec(select(Feed).where(Feed.url == f"http://127.0.0.1/{feed}.xml")).first()
    if row is None:
        row = Feed(url=f"http://127.0.0.1/{feed}.xml", title=feed)
        s.add(row)
        s.flush()
    when = T0 + timedelta(hours=hours)
    article = Article(feed_id=row.id, title=title, text=text, published_at=when, fetched_at=when,
                      dedupe_key=f"{feed}:{title}", content_hash=title[:60])
    s.add(article)
    s.flush()
    alert = None
    if alerts:  # one alert per article, each rule a label
        alert = Alert(article_id=article.id, feed_id=row.id, title=title, rule_id="", severity="", score=0)
        labels.apply(alert, [
            {"rule_id": rule, "category": "sanctions", "severity": severity, "score": 0.9, "explanation": "",
             "entity_ids": list(entities), "evidence": [], "suppressed": False}
            for rule, severity, entities in alerts
        ])
        s.add(alert)
    s.flush()
    return article, alert, place_article(s, article)


def story_of(engine: Engine, article_id: int) -> Story:
    with Session(engine) as s:
        link = s.get(StoryArticle, article_id)
        assert link is not None
        story = s.get(Story, link.story_id)
        assert story is not None
        return story


ARMS = (("arms-transfer", "high", ("us_ofac_sdn:1",)),)


def test_outlets_reporting_one_event_make_one_story(sqlite_engine: Engine) -> None:
    a = add(sqlite_engine, "bbc", *SUMMIT[0], 0, alerts=ARMS)
    b = add(sqlite_engine, "guardian", *SUMMIT[1], 1, alerts=(("named-officials", "medium", ("us_ofac_sdn:2",)),))
    c = add(sqlite_engine, "local", *OTHER, 2)
    story = story_of(sqlite_engine, a)
    assert story_of(sqlite_engine, b).id == story.id != story_of(sqlite_engine, c).id
    assert story.sources == ["bbc", "guardian"] and story.article_count == 2
    assert story.rules == ["arms-transfer", "named-officials"]
    assert story.entity_ids == ["us_ofac_sdn:1", "us_ofac_sdn:2"]
    assert story.severity == "high" and story.alert_count == 2
    assert story.first_seen == T0 and story.last_seen == T0 + timedelta(hours=1)
    # placing again (a re-match) changes nothing
    with session_scope(sqlite_engine) as s:
        article = s.get(Article, a)
        assert article is not None
        assert place_article(s, article).id == story.id
        assert s.exec(select(StoryArticle).where(StoryArticle.story_id == story.id)).all().__len__() == 2


def test_review_applies_to_the_story_and_a_new_outlet_does_not_reopen_it(sqlite_engine: Engine) -> None:
    a = add(sqlite_engine, "bbc", *SUMMIT[0], 0, alerts=ARMS)
    b = add(sqlite_engine, "guardian", *SUMMIT[1], 1, alerts=ARMS)
    story_id = story_of(sqlite_engine, a).id
    assert story_id is not None
    with session_scope(sqlite_engine) as s:
        _, count = review_story(s, story_id, "dismissed", actor="key:analyst", reason="old news")
    assert count == 2
    with Session(sqlite_engine) as s:
        assert {x.status for x in s.exec(select(Alert)).all()} == {"dismissed"}
        audits = s.exec(select(AuditEvent).where(AuditEvent.action == "story.review")).all()
        assert len(audits) == 1 and audits[0].detail["alerts"] == 2
        assert len(s.exec(select(AlertReview)).all()) == 2  # each alert's own trail has the entry
    # a third outlet, same entity and severity: stays dismissed, and so does its alert
    c = add(sqlite_engine, "nbc", *SUMMIT[2], 2, alerts=ARMS)
    assert story_of(sqlite_engine, c).id == story_id
    assert story_of(sqlite_engine, c).status == "dismissed"
    with Session(sqlite_engine) as s:
        assert s.exec(select(Alert.status).where(Alert.article_id == c)).all() == ["dismissed"]
    assert b


def test_a_new_listed_entity_or_higher_severity_reopens_a_reviewed_story(sqlite_engine: Engine) -> None:
    a = add(sqlite_engine, "bbc", *SUMMIT[0], 0, alerts=(("arms-transfer", "medium", ("us_ofac_sdn:1",)),))
    story_id = story_of(sqlite_engine, a).id
    assert story_id is not None
    with session_scope(sqlite_engine) as s:
        review_story(s, story_id, "confirmed", actor="key:analyst", reason="checked")
    b = add(sqlite_engine, "guardian", *SUMMIT[1], 1, alerts=(("arms-transfer", "medium", ("us_ofac_sdn:9",)),))
    story = story_of(sqlite_engine, b)
    assert story.id == story_id and story.status == "new"
    with Session(sqlite_engine) as s:
        reopened = s.exec(select(AuditEvent).where(AuditEvent.action == "story.reopened")).all()
        assert len(reopened) == 1 and reopened[0].detail["new_entities"] == ["us_ofac_sdn:9"]


def test_merge_and_split_are_remembered(sqlite_engine: Engine) -> None:
    a = add(sqlite_engine, "bbc", *SUMMIT[0], 0, alerts=ARMS)
    b = add(sqlite_engine, "guardian", *SUMMIT[1], 1, alerts=ARMS)
    c = add(sqlite_engine, "local", *OTHER, 2, alerts=ARMS)
    first, other = story_of(sqlite_engine, a).id, story_of(sqlite_engine, c).id
    assert first is not None and other is not None and first != other
    with session_scope(sqlite_engine) as s:
        merge_stories(s, first, other, actor="key:analyst", reason="same deal")
    assert story_of(sqlite_engine, c).id == first
    with session_scope(sqlite_engine) as s:
        new = split_story(s, first, [b], actor="key:analyst", reason="different meeting")
        new_id = new.id
    assert story_of(sqlite_engine, b).id == new_id
    with Session(sqlite_engine) as s:
        assert s.get(StoryArticle, b).pinned  # type: ignore[union-attr]
        actions = s.exec(select(AuditEvent.action).order_by(col(AuditEvent.id))).all()
        assert actions == ["story.merge", "story.split"]
    # a later report of the summit joins a story the window rebuilt from the analyst's grouping
    d = add(sqlite_engine, "nbc", *SUMMIT[2], 3, alerts=ARMS)
    assert story_of(sqlite_engine, d).id in {first, new_id}


def test_every_rule_of_an_arriving_alert_reaches_the_story(sqlite_engine: Engine) -> None:
    a = add(sqlite_engine, "bbc", *SUMMIT[0], 0, alerts=ARMS)
    b = add(sqlite_engine, "guardian", *SUMMIT[1], 1,
            alerts=(("named-officials", "medium", ()), ("sanctions-evasion", "critical", ())))
    story = story_of(sqlite_engine, b)
    assert story.id == story_of(sqlite_engine, a).id
    assert story.rules == ["arms-transfer", "named-officials", "sanctions-evasion"]
    assert story.severity == "critical"


def test_a_rematch_that_brings_a_new_listed_entity_reopens_a_reviewed_story(sqlite_engine: Engine) -> None:
    a = add(sqlite_engine, "bbc", *SUMMIT[0], 0, alerts=(("arms-transfer", "medium", ("us_ofac_sdn:1",)),))
    story_id = story_of(sqlite_engine, a).id
    assert story_id is not None
    with session_scope(sqlite_engine) as s:
        review_story(s, story_id, "confirmed", actor="key:analyst", reason="checked")
    # a list update: the same article now also names another listed party; it is placed again
    with session_scope(sqlite_engine) as s:
        alert = s.exec(select(Alert).where(Alert.article_id == a)).one()
        labels.apply(alert, [
            {"rule_id": "arms-transfer", "category": "sanctions", "severity": "medium", "score": 0.9,
             "explanation": "", "entity_ids": ["us_ofac_sdn:1", "us_ofac_sdn:9"], "evidence": [],
             "suppressed": False},
        ])
        s.add(alert)
        s.flush()
        article = s.get(Article, a)
        assert article is not None
        place_article(s, article)
    story = story_of(sqlite_engine, a)
    assert story.status == "new" and "us_ofac_sdn:9" in story.entity_ids
    with Session(sqlite_engine) as s:
        reopened = s.exec(select(AuditEvent).where(AuditEvent.action == "story.reopened")).all()
        assert len(reopened) == 1 and reopened[0].detail["new_entities"] == ["us_ofac_sdn:9"]
