"""Heartbeats: workers record when they last ran, /healthz reads them."""

from __future__ import annotations

from sqlmodel import Session

from monitor.models import Heartbeat, utcnow


def beat_heartbeat_name() -> str:
    """The heartbeat name beat's ticks are recorded under."""
    return "beat"


def record_heartbeat(session: Session, name: str, kind: str) -> None:
    """Upsert the heartbeat row for `name`."""
    row = session.get(Heartbeat, name)
    if row is None:
        session.add(Heartbeat(name=name, kind=kind))
    else:
        row.at = utcnow()
        session.add(row)
