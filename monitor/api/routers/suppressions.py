"""/suppressions: analysts mark entity mentions as false positives in a scope, and withdraw them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from monitor.alerts.suppression_admin import (
    SuppressionError,
    create_suppression,
    list_suppressions,
    withdraw_suppression,
)
from monitor.api.auth import AnalystKey
from monitor.api.errors import ApiError, not_found, validation_error
from monitor.api.params import IdPath
from monitor.models import Suppression
from monitor.schemas import SuppressionCreate, SuppressionPublic
from monitor.web.deps import SessionDep

router = APIRouter(prefix="/suppressions", tags=["suppressions"])


def _raise(exc: SuppressionError) -> ApiError:
    if exc.status == 404:
        return ApiError(404, str(exc), details={"field": f"body.{exc.field}" if exc.field else None})
    return validation_error(f"body.{exc.field or 'body'}", str(exc))


@router.get("", response_model=list[SuppressionPublic], summary="List suppressions")
def get_suppressions(
    session: SessionDep,
    entity_id: Annotated[str | None, Query(max_length=200)] = None,
    include_withdrawn: bool = False,
) -> list[SuppressionPublic]:
    """Suppressions, newest first; withdrawn ones only when asked."""
    rows = list_suppressions(session, active_only=not include_withdrawn, entity_id=entity_id)
    return [SuppressionPublic.model_validate(r) for r in rows]


@router.get("/{suppression_id}", response_model=SuppressionPublic, summary="One suppression")
def get_suppression(suppression_id: IdPath, session: SessionDep) -> SuppressionPublic:
    """A suppression by id."""
    row = session.get(Suppression, suppression_id)
    if row is None:
        raise not_found("suppression", suppression_id)
    return SuppressionPublic.model_validate(row)


@router.post("", response_model=SuppressionPublic, status_code=201, summary="Suppress a mention (analyst)")
def post_suppression(body: SuppressionCreate, session: SessionDep, key: AnalystKey) -> SuppressionPublic:
    """Mark an entity mention as a false positive in an article, a feed or everywhere, with a reason."""
    try:
        row = create_suppression(session, actor=key.actor, **body.model_dump())
    except SuppressionError as exc:
        raise _raise(exc) from None
    return SuppressionPublic.model_validate(row)


@router.delete("/{suppression_id}", response_model=SuppressionPublic, summary="Withdraw a suppression (analyst)")
def delete_suppression(suppression_id: IdPath, session: SessionDep, key: AnalystKey) -> SuppressionPublic:
    """Withdraw a suppression: alerts it alone covered are raised again; the record stays for the audit."""
    try:
        row = withdraw_suppression(session, suppression_id, actor=key.actor)
    except SuppressionError as exc:
        if exc.status == 404:
            raise not_found("suppression", suppression_id) from None
        raise _raise(exc) from None
    return SuppressionPublic.model_validate(row)
