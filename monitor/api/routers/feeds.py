"""/feeds: list and read feeds; create, update, pause, resume, delete (admin); OPML import and export.

Adding, importing, pausing and resuming are `monitor.feeds.manage`'s actions (the console calls the
same ones): URLs are checked for shape and, after DNS, for an allowed address.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import Session, col, select

from monitor.api.auth import AdminKey
from monitor.api.errors import ApiError, ErrorResponse, not_found, validation_error
from monitor.api.params import IdPath
from monitor.feeds import manage
from monitor.feeds.manage import FeedActionError, FeedUrlError, list_feeds
from monitor.feeds.opml import MAX_OPML_BYTES, OpmlError, read_opml
from monitor.models import Feed, utcnow
from monitor.netguard import BlockedAddressError, Resolver
from monitor.schemas import FeedCreate, FeedPublic, FeedUpdate, OpmlImportResult
from monitor.web.deps import SessionDep, SettingsDep

router = APIRouter(prefix="/feeds", tags=["feeds"])


def _resolver(request: Request) -> Resolver | None:
    return getattr(request.app.state, "resolver", None)  # tests resolve names without the network


def _api_error(exc: FeedActionError, feed_id: int | None = None) -> ApiError:
    if exc.status == 404:
        return not_found("feed", feed_id)
    if exc.status == 422:
        return validation_error("body.url", exc.message)
    return ApiError(exc.status, exc.message, details={"field": "body.url"})


def _feed(session: Session, feed_id: int) -> Feed:
    try:
        return manage.get_feed(session, feed_id)
    except FeedActionError as exc:
        raise _api_error(exc, feed_id) from None


@router.get("", response_model=list[FeedPublic], summary="List feeds")
def get_feeds(session: SessionDep) -> list[FeedPublic]:
    """Every feed with its polling state, oldest first."""
    return [FeedPublic.model_validate(f) for f in list_feeds(session)]


@router.get(
    "/export.opml",
    response_class=Response,
    responses={200: {"content": {"text/x-opml": {"schema": {"type": "string"}}}, "description": "OPML 2.0"}},
    summary="Export feeds as OPML",
)
def export_opml(session: SessionDep) -> Response:
    """Every feed as an OPML 2.0 subscription list."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = "sanctions-monitor feeds"
    ET.SubElement(head, "dateCreated").text = utcnow().strftime("%a, %d %b %Y %H:%M:%S +0000")
    body = ET.SubElement(root, "body")
    for feed in list_feeds(session):
        attrs = {"type": "rss", "text": feed.title or feed.url, "xmlUrl": feed.url}
        if feed.title:
            attrs["title"] = feed.title
        if feed.site_url:
            attrs["htmlUrl"] = feed.site_url
        ET.SubElement(body, "outline", attrs)
    xml = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(xml, media_type="text/x-opml", headers={"Content-Disposition": 'attachment; filename="feeds.opml"'})


@router.post(
    "/import",
    response_model=OpmlImportResult,
    summary="Import feeds from OPML (admin)",
    responses={413: {"model": ErrorResponse, "description": "OPML file too large"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/x-opml": {"schema": {"type": "string"}},
                "application/xml": {"schema": {"type": "string"}},
                "text/xml": {"schema": {"type": "string"}},
            },
        }
    },
)
async def import_opml(request: Request, key: AdminKey) -> OpmlImportResult:
    """Subscribe to every feed of an OPML document (the raw file as the body); bad URLs are skipped with a reason."""
    data = await request.body()
    if len(data) > MAX_OPML_BYTES:
        raise ApiError(413, f"OPML file larger than {MAX_OPML_BYTES} bytes")
    try:
        items = read_opml(data)
    except OpmlError as exc:
        raise validation_error("body", str(exc)) from None
    from fastapi.concurrency import run_in_threadpool

    return await run_in_threadpool(_import, request, items, key.actor)


def _import(request: Request, items: list[Any], actor: str) -> OpmlImportResult:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        result = manage.import_feeds(session, items, actor=actor, settings=request.app.state.settings,
                                     resolver=_resolver(request))
        session.commit()
    return opml_result(result)


