"""Celery app: configuration and the beat schedule.

JSON only, late acks, prefetch 1, so a killed worker's task is redelivered and no
worker hoards tasks. Beat only queues sweeps; every sweep reads the database (the
source of truth), so a task lost from the broker is picked up again on the next tick.
With no MONITOR_BROKER_URL the broker is kombu's filesystem transport under
MONITOR_DATA_DIR: no server process, same tasks, same worker.
"""

from __future__ import annotations

from pathlib import Path

from celery import Celery

from monitor.settings import Settings

TASK_MODULES = [
    "workers.tasks.feeds",
    "workers.tasks.matching",
    "workers.tasks.lists",
    "workers.tasks.notify",
    "workers.tasks.ops",
]


def make_celery(settings: Settings) -> Celery:
    """Build the Celery app for these settings."""
    app = Celery("sanctions_monitor", broker=settings.effective_broker_url, include=TASK_MODULES)
    transport_options: dict[str, object] = {}
    if not settings.broker_url:
        folder = (Path(settings.data_dir) / "broker").resolve()
        for sub in ("queue", "processed", "control"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        transport_options = {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
        }
    elif settings.broker_url.startswith(("redis://", "rediss://")):
        # Beat sweeps re-queue anything stuck; keep the redelivery window short but
        # longer than any task (tasks are bounded by fetch and match timeouts).
        transport_options = {"visibility_timeout": 600}
    queue = settings.task_queue
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=queue,
        task_create_missing_queues=True,
        broker_transport_options=transport_options,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        enable_utc=True,
        timezone="UTC",
        task_time_limit=900,
        task_soft_time_limit=840,
        beat_schedule={
            "poll-due-feeds": {"task": "monitor.poll_due_feeds", "schedule": 60.0},
            "match-sweep": {"task": "monitor.match_sweep", "schedule": 60.0},
            "deliver-due": {"task": "monitor.deliver_due", "schedule": 10.0},
            "digest-tick": {"task": "monitor.digest_tick", "schedule": 300.0},
            "refresh-lists": {"task": "monitor.refresh_lists", "schedule": 86400.0},
            "heartbeat": {"task": "monitor.heartbeat", "schedule": 30.0},
        },
    )
    app.conf.task_routes = {"monitor.*": {"queue": queue}}
    app.conf.beat_schedule = {
        name: {**entry, "options": {"queue": queue}} for name, entry in app.conf.beat_schedule.items()
    }
    return app


app = make_celery(Settings())
