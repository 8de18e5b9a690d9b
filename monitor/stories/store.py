"""Placing stored articles into stories as they are matched, and keeping each story's triage row current.

`place_article` runs after matching (monitor.pipeline.match) for every stored article: it feeds the
pure grouping stage (monitor.grouping) the article and records the story it chose in `story_article`.
Each worker process keeps the grouping window in memory (`_Window`): it is filled from the database
on first use with the articles placed in the last news cycle, then catches up with the placements
made by other processes before each article, and is rebuilt when an analyst splits or merges (a
counter in `key_value`). The story row carries what the queue shows (outlets, first and last seen,
entities, rules, highest severity); a story that an analyst has reviewed stays reviewed when another
outlet joins it, and its review is applied to the newcomer's alerts, unless the newcomer brings a
listed entity or a severity the story did not have: then the story is reopened (audited).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from sqlmodel import Session, col, func, select

from monitor.grouping.grouper import StoryArticle as GroupingInput
from monitor.grouping.grouper import StoryGrouper
from monitor.models import (
    Alert,
    AlertReview,
    Article,
    AuditEvent,
    Feed,
    KeyValue,
    Story,
    StoryArticle,
    utcnow,
)

log = logging.getLogger(__name__)

EDITS_KEY = "stories.edits"  # bumped by every split and merge: windows rebuild from the database
SYSTEM_ACTOR = "system:stories"
_LOCK = threading.Lock()


@dataclass
class _Window:
    grouper: StoryGrouper
    last_article_id: int = 0
    edits: str = ""
    placed: set[int] = field(default_factory=set)
    checked_at: float = float("-inf")


# How often a window looks for other workers' placements and for analysts' edits: at most this
# stale, so a placement costs no extra queries most of the time (reports of one event from two
# workers within this interval may start two stories, as they may anyway at the same instant).
CATCH_UP_SECONDS = 2.0


_WINDOWS: dict[str, _Window] = {}


def _edits(session: Session) -> str:
    row = session.get(KeyValue, EDITS_KEY)
    return row.value if row is not None else "0"


def bump_edits(session: Session) -> None:
    """Tell every process's window that stories were edited by hand (split, merge)."""
    _WINDOWS.pop(_bind_key(session), None)  # this process rebuilds at once
    row = session.get(KeyValue, EDITS_KEY)
    if row is None:
        session.add(KeyValue(key=EDITS_KEY, value="1"))
    else:
        row.value = str(int(row.value) + 1)
        row.updated_at = utcnow()
        session.add(row)
    session.flush()


def _outlet(session: Session, article: Article, cache: dict[int, str] | None = None) -> str:
    if article.feed_id is None:
        return ""
    if cache is not None and article.feed_id in cache:
        return cache[article.feed_id]
    feed = session.get(Feed, article.feed_id)
    name = "" if feed is None else (feed.title or urlsplit(feed.url).netloc or feed.url)
    if cache is not None:
        cache[article.feed_id] = name
    return name


def grouping_input(article: Article, outlet: str) -> GroupingInput:
    """The grouping stage's view of a stored article (text only, as `stories group` reads it)."""
    return GroupingInput(id=str(article.id), title=article.title or "", text=article.text or article.summary or "",
                         source=outlet, published=article.published_at, received=article.fetched_at,
                         url=article.url or "")


def _catch_up(session: Session, window: _Window, *, initial: bool) -> None:
    query = (
        select(StoryArticle.story_id, Article)
        .join(Article, col(Article.id) == col(StoryArticle.article_id))
        .where(col(StoryArticle.article_id) > window.last_article_id)
        .order_by(col(StoryArticle.article_id))
    )
    if initial:
        # the last news cycle before the newest placed article (not before now: an imported
        # archive has its own clock)
        newest = session.exec(
            select(func.max(Article.fetched_at)).join(StoryArticle, col(StoryArticle.article_id) == col(Article.id))
        ).one()
        if newest is None:
            return
        query = query.where(col(Article.fetched_at) >= newest - timedelta(hours=window.grouper.tuning.max_gap_hours))
    feeds: dict[int, str] = {}
    for story_id, article in session.exec(query).all():
        assert article.id is not None
        window.last_article_id = max(window.last_article_id, article.id)
        if article.id in window.placed:
            continue
        window.placed.add(article.id)
        window.grouper.remember(grouping_input(article, _outlet(session, article, feeds)), str(story_id))
    # ids at or below the watermark are never read again: keep the set to this worker's newer placements
    window.placed = {i for i in window.placed if i > window.last_article_id}


