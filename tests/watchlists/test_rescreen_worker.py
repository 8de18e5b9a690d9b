"""The list tasks through a real Celery worker (Redis + PostgreSQL): beat's `refresh_lists`
downloads from a 127.0.0.1 mirror, loads, and queues `rescreen`, which raises the alert an
article stored before the list was loaded would have raised."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.db import session_scope
from monitor.models import Alert, Article, ListVersion, utcnow
from tests.conftest import REDIS_URL
from tests.support.celery_worker import CeleryWorker, settings_env
from tests.watchlists.test_load_update import ListServer, list_server  # noqa: F401 - fixture
from workers.celery_app import make_celery


def wait_for(check, logs, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    pytest.fail("timed out\n" + logs()[-4000:])


@pytest.mark.slow
def test_refresh_then_rescreen(fresh_pg_engine: Engine, make_settings, list_server: ListServer) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    url = fresh_pg_engine.url.render_as_string(hide_password=False)
    base = dict(
        database_url=url, broker_url=REDIS_URL, lists_mirror_url=list_server.url, lists_datasets=["us_ofac_sdn"]
    )
    off = make_settings(**base)
    on = make_settings(**base, lists_update_enabled=True, task_queue=off.task_queue)
    with session_scope(fresh_pg_engine) as s:
        when = utcnow() - timedelta(days=1)
        article = Article(
            title="Visit",
            text="Sergei Kuzhugetovich Shoigu met generals in Minsk on Tuesday.",
            dedupe_key="a1",
            content_hash="a1",
            fetched_at=when,
            matched_at=when,
        )
        s.add(article)
        s.flush()
        article_id = article.id

    def versions() -> list[ListVersion]:
        with Session(fresh_pg_engine) as s:
            return list(s.execute(select(ListVersion)).scalars())

    def rescreened() -> list[Alert]:
        with Session(fresh_pg_engine) as s:
            return list(s.execute(select(Alert).where(Alert.article_id == article_id)).scalars())

    # disabled (the default): the daily task downloads nothing
    with CeleryWorker(settings_env(off) | {"MONITOR_LISTS_MIRROR_URL": list_server.url}) as worker:
        make_celery(off).send_task("monitor.refresh_lists")
        wait_for(lambda: " succeeded in " in worker.log_text(), worker.log_text)
    assert versions() == [] and list_server.requests == []

    env = settings_env(on) | {
        "MONITOR_LISTS_UPDATE_ENABLED": "true",
        "MONITOR_LISTS_MIRROR_URL": list_server.url,
        "MONITOR_LISTS_DATASETS": "us_ofac_sdn",
    }
    with CeleryWorker(env) as worker:
        make_celery(on).send_task("monitor.refresh_lists")
        wait_for(lambda: bool(rescreened()), worker.log_text)
    assert [(v.dataset, v.status, v.entities) for v in versions()] == [("us_ofac_sdn", "active", 4)]
    alerts = rescreened()
    assert all(a.rescreened for a in alerts)
    assert any("us_ofac_sdn:35173" in a.entity_ids for a in alerts)
