"""A Celery worker SIGKILLed in the middle of a delivery: nothing is lost, at most one duplicate
(recognisable by its webhook-id), on Redis + PostgreSQL with real worker processes."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.db import session_scope
from monitor.models import Delivery, utcnow
from monitor.notify.outbox import enqueue_for_alert
from monitor.notify.subscriptions import SubscriptionCreate, create_subscription
from tests.api.conftest import engine_url
from tests.conftest import REDIS_URL
from tests.notify.conftest import make_alert, wait_for
from tests.notify.receiver import ReceiverServer
from tests.support.celery_worker import CeleryWorker, settings_env
from workers.celery_app import make_celery


@pytest.mark.slow
def test_sigkill_during_delivery_loses_nothing(fresh_pg_engine: Engine, make_settings) -> None:
    settings = make_settings(database_url=engine_url(fresh_pg_engine), broker_url=REDIS_URL)
    celery = make_celery(settings)
    first_request = threading.Event()
    with ReceiverServer() as rx:
        def on_request(headers: dict[str, str]) -> None:
            # hold the very first request open long enough to kill the worker while it waits
            if not first_request.is_set():
                first_request.set()
                time.sleep(2.0)

        rx.on_request = on_request
        with session_scope(fresh_pg_engine) as s:
            _, secret = create_subscription(s, settings, SubscriptionCreate(channel="webhook", target=rx.url))
            rx.secrets = [secret or ""]
            deliveries = []
            for _ in range(5):
                deliveries += enqueue_for_alert(s, make_alert(s))
        ids = [d.id for d in deliveries]
        env = settings_env(settings)
        with CeleryWorker(env, concurrency=2) as worker:
            for i in ids:
                celery.send_task("monitor.deliver", args=[i])
            assert first_request.wait(30), worker.log_text()
            worker.kill()  # SIGKILL while the first message is on the wire
        with Session(fresh_pg_engine) as s:
            states = {d.id: d.status for d in s.exec(select(Delivery))}
        assert states[ids[0]] == "sending"  # the dead worker never recorded the answer
        # Time passes beyond the send lease (instead of waiting for it, move it).
        with session_scope(fresh_pg_engine) as s:
            s.execute(update(Delivery).where(col(Delivery.status) == "sending")
                      .values(lease_until=utcnow() - timedelta(seconds=1)))
        with CeleryWorker(env, concurrency=2) as worker:
            celery.send_task("monitor.deliver_due")  # the beat's sweep finds the orphan

            def all_delivered() -> bool:
                with Session(fresh_pg_engine) as s:
                    return all(d.status == "delivered" for d in s.exec(select(Delivery)))

            wait_for(all_delivered, 60, "every delivery to be delivered")
    got = rx.accepted()
    by_id: dict[str, int] = {}
    for c in got:
        by_id[c.webhook_id] = by_id.get(c.webhook_id, 0) + 1
    assert set(by_id) == {d.message_id for d in deliveries}  # nothing lost
    duplicates = {k: v for k, v in by_id.items() if v > 1}
    print(f"received {len(got)} messages for {len(deliveries)} deliveries; repeated: {duplicates}")
    # The message on the wire when the worker died reached the endpoint, so it is sent again:
    # exactly one duplicate, carrying the same webhook-id.
    assert duplicates == {deliveries[0].message_id: 2} and len(got) == len(deliveries) + 1
    first_seen = list(dict.fromkeys(c.webhook_id for c in got))
    assert first_seen == [d.message_id for d in deliveries]  # still in creation order


@pytest.mark.slow
def test_concurrent_workers_keep_order_without_the_sweep(fresh_pg_engine: Engine, make_settings) -> None:
    """Four threads race for one subscription's 30 messages: all arrive, in order, and no
    deferred message is left waiting for the beat (a lost wake-up would stall it ~1 minute)."""
    settings = make_settings(database_url=engine_url(fresh_pg_engine), broker_url=REDIS_URL)
    celery = make_celery(settings)
    with ReceiverServer() as rx:
        with session_scope(fresh_pg_engine) as s:
            _, secret = create_subscription(s, settings, SubscriptionCreate(channel="webhook", target=rx.url))
            rx.secrets = [secret or ""]
            deliveries = []
            for _ in range(30):
                deliveries += enqueue_for_alert(s, make_alert(s))
        with CeleryWorker(settings_env(settings), concurrency=4, pool="threads") as worker:
            for d in reversed(deliveries):  # worst case: the newest first
                celery.send_task("monitor.deliver", args=[d.id])

            def done() -> bool:
                with Session(fresh_pg_engine) as s:
                    return all(d.status == "delivered" for d in s.exec(select(Delivery)))

            try:
                wait_for(done, 30, "all deliveries without the beat")
            except AssertionError:
                print(worker.log_text()[-3000:])
                raise
    assert [c.webhook_id for c in rx.accepted()] == [d.message_id for d in deliveries]


@pytest.mark.slow
def test_embedded_worker_delivers_on_sqlite_and_filesystem_broker(tmp_path, make_settings) -> None:
    """The one-machine default (`up` with no URLs): SQLite file, kombu filesystem broker."""
    from monitor.db import make_engine, upgrade

    db_url = f"sqlite:///{tmp_path / 'embedded.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    settings = make_settings(database_url=db_url)
    celery = make_celery(settings)
    with ReceiverServer() as rx:
        with session_scope(engine) as s:
            _, secret = create_subscription(s, settings, SubscriptionCreate(channel="webhook", target=rx.url))
            rx.secrets = [secret or ""]
            deliveries = [d for _ in range(5) for d in enqueue_for_alert(s, make_alert(s))]
        with CeleryWorker(settings_env(settings), concurrency=2, pool="threads"):
            for d in deliveries:
                celery.send_task("monitor.deliver", args=[d.id])

            def done() -> bool:
                with Session(engine) as s:
                    return all(d.status == "delivered" for d in s.exec(select(Delivery)))

            wait_for(done, 60, "embedded deliveries")
    assert [c.webhook_id for c in rx.accepted()] == [d.message_id for d in deliveries]
    engine.dispose()
