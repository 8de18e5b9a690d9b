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
        if flt.rule:  # an alert carrying that rule's label, not suppressed
            from monitor.models import AlertLabel

            sub = sub.join(AlertLabel, col(AlertLabel.alert_id) == col(Alert.id)).where(
                col(AlertLabel.rule_id) == flt.rule, col(AlertLabel.suppressed).is_(False))
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
         "alerts": [{"id": x.id, "rule": x.rule_id, "rules": list(x.rules or [x.rule_id]), "severity": x.severity,
                     "score": x.score, "status": x.status,
                     "suppressed": x.suppressed} for x in alerts.get(a.id or 0, [])]}
        for a, link in rows
    ]


def stories_of_alerts(session: Session, alerts: list[Alert]) -> list[dict[str, Any]]:
    """The stories these alerts belong to, most severe first: what a digest lists (an alert of an article
    not yet in a story stands alone). Each: id, title, number of outlets (the whole story's), outlets,
    alerts and articles among these, highest severity, rules."""
    article_ids = {a.article_id for a in alerts}
    links = dict(session.exec(
        select(StoryArticle.article_id, StoryArticle.story_id).where(col(StoryArticle.article_id).in_(article_ids))
    ).all()) if article_ids else {}
    stories = {s.id: s for s in session.exec(select(Story).where(col(Story.id).in_(set(links.values()))))} \
        if links else {}
    groups: dict[str, dict[str, Any]] = {}
    for alert in alerts:
        story = stories.get(links.get(alert.article_id, 0))
        key = f"story:{story.id}" if story is not None else f"article:{alert.article_id}"
        group = groups.setdefault(key, {
            "story_id": story.id if story is not None else None,
            "title": story.title if story is not None else alert.title,
            "sources": list(story.sources) if story is not None else [],
            "source_count": len(story.sources) if story is not None else 1,
            "alerts": 0, "articles": set(), "severity": alert.severity, "severity_rank": 0, "rules": set()})
        group["alerts"] += 1
        group["articles"].add(alert.article_id)
        group["rules"].update(alert.rules or [alert.rule_id])
        if alert.severity_rank > group["severity_rank"]:
            group["severity"], group["severity_rank"] = alert.severity, alert.severity_rank
    out = []
    for group in groups.values():
        out.append({**group, "articles": len(group["articles"]), "rules": sorted(group["rules"])})
    out.sort(key=lambda g: (-g["severity_rank"], -g["source_count"], -g["alerts"]))
    for group in out:
        del group["severity_rank"]
    return out


def story_summary(session: Session, article_id: int) -> dict[str, Any] | None:
    """The story an article is in, as a message carries it (None while the article is in none).

    Only what does not change as the story grows: a retried message must carry the same data
    under its webhook-id (Standard Webhooks), and the story's counts, outlets and even its first
    time (an earlier-published report may join) change between attempts; receivers read them
    from the API (`/api/v1/stories/{id}`)."""
    link = session.get(StoryArticle, article_id)
    story = session.get(Story, link.story_id) if link is not None else None
    while story is not None and story.merged_into_id is not None:
        story = session.get(Story, story.merged_into_id)
    if story is None:
        return None
    return {"id": story.id, "title": story.title}
