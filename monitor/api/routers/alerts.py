"""/alerts: list with filters and cursor pagination, detail, review and history, Atom, SSE stream, export."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor import alertlabels as labels
from monitor.alertlabels import labels_of
from monitor.alerts.csv_export import csv_lines
from monitor.alerts.detail import alert_detail, alert_public
from monitor.alerts.label_events import LabelWatch, added_labels
from monitor.alerts.queries import (
    JSON_COLUMNS,
    AlertFilter,
    InvalidCursor,
    alert_page_sql,
    alert_rows_page,
    filter_conditions,
    finish_alert_page,
    iter_alerts,
    list_alerts,
)
from monitor.alerts.review import ReviewError, history, review
from monitor.api import pgread
from monitor.api.auth import AnalystKey
from monitor.api.errors import ApiError, not_found, validation_error
from monitor.api.params import MAX_ID, CursorQuery, IdPath, alert_filter
from monitor.models import Alert, UtcDatetime, utcnow
from monitor.schemas import (
    AlertDetail,
    AlertPublic,
    Page,
    ReviewCreate,
    ReviewPublic,
)
from monitor.watchlists.links import current_clusters, memberships
from monitor.watchlists.resolve import Clusters
from monitor.web.deps import SessionDep, SettingsDep

router = APIRouter(prefix="/alerts", tags=["alerts"])
FilterDep = Annotated[AlertFilter, Depends(alert_filter)]
EXPORT_FIELDS = list(AlertPublic.model_fields)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # `updated` of an empty feed


def _engine_clusters(engine: Engine) -> Clusters:
    with Session(engine) as session:
        return current_clusters(session)


@router.get("", response_model=Page[AlertPublic], summary="List alerts, newest first")
async def get_alerts(
    request: Request,
    flt: FilterDep,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    """Alerts matching the filters, newest first, `limit` per page (keyset pagination, stable under inserts)."""
    # The hot path: plain rows (no ORM objects), on PostgreSQL straight from an async pool on the
    # event loop (no worker thread), and orjson. The rows already have the declared shape, so
    # they are not validated a second time.
    state = request.app.state
    try:
        pg = await pgread.pool(state)
        if pg is not None:
            sql, params = alert_page_sql(state.engine.dialect, flt, cursor, limit)
            rows, next_cursor = finish_alert_page(await pgread.fetch_dicts(pg, sql, params), limit, utc=True)
        else:
            rows, next_cursor = await run_in_threadpool(alert_rows_page, state.engine, flt, cursor, limit)
    except InvalidCursor as exc:
        raise validation_error("query.cursor", str(exc)) from None
    groups = await run_in_threadpool(_engine_clusters, state.engine) if rows else None
    for row in rows:
        del row["severity_rank"]
        if groups is not None:
            row["entities"] = memberships(orjson.loads(row["entity_ids"] or "[]"), groups)
        for name in JSON_COLUMNS:
            row[name] = orjson.Fragment(row[name])
    body = orjson.dumps({"items": rows, "next_cursor": next_cursor}, option=orjson.OPT_UTC_Z)
    return Response(body, media_type="application/json")


@router.get(
    ".atom",
    response_class=Response,
    responses={200: {"content": {"application/atom+xml": {"schema": {"type": "string"}}}, "description": "Atom"}},
    summary="Alerts as an Atom feed",
)
def alerts_atom(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    flt: FilterDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    """The newest alerts matching the filters as an Atom feed, for any feed reader."""
    from feedgen.feed import FeedGenerator

    base = settings.public_base_url
    page = list_alerts(session, flt, None, limit)
    fg = FeedGenerator()
    fg.id(f"{base}/api/v1/alerts.atom?{request.url.query}")
    fg.title("sanctions-monitor alerts")
    fg.link(href=f"{base}/api/v1/alerts.atom?{request.url.query}", rel="self")
    fg.updated(page.items[0].created_at if page.items else _EPOCH)
    for alert in reversed(page.items):  # feedgen prepends, so add oldest first to keep newest on top
        entry = fg.add_entry()
        entry.id(f"{base}/api/v1/alerts/{alert.id}")
        entry.title(f"[{alert.severity}] {', '.join(alert.rules or [alert.rule_id])}: {alert.title}"[:500])
        entry.link(href=f"{base}/api/v1/alerts/{alert.id}")
        entry.updated(alert.updated_at)  # a new label, a review or a suppression changes the entry
        entry.published(alert.created_at)
        for label in labels.active(labels_of(alert)) or labels_of(alert):
            entry.category(term=label["rule_id"], label=f"{label['rule_id']} ({label.get('severity')})")
        entry.content(_atom_text(alert), type="text")
    return Response(fg.atom_str(pretty=False), media_type="application/atom+xml")


def _atom_text(alert: Alert) -> str:
    """Each label's explanation and evidence, the top label first."""
    parts = []
    for label in labels.active(labels_of(alert)) or labels_of(alert):
        spans = "\n".join(f"- {e.get('text', '')}" for e in label.get("evidence") or [] if isinstance(e, dict))
        parts.append(f"{label['rule_id']} [{label.get('severity')}]: {label.get('explanation', '')}\n{spans}".strip())
    return "\n\n".join(parts) or alert.title


