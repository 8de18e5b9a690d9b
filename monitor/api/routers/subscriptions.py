"""/subscriptions (admin): who receives alerts; their deliveries with every attempt; redelivery."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session, col, select

from monitor.api.auth import AdminKey
from monitor.api.errors import ApiError, not_found
from monitor.models import Delivery, DeliveryAttempt, Subscription, UtcDatetime, utcnow
from monitor.notify.deliver import redeliver, redeliver_range
from monitor.notify.subscriptions import (
    SubscriptionCreate,
    SubscriptionError,
    SubscriptionPublic,
    SubscriptionUpdate,
    create_subscription,
    delete_subscription,
    list_subscriptions,
    rotate_secret,
    set_active,
    update_subscription,
)
from monitor.web.deps import SessionDep, SettingsDep

router = APIRouter(prefix="/subscriptions", tags=["subscriptions"])


class SubscriptionCreated(SubscriptionPublic):
    """A new subscription; `secret` (webhooks only) is shown this once."""

    secret: str | None = Field(None, description="whsec_... signing secret, shown once")


class SecretRotated(BaseModel):
    """A new webhook secret; the previous one still signs until `previous_valid_until`."""

    id: int
    secret: str
    previous_valid_until: datetime | None


class AttemptPublic(BaseModel):
    """One try of a delivery."""

    id: int
    at: datetime
    ok: bool
    status_code: int | None
    error: str | None
    response_body: str | None
    duration_ms: float


class DeliveryPublic(BaseModel):
    """One message to one subscription (an alert's, or a story's when delivered per story), with its attempts."""

    id: int
    kind: str = Field("alert", description="alert | story.created | story.updated")
    alert_id: int | None = Field(description="the alert (null for a story message)")
    story_id: int | None = Field(None, description="the story of a story message")
    subscription_id: int
    message_id: str = Field(description="webhook-id, the same on every retry")
    status: str = Field(description="pending | sending | delivered | failed")
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None
    created_at: datetime
    attempt_log: list[AttemptPublic] = Field(default_factory=list)


class RedeliverRange(BaseModel):
    """Deliveries created in [since, until) to send again (times without a zone are UTC)."""

    since: UtcDatetime
    until: UtcDatetime | None = None
    failed_only: bool = False


class TestSent(BaseModel):
    """The outcome of a test message (nothing is retried or stored but the audit event)."""

    ok: bool
    status_code: int | None = None
    error: str | None = None
    duration_ms: float = 0.0


class Redelivering(BaseModel):
    """Deliveries queued again (sent by the next delivery sweep, within seconds)."""

    redelivering: list[int]


def _get(session: Session, sub_id: int) -> Subscription:
    sub = session.get(Subscription, sub_id)
    if sub is None:
        raise not_found("subscription", sub_id)
    return sub


def _refused(exc: SubscriptionError) -> ApiError:
    field = f"body.{exc.field}"
    return ApiError(422, str(exc), code="validation_error", details=[{"field": field, "message": str(exc)}])


def _delivery_public(session: Session, rows: list[Delivery]) -> list[DeliveryPublic]:
    ids = [d.id for d in rows]
    attempts: dict[int, list[AttemptPublic]] = {}
    if ids:
        stmt = select(DeliveryAttempt).where(col(DeliveryAttempt.delivery_id).in_(ids))
        stmt = stmt.order_by(col(DeliveryAttempt.id))
        for a in session.exec(stmt):
            attempts.setdefault(a.delivery_id, []).append(AttemptPublic.model_validate(a, from_attributes=True))
    return [DeliveryPublic.model_validate({**d.model_dump(), "attempt_log": attempts.get(d.id or 0, [])}) for d in rows]


@router.get("", response_model=list[SubscriptionPublic], summary="List subscriptions (admin)")
def get_subscriptions(session: SessionDep, _key: AdminKey) -> list[SubscriptionPublic]:
    """Every subscription with its status (ok, failing, disabled); never the secret."""
    return [SubscriptionPublic.of(s) for s in list_subscriptions(session)]


@router.post("", response_model=SubscriptionCreated, status_code=201, summary="Subscribe (admin)")
def post_subscription(
    body: SubscriptionCreate, session: SessionDep, settings: SettingsDep, key: AdminKey
) -> SubscriptionCreated:
    """Create a subscription; for a webhook the answer holds its `whsec_` secret, this once."""
    try:
        sub, secret = create_subscription(session, settings, body, actor=key.actor)
    except SubscriptionError as exc:
        raise _refused(exc) from None
    return SubscriptionCreated.model_validate({**SubscriptionPublic.of(sub).model_dump(), "secret": secret})


@router.get("/{sub_id}", response_model=SubscriptionPublic, summary="One subscription (admin)")
def get_subscription(sub_id: int, session: SessionDep, _key: AdminKey) -> SubscriptionPublic:
    """One subscription."""
    return SubscriptionPublic.of(_get(session, sub_id))


@router.patch("/{sub_id}", response_model=SubscriptionPublic, summary="Change a subscription (admin)")
def patch_subscription(
    sub_id: int, body: SubscriptionUpdate, session: SessionDep, settings: SettingsDep, key: AdminKey
) -> SubscriptionPublic:
    """Change filters, digest time, or pause/resume (`active`)."""
    _get(session, sub_id)
    try:
        sub = update_subscription(session, sub_id, body, actor=key.actor, settings=settings)
    except SubscriptionError as exc:
        raise _refused(exc) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        raise ApiError(
            422, f"body.{field}: {first['msg']}", details=[{"field": f"body.{field}", "message": first["msg"]}]
        ) from None
    return SubscriptionPublic.of(sub)


@router.delete("/{sub_id}", status_code=204, summary="Delete a subscription (admin)")
def remove_subscription(sub_id: int, session: SessionDep, key: AdminKey) -> Response:
    """Delete a subscription and its outbox."""
    _get(session, sub_id)
    delete_subscription(session, sub_id, actor=key.actor)
    return Response(status_code=204)


@router.post("/{sub_id}/pause", response_model=SubscriptionPublic, summary="Pause (admin)")
def pause(sub_id: int, session: SessionDep, key: AdminKey) -> SubscriptionPublic:
    """Stop sending; alerts raised meanwhile wait in the outbox."""
    _get(session, sub_id)
    return SubscriptionPublic.of(set_active(session, sub_id, False, actor=key.actor))


@router.post("/{sub_id}/resume", response_model=SubscriptionPublic, summary="Resume (admin)")
def resume(sub_id: int, session: SessionDep, key: AdminKey) -> SubscriptionPublic:
    """Send again; also clears a failing or disabled status."""
    _get(session, sub_id)
    return SubscriptionPublic.of(set_active(session, sub_id, True, actor=key.actor))


@router.post("/{sub_id}/test", response_model=TestSent, summary="Send a test message now (admin)")
def test_send(sub_id: int, session: SessionDep, settings: SettingsDep, key: AdminKey) -> TestSent:
    """Send a test message over the subscription's channel and report what the destination answered."""
    from monitor.notify.testsend import send_test

    _get(session, sub_id)
    result = send_test(session, settings, sub_id, actor=key.actor)
    return TestSent(ok=result.ok, status_code=result.status_code, error=result.error,
                    duration_ms=round(result.duration_ms, 1))


