"""Storing matches: mentions, one alert per (article, rule), suppressions, outbox rows,
the matcher cache and the sweep, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.alerts.matcher_cache import current_matcher
from monitor.alerts.store import match_and_store, match_article_id, match_unmatched
from monitor.models import (
    Alert,
    AlertEntity,
    Article,
    Delivery,
    Entity,
    EntityName,
    ListVersion,
    Mention,
    Rule,
    Subscription,
    Suppression,
    utcnow,
)
from monitor.settings import Settings

RULES = """\
rules:
  - id: test-listed
    title: Listed entity (test)
    category: sanctions
    severity: medium
    query: entity:sanctioned
  - id: test-arms
    title: Arms (test)
    category: arms-transfer
    severity: medium
    query: (supply OR sell) pre/4 (weapons OR "artillery ammunition")
"""
TEXT = ("Russia's Defense Minister, Sergei Shoigu, had attempted to persuade Pyongyang to supply "
        "artillery ammunition to Russia. Shoigu left.")


@pytest.fixture
def cfg(make_settings, tmp_path: Path) -> Settings:  # type: ignore[no-untyped-def]
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "test.yaml").write_text(RULES)
    return make_settings(rules_dir=rules)  # type: ignore[no-any-return]


def add_entity(session: Session, source_id: str, caption: str, *aliases: str, version: int | None = None) -> None:
    if version is None:
        lv = ListVersion(dataset="us_ofac_sdn", source="test", format="ofac-csv", file_hash="x")
        session.add(lv)
        session.flush()
        version = lv.id
    eid = f"us_ofac_sdn:{source_id}"
    session.add(Entity(id=eid, dataset="us_ofac_sdn", source_id=source_id, schema_="Person", name=caption,
                       programs=["RUSSIA-EO14024"], version_id=version))
    session.flush()
    for i, alias in enumerate((caption, *aliases)):
        session.add(EntityName(entity_id=eid, name=alias, kind="primary" if i == 0 else "alias"))
    session.flush()


def add_article(session: Session, text: str = TEXT, title: str = "Arms talks", age: timedelta = timedelta()) -> Article:
    article = Article(title=title, text=text, dedupe_key=f"k{utcnow().timestamp()}{text[:10]}",
                      content_hash="h", fetched_at=utcnow() - age)
    session.add(article)
    session.flush()
    return article


def test_match_and_store(any_engine: Engine, cfg: Settings) -> None:
    with Session(any_engine) as session:
        add_entity(session, "35173", "SHOIGU, Sergei Kuzhugetovich", "SHOIGU, Sergey")
        session.add(Subscription(channel="webhook", target="http://127.0.0.1:9/hook", rules=["test-arms"]))
        article = add_article(session)
        matcher = current_matcher(session, cfg)
        result = match_and_store(session, article, matcher)
        session.commit()
        rules = sorted(a.rule_id for a in result.alerts_created)
        assert {"test-listed", "test-arms"} <= set(rules)
        mentions = session.exec(select(Mention).where(Mention.article_id == article.id)).all()
        assert [(m.entity_id, m.matched) for m in mentions] == [
            ("us_ofac_sdn:35173", "Sergei Shoigu"), ("us_ofac_sdn:35173", "Shoigu")]
        assert all(TEXT[m.start : m.end] == m.matched for m in mentions)
        arms = session.exec(select(Alert).where(Alert.rule_id == "test-arms")).one()
        assert arms.status == "new" and not arms.suppressed and arms.severity_rank == 2
        assert arms.entity_ids == ["us_ofac_sdn:35173"]
        assert "supply artillery ammunition" in arms.explanation
        assert arms.evidence[0]["text"].endswith("to Russia.")
        links = session.exec(select(AlertEntity).where(AlertEntity.alert_id == arms.id)).all()
        assert [(link.entity_id, link.dataset) for link in links] == [("us_ofac_sdn:35173", "us_ofac_sdn")]
        # one delivery, for the subscription that wants test-arms only
        assert [d.alert_id for d in result.deliveries] == [arms.id]
        assert article.matched_at is not None and article.matcher_version == matcher.version[:64]

        # idempotent: nothing new, mentions not duplicated
        again = match_and_store(session, article, matcher)
        session.commit()
        assert again.alerts_created == [] and again.deliveries == []
        assert len(session.exec(select(Alert).where(Alert.article_id == article.id)).all()) == len(rules)
        assert len(session.exec(select(Mention).where(Mention.article_id == article.id)).all()) == 2
        assert len(session.exec(select(Delivery)).all()) == 1


def test_suppressed_alerts_are_stored_but_not_delivered(any_engine: Engine, cfg: Settings) -> None:
    with Session(any_engine) as session:
        add_entity(session, "35173", "SHOIGU, Sergei Kuzhugetovich")
        session.add(Subscription(channel="webhook", target="http://127.0.0.1:9/hook"))
        session.add(Suppression(entity_id="us_ofac_sdn:35173", scope="global", reason="test", created_by="t"))
        article = add_article(session)
        result = match_and_store(session, article, current_matcher(session, cfg))
        session.commit()
        by_rule = {a.rule_id: a for a in result.alerts_created}
        assert by_rule["test-listed"].suppressed and by_rule["test-arms"].suppressed
        assert result.deliveries == []
        # a suppression for one surface form only leaves the alert live when another form was used
        session.add(Suppression(entity_id="us_ofac_sdn:35173", scope="global", reason="x", created_by="t",
                                withdrawn_at=utcnow()))
        other = add_article(session, text="Sergei Shoigu spoke.")
        sup = session.exec(select(Suppression).where(col(Suppression.withdrawn_at).is_(None))).one()
        sup.matched = "Shoigu"
        session.add(sup)
        res2 = match_and_store(session, other, current_matcher(session, cfg))
        assert res2.alerts_created and not any(a.suppressed for a in res2.alerts_created)
        assert len(res2.deliveries) == len(res2.alerts_created)  # the subscription takes every alert


def test_matcher_is_rebuilt_when_rules_or_lists_change(any_engine: Engine, cfg: Settings) -> None:
    with Session(any_engine) as session:
        first = current_matcher(session, cfg)
        assert current_matcher(session, cfg) is first
        session.add(Rule(id="db-rule", title="DB rule", category="sanctions", severity="low", query="cycle lanes"))
        session.commit()
        second = current_matcher(session, cfg)
        assert second is not first and "db-rule" in {r.id for r in second.rules}
        article = add_article(session, text="New cycle lanes and Sergei Shoigu.")
        assert [a.rule for a in second.scan(_inp(article)).alerts] == ["db-rule"]
        add_entity(session, "35173", "SHOIGU, Sergei Kuzhugetovich")
        session.commit()
        third = current_matcher(session, cfg)
        assert third is not second
        assert {"db-rule", "test-listed"} <= {a.rule for a in third.scan(_inp(article)).alerts}
        # a new rule file in the rules folder is picked up without a restart
        assert cfg.rules_dir is not None
        (cfg.rules_dir / "more.yaml").write_text(RULES.replace("test-listed", "file-new").replace("test-arms", "x2"))
        with_file = current_matcher(session, cfg)
        assert with_file is not third and "file-new" in {r.id for r in with_file.rules}
        # an invalid DB rule is left out, the rest keeps working
        session.add(Rule(id="broken", title="Broken", category="sanctions", severity="low", query="supply AND"))
        session.commit()
        fourth = current_matcher(session, cfg)
        assert "broken" not in {r.id for r in fourth.rules} and "db-rule" in {r.id for r in fourth.rules}


def _inp(article: Article):  # type: ignore[no-untyped-def]
    from monitor.alerts.store import article_input

    return article_input(article)


def test_sweep_matches_only_old_unmatched_articles(any_engine: Engine, cfg: Settings) -> None:
    with Session(any_engine) as session:
        add_entity(session, "35173", "SHOIGU, Sergei Kuzhugetovich")
        old = add_article(session, age=timedelta(minutes=5))
        fresh = add_article(session, text="Sergei Shoigu again.")
        empty = add_article(session, text="", title="", age=timedelta(minutes=10))
        session.commit()
        matched, deliveries = match_unmatched(session, cfg)
        session.commit()
        assert matched == 2 and deliveries == []
        session.refresh(old)
        session.refresh(fresh)
        session.refresh(empty)
        assert old.matched_at is not None and empty.matched_at is not None and fresh.matched_at is None
        assert match_unmatched(session, cfg) == (0, [])
        assert match_article_id(session, cfg, 999_999) == []
        assert match_article_id(session, cfg, fresh.id or 0) == []
        session.commit()
        session.refresh(fresh)
        assert fresh.matched_at is not None


def test_the_language_is_detected_stored_and_filtered_on(any_engine: Engine, cfg: Settings) -> None:
    from monitor.alerts.queries import AlertFilter, list_alerts

    with Session(any_engine) as session:
        add_entity(session, "35173", "SHOIGU, Sergei Kuzhugetovich", "SHOIGU, Sergey")
        english = add_article(session)
        # stored before languages were detected: only the feed's (wrong) declaration
        russian = add_article(session, title="Шойгу посетил завод в Пхеньяне",
                              text="Министр обороны Сергей Шойгу осмотрел ракетные комплексы в КНДР.")
        russian.declared_language = "en"
        matcher = current_matcher(session, cfg)
        match_and_store(session, english, matcher)
        match_and_store(session, russian, matcher)
        session.commit()
        assert (english.language, russian.language) == ("en", "ru")
        ru = session.exec(select(Alert).where(Alert.article_id == russian.id)).all()
        assert ru and {a.language for a in ru} == {"ru"}
        assert "Шойгу [SHOIGU, Sergei Kuzhugetovich]" in ru[0].explanation  # the listed name beside it
        only_ru = list_alerts(session, AlertFilter(languages=["ru"])).items
        assert {a.article_id for a in only_ru} == {russian.id}
        assert list_alerts(session, AlertFilter(languages=["de"])).items == []
