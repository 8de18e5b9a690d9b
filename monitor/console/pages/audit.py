"""Audit log (admin): who changed which key, rule, feed, suppression or subscription, and when.

The same reader as `GET /api/v1/audit` (`monitor.audit.list_audit`), a page at a time.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from monitor.audit import AuditFilter, InvalidAuditCursor, list_audit
from monitor.console.session import UserDep
from monitor.console.web import render
from monitor.web.deps import SessionDep

router = APIRouter()
OBJECT_TYPES = ("api_key", "rule", "feed", "suppression", "subscription", "delivery")
PAGE = 50


@router.get("/audit")
def audit_page(
    request: Request,
    session: SessionDep,
    user: UserDep,
    object_type: Annotated[str, Query(max_length=32)] = "",
    object_id: Annotated[str, Query(max_length=200)] = "",
    actor: Annotated[str, Query(max_length=200)] = "",
    action: Annotated[str, Query(max_length=64)] = "",
    cursor: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """The newest administrative changes, filtered by object, actor and action (admin)."""
    user.require("admin")
    flt = AuditFilter(object_type=object_type or None, object_id=object_id.strip() or None,
                      actor=actor.strip() or None, action=action.strip() or None)
    error = None
    try:
        events, next_cursor = list_audit(session, flt, cursor or None, PAGE)
    except InvalidAuditCursor as exc:
        events, next_cursor, error = [], None, str(exc)
    filters = {"object_type": object_type, "object_id": object_id, "actor": actor, "action": action}
    kept = {k: v for k, v in filters.items() if v}
    older_href = "/audit?" + urlencode({**kept, "cursor": next_cursor}) if next_cursor else None
    return render(request, "audit.html", user, section="audit", events=events, older_href=older_href,
                  filters=filters, object_types=OBJECT_TYPES, error=error)
