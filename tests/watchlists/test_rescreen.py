"""Re-screening: a list version that adds a name raises the alerts recent articles would have raised."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.alerts.matcher_cache import current_matcher
from monitor.db import session_scope
from monitor.models import Alert, AlertEntity, Article, Delivery, Subscription, utcnow
from monitor.pipeline.match import match_and_store
from monitor.pipeline.rescreen import added_names, needs_rescreen, rescreen_version
from monitor.watchlists.store import load_list
from tests.watchlists.test_load_ofac_csv import ADD, ALT, SDN, write_list

NEW_PERSON = (
    '51234,"ZAKHARCHENKO, Arkady Borisovich","individual","RUSSIA-EO14024",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
    '"DOB 02 Mar 1971; nationality Russia."\r\n'
)
TEXT = "Arkady Borisovich Zakharchenko attended a trade fair in Dubai last week."


def add_article(session: Session, key: str, text: str, age_days: int, matched: bool = True) -> Article:
    when = utcnow() - timedelta(days=age_days)
    article = Article(
        title=f"Report {key}",
        text=text,
        dedupe_key=key,
        content_hash=key,
        fetched_at=when,
        published_at=when,
        matched_at=when if matched else None,
    )
    session.add(article)
    session.flush()
    return article


def test_rescreen_raises_alerts_for_added_names(any_engine: Engine, make_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cfg = make_settings(rescreen_days=30)
    with session_scope(any_engine) as s:
        load_list(s, write_list(tmp_path / "v1"))
        s.add(Subscription(channel="webhook", target="http://127.0.0.1:9/hook", secret="x"))
        recent = add_article(s, "recent", TEXT, age_days=3)
        old = add_article(s, "old", TEXT, age_days=45)
        unmatched = add_article(s, "fresh", TEXT, age_days=0, matched=False)
        other = add_article(s, "other", "Sergei Shoigu visited Pyongyang to discuss artillery ammunition.", 2)
        matcher = current_matcher(s, cfg)
        for article in (recent, old, other):
            match_and_store(s, article, matcher)
        ids = {"recent": recent.id, "old": old.id, "fresh": unmatched.id, "other": other.id}
    with Session(any_engine) as s:
        before = {a.id for a in s.execute(select(Alert)).scalars()}
        assert not s.execute(select(Alert).where(Alert.article_id == ids["recent"])).first()

    # version 2 designates a new person: re-screening finds him in the recent article only
    with session_scope(any_engine) as s:
        v2 = load_list(s, write_list(tmp_path / "v2", sdn=SDN.replace("\x1a", "") + NEW_PERSON, alt=ALT, add=ADD))
        assert added_names(s, v2.id) == {  # type: ignore[arg-type]
            "us_ofac_sdn:51234": [
                "Arkady Borisovich ZAKHARCHENKO",
                "ZAKHARCHENKO Arkady Borisovich",
                "ZAKHARCHENKO, Arkady Borisovich",
            ]
        }
        result = rescreen_version(s, cfg, v2.id)  # type: ignore[arg-type]
    assert result.new_entities == 1 and result.articles_matched == 1
    assert result.articles_scanned == 2  # recent + other: the old and the unmatched article are not rescanned
    assert result.alert_ids and result.delivery_ids
    with Session(any_engine) as s:
        new_alerts = [a for a in s.execute(select(Alert)).scalars() if a.id not in before]
        assert {a.article_id for a in new_alerts} == {ids["recent"]}
        assert all(a.rescreened for a in new_alerts)
        assert all(not a.rescreened for a in s.execute(select(Alert)).scalars() if a.id in before)
        linked = set(
            s.execute(select(AlertEntity.entity_id).where(AlertEntity.alert_id.in_(result.alert_ids))).scalars()
        )
        assert "us_ofac_sdn:51234" in linked
        deliveries = s.execute(select(Delivery).where(Delivery.id.in_(result.delivery_ids))).scalars().all()
        assert {d.alert_id for d in deliveries} <= set(result.alert_ids) and deliveries

    # running it again raises nothing new (idempotent per article and rule)
    with session_scope(any_engine) as s:
        again = rescreen_version(s, cfg, v2.id)  # type: ignore[arg-type]
    assert again.articles_matched == 1 and again.alert_ids == []


def test_version_without_new_names_needs_no_rescreen(sqlite_engine: Engine, make_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with session_scope(sqlite_engine) as s:
        load_list(s, write_list(tmp_path / "v1"))
        v2 = load_list(s, write_list(tmp_path / "v2", sdn=SDN.split("\r\n", 1)[1]))  # only removes entity 36
        assert v2.removed == 1 and not needs_rescreen(s, v2.id)  # type: ignore[arg-type]
        result = rescreen_version(s, make_settings(), v2.id)  # type: ignore[arg-type]
    assert (result.new_entities, result.articles_scanned, result.alert_ids) == (0, 0, [])
