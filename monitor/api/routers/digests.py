"""/digests/preview: the digest a subscription gets (or got) for a local date, as JSON, text and HTML."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from monitor.api.auth import AdminKey
from monitor.api.errors import not_found, validation_error
from monitor.api.params import MAX_ID
from monitor.models import Subscription
from monitor.notify.digest import build_digest, digest_json, render_digest
from monitor.web.deps import SessionDep, SettingsDep

router = APIRouter(prefix="/digests", tags=["digests"])


class DigestPreview(BaseModel):
    """The same digest `sanctions-monitor digest --date D` shows and `--send` sends."""

    subject: str
    digest: dict[str, Any]
    text: str
    html: str


@router.get("/preview", response_model=DigestPreview, summary="Preview a daily digest (admin)")
def preview(
    session: SessionDep,
    settings: SettingsDep,
    _key: AdminKey,
    subscription: Annotated[int, Query(ge=1, le=MAX_ID, description="subscription id")],
    date_: Annotated[date, Query(alias="date", description="local date YYYY-MM-DD, from 1900-01-01 to 9000-01-01")],
) -> DigestPreview:
    """What the digest of this subscription says for this date (nothing is sent or claimed).

    Admin only, like `GET /subscriptions/{id}`: the digest shows the subscription's filters and target."""
    sub = session.get(Subscription, subscription)
    if sub is None:
        raise not_found("subscription", subscription)
    if not date(1900, 1, 1) <= date_ <= date(9000, 1, 1):
        raise validation_error("query.date", "must be between 1900-01-01 and 9000-01-01")
    content = build_digest(session, settings, sub, date_)
    text, html = render_digest(content, settings)
    return DigestPreview(subject=content.subject, digest=digest_json(content), text=text, html=html)
