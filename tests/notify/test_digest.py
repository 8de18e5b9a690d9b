"""The daily digest: one per subscription per local day across midnight and DST changes, by real SMTP."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from monitor.db import session_scope
from monitor.models import Digest, Subscription
from monitor.notify.digest import build_digest, digest_tick, render_digest, scheduled_at
from monitor.notify.subscriptions import SubscriptionCreate, create_subscription
from tests.notify.conftest import make_alert
from tests.notify.smtp import SmtpServer

TICK = timedelta(minutes=20)  # the beat ticks every 5 minutes; a coarser tick keeps the test short, same logic


def _parts(msg) -> tuple[str, str]:
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    return text, html


def _run_days(engine: Engine, settings, start: datetime, end: datetime, alert_every: timedelta) -> list[str]:
    """Tick every 5 minutes from start to end, raising an alert every `alert_every`; returns alert titles."""
    titles = []
    next_alert = start
    with time_machine.travel(start, tick=False) as traveller:
        now = start
        while now <= end:
            traveller.move_to(now)
            if now >= next_alert:
                with session_scope(engine) as s:
                    titles.append(make_alert(s, title=f"alert at {now.isoformat()}").title)
                next_alert += alert_every
            with Session(engine, expire_on_commit=False) as s:
                digest_tick(s, settings)
            now += TICK
    return titles


def _expected_dates(sub: Subscription, start: datetime, end: datetime) -> set[date]:
    days = set()
    d = start.date() - timedelta(days=1)
    while d <= end.date() + timedelta(days=1):
        # a digest whose time passed after the subscription existed is due (sent on the next tick)
        if sub.created_at <= scheduled_at(sub, d) <= end:
            days.add(d)
        d += timedelta(days=1)
    return days


def _check_run(engine: Engine, smtp: SmtpServer, subs: list[Subscription], start: datetime, end: datetime,
               titles: list[str]) -> None:
    by_rcpt: dict[str, list] = defaultdict(list)
    for msg in smtp.messages:
        by_rcpt[str(msg["To"])].append(msg)
    with Session(engine) as s:
        for sub in subs:
            rows = s.exec(select(Digest).where(Digest.subscription_id == sub.id)).all()
            dates = [r.local_date for r in rows]
            expected = _expected_dates(sub, start, end)
            assert len(dates) == len(set(dates)), f"{sub.timezone}: two digests on one day"
            assert set(dates) == expected, f"{sub.timezone}: {sorted(set(dates) ^ expected)}"
            assert all(r.status == "sent" for r in rows)
            mails = by_rcpt[sub.target]
            assert len(mails) == len(expected)
            # every alert raised from the first digest on appears in exactly one later digest
            seen: list[str] = []
            for msg in mails:
                text, _ = _parts(msg)
                seen += [t for t in titles if t in text]
            first_due = min(scheduled_at(sub, d) for d in expected)
            last_sent = max(r.claimed_at for r in rows)
            should = [t for t in titles
                      if first_due - timedelta(days=1) < datetime.fromisoformat(t.split(" at ")[1]) <= last_sent]
            assert sorted(seen) == sorted(should)


@pytest.mark.slow
def test_one_digest_per_local_day_across_autumn_dst(any_engine: Engine, make_settings) -> None:
    # Europe/London falls back on 25 Oct 2026 and America/New_York on 1 Nov 2026; 01:30
    # happens twice on those days, and must still bring exactly one digest.
    start = datetime(2026, 10, 24, 6, 0, tzinfo=UTC)
    end = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    with SmtpServer() as smtp:
        settings = make_settings(smtp_port=smtp.port)
        with time_machine.travel(start - timedelta(hours=1), tick=False), session_scope(any_engine) as s:
            london, _ = create_subscription(s, settings, SubscriptionCreate(
                channel="email", target="london@example.org", realtime=False, digest_time="01:30",
                timezone="Europe/London"))
            ny, _ = create_subscription(s, settings, SubscriptionCreate(
                channel="email", target="ny@example.org", realtime=False, digest_time="01:30",
                timezone="America/New_York"))
        titles = _run_days(any_engine, settings, start, end, timedelta(hours=7))
        _check_run(any_engine, smtp, [london, ny], start, end, titles)


def test_one_digest_per_local_day_across_spring_dst(sqlite_engine: Engine, make_settings) -> None:
    # New York skips 02:00-03:00 on 8 Mar 2026: a 02:30 digest must still go out that day.
    start = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
    end = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    with SmtpServer() as smtp:
        settings = make_settings(smtp_port=smtp.port)
        with time_machine.travel(start - timedelta(hours=1), tick=False), session_scope(sqlite_engine) as s:
            ny, _ = create_subscription(s, settings, SubscriptionCreate(
                channel="email", target="ny@example.org", realtime=False, digest_time="02:30",
                timezone="America/New_York"))
            tokyo, _ = create_subscription(s, settings, SubscriptionCreate(
                channel="email", target="tokyo@example.org", realtime=False, digest_time="00:00",
                timezone="Asia/Tokyo"))
        titles = _run_days(sqlite_engine, settings, start, end, timedelta(hours=5))
        _check_run(sqlite_engine, smtp, [ny, tokyo], start, end, titles)


def test_digest_message_content_and_escaping(sqlite_engine: Engine, make_settings) -> None:
    with SmtpServer() as smtp:
        settings = make_settings(smtp_port=smtp.port, public_url="https://monitor.example")
        now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
        with time_machine.travel(now - timedelta(hours=3), tick=False), session_scope(sqlite_engine) as s:
            create_subscription(s, settings, SubscriptionCreate(
                channel="email", target="c@example.org", realtime=False, digest_time="08:00", timezone="UTC",
                rules=["arms-transfer"]))
            make_alert(s, title="<script>alert(1)</script> Wagner buys drones", severity="critical", score=0.97)
            make_alert(s, title="Shells shipped via Rason", severity="medium", score=0.6)
            make_alert(s, rule="named-officials", category="named-officials", title="not for this subscriber")
            failing = Subscription(channel="webhook", target="http://127.0.0.1:9/x", name="ops hook",
                                   status="failing", status_detail="delivery 7 failed after 10 attempts")
            s.add(failing)
        with time_machine.travel(now, tick=False), Session(sqlite_engine, expire_on_commit=False) as s:
            assert len(digest_tick(s, settings)) == 1
            assert digest_tick(s, settings) == []  # a second tick (or process) never sends it again
        (msg,) = smtp.messages
        assert msg["Subject"] == "Sanctions monitor digest 2026-06-01: 2 new alert(s)"
        text, html = _parts(msg)
        assert "By severity: critical 1, medium 1" in text
        assert "<script>alert(1)</script> Wagner buys drones" in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Wagner buys drones" in html and "<script>" not in html
        assert text.index("Wagner") < text.index("Rason")  # most severe first
        assert "not for this subscriber" not in text
        assert "https://monitor.example/alerts/" in html and "/api/v1/alerts" not in html  # console pages
        assert "ops hook" in text and "failed after 10 attempts" in text
        assert "Pyongyang sent artillery shells." in text  # the evidence sentence


def test_empty_day_one_line_or_skipped(sqlite_engine: Engine, make_settings) -> None:
    with SmtpServer() as smtp:
        now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
        for skip in (False, True):
            settings = make_settings(smtp_port=smtp.port, digest_skip_empty=skip)
            with time_machine.travel(now - timedelta(hours=3), tick=False), session_scope(sqlite_engine) as s:
                sub, _ = create_subscription(s, settings, SubscriptionCreate(
                    channel="email", target=f"skip-{skip}@example.org", realtime=False, digest_time="08:00"))
            with time_machine.travel(now, tick=False), Session(sqlite_engine, expire_on_commit=False) as s:
                content = build_digest(s, settings, sub, date(2026, 6, 1))
                text, _ = render_digest(content, settings)
                assert text.strip() == "No new alerts for 2026-06-01 (UTC)."
                digest_tick(s, settings)
            now += timedelta(days=1)
        assert [str(m["To"]) for m in smtp.messages] == ["skip-False@example.org"]
        with Session(sqlite_engine) as s:
            statuses = sorted(r.status for r in s.exec(select(Digest)).all())
        # day 1 (no skipping): sent; day 2 (skipping, for both subscriptions): recorded as empty, not sent
        assert statuses == ["empty", "empty", "sent"]


def test_digest_to_a_webhook_is_signed_json(sqlite_engine: Engine, make_settings) -> None:
    from tests.notify.receiver import ReceiverServer

    settings = make_settings()
    now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    with ReceiverServer() as rx:
        with time_machine.travel(now - timedelta(hours=3), tick=False), session_scope(sqlite_engine) as s:
            _, secret = create_subscription(s, settings, SubscriptionCreate(
                channel="webhook", target=rx.url, realtime=False, digest_time="08:00"))
            rx.secrets = [secret or ""]
            make_alert(s, title="Tanker transfer off Nakhodka")
        with time_machine.travel(now, tick=False), Session(sqlite_engine, expire_on_commit=False) as s:
            (row,) = digest_tick(s, settings)
            assert row.status == "sent" and row.alert_count == 1
    (call,) = rx.accepted()
    assert call.webhook_id == f"msg_digest_{row.subscription_id}_2026-06-01"
    assert call.payload["type"] == "digest.created"
    assert call.payload["data"]["total"] == 1
    assert call.payload["data"]["alerts"][0]["title"] == "Tanker transfer off Nakhodka"


def test_failed_digest_is_retried_later_that_day_only_once_sent(sqlite_engine: Engine, make_settings) -> None:
    now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    settings_down = make_settings(smtp_port=1)  # nothing listens: the send fails
    with time_machine.travel(now - timedelta(hours=3), tick=False), session_scope(sqlite_engine) as s:
        create_subscription(s, settings_down, SubscriptionCreate(
            channel="email", target="r@example.org", realtime=False, digest_time="08:00"))
    with time_machine.travel(now, tick=False), Session(sqlite_engine, expire_on_commit=False) as s:
        (row,) = digest_tick(s, settings_down)
        assert row.status == "failed" and row.error
        assert digest_tick(s, settings_down) == []  # not retried at once
    with SmtpServer() as smtp:
        settings_up = make_settings(smtp_port=smtp.port)
        with time_machine.travel(now + timedelta(minutes=15), tick=False), \
                Session(sqlite_engine, expire_on_commit=False) as s:
            (row,) = digest_tick(s, settings_up)
            assert row.status == "sent"
        with time_machine.travel(now + timedelta(minutes=45), tick=False), \
                Session(sqlite_engine, expire_on_commit=False) as s:
            assert digest_tick(s, settings_up) == []
        assert len(smtp.messages) == 1