def _bind_key(session: Session) -> str:
    bind = session.get_bind()
    return str(getattr(bind, "url", id(bind)))


def _window(session: Session) -> _Window:
    key = _bind_key(session)
    window = _WINDOWS.get(key)
    now = time.monotonic()
    if window is not None and now - window.checked_at < CATCH_UP_SECONDS:
        return window
    edits = _edits(session)
    initial = window is None or window.edits != edits
    if window is None or initial:
        window = _WINDOWS[key] = _Window(StoryGrouper(), edits=edits)
    _catch_up(session, window, initial=initial)
    window.checked_at = now
    return window


def resolve(session: Session, story_id: int) -> Story | None:
    """The story as it stands now: following merges to the story that absorbed it."""
    seen: set[int] = set()
    story = session.get(Story, story_id)
    while story is not None and story.merged_into_id is not None and story.id not in seen:
        seen.add(story.id)  # type: ignore[arg-type]
        story = session.get(Story, story.merged_into_id)
    return story


def _as_id(key: str | None) -> int | None:
    return int(key) if key is not None and key.isdigit() else None


def place_article(session: Session, article: Article) -> Story:
    """Put a stored, matched article into its story (idempotent) and bring the story's row up to date."""
    assert article.id is not None
    link = session.get(StoryArticle, article.id)
    if link is not None:
        story = resolve(session, link.story_id) or session.get(Story, link.story_id)
        assert story is not None
        # a re-match that brings a listed entity or a severity the story did not have reopens it,
        # as a new outlet's report would
        fresh = [a for a in session.exec(select(Alert).where(col(Alert.article_id) == article.id)).all()
                 if not a.suppressed]
        _carry_review(session, story, article, fresh, set(story.entity_ids), story.severity_rank)
        refresh_story(session, story)
        return story
    # The lock guards the in-memory window only. Row writes to an existing story happen after it
    # is released: a transaction holding one story row while waiting for the lock, and another
    # holding the lock while waiting for that row, would wait for each other for ever (a
    # deadlock PostgreSQL cannot see, half of it being in Python).
    try:
        with _LOCK:
            window = _window(session)
            outlet = _outlet(session, article)
            story, score = _place_in_window(session, window, article, outlet)
        assert story.id is not None
        session.add(StoryArticle(article_id=article.id, story_id=story.id, score=score))
        session.flush()
        _add_to_story(session, story, article, outlet)
    except BaseException:
        # the window may hold a placement whose story row is rolled back: rebuild it from the database
        forget_window(session)
        raise
    return story


def forget_window(session: Session) -> None:
    """Drop this process's grouping window for the session's database (rebuilt on next use)."""
    _WINDOWS.pop(_bind_key(session), None)


def _place_in_window(session: Session, window: _Window, article: Article, outlet: str) -> tuple[Story, float]:
    # the grouping decision, and a new story's row (an insert, which waits for no other row)
    assert article.id is not None
    placed = window.grouper.add(grouping_input(article, outlet))
    story = resolve(session, _as_id(placed.story) or 0) if placed.reason == "joined" else None
    if story is None:
        follows = resolve(session, _as_id(placed.follows) or 0) if placed.follows else None
        when = article.published_at or article.fetched_at
        story = Story(title=article.title or "", first_seen=when, last_seen=when,
                      follows_id=follows.id if follows is not None else None)
        session.add(story)
        session.flush()
    assert story.id is not None
    window.grouper.rekey(placed.story, str(story.id))
    window.placed.add(article.id)
    return story, round(placed.score, 4)