def _new_alerts(engine: Engine, flt: AlertFilter, after_id: int) -> list[dict[str, Any]]:
    scoped = flt.model_copy(update={"after_id": after_id})
    with Session(engine) as session:
        rows = session.exec(select(Alert).where(*filter_conditions(scoped)).order_by(col(Alert.id)).limit(100)).all()
        groups = current_clusters(session)
        return [alert_public(a, groups) for a in rows]


def _label_rows(engine: Engine, flt: AlertFilter, up_to_id: int, watch: LabelWatch) -> list[dict[str, Any]]:
    with Session(engine) as session:
        found = added_labels(session, flt, up_to_id, watch)
        if not found:
            return []
        groups = current_clusters(session)
        out = []
        for alert, added in found:
            times = [lab.get("created_at") for lab in labels_of(alert) if lab["rule_id"] in added]
            out.append({**alert_public(alert, groups), "added_rules": added,
                        "labels_at": max((t for t in times if isinstance(t, str)), default=None)})
        return out


def _max_id(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.coalesce(func.max(Alert.id), 0))).one() or 0)


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}, "description": "SSE"}},
    summary="Server-Sent Events of new alerts",
)
async def alerts_stream(
    request: Request,
    flt: FilterDep,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
    after_id: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="start after this alert id (default: now)")
    ] = None,
    poll: Annotated[float, Query(ge=0.1, le=30, description="seconds between checks for new alerts")] = 2.0,
    labels_since: Annotated[
        UtcDatetime | None,
        Query(description="also send label additions made after this time (default: from now); pass the "
              "last `alert.labels` event's `labels_at` when reconnecting"),
    ] = None,
) -> StreamingResponse:
    """New alerts matching the filters as `event: alert` messages, and labels added to earlier alerts as
    `event: alert.labels`; reconnecting with Last-Event-ID (and `labels_since`) resumes."""
    engine: Engine = request.app.state.engine
    watch = LabelWatch(start=labels_since or utcnow())
    start = after_id
    if start is None and last_event_id and last_event_id.isdigit():
        start = int(last_event_id)
    if start is None:
        start = await run_in_threadpool(_max_id, engine)

    async def events() -> AsyncIterator[str]:
        last = start
        idle = 0.0
        yield "retry: 5000\n\n"
        while not await request.is_disconnected():
            rows = await run_in_threadpool(_new_alerts, engine, flt, last)
            for row in rows:
                last = row["id"]
                yield f"id: {last}\nevent: alert\ndata: {json.dumps(row, ensure_ascii=False)}\n\n"
            # labels added to alerts already sent (or older): the event id stays the alert cursor
            added = await run_in_threadpool(_label_rows, engine, flt, last, watch)
            for row in added:
                yield f"id: {last}\nevent: alert.labels\ndata: {json.dumps(row, ensure_ascii=False)}\n\n"
            rows = rows + added
            idle = 0.0 if rows else idle + poll
            if idle >= 15:  # keep proxies from closing a quiet stream
                idle = 0.0
                yield ": keepalive\n\n"
            if not rows:
                await asyncio.sleep(poll)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


