"""Webhooks end to end against a real receiver: signed, exactly once, in order, retried from the DB."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from monitor.db import session_scope
from monitor.models import Delivery, DeliveryAttempt, Subscription, utcnow
from monitor.notify.deliver import MAX_ATTEMPTS, claim_due, deliver_one, redeliver
from monitor.notify.outbox import enqueue_for_alert
from monitor.notify.subscriptions import SubscriptionCreate, create_subscription, rotate_secret
from tests.notify.conftest import make_alert
from tests.notify.receiver import ReceiverServer


def _drain(engine: Engine, settings, rounds: int = 50) -> None:
    """Run the beat's sweep and deliver whatever it claims, advancing time past each retry."""
    for _ in range(rounds):
        with Session(engine, expire_on_commit=False) as s:
            ids = claim_due(s)
            for i in ids:
                deliver_one(s, i, settings)
            open_rows = s.exec(select(Delivery).where(Delivery.status.in_(("pending", "sending")))).all()
            if not open_rows:
                return
            # rows queued behind a retrying head keep a past time; the head's next try is what counts
            future = [r.next_attempt_at for r in open_rows if r.next_attempt_at > utcnow()]
            soonest = min(future) if future else utcnow()
        if soonest > utcnow():
            yield_to = soonest + timedelta(seconds=1)
            yield yield_to
    raise AssertionError("outbox did not drain")


def test_every_alert_once_in_order_after_endpoint_recovers(any_engine: Engine, make_settings) -> None:
    settings = make_settings()
    with ReceiverServer() as rx:
        with session_scope(any_engine) as s:
            _, secret = create_subscription(s, settings, SubscriptionCreate(channel="webhook", target=rx.url))
        assert secret and secret.startswith("whsec_")
        rx.secrets = [secret]
        rx.fail_first = 4  # 503s: the first message is retried 4 times, the others queue behind it
        alert_ids = []
        with session_scope(any_engine) as s:
            for _ in range(6):
                alert = make_alert(s)
                alert_ids.append(alert.id)
                created = enqueue_for_alert(s, alert)
                assert len(created) == 1
        with Session(any_engine, expire_on_commit=False) as s:
            first_ids = [d.id for d in s.exec(select(Delivery).order_by(Delivery.id)).all()]
            # the matcher queues every delivery at once; all but the first must wait their turn
            outcomes = [deliver_one(s, i, settings).result for i in first_ids]
        assert outcomes[0] == "retry" and set(outcomes[1:]) == {"deferred"}
        with time_machine.travel(utcnow(), tick=True) as traveller:
            for when in _drain(any_engine, settings):
                traveller.move_to(when)
        got = rx.accepted()
        ids_in_order = [c.payload["data"]["id"] for c in got]
        assert ids_in_order == alert_ids  # each once, in creation order
        assert len({c.webhook_id for c in got}) == 6
        body = got[0].payload
        assert body["type"] == "alert.created"
        data = body["data"]
        assert data["rule"]["id"] == "arms-transfer" and data["rule"]["title"] == "Arms transfer language"
        assert data["url"] == f"{settings.public_base_url}/api/v1/alerts/{alert_ids[0]}"
        assert data["review_url"] == f"{settings.public_base_url}/alerts/{alert_ids[0]}"
        assert data["score"] == 0.9 and data["severity"] == "high"
        assert data["evidence"][0]["text"] == "Pyongyang sent artillery shells."
        assert data["entities"][0]["entity_id"] == "us_ofac_sdn:35173"
        assert data["article"]["url"].startswith("https://news.example/")
        assert all(c.verified for c in rx.calls)
        with Session(any_engine) as s:
            first = s.exec(select(Delivery).order_by(Delivery.id)).first()
            assert first is not None and first.attempts == 5 and first.status == "delivered"
            attempts = s.exec(select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == first.id)).all()
            assert [a.status_code for a in attempts] == [503, 503, 503, 503, 200]
            # the same webhook-id on every retry of one message
            ids_seen = {c.webhook_id for c in rx.calls if c.webhook_id == first.message_id}
            assert ids_seen == {first.message_id}
            assert sum(1 for c in rx.calls if c.webhook_id == first.message_id) == 5


