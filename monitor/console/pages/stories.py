"""Story queue (one row per event, whatever the number of outlets), a story's page, review per story."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from monitor.alerts.queries import STATUSES
from monitor.console.session import UserDep
from monitor.console.web import redirect, render
from monitor.models import Story
from monitor.stories.queries import StoryFilter, entity_names, list_stories, story_articles
from monitor.stories.review import StoryError, review_story
from monitor.web.deps import SessionDep

router = APIRouter()
PAGE = 50


@router.get("/stories")
def story_queue(
    request: Request,
    session: SessionDep,
    user: UserDep,
    status: Annotated[str, Query(max_length=16)] = "new",
    page: Annotated[int, Query(ge=1, le=10000)] = 1,
) -> Response:
    """Stories with alerts, most recent activity first, filtered by review status."""
    flt = StoryFilter(status=status if status in STATUSES else None)
    stories = list_stories(session, flt, limit=PAGE + 1, offset=(page - 1) * PAGE)
    return render(request, "stories.html", user, section="stories", stories=stories[:PAGE], status=status,
                  statuses=STATUSES, page=page, more=len(stories) > PAGE)


@router.get("/stories/{story_id}")
def story_page(request: Request, session: SessionDep, user: UserDep, story_id: int) -> Response:
    """One story: its outlets, entities, rules and every article with its alerts."""
    story = session.get(Story, story_id) if 0 < story_id < 2**31 else None
    if story is None:
        return render(request, "error.html", user, title="Story not found",
                      message=f"There is no story {story_id}.", status_code=404)
    names = entity_names(session, story.entity_ids)
    return render(request, "story.html", user, section="stories", story=story, names=names,
                  articles=story_articles(session, story_id), statuses=STATUSES)


@router.post("/stories/{story_id}/review")
def story_review(
    session: SessionDep,
    user: UserDep,
    story_id: int,
    status: Annotated[str, Form()],
    reason: Annotated[str, Form(max_length=200)] = "",
    note: Annotated[str, Form(max_length=10000)] = "",
) -> Response:
    """Review the whole story: every alert of its articles takes the status (audited once)."""
    user.require("analyst")
    back = f"/stories/{story_id}"
    if not reason.strip():
        return redirect(back, error="A reason is required for every review decision.")
    try:
        review_story(session, story_id, status, actor=user.actor, reason=reason.strip(), note=note.strip() or None)
    except StoryError as exc:
        session.rollback()
        return redirect(back, error=str(exc))
    session.commit()  # durable before the browser follows the redirect
    return redirect(back, message="Review recorded for every alert of the story.")
