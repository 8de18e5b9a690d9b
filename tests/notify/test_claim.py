"""`claim_due`: concurrent sweeps split the due rows (FOR UPDATE SKIP LOCKED / one UPDATE on SQLite)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.db import session_scope
from monitor.models import Delivery, utcnow
from monitor.notify.deliver import claim_due
from monitor.notify.outbox import enqueue_for_alert
from tests.notify.conftest import make_alert, make_subscription
from tests.support.concurrency import at_once


def test_concurrent_sweeps_never_claim_a_row_twice(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        for k in range(120):  # 120 heads of 120 queues: every row is due
            make_subscription(s, target=f"http://127.0.0.1:9/{k}")
        enqueue_for_alert(s, make_alert(s))

    def sweep() -> list[int]:
        with Session(any_engine) as s:
            return claim_due(s, limit=50)

    results = at_once(3, sweep)
    claimed = [i for r in results for i in r]
    assert len(claimed) == len(set(claimed)) == 120
    # claimed rows are leased: an immediate second sweep finds nothing
    with Session(any_engine) as s:
        assert claim_due(s) == []


def test_sweep_skips_future_rows_and_recovers_dead_senders(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        make_subscription(s)
        ids = [d.id for _ in range(3) for d in enqueue_for_alert(s, make_alert(s))]
    now = utcnow()
    with session_scope(any_engine) as s:
        s.execute(update(Delivery).where(col(Delivery.id) == ids[0])
                  .values(status="sending", lease_until=now - timedelta(seconds=1)))  # its sender died
        s.execute(update(Delivery).where(col(Delivery.id) == ids[1])
                  .values(status="sending", lease_until=now + timedelta(seconds=60)))  # still being sent
        s.execute(update(Delivery).where(col(Delivery.id) == ids[2])
                  .values(next_attempt_at=now + timedelta(minutes=5)))  # waiting for its retry
    with Session(any_engine) as s:
        assert claim_due(s) == [ids[0]]
        row = s.exec(select(Delivery).where(col(Delivery.id) == ids[0])).one()
        assert row.status == "pending" and row.lease_until is not None and row.lease_until > now


def test_sweep_skips_messages_queued_behind_an_open_one(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as s:
        make_subscription(s)
        ids = [d.id for _ in range(4) for d in enqueue_for_alert(s, make_alert(s))]
    with session_scope(sqlite_engine) as s:  # the head failed once and waits for its retry
        s.execute(update(Delivery).where(col(Delivery.id) == ids[0])
                  .values(attempts=1, next_attempt_at=utcnow() + timedelta(minutes=5)))
    with Session(sqlite_engine) as s:
        assert claim_due(s) == []  # the three behind it are not handed out
    with session_scope(sqlite_engine) as s:  # the head is settled (say, delivered)
        s.execute(update(Delivery).where(col(Delivery.id) == ids[0]).values(status="delivered"))
    with Session(sqlite_engine) as s:
        assert claim_due(s) == [ids[1]]  # only the new head