@router.post("/{sub_id}/rotate-secret", response_model=SecretRotated, summary="Rotate the webhook secret (admin)")
def rotate(
    sub_id: int,
    session: SessionDep,
    settings: SettingsDep,
    key: AdminKey,
    overlap_hours: Annotated[float | None, Query(ge=0, le=720, description="old secret keeps signing")] = None,
) -> SecretRotated:
    """Issue a new secret (shown once); messages carry both signatures during the overlap."""
    _get(session, sub_id)
    try:
        secret = rotate_secret(session, settings, sub_id, overlap_hours=overlap_hours, actor=key.actor)
    except SubscriptionError as exc:
        raise ApiError(409, str(exc)) from None
    sub = _get(session, sub_id)
    return SecretRotated(id=sub_id, secret=secret, previous_valid_until=sub.previous_secret_until)


@router.get("/{sub_id}/deliveries", response_model=list[DeliveryPublic], summary="Deliveries and attempts (admin)")
def deliveries(
    sub_id: int,
    session: SessionDep,
    _key: AdminKey,
    status: Annotated[str | None, Query(pattern="^(pending|sending|delivered|failed)$")] = None,
    before_id: Annotated[int | None, Query(description="page: deliveries with a smaller id")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[DeliveryPublic]:
    """This subscription's deliveries, newest first, each with every attempt."""
    _get(session, sub_id)
    stmt = select(Delivery).where(Delivery.subscription_id == sub_id)
    if status:
        stmt = stmt.where(Delivery.status == status)
    if before_id is not None:
        stmt = stmt.where(col(Delivery.id) < before_id)
    rows = list(session.exec(stmt.order_by(col(Delivery.id).desc()).limit(limit)))
    return _delivery_public(session, rows)


@router.post(
    "/{sub_id}/deliveries/{delivery_id}/redeliver", response_model=DeliveryPublic, summary="Redeliver one (admin)"
)
def redeliver_one(sub_id: int, delivery_id: int, session: SessionDep, key: AdminKey) -> DeliveryPublic:
    """Send one delivery again, with the same webhook-id and a fresh retry schedule."""
    row = session.get(Delivery, delivery_id)
    if row is None or row.subscription_id != sub_id:
        raise not_found("delivery", delivery_id)
    redeliver(session, delivery_id, actor=key.actor)
    return _delivery_public(session, [row])[0]


@router.post("/{sub_id}/redeliver", response_model=Redelivering, summary="Redeliver a time range (admin)")
def redeliver_many(sub_id: int, body: RedeliverRange, session: SessionDep, key: AdminKey) -> Redelivering:
    """Send again every delivery of this subscription created in [since, until)."""
    _get(session, sub_id)
    until = body.until or utcnow()
    ids = redeliver_range(
        session, body.since, until, subscription_id=sub_id, only_failed=body.failed_only, actor=key.actor
    )
    return Redelivering(redelivering=ids)
