"""The administrative audit log: who changed which key, rule, feed, suppression or subscription, and when.

Rows are written where the change is made (in the same transaction) as `AuditEvent`s; this
module reads them back for the API (`GET /api/v1/audit`) and the CLI (`audit list`), newest
first with a keyset cursor on the id, so a page never shifts when new events arrive.
Alert reviews have their own trail (`/alerts/{id}/history`).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, or_, select

from monitor.models import AuditEvent


class InvalidAuditCursor(ValueError):
    """A cursor that this log did not hand out."""


@dataclass(frozen=True)
class AuditFilter:
    """Which events to list; every field narrows the result, None means any."""

    object_type: str | None = None
    object_id: str | None = None
    actor: str | None = None  # exact, or `key:<id>` for every event of that key
    action: str | None = None  # exact (`feed.moved`) or a prefix ending in a dot (`feed.`)
    since: datetime | None = None
    until: datetime | None = None


def encode_audit_cursor(event_id: int) -> str:
    """Opaque cursor for the page after the event with this id."""
    return base64.urlsafe_b64encode(f"audit|{event_id}".encode()).decode().rstrip("=")


def decode_audit_cursor(cursor: str) -> int:
    """The event id in a cursor; InvalidAuditCursor when it is not one of ours."""
    try:
        kind, ident = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("|")
        if kind != "audit":
            raise ValueError(kind)
        return int(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidAuditCursor("cursor is not one returned by this API") from exc


def list_audit(
    session: Session, flt: AuditFilter, cursor: str | None = None, limit: int = 50
) -> tuple[list[AuditEvent], str | None]:
    """One page of events matching the filter, newest first, and the cursor of the next page."""
    stmt = select(AuditEvent)
    if flt.object_type:
        stmt = stmt.where(col(AuditEvent.object_type) == flt.object_type)
    if flt.object_id:
        stmt = stmt.where(col(AuditEvent.object_id) == flt.object_id)
    if flt.actor:
        # A key's actor is `key:<id> (<name>)`; `key:<id>` alone finds it whatever its name.
        stmt = stmt.where(or_(col(AuditEvent.actor) == flt.actor,
                              col(AuditEvent.actor).startswith(flt.actor + " (", autoescape=True)))
    if flt.action:
        if flt.action.endswith("."):
            stmt = stmt.where(col(AuditEvent.action).startswith(flt.action, autoescape=True))
        else:
            stmt = stmt.where(col(AuditEvent.action) == flt.action)
    if flt.since is not None:
        stmt = stmt.where(col(AuditEvent.at) >= flt.since)
    if flt.until is not None:
        stmt = stmt.where(col(AuditEvent.at) < flt.until)
    if cursor:
        stmt = stmt.where(col(AuditEvent.id) < decode_audit_cursor(cursor))
    rows = list(session.exec(stmt.order_by(col(AuditEvent.id).desc()).limit(limit + 1)))
    if len(rows) > limit:
        return rows[:limit], encode_audit_cursor(int(rows[limit - 1].id or 0))
    return rows, None
