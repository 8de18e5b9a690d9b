"""A small seeded store for the console tests: three listed people, the seed story, its alert.

The entities are inserted as Entity/EntityName rows (as the OFAC SDN list has them); the
seed story's one alert (every rule that fired a label) comes from the matcher with the
default rule pack (`current_matcher` + `match_and_store`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from monitor.keys import create_key
from monitor.models import (
    Alert,
    Article,
    Entity,
    EntityChange,
    EntityName,
    Feed,
    ListVersion,
    utcnow,
)
from monitor.settings import Settings

SEED_TITLE = "Kim Jong Un to visit Russia for talks with Putin on arms, US official says"

ENTITIES = [
    (
        "us_ofac_sdn:20157",
        "20157",
        "KIM, Jong Un",
        ["DPRK3"],
        ["KP"],
        ["1984-01-08"],
        ["KIM, Jong Un", "Kim Jong Un", "Kim Jong-un"],
    ),
    (
        "us_ofac_sdn:35096",
        "35096",
        "PUTIN, Vladimir Vladimirovich",
        ["RUSSIA-EO14024"],
        ["RU"],
        ["1952-10-07"],
        ["PUTIN, Vladimir Vladimirovich", "PUTIN, Vladimir", "Vladimir Putin"],
    ),
    (
        "us_ofac_sdn:35173",
        "35173",
        "SHOIGU, Sergei Kuzhugetovich",
        ["RUSSIA-EO14024"],
        ["RU"],
        ["1955-05-21"],
        ["SHOIGU, Sergei Kuzhugetovich", "SHOIGU, Sergey", "SHOYGU, Sergey Kuzhugetovich", "Sergei Shoigu"],
    ),
]


@dataclass
class Seeded:
    """Ids and keys the tests use."""

    admin_key: str
    analyst_key: str
    reader_key: str
    story_article_id: int
    story_alert_id: int
    other_alert_ids: list[int]


def _add_entities(session: Session) -> None:
    version = ListVersion(dataset="us_ofac_sdn", source="tests/console/seed.py", format="ofac-csv", file_hash="seed",
                          entities=len(ENTITIES), added=len(ENTITIES))
    session.add(version)
    session.flush()
    for eid, source_id, name, programs, countries, born, names in ENTITIES:
        session.add(Entity(id=eid, dataset="us_ofac_sdn", source_id=source_id, schema_="Person", name=name,
                           programs=programs, countries=countries, birth_dates=born, version_id=version.id,
                           identifiers=[{"type": "OFAC ent_num", "value": source_id}]))
        session.flush()
        for i, alias in enumerate(names):
            session.add(EntityName(entity_id=eid, name=alias, kind="primary" if i == 0 else "alias"))
        session.add(EntityChange(version_id=version.id, entity_id=eid, change="added"))
    session.flush()


def _story_alert(session: Session, article: Article, settings: Settings) -> int:
    """The seed story's one alert, from ENGINE's matcher and the default rule pack."""
    from monitor.alerts.matcher_cache import current_matcher
    from monitor.pipeline.match import match_and_store

    result = match_and_store(session, article, current_matcher(session, settings))
    session.commit()
    (alert,) = result.alerts_created  # one alert per article, however many rules fired
    # The default rule pack must flag the seed story; if it stops doing so the tests say so plainly.
    assert {"arms-transfer", "sanctioned-entity"} <= set(alert.rules), f"seed story raised only {alert.rules}"
    assert alert.id is not None
    return alert.id


def seed(engine: Engine, story: Path, settings: Settings) -> Seeded:
    """Fill an empty migrated store and return what the tests need."""
    now = utcnow()
    with Session(engine, expire_on_commit=False) as session:
        keys = {role: create_key(session, role, f"console {role}", actor="tests") for role in ("admin", "analyst",
                                                                                             "reader")}
        _add_entities(session)
        feed = Feed(url="http://127.0.0.1:9/world.xml", title="World news (seed)", last_polled_at=now,
                    last_success_at=now, last_status=200)
        quiet = Feed(url="http://127.0.0.1:9/quiet.xml", title="Regional wire (seed)", quiet=True,
                     consecutive_errors=3, last_error="HTTP 503 Service Unavailable", last_polled_at=now,
                     next_poll_at=now + timedelta(hours=2))
        session.add(feed)
        session.add(quiet)
        session.flush()
        text = story.read_text(encoding="utf-8")
        article = Article(feed_id=feed.id, url="https://www.example.org/news/kim-putin", title=SEED_TITLE,
                          text=text, dedupe_key="seed-story", content_hash="seed",
                          published_at=now - timedelta(hours=3), matched_at=now)
        session.add(article)
        session.flush()
        session.commit()
        story_alert = _story_alert(session, article, settings)
        # A few other alerts on other articles so that filters have something to tell apart.
        others: list[int] = []
        for i, (rule, sev, rank, score, title) in enumerate(
            [
                ("sanctions-evasion", "medium", 2, 0.55, "Tanker switched off transponder near ship-to-ship transfer"),
                ("sanctions-evasion", "low", 1, 0.35, "Front companies in Dubai traded dual-use goods"),
                ("named-officials", "low", 1, 0.4, "Minister visits regional arms fair"),
            ]
        ):
            other = Article(feed_id=quiet.id, title=title, text=title + ".", dedupe_key=f"other-{i}",
                            content_hash=f"other-{i}", published_at=now - timedelta(days=i + 1), matched_at=now)
            session.add(other)
            session.flush()
            assert other.id is not None
            alert = Alert(article_id=other.id, feed_id=quiet.id, rule_id=rule, category=rule, severity=sev,
                          severity_rank=rank, score=score, title=title,
                          evidence=[{"field": "text", "start": 0, "end": len(title), "text": title}],
                          explanation="seed", created_at=now - timedelta(days=i + 1))
            session.add(alert)
            session.flush()
            assert alert.id is not None
            others.append(alert.id)
        session.commit()
        assert article.id is not None
        story_id = session.exec(select(Article.id).where(Article.dedupe_key == "seed-story")).one()
        return Seeded(
            admin_key=keys["admin"],
            analyst_key=keys["analyst"],
            reader_key=keys["reader"],
            story_article_id=int(story_id or 0),
            story_alert_id=story_alert,
            other_alert_ids=others,
        )