def _add_to_story(session: Session, story: Story, article: Article, outlet: str) -> None:
    """Bring the story's row up to date with one more article, reading only that article's alerts
    (the cost of a placement does not grow with the story)."""
    fresh = [a for a in session.exec(select(Alert).where(col(Alert.article_id) == article.id)).all()
             if not a.suppressed]
    _carry_review(session, story, article, fresh, set(story.entity_ids), story.severity_rank)
    when = article.published_at or article.fetched_at
    story.article_count += 1
    if outlet and outlet not in story.sources:
        story.sources = [*story.sources, outlet]
    story.first_seen = min(story.first_seen, when)
    story.last_seen = max(story.last_seen, when)
    story.entity_ids = sorted(set(story.entity_ids) | {e for a in fresh for e in a.entity_ids})
    story.rules = sorted(set(story.rules) | {rule for a in fresh for rule in (a.rules or [a.rule_id])})
    story.alert_count += len(fresh)
    top = max(fresh, key=lambda a: a.severity_rank, default=None)
    if top is not None and top.severity_rank > story.severity_rank:
        story.severity, story.severity_rank = top.severity, top.severity_rank
    story.updated_at = utcnow()
    session.add(story)
    session.flush()


def _carry_review(session: Session, story: Story, newcomer: Article, fresh: list[Alert], old_entities: set[str],
                  old_rank: int) -> None:
    """A reviewed story keeps its review for another outlet's report, unless that brings a listed entity
    or a severity the story did not have: then the story is reopened (audited)."""
    if not fresh or story.status == "new":
        return
    brings = {e for a in fresh for e in a.entity_ids} - old_entities
    higher = max(a.severity_rank for a in fresh) > old_rank
    if brings or higher:
        session.add(AuditEvent(actor=SYSTEM_ACTOR, action="story.reopened", object_type="story",
                               object_id=str(story.id),
                               detail={"article_id": newcomer.id, "new_entities": sorted(brings),
                                       "higher_severity": higher, "was": story.status}))
        story.status = "new"
        return
    # the analyst's ruling on the story covers another outlet's report of it
    for alert in fresh:
        if alert.status == "new":
            session.add(AlertReview(alert_id=alert.id or 0, actor=SYSTEM_ACTOR, from_status=alert.status,
                                    to_status=story.status, reason="story review",
                                    note=f"story {story.id}, reviewed by {story.reviewed_by}"))
            alert.status = story.status
            alert.updated_at = utcnow()
            session.add(alert)


def _story_alerts(session: Session, story_id: int) -> list[Alert]:
    return list(session.exec(
        select(Alert).join(StoryArticle, col(StoryArticle.article_id) == col(Alert.article_id))
        .where(col(StoryArticle.story_id) == story_id)
    ).all())


def refresh_story(session: Session, story: Story) -> None:
    """Recompute the story's triage row from all its articles and alerts (after a split, merge or re-match)."""
    assert story.id is not None
    rows = session.exec(
        select(Article).join(StoryArticle, col(StoryArticle.article_id) == col(Article.id))
        .where(col(StoryArticle.story_id) == story.id).order_by(col(Article.id))
    ).all()
    feeds: dict[int, str] = {}
    sources = list(dict.fromkeys(o for o in (_outlet(session, a, feeds) for a in rows) if o))
    times = [a.published_at or a.fetched_at for a in rows]
    alerts = [a for a in _story_alerts(session, story.id) if not a.suppressed]
    top = max(alerts, key=lambda a: a.severity_rank, default=None)
    story.article_count = len(rows)
    story.sources = sources
    story.first_seen = min(times) if times else story.first_seen
    story.last_seen = max(times) if times else story.last_seen
    story.entity_ids = sorted({e for a in alerts for e in a.entity_ids})
    story.rules = sorted({rule for a in alerts for rule in (a.rules or [a.rule_id])})
    story.alert_count = len(alerts)
    story.severity = top.severity if top is not None else None
    story.severity_rank = top.severity_rank if top is not None else 0
    if rows and not story.title:
        story.title = rows[0].title or ""
    story.updated_at = utcnow()
    session.add(story)
    session.flush()
