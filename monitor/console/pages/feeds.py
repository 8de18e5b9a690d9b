"""Feeds: status of every feed (last poll, errors, backoff, quiet), add, pause/resume, OPML import.

Adding, pausing and importing are `monitor.feeds.manage`'s actions, the API's own: the console
applies the same URL and address checks (no feed may point at an internal address) and audit trail.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from monitor.console.session import UserDep
from monitor.console.web import redirect, render
from monitor.feeds.manage import FeedActionError, create_feed, import_feeds, list_feeds, set_feed_enabled
from monitor.feeds.opml import MAX_OPML_BYTES, OpmlError, read_opml
from monitor.models import utcnow
from monitor.netguard import Resolver
from monitor.web.deps import SessionDep, SettingsDep

router = APIRouter()


@router.get("/feeds")
def feeds_page(request: Request, session: SessionDep, user: UserDep) -> Response:
    """Every feed with its polling state."""
    return render(
        request,
        "feeds.html",
        user,
        section="feeds",
        feeds=list_feeds(session),
        now=utcnow(),
    )


def _resolver(request: Request) -> Resolver | None:
    return getattr(request.app.state, "resolver", None)  # tests resolve names without the network


@router.post("/feeds")
def add(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: UserDep,
    url: Annotated[str, Form(max_length=2048)] = "",
    title: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    """Subscribe to a feed URL with the API's own checks (http(s), allowed address after DNS) (admin)."""
    user.require("admin")
    try:
        feed = create_feed(session, settings, url.strip() or " ", title.strip() or None, actor=user.actor,
                           resolver=_resolver(request))
    except FeedActionError as exc:
        session.rollback()
        return redirect("/feeds", error=exc.message)
    session.commit()
    return redirect("/feeds", message=f"Added {feed.url}")


@router.post("/feeds/{feed_id}/pause")
def pause(session: SessionDep, user: UserDep, feed_id: int, resume: Annotated[str, Form()] = "") -> Response:
    """Pause a feed (no more polls) or resume it (admin)."""
    user.require("admin")
    try:
        feed = set_feed_enabled(session, feed_id, bool(resume), actor=user.actor)
    except FeedActionError as exc:
        return redirect("/feeds", error=exc.message)
    session.commit()
    return redirect("/feeds", message=f"{'Resumed' if feed.enabled else 'Paused'} {feed.title or feed.url}")


@router.post("/feeds/import")
def opml_import(
    request: Request, session: SessionDep, settings: SettingsDep, user: UserDep, opml: Annotated[UploadFile, File()]
) -> Response:
    """Subscribe to every feed of an uploaded OPML file, with the API's import (admin)."""
    user.require("admin")
    data = opml.file.read(MAX_OPML_BYTES + 1)
    if len(data) > MAX_OPML_BYTES:
        return redirect("/feeds", error="OPML file larger than 2 MiB")
    try:
        items = read_opml(data)
    except OpmlError as exc:
        return redirect("/feeds", error=f"not a readable OPML file: {exc}")
    result = import_feeds(session, items, actor=user.actor, settings=settings, resolver=_resolver(request))
    session.commit()
    message = f"OPML import: {len(result.added)} added, {len(result.skipped)} skipped"
    if result.skipped:
        url, reason = result.skipped[0]
        message += f" ({url}: {reason})"
    return redirect("/feeds", message=message)
