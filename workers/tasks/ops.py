"""Operational tasks: heartbeats for /healthz."""

from __future__ import annotations

import os
import socket

from celery import current_task

from monitor.ops import beat_heartbeat_name, record_heartbeat
from workers import context
from workers.celery_app import app


@app.task(name="monitor.heartbeat")
def heartbeat() -> None:
    """Record that a worker (and, by the tick arriving, beat) is alive."""
    with context.session() as s:
        hostname = getattr(current_task.request, "hostname", None) or f"{socket.gethostname()}:{os.getpid()}"
        record_heartbeat(s, f"worker:{hostname}", "worker")
        record_heartbeat(s, beat_heartbeat_name(), "beat")
