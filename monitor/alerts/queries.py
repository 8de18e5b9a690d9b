"""Alert queries shared by the API, the CLI, the digest and the browser console.

Pagination is keyset on (created_at, id), newest first: the cursor names the last row
seen, so rows inserted meanwhile never shift a page and no OFFSET scan is needed. The
composite indexes on alert (rule_id, severity, created_at, id) and (created_at, id) serve
the common filters; entity and dataset filters go through the alert_entity link table.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import Text, and_, cast, exists, or_, select
from sqlalchemy.sql import Select
from sqlmodel import Session, col

from monitor.models import Alert, AlertEntity

SEVERITIES = ("low", "medium", "high", "critical")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES, start=1)}
STATUSES = ("new", "confirmed", "dismissed", "escalated")
MAX_LIMIT = 500


class InvalidCursor(ValueError):
    """A pagination cursor that was not produced by this service."""


class AlertFilter(BaseModel):
    """Which alerts to return. Unset fields do not restrict; list fields match any of their values."""

    since: datetime | None = Field(None, description="created at or after (UTC)")
    until: datetime | None = Field(None, description="created before (UTC)")
    rules: list[str] = Field(default_factory=list, description="rule ids")
    categories: list[str] = Field(default_factory=list)
    severities: list[Literal["low", "medium", "high", "critical"]] = Field(default_factory=list)
    min_severity: Literal["low", "medium", "high", "critical"] | None = None
    min_score: float | None = Field(None, ge=0, le=1)
    entity_ids: list[str] = Field(default_factory=list)
    datasets: list[str] = Field(default_factory=list)
    feed_ids: list[int] = Field(default_factory=list)
    statuses: list[Literal["new", "confirmed", "dismissed", "escalated"]] = Field(default_factory=list)
    q: str | None = Field(None, description="free text, case-insensitive, over title and evidence")
    suppressed: Literal["exclude", "include", "only"] = "exclude"
    after_id: int | None = Field(None, description="only alerts with a larger id (digest: after the last sent)")

    @field_validator("since", "until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


@dataclass
class AlertPage:
    """One page of alerts and the cursor of the next page (None on the last page)."""

    items: list[Alert]
    next_cursor: str | None


def encode_cursor(alert: Alert | Mapping[str, Any]) -> str:
    """Opaque cursor naming this alert's (created_at, id) position (from a row or an Alert)."""
    if isinstance(alert, Alert):
        created_at, ident = alert.created_at, alert.id
    else:
        created_at, ident = alert["created_at"], alert["id"]
    raw = f"{created_at.astimezone(UTC).isoformat()}|{ident}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (created_at, id) position in a cursor; raises InvalidCursor."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, ident = raw.split("|")
        at = datetime.fromisoformat(stamp)
        if at.tzinfo is None:
            raise ValueError("naive")
        return at, int(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursor("cursor is not one returned by this API") from exc


def _like(text: str) -> str:
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def filter_conditions(flt: AlertFilter, *, entity_exists: bool = True) -> list[Any]:
    """SQL conditions on Alert for this filter (also used by counts and the stream).

    With `entity_exists=False` the entity filter is left to the caller (see `alerts_query`).
    """
    conds: list[Any] = []
    if flt.since is not None:
        conds.append(col(Alert.created_at) >= flt.since)
    if flt.until is not None:
        conds.append(col(Alert.created_at) < flt.until)
    for column, values in (
        (Alert.rule_id, flt.rules),
        (Alert.category, flt.categories),
        (Alert.severity, flt.severities),
        (Alert.feed_id, flt.feed_ids),
        (Alert.status, flt.statuses),
    ):
        if len(values) == 1:
            conds.append(col(column) == values[0])
        elif values:
            conds.append(col(column).in_(values))
    if flt.min_severity:
        conds.append(col(Alert.severity_rank) >= SEVERITY_RANK[flt.min_severity])
    if flt.min_score is not None:
        conds.append(col(Alert.score) >= flt.min_score)
    if flt.entity_ids and entity_exists:
        conds.append(
            exists().where(
                and_(col(AlertEntity.alert_id) == col(Alert.id), col(AlertEntity.entity_id).in_(flt.entity_ids))
            )
        )
    if flt.datasets:
        conds.append(
            exists().where(
                and_(col(AlertEntity.alert_id) == col(Alert.id), col(AlertEntity.dataset).in_(flt.datasets))
            )
        )
    if flt.q:
        pattern = _like(flt.q)
        evidence_text = cast(Alert.__table__.c.evidence, Text())  # type: ignore[attr-defined]
        conds.append(
            or_(
                col(Alert.title).ilike(pattern, escape="\\"),
                evidence_text.ilike(pattern, escape="\\"),
            )
        )
    if flt.suppressed == "exclude":
        conds.append(col(Alert.suppressed).is_(False))
    elif flt.suppressed == "only":
        conds.append(col(Alert.suppressed).is_(True))
    if flt.after_id is not None:
        conds.append(col(Alert.id) > flt.after_id)
    return conds




_JSON_COLUMNS = ("entity_ids", "evidence")


def _plain_columns() -> list[Any]:
    # JSON columns come back as their JSON text, so a caller that only re-serialises them
    # (the API) can embed them as they are instead of parsing and re-encoding every value.
    table = Alert.__table__  # type: ignore[attr-defined]
    return [cast(c, Text).label(c.name) if c.name in _JSON_COLUMNS else c for c in table.c]


def alerts_query(flt: AlertFilter, cursor: str | None = None, *, columns: bool = False) -> Select[Any]:
    """SELECT of Alert rows (or, with `columns`, of the alert table's columns, JSON ones as text) after
    `cursor`, newest first."""
    stmt = select(*_plain_columns()) if columns else select(Alert)
    at_col, id_col = col(Alert.created_at), col(Alert.id)
    if len(flt.entity_ids) == 1:
        # One entity (its page): walk its links newest first on (entity_id, created_at, alert_id)
        # and fetch each alert by id, stopping at the page size. Keyed on the link's copy of the
        # alert's (created_at, id), so the order and the cursor are those of every other list.
        at_col, id_col = col(AlertEntity.created_at), col(AlertEntity.alert_id)
        stmt = (
            stmt.select_from(AlertEntity)
            .join(Alert, col(Alert.id) == col(AlertEntity.alert_id))
            .where(col(AlertEntity.entity_id) == flt.entity_ids[0])
        )
        stmt = stmt.where(*filter_conditions(flt, entity_exists=False))
    else:
        stmt = stmt.where(*filter_conditions(flt))
    if cursor:
        at, ident = decode_cursor(cursor)
        stmt = stmt.where(or_(at_col < at, and_(at_col == at, id_col < ident)))
    return stmt.order_by(at_col.desc(), id_col.desc())


def list_alerts(session: Session, flt: AlertFilter, cursor: str | None = None, limit: int = 50) -> AlertPage:
    """One page of alerts matching `flt`, newest first, after `cursor` (raises InvalidCursor)."""
    limit = max(1, min(limit, MAX_LIMIT))
    rows = list(session.execute(alerts_query(flt, cursor).limit(limit + 1)).scalars())
    if len(rows) > limit:
        rows = rows[:limit]
        return AlertPage(rows, encode_cursor(rows[-1]))
    return AlertPage(rows, None)


def list_alert_rows(
    session: Session, flt: AlertFilter, cursor: str | None = None, limit: int = 50
) -> tuple[list[dict[str, Any]], str | None]:
    """Like `list_alerts`, as plain dicts of the alert columns (`entity_ids` and `evidence` as JSON text):
    no ORM objects, for the API's hot path."""
    limit = max(1, min(limit, MAX_LIMIT))
    rows = [dict(r) for r in session.execute(alerts_query(flt, cursor, columns=True).limit(limit + 1)).mappings()]
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(rows[-1])
    return rows, None


def iter_alerts(session: Session, flt: AlertFilter, batch: int = 500) -> Iterator[Alert]:
    """Every alert matching `flt`, newest first, fetched page by page (for exports)."""
    cursor: str | None = None
    while True:
        page = list_alerts(session, flt, cursor, batch)
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor
        session.expunge_all()
