"""Storing matches: mentions, one alert per article with every rule that fired as a label,
re-matching, suppressions, outbox rows, the matcher cache and the sweep, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from monitor.alerts.matcher_cache import current_matcher
from monitor.alerts.review import history, review
from monitor.matching.types import SEVERITY_RANK
from monitor.models import (
    Alert,
    AlertEntity,
    AlertLabel,
    AlertReview,
    Article,
    Delivery,
    DeliveryAttempt,
    Entity,
    EntityName,
    ListVersion,
    Mention,
    Rule,
    Subscription,
    Suppression,
    utcnow,
)
from monitor.notify.payload import webhook_payload
from monitor.pipeline.match import match_and_store, match_article_id, match_unmatched
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
        # one alert for the article, every rule that fired on it a label
        (alert,) = result.alerts_created
        rules = [lab["rule_id"] for lab in alert.labels]
        assert {"test-listed", "test-arms"} <= set(rules) and len(rules) == len(set(rules))
        assert alert.rules == rules  # none suppressed, best first
        assert alert.severity_rank == max(SEVERITY_RANK[lab["severity"]] for lab in alert.labels)
        assert alert.score == max(lab["score"] for lab in alert.labels)
        assert alert.rule_id == rules[0] and alert.labels[0]["severity"] == alert.severity
        mentions = session.exec(select(Mention).where(Mention.article_id == article.id)).all()
        assert [(m.entity_id, m.matched) for m in mentions] == [
            ("us_ofac_sdn:35173", "Sergei Shoigu"), ("us_ofac_sdn:35173", "Shoigu")]
        assert all(TEXT[m.start : m.end] == m.matched for m in mentions)
        stored = session.exec(select(Alert).where(Alert.article_id == article.id)).one()
        assert stored.status == "new" and not stored.suppressed
        arms = next(lab for lab in stored.labels if lab["rule_id"] == "test-arms")
        assert arms["severity"] == "medium" and arms["entity_ids"] == ["us_ofac_sdn:35173"]
        assert "supply artillery ammunition" in arms["explanation"]
        assert arms["evidence"][0]["text"].endswith("to Russia.")
        listed = next(lab for lab in stored.labels if lab["rule_id"] == "test-listed")
        assert listed["explanation"] != arms["explanation"]  # each label keeps its own explanation
        links = session.exec(select(AlertEntity).where(AlertEntity.alert_id == stored.id)).all()
        assert [(link.entity_id, link.dataset) for link in links] == [("us_ofac_sdn:35173", "us_ofac_sdn")]
        label_rows = session.exec(select(AlertLabel.rule_id).where(AlertLabel.alert_id == stored.id)).all()
        assert sorted(label_rows) == sorted(rules)
        # one delivery, for the subscription that wants test-arms (a label of the alert)
        assert [d.alert_id for d in result.deliveries] == [stored.id]
        assert article.matched_at is not None and article.matcher_version == matcher.version[:64]

        # idempotent: nothing new, mentions not duplicated
        again = match_and_store(session, article, matcher)
        session.commit()
        assert again.alerts_created == [] and again.alerts_updated == [] and again.deliveries == []
        assert len(session.exec(select(Alert).where(Alert.article_id == article.id)).all()) == 1
        assert len(session.exec(select(Mention).where(Mention.article_id == article.id)).all()) == 2
        assert len(session.exec(select(Delivery)).all()) == 1


def test_rematch_adds_new_labels_once_and_notifies_only_what_is_new(any_engine: Engine, cfg: Settings) -> None:
    with Session(any_engine) as session:
        add_entity(session, "35173", "SHOIGU, Sergei Kuzhugetovich")
        every = Subscription(channel="webhook", target="http://127.0.0.1:9/all")
        later = Subscription(channel="webhook", target="http://127.0.0.1:9/later", rules=["db-later"])
        session.add_all([every, later])
        article = add_article(session)
        first = match_and_store(session, article, current_matcher(session, cfg))
        (alert,) = first.alerts_created
        (sent,) = first.deliveries
        assert sent.subscription_id == every.id
        # the first message went out
        sent.status, sent.attempts, first_message = "delivered", 1, sent.message_id
        session.add(DeliveryAttempt(delivery_id=sent.id or 0, ok=True, status_code=200, at=utcnow()))
        review(session, alert.id or 0, "dismissed", actor="analyst", reason="not relevant")
        session.commit()
        assert webhook_payload(session, alert, every, cfg, "t")["type"] == "alert.created"
        before = list(alert.rules)
        # a rule added later fires on re-matching: the same alert gets the label
        session.add(Rule(id="db-later", title="Later", category="sanctions", severity="critical", query="Pyongyang"))
        session.commit()
        second = match_and_store(session, article, current_matcher(session, cfg))
        session.commit()
        assert second.alerts_created == [] and [a.id for a in second.alerts_updated] == [alert.id]
        session.refresh(alert)
        assert sorted(alert.rules) == sorted(["db-later", *before]) and len(alert.labels) == len(before) + 1
        new = next(lab for lab in alert.labels if lab["rule_id"] == "db-later")
        assert new["severity"] == "critical" and alert.severity == "critical"
        assert alert.labels[0]["severity"] == "critical"  # best first
        assert all(new["created_at"] > lab["created_at"] for lab in alert.labels if lab is not new)
        # both subscriptions match the new label: the one that had no message gets one (alert.created),
        # the one already sent the alert gets its row armed again as a new message (alert.updated)
        assert sorted(d.subscription_id for d in second.deliveries) == sorted([every.id, later.id])
        assert len(session.exec(select(Delivery)).all()) == 2
        again = session.get(Delivery, sent.id)
        assert again is not None and again.status == "pending" and again.attempts == 0
        assert again.message_id != first_message
        assert len(session.exec(select(DeliveryAttempt)).all()) == 1  # the first message's attempt is kept
        assert webhook_payload(session, alert, every, cfg, "t")["type"] == "alert.updated"
        assert webhook_payload(session, alert, later, cfg, "t")["type"] == "alert.created"
        assert "db-later" in webhook_payload(session, alert, every, cfg, "t")["data"]["rules"]
        # the dismissed alert is reopened by the new rule, and the trail says so
        assert alert.status == "new"
        trail = history(session, alert.id or 0)
        assert [(r.actor, r.from_status, r.to_status) for r in trail] == [
            ("analyst", "new", "dismissed"), ("system", "dismissed", "new")]
        assert "db-later" in (trail[-1].note or "")
        # and a third run changes nothing
        third = match_and_store(session, article, current_matcher(session, cfg))
        assert third.alerts_updated == [] and third.deliveries == []
        assert len(session.exec(select(AlertReview)).all()) == 2


def test_suppressed_labels_drop_out_and_the_alert_only_when_none_is_left(any_engine: Engine, cfg: Settings) -> None:
    with Session(any_engine) as session:
        add_entity(session, "35173", "SHOIGU, Sergei Kuzhugetovich")
        session.add(Subscription(channel="webhook", target="http://127.0.0.1:9/hook"))
        session.add(Suppression(entity_id="us_ofac_sdn:35173", scope="global", reason="test", created_by="t"))
        article = add_article(session)
        result = match_and_store(session, article, current_matcher(session, cfg))
        session.commit()
        (alert,) = result.alerts_created
        by_rule = {lab["rule_id"]: lab for lab in alert.labels}
        assert by_rule["test-listed"]["suppressed"] and by_rule["test-arms"]["suppressed"]
        assert alert.suppressed and alert.rules == [] and result.deliveries == []
        # a suppression for one surface form only leaves the label live when another form was used
        sup = session.exec(select(Suppression)).one()
        sup.matched = "Shoigu"
        session.add(sup)
        plain = add_article(session, text="Sergei Shoigu spoke.")
        res3 = match_and_store(session, plain, current_matcher(session, cfg))
        assert res3.alerts_created and not any(a.suppressed for a in res3.alerts_created)
        assert len(res3.deliveries) == 1


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


def test_two_workers_matching_one_article_at_once_share_one_alert(fresh_pg_engine: Engine, cfg: Settings) -> None:
    """The second insert waits on the first's unique index, then merges into the alert that won."""
    import threading
    import time

    with Session(fresh_pg_engine) as session:
        add_entity(session, "35173", "SHOIGU, Sergei Kuzhugetovich")
        session.add(Subscription(channel="webhook", target="http://127.0.0.1:9/hook"))
        article_id = add_article(session).id
        session.commit()
    first = Session(fresh_pg_engine)
    mine = first.get(Article, article_id)
    assert mine is not None
    won = match_and_store(first, mine, current_matcher(first, cfg))  # not committed yet
    outcome: dict[str, object] = {}
    assert len(won.alerts_created) == 1 and len(won.deliveries) == 1
    won_rules = list(won.alerts_created[0].rules)

    def second_worker() -> None:
        with Session(fresh_pg_engine) as other:
            theirs = other.get(Article, article_id)
            assert theirs is not None
            result = match_and_store(other, theirs, current_matcher(other, cfg))
            other.commit()
            outcome["result"] = result

    thread = threading.Thread(target=second_worker)
    thread.start()
    time.sleep(1.0)  # the second worker is now blocked on the unique index
    assert thread.is_alive()
    first.commit()
    first.close()
    thread.join(timeout=30)
    late = outcome["result"]
    assert late.alerts_created == [] and late.alerts_updated == [] and late.deliveries == []  # type: ignore[attr-defined]
    with Session(fresh_pg_engine) as session:
        (alert,) = session.exec(select(Alert).where(Alert.article_id == article_id)).all()
        assert alert.rules == won_rules
        assert len(session.exec(select(Delivery)).all()) == 1
