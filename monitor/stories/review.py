"""An analyst's decisions on stories: review one (applies to its articles' alerts), merge two, split one.

A review sets the status of every alert of the story's articles (each alert's own trail gets an
entry, so `/alerts/{id}/history` stays complete) and is audited once, as one `story.review` event.
Merges and splits are audited (`story.merge`, `story.split`), pin the moved articles (grouping never
moves them again) and bump the edit counter so that every worker's grouping window is rebuilt from
the database: the service remembers the analyst's grouping.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from monitor.alerts.queries import STATUSES
from monitor.models import AlertReview, AuditEvent, Story, StoryArticle, utcnow
from monitor.stories.store import _story_alerts, bump_edits, refresh_story, resolve


class StoryError(ValueError):
    """A story decision that cannot be made (unknown story, status or article); `status` is the HTTP code."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def _story(session: Session, story_id: int) -> Story:
    story = session.get(Story, story_id)
    if story is None:
        raise StoryError(f"story {story_id} not found", 404)
    if story.merged_into_id is not None:
        raise StoryError(f"story {story_id} was merged into story {story.merged_into_id}", 409)
    return story


def review_story(session: Session, story_id: int, status: str, *, actor: str, reason: str | None = None,
                 note: str | None = None) -> tuple[Story, int]:
    """Set the story's status and every one of its alerts' (each alert's trail gets an entry); audited once."""
    if status not in STATUSES:
        raise StoryError(f"unknown status {status!r}; expected one of {', '.join(STATUSES)}")
    story = _story(session, story_id)
    alerts = _story_alerts(session, story_id)
    for alert in alerts:
        session.add(AlertReview(alert_id=alert.id or 0, actor=actor, from_status=alert.status, to_status=status,
                                reason=reason or "story review", note=note))
        alert.status = status
        alert.updated_at = utcnow()
        session.add(alert)
    session.add(AuditEvent(actor=actor, action="story.review", object_type="story", object_id=str(story_id),
                           detail={"from": story.status, "to": status, "reason": reason, "note": note,
                                   "alerts": len(alerts)}))
    story.status = status
    story.reviewed_at = utcnow()
    story.reviewed_by = actor
    story.updated_at = utcnow()
    session.add(story)
    session.flush()
    return story, len(alerts)


def _move(session: Session, article_ids: list[int], target: Story) -> None:
    for article_id in article_ids:
        link = session.get(StoryArticle, article_id)
        if link is None:
            continue
        link.story_id = target.id  # type: ignore[assignment]
        link.pinned = True
        session.add(link)
    session.flush()


def merge_stories(session: Session, into_id: int, other_id: int, *, actor: str, reason: str | None = None) -> Story:
    """Move every article of `other_id` into `into_id`; the other story forwards to it from now on."""
    if into_id == other_id:
        raise StoryError("a story cannot be merged into itself")
    into, other = _story(session, into_id), _story(session, other_id)
    ids = list(session.exec(select(StoryArticle.article_id).where(col(StoryArticle.story_id) == other_id)).all())
    _move(session, ids, into)
    other.merged_into_id = into.id
    other.article_count = 0
    other.updated_at = utcnow()
    session.add(other)
    session.add(AuditEvent(actor=actor, action="story.merge", object_type="story", object_id=str(into_id),
                           detail={"merged": other_id, "articles": ids, "reason": reason}))
    refresh_story(session, into)
    bump_edits(session)
    return into


def split_story(session: Session, story_id: int, article_ids: list[int], *, actor: str,
                reason: str | None = None) -> Story:
    """Move these articles of the story into a new story of their own (it keeps the old one's review)."""
    story = _story(session, story_id)
    members = set(session.exec(select(StoryArticle.article_id).where(col(StoryArticle.story_id) == story_id)).all())
    wanted = list(dict.fromkeys(article_ids))
    if not wanted:
        raise StoryError("name the articles to split off")
    strangers = [a for a in wanted if a not in members]
    if strangers:
        raise StoryError(f"articles {strangers} are not in story {story_id}")
    if len(wanted) == len(members):
        raise StoryError("a split must leave at least one article in the story")
    new = Story(title="", status=story.status, reviewed_at=story.reviewed_at, reviewed_by=story.reviewed_by)
    session.add(new)
    session.flush()
    _move(session, wanted, new)
    # the story keeps its articles pinned too: the analyst has ruled on them
    _move(session, [a for a in members if a not in wanted], story)
    session.add(AuditEvent(actor=actor, action="story.split", object_type="story", object_id=str(story_id),
                           detail={"new_story": new.id, "articles": wanted, "reason": reason}))
    refresh_story(session, story)
    refresh_story(session, new)
    bump_edits(session)
    return new


def current(session: Session, story_id: int) -> Story | None:
    """The story by id, or the story it was merged into."""
    return resolve(session, story_id)