def opml_result(result: manage.ImportResult) -> OpmlImportResult:
    """An import's outcome as the API answers it."""
    return OpmlImportResult(added=[FeedPublic.model_validate(f) for f in result.added],
                            skipped=[{"url": url, "reason": reason} for url, reason in result.skipped])


@router.post("", response_model=FeedPublic, status_code=201, summary="Add a feed (admin)")
def create_feed(
    request: Request, body: FeedCreate, session: SessionDep, settings: SettingsDep, key: AdminKey
) -> FeedPublic:
    """Subscribe to a feed; the URL must be http(s) and reach an allowed address."""
    try:
        feed = manage.create_feed(session, settings, body.url, body.title, actor=key.actor,
                                  poll_interval=body.poll_interval, enabled=body.enabled, resolver=_resolver(request))
    except FeedActionError as exc:
        raise _api_error(exc) from None
    return FeedPublic.model_validate(feed)


@router.get("/{feed_id}", response_model=FeedPublic, summary="One feed")
def get_feed(feed_id: IdPath, session: SessionDep) -> FeedPublic:
    """A feed with its polling state (last status, errors, quiet flag)."""
    return FeedPublic.model_validate(_feed(session, feed_id))


@router.patch("/{feed_id}", response_model=FeedPublic, summary="Update a feed (admin)")
def update_feed(
    request: Request, feed_id: IdPath, body: FeedUpdate, session: SessionDep, settings: SettingsDep, key: AdminKey
) -> FeedPublic:
    """Change a feed's URL, title, poll interval or enabled flag."""
    feed = _feed(session, feed_id)
    changes = body.model_dump(exclude_unset=True)
    if changes.get("url") is not None:
        try:
            url = manage.checked_url(changes["url"], settings, _resolver(request))
        except (FeedUrlError, BlockedAddressError) as exc:
            raise validation_error("body.url", str(exc)) from None
        clash = session.exec(select(Feed.id).where(col(Feed.url) == url, col(Feed.id) != feed_id)).first()
        if clash is not None:
            raise ApiError(409, f"feed {url} already exists", details={"field": "body.url"})
        changes["url"] = url
        feed.etag = feed.last_modified = None  # a new URL starts without conditional-GET state
    for name, value in changes.items():
        if value is None and name in ("url", "enabled"):
            continue
        setattr(feed, name, value)
    session.add(feed)
    manage.audit(session, key.actor, "feed.update", feed_id, changes)
    session.flush()
    return FeedPublic.model_validate(feed)


def _set_enabled(session: Session, feed_id: int, enabled: bool, actor: str) -> FeedPublic:
    try:
        return FeedPublic.model_validate(manage.set_feed_enabled(session, feed_id, enabled, actor=actor))
    except FeedActionError as exc:
        raise _api_error(exc, feed_id) from None


@router.post("/{feed_id}/pause", response_model=FeedPublic, summary="Pause a feed (admin)")
def pause_feed(feed_id: IdPath, session: SessionDep, key: AdminKey) -> FeedPublic:
    """Stop polling the feed (its articles and alerts stay)."""
    return _set_enabled(session, feed_id, False, key.actor)


@router.post("/{feed_id}/resume", response_model=FeedPublic, summary="Resume a feed (admin)")
def resume_feed(feed_id: IdPath, session: SessionDep, key: AdminKey) -> FeedPublic:
    """Poll the feed again, starting now."""
    return _set_enabled(session, feed_id, True, key.actor)


@router.delete("/{feed_id}", status_code=204, response_class=Response, summary="Delete a feed (admin)")
def delete_feed(
    feed_id: IdPath,
    session: SessionDep,
    key: AdminKey,
    confirm: Annotated[bool, Query(description="must be true: deletes its articles and alerts")] = False,
) -> Response:
    """Delete a feed with its articles and their alerts (pause it instead to keep them)."""
    feed = _feed(session, feed_id)
    if not confirm:
        raise validation_error("query.confirm", "deleting a feed deletes its articles and alerts; add ?confirm=true")
    manage.audit(session, key.actor, "feed.delete", feed_id, {"url": feed.url})
    session.delete(feed)
    return Response(status_code=204)