def _csv_row(alert: Alert, groups: Clusters) -> dict[str, Any]:
    row = alert_public(alert, groups)
    row["entity_ids"] = " ".join(row["entity_ids"])
    row["entities"] = json.dumps(row["entities"], ensure_ascii=False)
    row["rules"] = " ".join(row["rules"])
    row["evidence"] = json.dumps(row["evidence"], ensure_ascii=False)
    row["labels"] = json.dumps(row["labels"], ensure_ascii=False)
    return row


def _export_rows(engine: Engine, flt: AlertFilter, fmt: str) -> Iterator[str]:
    with Session(engine) as session:
        groups = current_clusters(session)
        if fmt == "csv":
            yield from csv_lines(EXPORT_FIELDS, (_csv_row(a, groups) for a in iter_alerts(session, flt)))
            return
        for alert in iter_alerts(session, flt):
            yield json.dumps(alert_public(alert, groups), ensure_ascii=False) + "\n"


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
            "description": "every matching alert, streamed",
        }
    },
    summary="Export alerts as CSV or JSON Lines",
)
def export_alerts(
    request: Request, flt: FilterDep, format: Annotated[Literal["csv", "jsonl"], Query()] = "jsonl"
) -> StreamingResponse:
    """Every alert matching the filters, streamed (for auditors); same filters as the list."""
    media = "text/csv" if format == "csv" else "application/x-ndjson"
    rows = _export_rows(request.app.state.engine, flt, format)
    # The first row (after the CSV header) is read before the 200 goes out, so a query that
    # fails answers with an error status instead of a file cut off after its header.
    head = list(itertools.islice(rows, 2 if format == "csv" else 1))
    return StreamingResponse(
        itertools.chain(head, rows),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="alerts.{format}"'},
    )


@router.get("/{alert_id}", response_model=AlertDetail, summary="One alert with article, rule, mentions, evidence")
def get_alert(alert_id: IdPath, session: SessionDep, settings: SettingsDep) -> AlertDetail:
    """The alert with its article, the rule that fired, and the entity mentions in the article."""
    detail = alert_detail(session, settings, alert_id)
    if detail is None:
        raise not_found("alert", alert_id)
    return detail


@router.post("/{alert_id}/review", response_model=ReviewPublic, status_code=201, summary="Review an alert (analyst)")
def review_alert(alert_id: IdPath, body: ReviewCreate, session: SessionDep, key: AnalystKey) -> ReviewPublic:
    """Set the alert's status with a reason and a note; the change is appended to its history."""
    try:
        entry = review(session, alert_id, body.status, actor=key.actor, reason=body.reason, note=body.note)
    except ReviewError as exc:
        if session.get(Alert, alert_id) is None:
            raise not_found("alert", alert_id) from None
        raise ApiError(422, str(exc)) from None
    return ReviewPublic.model_validate(entry)


@router.get("/{alert_id}/history", response_model=list[ReviewPublic], summary="An alert's review trail")
def alert_history(alert_id: IdPath, session: SessionDep) -> list[ReviewPublic]:
    """Every review of the alert, oldest first: who, when, from what to what, why."""
    if session.get(Alert, alert_id) is None:
        raise not_found("alert", alert_id)
    return [ReviewPublic.model_validate(r) for r in history(session, alert_id)]
