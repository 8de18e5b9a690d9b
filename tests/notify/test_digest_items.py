"""What each digest includes is recorded (DigestItem): late alerts are not lost, none is sent twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.db import session_scope
from monitor.models import Digest, DigestItem, Subscription
from monitor.notify.digest import _claim_row, build_digest, digest_tick, reserve_items
from monitor.notify.subscriptions import SubscriptionCreate, create_subscription
from tests.notify.conftest import make_alert
from tests.notify.smtp import SmtpServer

DAY1 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # the digests go out at 08:00 UTC; ticks at 09:00


def _subscribe(engine: Engine, settings, target: str = "c@example.org") -> Subscription:
    with time_machine.travel(DAY1 - timedelta(hours=3), tick=False), session_scope(engine) as s:
        sub, _ = create_subscription(s, settings, SubscriptionCreate(
            channel="email", target=target, realtime=False, digest_time="08:00", timezone="UTC"))
    return sub


def _alert(engine: Engine, at: datetime, title: str, **extra) -> int:
    with time_machine.travel(at, tick=False), session_scope(engine) as s:
        return make_alert(s, title=title, **extra).id or 0


def _tick(engine: Engine, settings, at: datetime) -> list[Digest]:
    with time_machine.travel(at, tick=False), Session(engine, expire_on_commit=False) as s:
        return digest_tick(s, settings)


def _text(msg) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()


def _items(engine: Engine, digest_id: int) -> set[int]:
    with Session(engine) as s:
        return set(s.exec(select(DigestItem.alert_id).where(DigestItem.digest_id == digest_id)))


def _preview_ids(engine: Engine, settings, sub: Subscription, at: datetime) -> set[int]:
    with time_machine.travel(at, tick=False), Session(engine) as s:
        return {a.id or 0 for a in build_digest(s, settings, sub, at.date()).alerts}


def test_alert_committed_late_with_a_lower_id_goes_into_the_next_digest(any_engine: Engine, make_settings) -> None:
    with SmtpServer() as smtp:
        settings = make_settings(smtp_port=smtp.port)
        sub = _subscribe(any_engine, settings)
        late_session = None
        with time_machine.travel(DAY1 - timedelta(hours=1), tick=False):
            if any_engine.dialect.name == "postgresql":
                # Two writers: the first takes the lower id from the sequence but commits last.
                late_session = Session(any_engine, expire_on_commit=False)
                low = make_alert(late_session, title="Late lower-id alert").id or 0
                with session_scope(any_engine) as s:
                    high = make_alert(s, title="Early higher-id alert").id or 0
            else:  # one writer at a time on SQLite: give the late row a lower id explicitly
                with session_scope(any_engine) as s:
                    high = make_alert(s, title="Early higher-id alert", id=1000).id or 0
                low = 999
        (first,) = _tick(any_engine, settings, DAY1)
        assert first.status == "sent" and _items(any_engine, first.id or 0) == {high}
        # The lower id commits after the digest that included the higher one.
        if late_session is not None:
            with time_machine.travel(DAY1 + timedelta(hours=2), tick=False):
                late_session.commit()
                late_session.close()
        else:
            _alert(any_engine, DAY1 + timedelta(hours=2), "Late lower-id alert", id=low)
        assert low < high
        # The sent digest still shows what it sent; tomorrow's shows the late alert, once.
        assert _preview_ids(any_engine, settings, sub, DAY1 + timedelta(hours=3)) == {high}
        assert _preview_ids(any_engine, settings, sub, DAY1 + timedelta(days=1)) == {low}
        (second,) = _tick(any_engine, settings, DAY1 + timedelta(days=1))
        assert second.status == "sent" and second.alert_count == 1
        assert _items(any_engine, second.id or 0) == {low}
        mail1, mail2 = (_text(m) for m in smtp.messages)
        assert "Early higher-id alert" in mail1 and "Late lower-id alert" not in mail1
        assert "Late lower-id alert" in mail2 and "Early higher-id alert" not in mail2


def test_failed_send_retried_the_same_day_includes_the_same_alerts(any_engine: Engine, make_settings) -> None:
    down = make_settings(smtp_port=1)  # nothing listens there: the send fails
    sub = _subscribe(any_engine, down)
    a = _alert(any_engine, DAY1 - timedelta(minutes=30), "Alert A")
    b = _alert(any_engine, DAY1 - timedelta(minutes=20), "Alert B")
    (row,) = _tick(any_engine, down, DAY1)
    assert row.status == "failed" and _items(any_engine, row.id or 0) == {a, b}
    c = _alert(any_engine, DAY1 + timedelta(minutes=5), "Alert C")
    # The preview shows what the retry will send: the failed try's alerts plus the new one.
    assert _preview_ids(any_engine, down, sub, DAY1 + timedelta(minutes=15)) == {a, b, c}
    with SmtpServer() as smtp:
        up = make_settings(smtp_port=smtp.port)
        (retry,) = _tick(any_engine, up, DAY1 + timedelta(minutes=15))
        assert retry.id == row.id and retry.status == "sent" and retry.alert_count == 3
        assert _items(any_engine, row.id or 0) == {a, b, c}
        (next_day,) = _tick(any_engine, up, DAY1 + timedelta(days=1))
        assert next_day.alert_count == 0
        sent, empty = (_text(m) for m in smtp.messages)
    assert all(t in sent for t in ("Alert A", "Alert B", "Alert C"))
    assert "No new alerts" in empty


def test_a_claim_whose_sender_died_is_taken_over_with_its_alerts(any_engine: Engine, make_settings) -> None:
    with SmtpServer() as smtp:
        settings = make_settings(smtp_port=smtp.port)
        sub = _subscribe(any_engine, settings)
        a = _alert(any_engine, DAY1 - timedelta(minutes=30), "Alert A")
        # A process claims and records its items, then dies before sending.
        with time_machine.travel(DAY1, tick=False), Session(any_engine) as s:
            row_id = _claim_row(s, sub.id or 0, DAY1.date(), DAY1)
            assert row_id is not None
            reserve_items(s, settings, sub, row_id, DAY1.date(), DAY1)
            s.commit()
        d = _alert(any_engine, DAY1 + timedelta(minutes=2), "Alert D")
        # While the claim is fresh nobody else sends, and the preview shows what it holds.
        assert _tick(any_engine, settings, DAY1 + timedelta(minutes=5)) == []
        assert _preview_ids(any_engine, settings, sub, DAY1 + timedelta(minutes=5)) == {a}
        (row,) = _tick(any_engine, settings, DAY1 + timedelta(minutes=20))
        assert row.id == row_id and row.status == "sent"
        assert _items(any_engine, row_id) == {a, d}
        (mail,) = smtp.messages
    assert "Alert A" in _text(mail) and "Alert D" in _text(mail)


def test_no_alert_in_two_digests_and_an_unsent_day_hands_its_alerts_on(any_engine: Engine, make_settings) -> None:
    down = make_settings(smtp_port=1)
    sub = _subscribe(any_engine, down)
    titles: dict[int, str] = {}

    def alert(at: datetime, title: str, **extra) -> None:
        titles[_alert(any_engine, at, title, **extra)] = title

    alert(DAY1 - timedelta(hours=1), "day1 first")
    alert(DAY1 - timedelta(minutes=30), "day1 second", id=5000)
    # Day 1: the mail server is down all day; every retry fails.
    for minutes in (0, 15, 30, 600):
        _tick(any_engine, down, DAY1 + timedelta(minutes=minutes))
    alert(DAY1 + timedelta(hours=12), "day1 evening, lower id", id=4000)
    with SmtpServer() as smtp:
        up = make_settings(smtp_port=smtp.port)
        day2 = DAY1 + timedelta(days=1)
        alert(day2 - timedelta(hours=2), "day2 morning")
        preview = _preview_ids(any_engine, up, sub, day2)
        (row2,) = _tick(any_engine, up, day2)
        assert row2.status == "sent" and _items(any_engine, row2.id or 0) == preview == set(titles)
        alert(day2 + timedelta(hours=1), "day2 after the digest, lower id", id=4500)
        alert(day2 + timedelta(hours=2), "day2 late evening")
        for minutes in (5, 30):  # more ticks the same day send nothing
            assert _tick(any_engine, up, day2 + timedelta(minutes=minutes)) == []
        (row3,) = _tick(any_engine, up, day2 + timedelta(days=1))
        assert row3.status == "sent" and row3.alert_count == 2
        texts = [_text(m) for m in smtp.messages]
    assert len(texts) == 2
    for title in titles.values():
        assert sum(title in t for t in texts) == 1, title
    with Session(any_engine) as s:
        statuses = {r.local_date.day: r.status for r in s.exec(select(Digest).order_by(col(Digest.local_date)))}
        items = list(s.exec(select(DigestItem)))
    assert statuses == {1: "superseded", 2: "sent", 3: "sent"}
    assert sorted(i.alert_id for i in items) == sorted(titles)  # each alert recorded once


def test_realtime_delivery_of_an_alert_committed_late_with_a_lower_id(fresh_pg_engine: Engine, make_settings) -> None:
    """The outbox has no such gap: rows are written in the alert's transaction and swept by state, not id."""
    from monitor.notify.deliver import claim_due, deliver_one
    from monitor.notify.outbox import enqueue_for_alert
    from tests.notify.receiver import ReceiverServer

    settings = make_settings()
    with ReceiverServer() as rx:
        with session_scope(fresh_pg_engine) as s:
            _, secret = create_subscription(s, settings, SubscriptionCreate(channel="webhook", target=rx.url))
        rx.secrets = [secret or ""]
        late = Session(fresh_pg_engine, expire_on_commit=False)  # takes the lower ids, commits last
        (low,) = enqueue_for_alert(late, make_alert(late, title="late"))
        with session_scope(fresh_pg_engine) as s:
            (high,) = enqueue_for_alert(s, make_alert(s, title="early"))
        assert (low.id or 0) < (high.id or 0)
        with Session(fresh_pg_engine, expire_on_commit=False) as s:
            assert claim_due(s) == [high.id]
            assert deliver_one(s, high.id or 0, settings).result == "delivered"
        late.commit()
        late.close()
        with Session(fresh_pg_engine, expire_on_commit=False) as s:
            assert claim_due(s) == [low.id]
            assert deliver_one(s, low.id or 0, settings).result == "delivered"
    assert [c.payload["data"]["title"] for c in rx.accepted()] == ["early", "late"]