def test_retry_schedule_then_failing(sqlite_engine: Engine, make_settings) -> None:
    settings = make_settings()
    with ReceiverServer() as rx:
        rx.status = 500
        with session_scope(sqlite_engine) as s:
            sub, secret = create_subscription(s, settings, SubscriptionCreate(channel="webhook", target=rx.url))
            rx.secrets = [secret or ""]
            (delivery,) = enqueue_for_alert(s, make_alert(s))
        gaps = []
        with time_machine.travel(utcnow(), tick=False) as traveller:
            for n in range(MAX_ATTEMPTS):
                with Session(sqlite_engine, expire_on_commit=False) as s:
                    out = deliver_one(s, delivery.id, settings)
                    row = s.get(Delivery, delivery.id)
                    assert row is not None
                    if n < MAX_ATTEMPTS - 1:
                        assert out.result == "retry"
                        gaps.append((row.next_attempt_at - utcnow()).total_seconds())
                        # not due yet: a second try now does nothing
                        assert deliver_one(s, delivery.id, settings).result == "skipped"
                        traveller.move_to(row.next_attempt_at + timedelta(seconds=1))
                    else:
                        assert out.result == "failed"
        expected = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]
        assert len(gaps) == 9
        for gap, want in zip(gaps, expected, strict=True):
            assert want * 0.89 <= gap <= want * 1.11
        with Session(sqlite_engine) as s:
            sub_row = s.get(Subscription, sub.id)
            assert sub_row is not None and sub_row.status == "failing"
            assert "10 attempts" in (sub_row.status_detail or "")
            # a manual redelivery uses the same webhook-id and clears the failing state on success
            rx.status = 200
            redeliver(s, delivery.id)
            s.commit()
            assert deliver_one(s, delivery.id, settings).result == "delivered"
            s.refresh(sub_row)
            assert sub_row.status == "ok"
        assert {c.webhook_id for c in rx.calls} == {delivery.message_id}


def test_410_disables_and_429_honours_retry_after(sqlite_engine: Engine, make_settings) -> None:
    settings = make_settings()
    with ReceiverServer() as rx:
        with session_scope(sqlite_engine) as s:
            sub, secret = create_subscription(s, settings, SubscriptionCreate(channel="webhook", target=rx.url))
            rx.secrets = [secret or ""]
            d1, = enqueue_for_alert(s, make_alert(s))
            d2, = enqueue_for_alert(s, make_alert(s))
        rx.fail_first, rx.fail_status, rx.fail_headers = 1, 429, {"Retry-After": "120"}
        with Session(sqlite_engine, expire_on_commit=False) as s:
            assert deliver_one(s, d1.id, settings).result == "retry"
            row = s.get(Delivery, d1.id)
            assert row is not None
            wait = (row.next_attempt_at - utcnow()).total_seconds()
            assert 115 <= wait <= 121
        rx.fail_first, rx.fail_status, rx.fail_headers = 1, 410, {}
        with time_machine.travel(utcnow() + timedelta(seconds=121), tick=True), \
                Session(sqlite_engine, expire_on_commit=False) as s:
            assert deliver_one(s, d1.id, settings).result == "failed"
            sub_row = s.get(Subscription, sub.id)
            assert sub_row is not None and sub_row.status == "disabled"
            d2_row = s.get(Delivery, d2.id, populate_existing=True)
            assert d2_row is not None and d2_row.status == "failed"
            # a disabled subscription receives nothing new
            assert enqueue_for_alert(s, make_alert(s)) == []
        assert len(rx.calls) == 2


