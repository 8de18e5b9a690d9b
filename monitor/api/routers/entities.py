"""/entities: screen a name against the loaded lists, and one listed entity with its history and alerts."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from monitor.alerts.detail import entity_detail
from monitor.alerts.queries import InvalidCursor
from monitor.api.auth import AnalystKey
from monitor.api.errors import ApiError, not_found, validation_error
from monitor.api.params import CursorQuery
from monitor.schemas import AlertPublic, Page
from monitor.watchlists.links import LinkError, entity_links, judge, link_public, withdraw
from monitor.watchlists.screen import MAX_QUERY_CHARS, ScreenError, get_screener
from monitor.web.deps import SessionDep, SettingsDep

router = APIRouter(prefix="/entities", tags=["entities"])


class ScreenMatchPublic(BaseModel):
    """One candidate entity: its best-matching alias, the score and why."""

    entity_id: str = Field(examples=["us_ofac_sdn:35173"])
    dataset: str
    source_id: str
    name: str
    matched_alias: str
    score: float = Field(ge=0, le=1)
    match: bool = Field(description="score reaches the decision threshold")
    explanation: str
    referents: list[str] = Field(
        default_factory=list,
        description="every record merged into this entity across lists (`<dataset>:<id>`), its own first",
        examples=[["us_ofac_sdn:2676", "un_sc_sanctions:QDi.006"]],
    )


class ScreenResultPublic(BaseModel):
    """Candidates for one name, best first; near misses under the threshold are listed too."""

    query: str
    threshold: float
    matches: list[ScreenMatchPublic]


class EntityNamePublic(BaseModel):
    """A name of the entity: primary, alias, weak alias, original script."""

    name: str
    kind: str
    weak: bool
    lang: str | None = None


class EntityChangePublic(BaseModel):
    """What one list version did to this entity."""

    version_id: int = Field(description="id of the list load (unique across datasets)")
    version: int | None = Field(default=None, description="the load's version number within its dataset")
    change: str = Field(description="added | changed | removed")
    at: datetime
    dataset: str | None = None
    source: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class EntityPublic(BaseModel):
    """A listed person, organisation, vessel or aircraft."""

    id: str
    dataset: str
    source_id: str
    schema_: str = Field(alias="schema")
    name: str
    programs: list[str]
    countries: list[str]
    birth_dates: list[str]
    identifiers: list[Any]
    addresses: list[Any]
    remarks: str | None = None
    listed_on: date | None = None
    first_seen: datetime
    last_seen: datetime
    removed_at: datetime | None = None


class EntityRecordPublic(BaseModel):
    """One list membership of the entity: a record of one list merged into it."""

    id: str
    dataset: str
    source_id: str
    name: str
    programs: list[str]
    listed_on: str | None = None
    removed_at: str | None = None


class EntityLinkPublic(BaseModel):
    """Why two records are one entity (`same`) or, by an analyst's judgement, two (`different`)."""

    id: int
    left_id: str
    right_id: str
    judgement: str = Field(description="same | different")
    source: str = Field(description="cross-reference | strong-match | analyst")
    reason: str
    evidence: dict[str, Any]
    actor: str
    created_at: datetime


class EntityLinksPublic(BaseModel):
    """The entity a record belongs to: its records on every list and the links that join them."""

    entity_id: str
    referents: list[str]
    records: list[EntityRecordPublic]
    links: list[EntityLinkPublic]


class LinkCreate(BaseModel):
    """An analyst's judgement on two records."""

    other: str = Field(max_length=200, description="the other record's id, `<dataset>:<id>`")
    judgement: str = Field(description="same (merge the two) | different (keep them apart)")
    reason: str = Field(min_length=1, max_length=2000, description="why, for the audit trail")


class EntityDetail(BaseModel):
    """The entity, its names, list history (oldest first) and the alerts that mention it (newest first)."""

    entity: EntityPublic
    referents: list[str] = Field(description="every record merged into this entity, its own first")
    records: list[EntityRecordPublic] = Field(description="the entity's list memberships, one per record")
    names: list[EntityNamePublic]
    programs: list[str]
    identifiers: list[Any]
    history: list[EntityChangePublic]
    alerts: Page[AlertPublic]


