"""Small stores for the API tests: a feed, articles, listed entities, mentions and alerts, written directly."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from monitor.db import session_scope
from monitor.matching.types import SEVERITY_RANK
from monitor.models import Alert, AlertEntity, Article, Entity, Feed, Mention, utcnow


@dataclass
class Store:
    """Ids of what `seed` wrote."""

    feed_ids: list[int] = field(default_factory=list)
    article_ids: list[int] = field(default_factory=list)
    alert_ids: list[int] = field(default_factory=list)
    # one alert per article: the second alert of a story needs an article of its own
    extra_article_ids: list[int] = field(default_factory=list)


def add_alert(
    engine: Engine,
    *,
    article_id: int | None,
    feed_id: int | None,
    rule_id: str = "arms-transfer",
    severity: str = "high",
    score: float = 0.9,
    title: str = "Arms for Russia",
    entity_ids: tuple[str, ...] = (),
    evidence_text: str = "shipping artillery shells",
    category: str = "arms-transfer",
    created_at: datetime | None = None,
    suppressed: bool = False,
) -> int:
    """Insert one alert (with its entity links) and return its id; `article_id=None` makes it an article
    of its own (one alert per article)."""
    with session_scope(engine) as s:
        if article_id is None:
            art = Article(feed_id=feed_id, title=title, text=evidence_text, dedupe_key=f"own-{uuid.uuid4().hex}",
                          content_hash="x", matched_at=utcnow())
            s.add(art)
            s.flush()
            assert art.id is not None
            article_id = art.id
        alert = Alert(
            article_id=article_id,
            feed_id=feed_id,
            rule_id=rule_id,
            category=category,
            severity=severity,
            severity_rank=SEVERITY_RANK[severity],
            score=score,
            title=title,
            explanation=f"{rule_id} fired",
            entity_ids=list(entity_ids),
            evidence=[{"field": "text", "start": 0, "end": len(evidence_text), "text": evidence_text}],
            suppressed=suppressed,
            created_at=created_at or utcnow(),
        )
        s.add(alert)
        s.flush()
        for eid in entity_ids:
            s.add(AlertEntity(alert_id=alert.id, entity_id=eid, dataset=eid.split(":", 1)[0]))
        assert alert.id is not None
        return alert.id


def add_article(
    engine: Engine, feed_id: int | None, title: str, text: str, mentions: tuple[tuple[str, str], ...] = ()
) -> int:
    """Insert one article with (entity_id, matched) mentions found in its text."""
    with session_scope(engine) as s:
        art = Article(
            feed_id=feed_id,
            title=title,
            text=text,
            url=f"http://127.0.0.1:9/{hashlib.md5(title.encode()).hexdigest()}",
            dedupe_key=hashlib.sha256((title + text).encode()).hexdigest(),
            content_hash=hashlib.sha256(text.encode()).hexdigest(),
            published_at=utcnow(),
            matched_at=utcnow(),
        )
        s.add(art)
        s.flush()
        for eid, matched in mentions:
            start = max(0, text.find(matched))
            s.add(
                Mention(
                    article_id=art.id,
                    entity_id=eid,
                    matched=matched,
                    field="text",
                    start=start,
                    end=start + len(matched),
                )
            )
        assert art.id is not None
        return art.id


def seed(engine: Engine) -> Store:
    """Two feeds, six articles (three in `extra_article_ids`), two listed entities, six alerts (one per
    article) spread over ten days."""
    store = Store()
    with session_scope(engine) as s:
        for n in (1, 2):
            feed = Feed(url=f"http://127.0.0.1:9/feed{n}.xml", title=f"Feed {n}")
            s.add(feed)
            s.flush()
            assert feed.id is not None
            store.feed_ids.append(feed.id)
        s.add(
            Entity(
                id="us_ofac_sdn:35173",
                dataset="us_ofac_sdn",
                source_id="35173",
                name="SHOIGU, Sergei Kuzhugetovich",
                schema_="Person",
            )
        )
        s.add(
            Entity(
                id="un_sc_sanctions:KPi.033",
                dataset="un_sc_sanctions",
                source_id="KPi.033",
                name="KIM JONG UN",
                schema_="Person",
            )
        )
    f1, f2 = store.feed_ids
    a1 = add_article(
        engine,
        f1,
        "Shoigu visits Pyongyang",
        "Sergei Shoigu met Kim Jong Un to discuss shipping artillery shells to Russia.",
        (("us_ofac_sdn:35173", "Sergei Shoigu"), ("un_sc_sanctions:KPi.033", "Kim Jong Un")),
    )
    a2 = add_article(engine, f1, "Tanker seen off Nakhodka", "A ship-to-ship transfer of oil near Nakhodka.")
    a3 = add_article(
        engine, f2, "Kim the pianist", "Pianist Kim played Wagner in Seoul.", (("un_sc_sanctions:KPi.033", "Kim"),)
    )
    store.article_ids = [a1, a2, a3]
    a4 = add_article(engine, f1, "Shoigu named again", "Sergei Shoigu was named again.",
                     (("us_ofac_sdn:35173", "Sergei Shoigu"),))
    a5 = add_article(engine, f1, "Old arms story", "A dealer was selling drones.")
    a6 = add_article(engine, f2, "Wagner evening", "An evening of Wagner in Seoul.")
    store.extra_article_ids = [a4, a5, a6]
    now = utcnow()
    store.alert_ids = [
        add_alert(
            engine,
            article_id=a1,
            feed_id=f1,
            rule_id="arms-transfer",
            severity="critical",
            score=0.95,
            entity_ids=("us_ofac_sdn:35173", "un_sc_sanctions:KPi.033"),
            created_at=now - timedelta(hours=1),
        ),
        add_alert(
            engine,
            article_id=a4,
            feed_id=f1,
            rule_id="sanctioned-entity",
            severity="high",
            score=0.9,
            category="sanctions",
            title="Shoigu visits Pyongyang",
            evidence_text="Sergei Shoigu",
            entity_ids=("us_ofac_sdn:35173",),
            created_at=now - timedelta(hours=2),
        ),
        add_alert(
            engine,
            article_id=a2,
            feed_id=f1,
            rule_id="sanctions-evasion",
            severity="medium",
            score=0.6,
            category="sanctions-evasion",
            title="Tanker seen off Nakhodka",
            evidence_text="ship-to-ship transfer",
            created_at=now - timedelta(days=2),
        ),
        add_alert(
            engine,
            article_id=a3,
            feed_id=f2,
            rule_id="sanctioned-entity",
            severity="low",
            score=0.4,
            category="sanctions",
            title="Kim the pianist",
            evidence_text="Pianist Kim",
            entity_ids=("un_sc_sanctions:KPi.033",),
            created_at=now - timedelta(days=3),
        ),
        add_alert(
            engine,
            article_id=a5,
            feed_id=f1,
            rule_id="arms-transfer",
            severity="high",
            score=0.7,
            title="Old arms story",
            evidence_text="selling drones",
            created_at=now - timedelta(days=10),
        ),
        add_alert(
            engine,
            article_id=a6,
            feed_id=f2,
            rule_id="arms-transfer",
            severity="medium",
            score=0.5,
            title="Suppressed one",
            evidence_text="Wagner",
            suppressed=True,
            created_at=now - timedelta(days=1),
        ),
    ]
    return store
