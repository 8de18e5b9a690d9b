"""A small seeded store for the console tests: three listed people, the seed story, its alerts.

The entities are inserted as Entity/EntityName rows (as the OFAC SDN list has them); the
seed story's alerts come from ENGINE's matcher with the default rule pack
(`current_matcher` + `match_and_store`); on a tree without the matcher they are written
directly with the spans the matcher would report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from monitor.keys import create_key
from monitor.matching.normalise import sentence_span, sentence_starts
from monitor.models import (
    Alert,
    AlertEntity,
    Article,
    Entity,
    EntityChange,
    EntityName,
    Feed,
    ListVersion,
    Mention,
    Rule,
    utcnow,
)
from monitor.settings import Settings

SEED_TITLE = "Kim Jong Un to visit Russia for talks with Putin on arms, US official says"
ARMS_QUERY = (
    "(supply OR supplying OR sell* OR provid* OR transfer* OR ship*) w/10 "
    '(weapon* OR arms OR "artillery ammunition" OR ammunition OR missile*)'
)

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
# Surface forms of each entity in the story (what the matcher reports as `matched`).
SURFACE = {
    "us_ofac_sdn:20157": ["Kim Jong Un"],
    "us_ofac_sdn:35096": ["Vladimir Putin"],
    "us_ofac_sdn:35173": ["Sergei Shoigu"],
}


@dataclass
class Seeded:
    """Ids and keys the tests use."""

    admin_key: str
    analyst_key: str
    reader_key: str
    story_article_id: int
    arms_alert_id: int
    listed_alert_id: int
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


def _mentions(text: str) -> list[tuple[str, str, int, int]]:
    found = []
    for eid, forms in SURFACE.items():
        for form in forms:
            start = text.find(form)
            while start >= 0:
                found.append((eid, form, start, start + len(form)))
                start = text.find(form, start + 1)
    return sorted(found, key=lambda m: m[2])


def _evidence(text: str, needle: str) -> dict[str, object]:
    pos = text.index(needle)
    start, end = sentence_span(text, sentence_starts(text), pos)
    return {"field": "text", "start": start, "end": end, "text": text[start:end]}


def _direct_alerts(session: Session, article: Article, feed: Feed) -> tuple[int, int]:
    """Write the mentions and alerts the matcher would write for the seed story."""
    assert article.id is not None
    for eid, form, start, end in _mentions(article.text):
        session.add(Mention(article_id=article.id, entity_id=eid, matched=form, field="text", start=start, end=end))
    arms = Alert(
        article_id=article.id, feed_id=feed.id, rule_id="arms-transfer", category="arms-transfer", severity="high",
        severity_rank=3, score=0.91, title=article.title, entity_ids=["us_ofac_sdn:35173"],
        evidence=[_evidence(article.text, "artillery ammunition")],
        explanation="arms-transfer language ('supply' w/10 'artillery ammunition') in the sentence naming a listed "
        "person (SHOIGU, Sergei Kuzhugetovich, us_ofac_sdn); sanctioned jurisdictions KP, RU nearby: severity high",
    )
    listed = Alert(
        article_id=article.id, feed_id=feed.id, rule_id="sanctioned-entity", category="sanctions",
        severity="medium", severity_rank=2, score=0.8, title=article.title,
        entity_ids=["us_ofac_sdn:20157", "us_ofac_sdn:35096", "us_ofac_sdn:35173"],
        evidence=[_evidence(article.text, "Kim Jong Un, is reportedly"), _evidence(article.text, "Sergei Shoigu")],
        explanation="3 listed people named: KIM, Jong Un; PUTIN, Vladimir Vladimirovich; SHOIGU, Sergei Kuzhugetovich",
    )
    session.add(arms)
    session.add(listed)
    session.flush()
    for alert in (arms, listed):
        assert alert.id is not None
        for eid in alert.entity_ids:
            session.add(AlertEntity(alert_id=alert.id, entity_id=eid, dataset="us_ofac_sdn"))
    session.flush()
    assert arms.id is not None and listed.id is not None
    return arms.id, listed.id


def _engine_alerts(session: Session, article: Article, settings: Settings) -> tuple[int, int] | None:
    """Use ENGINE's matcher and store when both have landed; None otherwise."""
    try:
        from monitor.alerts.matcher_cache import current_matcher
        from monitor.alerts.store import match_and_store
    except ImportError:
        return None
    result = match_and_store(session, article, current_matcher(session, settings))
    session.commit()
    by_rule = {a.rule_id: a.id for a in result.alerts_created}
    # The default rule pack must flag the seed story; if it stops doing so the tests say so plainly.
    assert "arms-transfer" in by_rule and "sanctioned-entity" in by_rule, f"seed story raised only {sorted(by_rule)}"
    return by_rule["arms-transfer"], by_rule["sanctioned-entity"]  # type: ignore[return-value]


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
        ids = _engine_alerts(session, article, settings)
        if ids is None:
            # Without ENGINE's matcher the rule's query is needed here to mark its terms.
            session.add(Rule(id="arms-transfer", title="Arms transfers", category="arms-transfer", severity="high",
                             query=ARMS_QUERY, description="supplying, selling or shipping weapons"))
            ids = _direct_alerts(session, article, feed)
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
            arms_alert_id=ids[0],
            listed_alert_id=ids[1],
            other_alert_ids=others,
        )
