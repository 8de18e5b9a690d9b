"""/stories: the triage queue one row per story (outlets, first and last seen, entities, rules, highest
severity), one story whole, and the analyst's decisions: review (applies to every alert of the
story, audited once), merge and split (remembered by grouping)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from monitor.api.auth import AnalystKey
from monitor.api.errors import ApiError, not_found, validation_error
from monitor.api.params import MAX_ID, IdPath
from monitor.models import Story, UtcDatetime
from monitor.schemas import Severity, Status
from monitor.stories.queries import StoryFilter, entity_names, list_stories, story_articles
from monitor.stories.review import StoryError, merge_stories, review_story, split_story
from monitor.web.deps import SessionDep

router = APIRouter(prefix="/stories", tags=["stories"])


class StoryPublic(BaseModel):
    """One story in the queue."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    first_seen: datetime
    last_seen: datetime
    article_count: int
    source_count: int = 0
    sources: list[str]
    entity_ids: list[str]
    rules: list[str]
    alert_count: int
    severity: str | None
    status: str
    reviewed_at: datetime | None
    reviewed_by: str | None
    follows_id: int | None
    merged_into_id: int | None


class StoryEntity(BaseModel):
    """A listed entity named in the story's alerts."""

    entity_id: str
    name: str | None


class StoryDetail(StoryPublic):
    """A story with its articles (each with its alerts) and the names of its entities."""

    entities: list[StoryEntity]
    articles: list[dict[str, Any]]


class StoryReview(BaseModel):
    """A review of a whole story."""

    model_config = ConfigDict(extra="forbid")

    status: Status
    reason: str = Field(min_length=1, max_length=200)
    note: str | None = Field(None, max_length=10000)


class StoryReviewed(StoryPublic):
    """The reviewed story and how many alerts the review set."""

    alerts_updated: int


class StoryMerge(BaseModel):
    """Merge another story into this one."""

    model_config = ConfigDict(extra="forbid")

    story_id: int = Field(ge=1, le=MAX_ID)
    reason: str | None = Field(None, max_length=200)


class StorySplit(BaseModel):
    """Split these articles off into a new story."""

    model_config = ConfigDict(extra="forbid")

    article_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=10000)
    reason: str | None = Field(None, max_length=200)


def public(story: Story) -> StoryPublic:
    """The API row of a story."""
    out = StoryPublic.model_validate(story)
    out.source_count = len(story.sources)
    return out


def _raise(exc: StoryError) -> ApiError:
    if exc.status == 422:
        return validation_error("body", str(exc))
    return ApiError(exc.status, str(exc))


@router.get("", response_model=list[StoryPublic], summary="The story queue")
def get_stories(
    session: SessionDep,
    status: Status | None = None,
    min_severity: Severity | None = None,
    rule: Annotated[str | None, Query(max_length=100)] = None,
    entity_id: Annotated[str | None, Query(max_length=200)] = None,
    since: UtcDatetime | None = None,
    include_quiet: Annotated[bool, Query(description="also stories without any alert")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[StoryPublic]:
    """Stories with alerts, most recent activity first: one row per event, whatever the number of outlets."""
    flt = StoryFilter(status=status, min_severity=min_severity, rule=rule, entity_id=entity_id, since=since,
                      include_quiet=include_quiet)
    return [public(s) for s in list_stories(session, flt, limit=limit, offset=offset)]


@router.get("/{story_id}", response_model=StoryDetail, summary="One story with its articles")
def get_story(story_id: IdPath, session: SessionDep) -> StoryDetail:
    """The story, its articles with their alerts, and its entities by name."""
    story = session.get(Story, story_id)
    if story is None:
        raise not_found("story", story_id)
    names = entity_names(session, story.entity_ids)
    return StoryDetail(**public(story).model_dump(),
                       entities=[StoryEntity(entity_id=e, name=names.get(e)) for e in story.entity_ids],
                       articles=story_articles(session, story_id))


@router.post("/{story_id}/review", response_model=StoryReviewed, summary="Review a story (analyst)")
def post_review(story_id: IdPath, body: StoryReview, session: SessionDep, key: AnalystKey) -> StoryReviewed:
    """Set the status of the story and of every alert of its articles; audited once as `story.review`."""
    try:
        story, count = review_story(session, story_id, body.status, actor=key.actor, reason=body.reason,
                                    note=body.note)
    except StoryError as exc:
        raise _raise(exc) from None
    return StoryReviewed(**public(story).model_dump(), alerts_updated=count)


@router.post("/{story_id}/merge", response_model=StoryPublic, summary="Merge another story into this one (analyst)")
def post_merge(story_id: IdPath, body: StoryMerge, session: SessionDep, key: AnalystKey) -> StoryPublic:
    """Move every article of `story_id` in the body into this story; grouping remembers it."""
    try:
        return public(merge_stories(session, story_id, body.story_id, actor=key.actor, reason=body.reason))
    except StoryError as exc:
        raise _raise(exc) from None


@router.post("/{story_id}/split", response_model=StoryPublic, status_code=201,
             summary="Split articles off into a new story (analyst)")
def post_split(story_id: IdPath, body: StorySplit, session: SessionDep, key: AnalystKey) -> StoryPublic:
    """Move these articles into a new story (it keeps the old story's review); grouping remembers it."""
    try:
        return public(split_story(session, story_id, body.article_ids, actor=key.actor, reason=body.reason))
    except StoryError as exc:
        raise _raise(exc) from None
