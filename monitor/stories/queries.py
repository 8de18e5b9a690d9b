"""Reading stories for the API and the console: the queue (one row per story) and one story whole."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from monitor.matching.types import SEVERITY_RANK
from monitor.models import Alert, Article, Entity, Story, StoryArticle


@dataclass(frozen=True)
class StoryFilter:
    """Which stories to list; None means any. By default only stories with an alert (the queue)."""

    status: str | None = None
    min_severity: str | None = None
    rule: str | None = None
    entity_id: str | None = None
    since: datetime | None = None
    include_quiet: bool = False  # stories without any alert too


def list_stories(session: Session, flt: StoryFilter, *, limit: int = 50, offset: int = 0) -> list[Story]:
    """Stories newest activity first (merged-away stories never appear)."""
    query = select(Story).where(col(Story.merged_into_id).is_(None))
    if not flt.include_quiet:
        query = query.where(col(Story.alert_count) > 0)
    if flt.status:
        query = query.where(col(Story.status) == flt.status)
    if flt.min_severity:
        query = query.where(col(Story.severity_rank) >= SEVERITY_RANK.get(flt.min_severity, 0))
    if flt.since is not None:
        query = query.where(col(Story.last_seen) >= flt.since)
    if flt.rule or flt.entity_id:
        # rules and entities live in JSON: narrow by the alerts' columns instead
        sub = select(StoryArticle.story_id).join(Alert, col(Alert.article_id) == col(StoryArticle.article_id))
        if flt.rule:
            sub = sub.where(col(Alert.rule_id) == flt.rule)
        if flt.entity_id:
            from monitor.models import AlertEntity

            sub = sub.join(AlertEntity, col(AlertEntity.alert_id) == col(Alert.id)).where(
                col(AlertEntity.entity_id) == flt.entity_id)
        query = query.where(col(Story.id).in_(sub))
    query = query.order_by(col(Story.last_seen).desc(), col(Story.id).desc()).offset(offset).limit(limit)
    return list(session.exec(query).all())


def entity_names(session: Session, entity_ids: list[str]) -> dict[str, str]:
    """Display names of listed entities by id."""
    if not entity_ids:
        return {}
    rows = session.exec(select(Entity.id, Entity.name).where(col(Entity.id).in_(entity_ids))).all()
    return dict(rows)


def story_articles(session: Session, story_id: int) -> list[dict[str, Any]]:
    """The story's articles, oldest first, each with its alerts (rule, severity, score, status)."""
    rows = session.exec(
        select(Article, StoryArticle).join(StoryArticle, col(StoryArticle.article_id) == col(Article.id))
        .where(col(StoryArticle.story_id) == story_id).order_by(col(Article.published_at), col(Article.id))
    ).all()
    ids = [a.id for a, _ in rows]
    alerts: dict[int, list[Alert]] = {}
    for alert in session.exec(select(Alert).where(col(Alert.article_id).in_(ids))).all():
        alerts.setdefault(alert.article_id, []).append(alert)
    return [
        {"id": a.id, "title": a.title, "url": a.url, "feed_id": a.feed_id, "published_at": a.published_at,
         "fetched_at": a.fetched_at, "pinned": link.pinned, "score": link.score,
         "alerts": [{"id": x.id, "rule": x.rule_id, "severity": x.severity, "score": x.score, "status": x.status,
                     "suppressed": x.suppressed} for x in alerts.get(a.id or 0, [])]}
        for a, link in rows
    ]