@router.get("/screen", response_model=ScreenResultPublic, summary="Screen a name against the loaded lists")
async def screen_name(
    session: SessionDep,
    settings: SettingsDep,
    name: Annotated[str, Query(description="person, organisation or vessel name, any script")],
    schema: Annotated[str | None, Query(max_length=32, description="person, organization, vessel, aircraft")] = None,
    birth_year: Annotated[int | None, Query(ge=1800, le=2100, description="raises matches born that year")] = None,
    country: Annotated[str | None, Query(max_length=64, description="ISO 3166 code or country name")] = None,
    dataset: Annotated[list[str], Query(description="only these datasets (repeatable)")] = [],  # noqa: B006
    threshold: Annotated[float | None, Query(ge=0, le=1, description="decision threshold")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> Response:
    """Candidates for `name`, best first, each with a score in [0, 1] and an explanation of the parts."""
    if len(name) > MAX_QUERY_CHARS:
        raise validation_error("query.name", f"name too long: {len(name)} characters (at most {MAX_QUERY_CHARS})")

    def run() -> dict[str, Any]:
        screener = get_screener(session, settings)
        return screener.screen(
            name, schema=schema, birth_year=birth_year, country=country, datasets=dataset,
            threshold=threshold, limit=limit,
        ).to_json()  # fmt: skip

    try:
        body = await run_in_threadpool(run)  # building the index and scoring are CPU work
    except ScreenError as exc:
        message = str(exc)
        field = "query.country" if message.startswith("unknown country") else "query.name"
        if message.startswith("unknown schema"):
            field = "query.schema"
        raise validation_error(field, message) from None
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")


@router.get("/{entity_id}", response_model=EntityDetail, summary="One listed entity with its history and alerts")
def get_entity(
    entity_id: str,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=500, description="alerts per page")] = 50,
) -> Response:
    """The entity, its names, programs, identifiers, list history and every alert that mentions it."""
    try:
        body = entity_detail(session, entity_id, cursor, limit)
    except InvalidCursor as exc:
        raise validation_error("query.cursor", str(exc)) from None
    if body is None:
        raise not_found("entity", entity_id)
    return Response(json.dumps(body, ensure_ascii=False, default=str), media_type="application/json")


def _link_error(exc: LinkError, field: str) -> ApiError:
    message = str(exc)
    if message.startswith("no entity"):
        return ApiError(404, message)
    return validation_error(field, message)


@router.get("/{entity_id}/links", response_model=EntityLinksPublic, summary="The records merged into this entity")
def get_links(entity_id: str, session: SessionDep) -> EntityLinksPublic:
    """Every record of every list merged with this one, and each link with its reason and who made it."""
    try:
        merged = entity_links(session, entity_id)
    except LinkError as exc:
        raise _link_error(exc, "path.entity_id") from None
    return EntityLinksPublic.model_validate(
        {"entity_id": merged.entity_id, "referents": merged.referents, "records": merged.records, "links": merged.links}
    )


@router.post(
    "/{entity_id}/links",
    response_model=EntityLinkPublic,
    status_code=201,
    summary="Merge or part two records (analyst)",
)
def post_link(entity_id: str, body: LinkCreate, session: SessionDep, key: AnalystKey) -> EntityLinkPublic:
    """Judge two records one entity (`same`) or two (`different`), with a reason; audited, reversible."""
    try:
        row = judge(session, entity_id, body.other, body.judgement, body.reason, key.actor)
    except LinkError as exc:
        raise _link_error(exc, "body.judgement" if "judgement" in str(exc) else "body.other") from None
    return EntityLinkPublic.model_validate(link_public(row))


@router.delete("/{entity_id}/links/{other}", response_model=EntityLinkPublic, summary="Withdraw a judgement (analyst)")
def delete_link(entity_id: str, other: str, session: SessionDep, key: AnalystKey) -> EntityLinkPublic:
    """Withdraw the analyst's judgement on two records: the links derived from the lists apply again."""
    try:
        row = withdraw(session, entity_id, other, key.actor)
    except LinkError as exc:
        raise _link_error(exc, "path.other") from None
    return EntityLinkPublic.model_validate(link_public(row))
