"""Feeds: status of every feed (last poll, errors, backoff, quiet), add, pause/resume, OPML import."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from monitor.api.deps import SessionDep
from monitor.console.session import UserDep
from monitor.console.web import redirect, render
from monitor.feeds.manage import FeedUrlError, add_feed, import_opml, list_feeds
from monitor.feeds.opml import OpmlError
from monitor.models import AuditEvent, Feed, utcnow

router = APIRouter()
MAX_OPML_BYTES = 2 * 1024 * 1024


@router.get("/feeds")
def feeds_page(request: Request, session: SessionDep, user: UserDep) -> Response:
    """Every feed with its polling state."""
    params = request.query_params
    return render(
        request,
        "feeds.html",
        user,
        section="feeds",
        feeds=list_feeds(session),
        now=utcnow(),
        flash=params.get("done", "")[:300],
        error=params.get("error", "")[:300],
    )


@router.post("/feeds")
def add(
    session: SessionDep,
    user: UserDep,
    url: Annotated[str, Form(max_length=2048)] = "",
    title: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    """Subscribe to a feed URL (admin)."""
    user.require("admin")
    try:
        feed, created = add_feed(session, url, title or None)
    except FeedUrlError as exc:
        session.rollback()
        return redirect("/feeds", error=str(exc))
    if created:
        session.add(AuditEvent(actor=user.actor, action="feed.create", object_type="feed", object_id=str(feed.id),
                               detail={"url": feed.url}))
    session.commit()
    return redirect("/feeds", done=f"Added {feed.url}" if created else f"Already subscribed to {feed.url}")


@router.post("/feeds/{feed_id}/pause")
def pause(session: SessionDep, user: UserDep, feed_id: int, resume: Annotated[str, Form()] = "") -> Response:
    """Pause a feed (no more polls) or resume it (admin)."""
    user.require("admin")
    feed = session.get(Feed, feed_id)
    if feed is None:
        return redirect("/feeds", error=f"feed {feed_id} not found")
    feed.enabled = bool(resume)
    if feed.enabled:
        feed.next_poll_at = utcnow()
    session.add(feed)
    session.add(AuditEvent(actor=user.actor, action="feed.update", object_type="feed", object_id=str(feed_id),
                           detail={"enabled": feed.enabled}))
    session.commit()
    return redirect("/feeds", done=f"{'Resumed' if feed.enabled else 'Paused'} {feed.title or feed.url}")


@router.post("/feeds/import")
async def opml_import(session: SessionDep, user: UserDep, opml: Annotated[UploadFile, File()]) -> Response:
    """Subscribe to every feed of an uploaded OPML file (admin)."""
    user.require("admin")
    data = await opml.read(MAX_OPML_BYTES + 1)
    if len(data) > MAX_OPML_BYTES:
        return redirect("/feeds", error="OPML file larger than 2 MiB")
    try:
        result = import_opml(session, data)
    except OpmlError as exc:
        session.rollback()
        return redirect("/feeds", error=f"not a readable OPML file: {exc}")
    session.add(AuditEvent(actor=user.actor, action="feed.import", object_type="feed", object_id="opml",
                           detail={"added": len(result.added), "invalid": len(result.invalid)}))
    message = f"OPML import: {len(result.added)} added, {len(result.existing)} already there"
    if result.invalid:
        message += f", {len(result.invalid)} refused ({result.invalid[0][1]})"
    session.commit()
    return redirect("/feeds", done=message)