def test_redirect_is_not_followed(sqlite_engine: Engine, make_settings) -> None:
    settings = make_settings()
    with ReceiverServer() as target, ReceiverServer() as rx:
        rx.status, rx.fail_first, rx.fail_status = 200, 1, 302
        rx.fail_headers = {"Location": target.url}
        with session_scope(sqlite_engine) as s:
            _, secret = create_subscription(s, settings, SubscriptionCreate(channel="webhook", target=rx.url))
            rx.secrets = target.secrets = [secret or ""]
            d, = enqueue_for_alert(s, make_alert(s))
        with Session(sqlite_engine, expire_on_commit=False) as s:
            out = deliver_one(s, d.id, settings)
        assert out.result == "retry" and out.attempt is not None and "redirect" in (out.attempt.error or "")
        assert target.calls == []


def test_rotation_sends_both_signatures(sqlite_engine: Engine, make_settings) -> None:
    settings = make_settings(secret_rotation_hours=1.0)
    with ReceiverServer() as rx:
        with session_scope(sqlite_engine) as s:
            sub, old = create_subscription(s, settings, SubscriptionCreate(channel="webhook", target=rx.url))
            new = rotate_secret(s, settings, sub.id)
            assert new != old and new.startswith("whsec_")
            d1, = enqueue_for_alert(s, make_alert(s))
        rx.secrets = [old or ""]  # a receiver not yet updated still verifies
        with Session(sqlite_engine, expire_on_commit=False) as s:
            assert deliver_one(s, d1.id, settings).result == "delivered"
        assert len(rx.calls[-1].headers["webhook-signature"].split(" ")) == 2
        with time_machine.travel(utcnow() + timedelta(hours=2), tick=True):
            with session_scope(sqlite_engine) as s:
                d2, = enqueue_for_alert(s, make_alert(s))
            rx.secrets = [new]
            with Session(sqlite_engine, expire_on_commit=False) as s:
                assert deliver_one(s, d2.id, settings).result == "delivered"
            assert len(rx.calls[-1].headers["webhook-signature"].split(" ")) == 1
            # after the overlap the old secret no longer verifies
            rx.secrets = [old or ""]
            with session_scope(sqlite_engine) as s:
                d3, = enqueue_for_alert(s, make_alert(s))
            with Session(sqlite_engine, expire_on_commit=False) as s:
                assert deliver_one(s, d3.id, settings).result == "retry"
            assert rx.calls[-1].status == 401


def test_secret_is_encrypted_at_rest(sqlite_engine: Engine, make_settings) -> None:
    settings = make_settings()
    with session_scope(sqlite_engine) as s:
        sub, secret = create_subscription(s, settings, SubscriptionCreate(channel="webhook", target="http://127.0.0.1:9/h"))
    with Session(sqlite_engine) as s:
        row = s.get(Subscription, sub.id)
        assert row is not None and row.secret and secret
        assert secret not in row.secret and secret.removeprefix("whsec_") not in row.secret
    assert (settings.data_dir / "secret.key").exists()


def test_article_to_webhook_through_the_matcher(sqlite_engine: Engine, make_settings) -> None:
    """The real chain in one process: stored article -> match_and_store (default rules) -> outbox -> webhook."""
    from monitor.models import Article
    from monitor.pipeline.match import match_article_id

    settings = make_settings()
    with ReceiverServer() as rx:
        with session_scope(sqlite_engine) as s:
            _, secret = create_subscription(
                s, settings, SubscriptionCreate(channel="webhook", target=rx.url, rules=["arms-transfer"])
            )
            rx.secrets = [secret or ""]
            art = Article(title="North Korea ships artillery shells to Russia", dedupe_key="e2e", content_hash="e2e",
                          text="North Korea has shipped millions of artillery shells to Russia, officials said.")
            s.add(art)
        with session_scope(sqlite_engine) as s:
            ids = match_article_id(s, settings, art.id or 0)
        assert len(ids) == 1
        with Session(sqlite_engine, expire_on_commit=False) as s:
            assert deliver_one(s, ids[0], settings).result == "delivered"
    (call,) = rx.accepted()
    assert call.payload["data"]["rule"]["id"] == "arms-transfer"
    assert call.payload["data"]["article"]["id"] == art.id
