"""/audit (admin): the administrative audit log, filtered and paginated, for auditors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from monitor.api.auth import AdminKey
from monitor.api.errors import validation_error
from monitor.api.params import CursorQuery, WhenQuery, parse_when
from monitor.audit import AuditFilter, InvalidAuditCursor, list_audit
from monitor.schemas import AuditEventPublic, Page
from monitor.web.deps import SessionDep

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=Page[AuditEventPublic], summary="The audit log of administrative changes (admin)")
def get_audit(
    session: SessionDep,
    _key: AdminKey,
    object_type: Annotated[
        str | None, Query(max_length=32, description="api_key, rule, feed, suppression, subscription, delivery")
    ] = None,
    object_id: Annotated[str | None, Query(max_length=200, description="the object's id, e.g. a feed id")] = None,
    actor: Annotated[
        str | None, Query(max_length=200, description="who: `key:<id>` (any name), `cli`, `poller`, `startup`")
    ] = None,
    action: Annotated[
        str | None, Query(max_length=64, description="exact (`feed.moved`) or a prefix ending in a dot (`feed.`)")
    ] = None,
    since: WhenQuery = None,
    until: WhenQuery = None,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[AuditEventPublic]:
    """Who created, changed, paused, revoked or withdrew what, newest first (keyset pagination)."""
    flt = AuditFilter(object_type=object_type, object_id=object_id, actor=actor, action=action,
                      since=parse_when(since, "since"), until=parse_when(until, "until"))
    try:
        rows, next_cursor = list_audit(session, flt, cursor, limit)
    except InvalidAuditCursor as exc:
        raise validation_error("query.cursor", str(exc)) from None
    return Page[AuditEventPublic](items=[AuditEventPublic.model_validate(r) for r in rows], next_cursor=next_cursor)
