"""Subscriptions (admin): list, add, deliver per article or per story, pause/resume, send a test message, delete.

Every action calls the service functions the API and the CLI call (monitor/notify/
subscriptions.py, monitor/notify/testsend.py), so targets get the same SSRF and format
checks, unknown rule ids are refused the same way, and each change lands in the audit log.
A new webhook's signing secret is shown once, on the page that answers the form, as the
CLI prints it once; it is never put in a redirect, a cookie or a log.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import Session

from monitor.alerts.rule_views import all_rules
from monitor.console.session import ConsoleUser, UserDep
from monitor.console.web import redirect, render
from monitor.notify.subscriptions import (
    CHANNELS,
    DEFAULT_STORY_UPDATE_MINUTES,
    SubscriptionCreate,
    SubscriptionError,
    SubscriptionPublic,
    SubscriptionUpdate,
    create_subscription,
    delete_subscription,
    get_subscription,
    list_subscriptions,
    set_active,
    update_subscription,
)
from monitor.settings import Settings
from monitor.web.deps import SessionDep, SettingsDep

router = APIRouter()

Text = Annotated[str, Form(max_length=4000)]


def _page(
    request: Request, session: Session, settings: Settings, user: ConsoleUser, status: int = 200, **extra: object
) -> Response:
    subs = [SubscriptionPublic.of(s) for s in list_subscriptions(session)]
    return render(
        request,
        "subscriptions.html",
        user,
        status_code=status,
        section="subscriptions",
        subscriptions=subs,
        channels=CHANNELS,
        rule_ids=[r.id for r in all_rules(session, settings)],
        **extra,
    )


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg", "invalid")))
    return "; ".join(parts)


@router.get("/subscriptions")
def subscriptions_page(request: Request, session: SessionDep, settings: SettingsDep, user: UserDep) -> Response:
    """Every subscription with its status (admin)."""
    user.require("admin")
    return _page(request, session, settings, user)


@router.post("/subscriptions")
def add(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: UserDep,
    channel: Annotated[str, Form(max_length=16)] = "",
    target: Text = "",
    name: Annotated[str, Form(max_length=200)] = "",
    rules: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006 - FastAPI reads it, never mutated
    min_severity: Annotated[str, Form(max_length=16)] = "",
    realtime: Annotated[str, Form(max_length=8)] = "",
    deliver_per: Annotated[str, Form(max_length=16)] = "article",
    story_update_minutes: Annotated[str, Form(max_length=8)] = "",
    digest_time: Annotated[str, Form(max_length=8)] = "",
    timezone: Annotated[str, Form(max_length=64)] = "UTC",
) -> Response:
    """Create a subscription with the service's checks; the page shows a webhook's secret once (admin)."""
    user.require("admin")
    form = {"channel": channel, "target": target.strip(), "name": name.strip(), "rules": rules,
            "min_severity": min_severity or None, "realtime": bool(realtime),
            "deliver_per": deliver_per or "article",
            "story_update_minutes": story_update_minutes.strip() or DEFAULT_STORY_UPDATE_MINUTES,
            "digest_time": digest_time or None, "timezone": timezone.strip() or "UTC"}
    try:
        data = SubscriptionCreate.model_validate(form)
        sub, secret = create_subscription(session, settings, data, actor=user.actor)
    except ValidationError as exc:
        session.rollback()
        return _page(request, session, settings, user, 422, error=_validation_message(exc), form=form)
    except SubscriptionError as exc:
        session.rollback()
        return _page(request, session, settings, user, 422, error=str(exc), form=form)
    session.commit()
    return _page(request, session, settings, user, 201, created=SubscriptionPublic.of(sub), secret=secret,
                 flash=f"Subscription {sub.id} added.")


@router.post("/subscriptions/{sub_id}/delivery")
def set_delivery(
    session: SessionDep, settings: SettingsDep, user: UserDep, sub_id: int,
    deliver_per: Annotated[str, Form(max_length=16)] = "article",
    story_update_minutes: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Deliver a subscription per article or per story, and the least time between a story's updates (admin)."""
    user.require("admin")
    fields = {"deliver_per": deliver_per or "article",
              "story_update_minutes": story_update_minutes.strip() or DEFAULT_STORY_UPDATE_MINUTES}
    try:
        update_subscription(session, sub_id, SubscriptionUpdate.model_validate(fields), actor=user.actor,
                            settings=settings)
    except ValidationError as exc:
        session.rollback()
        return redirect("/subscriptions", error=_validation_message(exc))
    except SubscriptionError as exc:
        session.rollback()
        return redirect("/subscriptions", error=str(exc))
    session.commit()
    return redirect("/subscriptions", message=f"Subscription {sub_id} now delivered per {fields['deliver_per']}.")


@router.post("/subscriptions/{sub_id}/pause")
def pause(session: SessionDep, user: UserDep, sub_id: int, resume: Annotated[str, Form()] = "") -> Response:
    """Pause a subscription (alerts wait in the outbox) or resume it (admin)."""
    user.require("admin")
    try:
        sub = set_active(session, sub_id, bool(resume), actor=user.actor)
    except SubscriptionError as exc:
        return redirect("/subscriptions", error=str(exc))
    session.commit()
    return redirect("/subscriptions", message=f"{'Resumed' if sub.active else 'Paused'} subscription {sub_id}.")


@router.post("/subscriptions/{sub_id}/test")
async def test_send(request: Request, settings: SettingsDep, user: UserDep, sub_id: int) -> Response:
    """Send a test message now and say on the page whether it arrived (admin)."""
    user.require("admin")
    from monitor.db import session_scope
    from monitor.notify.testsend import send_test

    def run() -> tuple[bool, str]:
        with session_scope(request.app.state.engine) as session:
            try:
                result = send_test(session, settings, sub_id, actor=user.actor)
            except SubscriptionError as exc:
                return False, str(exc)
        if result.ok:
            return True, f"Test message to subscription {sub_id} delivered" + (
                f" (HTTP {result.status_code})." if result.status_code else ".")
        where = f"HTTP {result.status_code}: " if result.status_code else ""
        return False, f"Test message to subscription {sub_id} failed: {where}{result.error or 'no reason given'}"

    ok, message = await run_in_threadpool(run)
    return redirect("/subscriptions", message=message) if ok else redirect("/subscriptions", error=message)


@router.post("/subscriptions/{sub_id}/delete")
def delete(session: SessionDep, user: UserDep, sub_id: int, confirm: Annotated[str, Form()] = "") -> Response:
    """Delete a subscription and its outbox, once the box confirming it is ticked (admin)."""
    user.require("admin")
    if not confirm:
        return redirect("/subscriptions", error=f"Tick 'confirm' to delete subscription {sub_id}.")
    try:
        get_subscription(session, sub_id)
        delete_subscription(session, sub_id, actor=user.actor)
    except SubscriptionError as exc:
        return redirect("/subscriptions", error=str(exc))
    session.commit()
    return redirect("/subscriptions", message=f"Deleted subscription {sub_id}.")
