"""Feeds: status of every feed (last poll, errors, backoff, quiet), add, pause/resume, OPML import.

Adding, pausing and importing go through the API's feed functions, so the console applies
the same URL and address checks (no feed may point at an internal address) and audit trail.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError

from monitor.api.deps import SessionDep, SettingsDep
from monitor.api.errors import ApiError
from monitor.api.routers.feeds import MAX_OPML_BYTES, create_feed, pause_feed, resume_feed
from monitor.api.routers.feeds import _import as api_import
from monitor.api.schemas import FeedCreate
from monitor.console.session import UserDep
from monitor.console.web import redirect, render
from monitor.feeds.manage import list_feeds
from monitor.feeds.opml import OpmlError, read_opml
from monitor.models import utcnow

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


def _api_message(exc: ApiError) -> str:
    # The API names the JSON field ("body.url: ..."); the form has no such field names.
    return re.sub(r"^body\.\w+: ", "", exc.message)


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
        feed = create_feed(request, FeedCreate(url=url.strip() or " ", title=title.strip() or None), session,
                           settings, user.key)
    except ValidationError as exc:
        return redirect("/feeds", error=f"feed URL: {exc.errors()[0].get('msg', 'invalid')}")
    except ApiError as exc:
        session.rollback()
        return redirect("/feeds", error=_api_message(exc))
    session.commit()
    return redirect("/feeds", message=f"Added {feed.url}")


@router.post("/feeds/{feed_id}/pause")
def pause(session: SessionDep, user: UserDep, feed_id: int, resume: Annotated[str, Form()] = "") -> Response:
    """Pause a feed (no more polls) or resume it, through the API's pause/resume (admin)."""
    user.require("admin")
    try:
        feed = resume_feed(feed_id, session, user.key) if resume else pause_feed(feed_id, session, user.key)
    except ApiError as exc:
        return redirect("/feeds", error=exc.message)
    session.commit()
    return redirect("/feeds", message=f"{'Resumed' if feed.enabled else 'Paused'} {feed.title or feed.url}")


@router.post("/feeds/import")
async def opml_import(request: Request, user: UserDep, opml: Annotated[UploadFile, File()]) -> Response:
    """Subscribe to every feed of an uploaded OPML file, with the API's import (admin)."""
    user.require("admin")
    data = await opml.read(MAX_OPML_BYTES + 1)
    if len(data) > MAX_OPML_BYTES:
        return redirect("/feeds", error="OPML file larger than 2 MiB")
    try:
        items = read_opml(data)
    except OpmlError as exc:
        return redirect("/feeds", error=f"not a readable OPML file: {exc}")
    result = await run_in_threadpool(api_import, request, items, user.actor)
    message = f"OPML import: {len(result.added)} added, {len(result.skipped)} skipped"
    if result.skipped:
        first = result.skipped[0]
        message += f" ({first.get('url')}: {first.get('reason')})"
    return redirect("/feeds", message=message)
