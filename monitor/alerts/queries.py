"""Alert queries shared by the API, the CLI, the digest and the browser console.

Pagination is keyset on (created_at, id), newest first: the cursor names the last row
seen, so rows inserted meanwhile never shift a page and no OFFSET scan is needed. The
index on alert (created_at, id) serves the common filters; entity and dataset filters go
through the alert_entity link table, rule and category filters through alert_label (an
alert carrying a label of that rule or category).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field
from sqlalchemy import Integer, Text, and_, bindparam, cast, exists, or_, select
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.sql import Select
from sqlmodel import Session, col

from monitor.matching.types import SEVERITY_RANK, Severity
from monitor.models import Alert, AlertEntity, AlertLabel, UtcDatetime
from monitor.schemas import Status

STATUSES: tuple[str, ...] = get_args(Status)
MAX_LIMIT = 500


class InvalidCursor(ValueError):
    """A pagination cursor that was not produced by this service."""


class AlertFilter(BaseModel):
    """Which alerts to return. Unset fields do not restrict; list fields match any of their values."""

    since: UtcDatetime | None = Field(None, description="created at or after (UTC)")
    until: UtcDatetime | None = Field(None, description="created before (UTC)")
    rules: list[str] = Field(default_factory=list, description="alerts carrying a label of one of these rule ids")
    categories: list[str] = Field(default_factory=list, description="alerts carrying a label of these categories")
    severities: list[Severity] = Field(default_factory=list)
    min_severity: Severity | None = None
    min_score: float | None = Field(None, ge=0, le=1)
    entity_ids: list[str] = Field(default_factory=list)
    datasets: list[str] = Field(default_factory=list)
    feed_ids: list[int] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list, description="the article's language (ISO 639-1)")
    statuses: list[Status] = Field(default_factory=list)
    q: str | None = Field(None, description="free text, case-insensitive, over title and evidence")
    suppressed: Literal["exclude", "include", "only"] = "exclude"
    after_id: int | None = Field(None, description="only alerts with a larger id (digest: after the last sent)")



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


# A filter is first reduced to terms (kind, values): cheap plain data. The SQL is built from the
# terms by one function, either with the values bound (every caller) or with named parameters
# (the API's list, whose SQL then depends only on the filter's shape and is compiled once).
Term = tuple[str, tuple[Any, ...]]
_IN_COLUMNS = {"severity": "severity", "feed": "feed_id", "status": "status", "language": "language"}
# Rule and category filters select alerts carrying such a label (alert_label link table); a
# suppressed label counts only when suppressed alerts are asked for too.
_LABEL_COLUMNS = {"rule": "rule_id", "category": "category", "rule_any": "rule_id", "category_any": "category"}


def _terms(flt: AlertFilter, *, entity_exists: bool = True) -> list[Term]:
    terms: list[Term] = []
    if flt.since is not None:
        terms.append(("since", (flt.since,)))
    if flt.until is not None:
        terms.append(("until", (flt.until,)))
    labels = "" if flt.suppressed == "exclude" else "_any"
    for kind, values in (
        ("rule" + labels, flt.rules),
        ("category" + labels, flt.categories),
        ("severity", flt.severities),
        ("feed", flt.feed_ids),
        ("language", flt.languages),
        ("status", flt.statuses),
    ):
        if values:
            terms.append((kind, tuple(values)))
    if flt.min_severity:
        terms.append(("min_severity", (SEVERITY_RANK[flt.min_severity],)))
    if flt.min_score is not None:
        terms.append(("min_score", (flt.min_score,)))
    if flt.entity_ids and entity_exists:
        terms.append(("entity", tuple(flt.entity_ids)))
    if flt.datasets:
        terms.append(("dataset", tuple(flt.datasets)))
    if flt.q:
        terms.append(("q", (_like(flt.q),)))
    if flt.suppressed != "include":
        terms.append(("suppressed_" + flt.suppressed, ()))
    if flt.after_id is not None:
        terms.append(("after_id", (flt.after_id,)))
    return terms


Bind = Callable[[str, Any, Any], Any]


def _valued(_name: str, value: Any, type_: Any) -> Any:
    return bindparam(None, value, type_=type_, unique=True)


def _named(name: str, _value: Any, type_: Any) -> Any:
    return bindparam(name, type_=type_)


def _term_type(kind: str) -> Any:
    table = Alert.__table__  # type: ignore[attr-defined]
    links = AlertEntity.__table__  # type: ignore[attr-defined]
    if kind in _IN_COLUMNS:
        return table.c[_IN_COLUMNS[kind]].type
    if kind in _LABEL_COLUMNS:
        return AlertLabel.__table__.c[_LABEL_COLUMNS[kind]].type  # type: ignore[attr-defined]
    return {
        "since": table.c.created_at.type,
        "until": table.c.created_at.type,
        "min_severity": table.c.severity_rank.type,
        "min_score": table.c.score.type,
        "entity": links.c.entity_id.type,
        "dataset": links.c.dataset.type,
        "q": Text(),
        "after_id": table.c.id.type,
    }.get(kind)


def _conditions(terms: list[Term], bind: Bind) -> list[Any]:
    table = Alert.__table__  # type: ignore[attr-defined]
    links = AlertEntity.__table__  # type: ignore[attr-defined]
    conds: list[Any] = []
    for kind, values in terms:
        # Parameter names are `<kind>_<i>`, as in `_term_params`.
        params = [bind(f"{kind}_{i}", v, _term_type(kind)) for i, v in enumerate(values)]
        if kind in _IN_COLUMNS:
            column = table.c[_IN_COLUMNS[kind]]
            conds.append(column == params[0] if len(params) == 1 else column.in_(params))
        elif kind in _LABEL_COLUMNS:
            labels = AlertLabel.__table__  # type: ignore[attr-defined]
            label_conds = [labels.c.alert_id == table.c.id, labels.c[_LABEL_COLUMNS[kind]].in_(params)]
            if not kind.endswith("_any"):
                label_conds.append(labels.c.suppressed.is_(False))
            conds.append(exists().where(and_(*label_conds)))
        elif kind == "since":
            conds.append(table.c.created_at >= params[0])
        elif kind == "until":
            conds.append(table.c.created_at < params[0])
        elif kind == "min_severity":
            conds.append(table.c.severity_rank >= params[0])
        elif kind == "min_score":
            conds.append(table.c.score >= params[0])
        elif kind in ("entity", "dataset"):
            column = links.c.entity_id if kind == "entity" else links.c.dataset
            conds.append(exists().where(and_(links.c.alert_id == table.c.id, column.in_(params))))
        elif kind == "q":
            conds.append(
                or_(
                    table.c.title.ilike(params[0], escape="\\"),
                    cast(table.c.evidence, Text()).ilike(params[0], escape="\\"),
                )
            )
        elif kind == "suppressed_exclude":
            conds.append(table.c.suppressed.is_(False))
        elif kind == "suppressed_only":
            conds.append(table.c.suppressed.is_(True))
        elif kind == "after_id":
            conds.append(table.c.id > params[0])
        else:  # pragma: no cover - _terms and _conditions are written together
            raise ValueError(kind)
    return conds


def _term_params(terms: list[Term]) -> dict[str, Any]:
    return {f"{kind}_{i}": v for kind, values in terms for i, v in enumerate(values)}


def filter_conditions(flt: AlertFilter, *, entity_exists: bool = True) -> list[Any]:
    """SQL conditions on Alert for this filter (also used by counts and the stream).

    With `entity_exists=False` the entity filter is left to the caller (see `alerts_query`).
    """
    return _conditions(_terms(flt, entity_exists=entity_exists), _valued)


JSON_COLUMNS = ("entity_ids", "evidence", "rules", "labels")


def _plain_columns() -> list[Any]:
    # JSON columns come back as their JSON text, so a caller that only re-serialises them
    # (the API) can embed them as they are instead of parsing and re-encoding every value.
    table = Alert.__table__  # type: ignore[attr-defined]
    return [cast(c, Text).label(c.name) if c.name in JSON_COLUMNS else c for c in table.c]


def _select(flt: AlertFilter, bind: Bind, cursor: tuple[datetime, int] | None, columns: bool) -> Select[Any]:
    stmt = select(*_plain_columns()) if columns else select(Alert)
    at_col, id_col = col(Alert.created_at), col(Alert.id)
    if len(flt.entity_ids) == 1:
        # One entity (its page): walk its links newest first on (entity_id, created_at, alert_id)
        # and fetch each alert by id, stopping at the page size. Keyed on the link's copy of the
        # alert's (created_at, id), so the order and the cursor are those of every other list.
        at_col, id_col = col(AlertEntity.created_at), col(AlertEntity.alert_id)
        entity = bind("entity_0", flt.entity_ids[0], _term_type("entity"))
        stmt = (
            stmt.select_from(AlertEntity)
            .join(Alert, col(Alert.id) == col(AlertEntity.alert_id))
            .where(col(AlertEntity.entity_id) == entity)
        )
        stmt = stmt.where(*_conditions(_terms(flt, entity_exists=False), bind))
    else:
        stmt = stmt.where(*_conditions(_terms(flt), bind))
    if cursor is not None:
        at = bind("cursor_at", cursor[0], Alert.__table__.c.created_at.type)  # type: ignore[attr-defined]
        ident = bind("cursor_id", cursor[1], Alert.__table__.c.id.type)  # type: ignore[attr-defined]
        stmt = stmt.where(or_(at_col < at, and_(at_col == at, id_col < ident)))
    return stmt.order_by(at_col.desc(), id_col.desc())


def alerts_query(flt: AlertFilter, cursor: str | None = None, *, columns: bool = False) -> Select[Any]:
    """SELECT of Alert rows (or, with `columns`, of the alert table's columns, JSON ones as text) after
    `cursor`, newest first."""
    return _select(flt, _valued, decode_cursor(cursor) if cursor else None, columns)


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


# Compiled SQL of the API's alert list per filter shape (which terms, how many values, cursor or
# not, entity page or not): the values change per request, the SQL does not.
_PAGE_SQL: dict[tuple[Any, ...], str] = {}
_PAGE_SQL_MAX = 512


def alert_page_sql(
    dialect: Dialect, flt: AlertFilter, cursor: str | None = None, limit: int = 50
) -> tuple[str, dict[str, Any]]:
    """The SQL of one page of `alert_rows_page` for this dialect and its parameters (raises InvalidCursor).

    The SQL depends only on the filter's shape and is compiled once per shape; JSON columns are
    selected as text. Meant for PostgreSQL drivers that return the columns in their final types.
    """
    limit = max(1, min(limit, MAX_LIMIT))
    position = decode_cursor(cursor) if cursor else None
    terms = _terms(flt, entity_exists=len(flt.entity_ids) != 1)
    shape = (
        dialect.name,
        len(flt.entity_ids) == 1,
        position is not None,
        tuple((kind, len(values)) for kind, values in terms),
    )
    sql = _PAGE_SQL.get(shape)
    if sql is None:
        stmt = _select(flt, _named, position, columns=True).limit(bindparam("page_limit", type_=Integer()))
        sql = str(stmt.compile(dialect=dialect))
        if len(_PAGE_SQL) >= _PAGE_SQL_MAX:
            _PAGE_SQL.clear()
        _PAGE_SQL[shape] = sql
    params = _term_params(terms)
    params["page_limit"] = limit + 1
    if len(flt.entity_ids) == 1:
        params["entity_0"] = flt.entity_ids[0]
    if position is not None:
        params["cursor_at"], params["cursor_id"] = position
    return sql, params


def finish_alert_page(
    rows: list[dict[str, Any]], limit: int = 50, *, utc: bool = False
) -> tuple[list[dict[str, Any]], str | None]:
    """Rows fetched with `alert_page_sql` (limit + 1 of them) as a page: times in UTC, the next cursor.

    `utc=True` says the session's time zone was UTC, so the times need no conversion."""
    limit = max(1, min(limit, MAX_LIMIT))
    if not utc:
        for row in rows:
            for name in ("created_at", "updated_at"):
                if row[name].utcoffset():  # a session time zone other than UTC
                    row[name] = row[name].astimezone(UTC)
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(rows[-1])
    return rows, None


def alert_rows_page(
    engine: Engine, flt: AlertFilter, cursor: str | None = None, limit: int = 50
) -> tuple[list[dict[str, Any]], str | None]:
    """`list_alert_rows` in its own short connection (raises InvalidCursor).

    On PostgreSQL the SQL of `alert_page_sql` runs as it is, in autocommit (no BEGIN/ROLLBACK
    round trips) and without SQLAlchemy's type processing: psycopg returns the columns in their
    final types. SQLite goes through SQLAlchemy's types (it stores datetimes as text).
    """
    if engine.dialect.name != "postgresql":
        with Session(engine) as session:
            return list_alert_rows(session, flt, cursor, limit)
    sql, params = alert_page_sql(engine.dialect, flt, cursor, limit)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        result = conn.exec_driver_sql(sql, params)
        names = list(result.keys())
        rows = [dict(zip(names, row, strict=True)) for row in result.all()]
    return finish_alert_page(rows, limit)


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
