"""Delivery per story: `story.created` when a story first has an alert a subscription matches, then
`story.updated` at most every `story_update_minutes` while the story grows (another article or
outlet, a listed entity, a higher severity).

Story messages are rows of the alerts' outbox (`Delivery`, kind story.*): claimed, signed, retried,
ordered per subscription and redelivered by the same code (monitor.notify.deliver). Each row's
`payload` is the story as it stood when the message was made, so every retry and redelivery sends
the same data under the same webhook-id.

What a subscription was last told of a story is its `StoryNotice`: the snapshot its latest message
carried (an update says what changed since) and, while updates are held back, when the next one may
be made (`due_at`, turned into a message by the delivery sweep: `release_due_updates`). Notice rows
are locked while read and changed, so two workers placing reports of one story at once make one
message between them, and both rows are written in the transaction that placed the article.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from monitor.links import web_link
from monitor.models import (
    Alert,
    Article,
    Delivery,
    Entity,
    Feed,
    Story,
    StoryArticle,
    StoryNotice,
    Subscription,
    utcnow,
)
from monitor.notify.filters import alert_matches, severity_rank
from monitor.notify.outbox import entity_datasets, new_message_id
from monitor.settings import Settings

CREATED, UPDATED = "story.created", "story.updated"
KINDS = (CREATED, UPDATED)
ARTICLES_SHOWN = 20  # newest articles a message lists (a story takes up to 500)


def story_subscriptions(session: Session) -> list[Subscription]:
    """Active real-time subscriptions delivered per story, oldest first."""
    stmt = (
        select(Subscription)
        .where(col(Subscription.active).is_(True), col(Subscription.realtime).is_(True),
               col(Subscription.deliver_per) == "story", col(Subscription.status) != "disabled")
        .order_by(col(Subscription.id))
    )
    return list(session.scalars(stmt))


class _StoryView:
    """The story as messages describe it, read once per placement whatever the number of subscriptions."""

    def __init__(self, session: Session, story: Story) -> None:
        self.session, self.story = session, story
        self._articles: list[Any] | None = None
        self._data: dict[str, Any] | None = None

    def articles(self) -> list[Any]:
        """Every article of the story, oldest id first: the columns a message shows (not the texts)."""
        if self._articles is None:
            self._articles = list(self.session.execute(
                select(col(Article.id), col(Article.title), col(Article.url), col(Article.feed_id),
                       col(Article.published_at), col(Article.fetched_at))
                .join(StoryArticle, col(StoryArticle.article_id) == col(Article.id))
                .where(col(StoryArticle.story_id) == self.story.id).order_by(col(Article.id))
            ).all())
        return self._articles

    def baseline(self) -> dict[str, Any]:
        """What an update is compared with: article ids, outlets, entities, severity, rules."""
        return {
            "article_ids": [a.id for a in self.articles()],
            "sources": list(self.story.sources),
            "entity_ids": sorted(self.story.entity_ids),
            "severity": self.story.severity,
            "rules": sorted(self.story.rules),
        }

    def _outlets(self, articles: list[Any]) -> dict[int, str]:
        ids = {a.feed_id for a in articles if a.feed_id is not None}
        if not ids:
            return {}
        feeds = self.session.scalars(select(Feed).where(col(Feed.id).in_(ids)))
        return {f.id: f.title or urlsplit(f.url).netloc or f.url for f in feeds if f.id is not None}

    def article_items(self, ids: set[int] | None = None) -> list[dict[str, Any]]:
        """The newest articles (of `ids` when given), newest first, at most ARTICLES_SHOWN."""
        chosen = [a for a in self.articles() if ids is None or a.id in ids]
        chosen = sorted(chosen, key=lambda a: (a.published_at or a.fetched_at, a.id or 0), reverse=True)
        chosen = chosen[:ARTICLES_SHOWN]
        outlets = self._outlets(chosen)
        return [
            {"id": a.id, "title": a.title or "", "url": web_link(a.url),
             "source": outlets.get(a.feed_id or 0, ""),
             "published_at": (a.published_at or a.fetched_at).isoformat()}
            for a in chosen
        ]

    def entities(self, entity_ids: list[str]) -> list[dict[str, Any]]:
        """Listed entities by id with their names and datasets."""
        if not entity_ids:
            return []
        found = {e.id: e for e in self.session.scalars(select(Entity).where(col(Entity.id).in_(entity_ids)))}
        return [
            {"entity_id": eid, "name": found[eid].name if eid in found else None,
             "dataset": found[eid].dataset if eid in found else eid.split(":", 1)[0]}
            for eid in entity_ids
        ]

    def data(self) -> dict[str, Any]:
        """The story as a message carries it (its links are added when it is sent: `story_message_data`)."""
        if self._data is None:
            s = self.story
            self._data = {
                "id": s.id,
                "title": s.title,
                "status": s.status,
                "first_seen": s.first_seen.isoformat(),
                "last_seen": s.last_seen.isoformat(),
                "article_count": len(self.articles()),
                "source_count": len(s.sources),
                "sources": list(s.sources),
                "entities": self.entities(sorted(s.entity_ids)),
                "rules": sorted(s.rules),
                "severity": s.severity,
                "follows_id": s.follows_id,
                "merged_story_ids": merged_into(self.session, s.id or 0),
                "articles": self.article_items(),
            }
        return self._data


def changes(before: dict[str, Any], now: dict[str, Any]) -> dict[str, Any]:
    """What grew between two baselines: new article ids, outlets, entities and rules, a higher severity."""
    old_articles = set(before.get("article_ids") or ())
    higher = severity_rank(now.get("severity")) > severity_rank(before.get("severity"))
    return {
        "article_ids": [a for a in now["article_ids"] if a not in old_articles],
        "sources": [s for s in now["sources"] if s not in set(before.get("sources") or ())],
        "entity_ids": [e for e in now["entity_ids"] if e not in set(before.get("entity_ids") or ())],
        "severity": {"from": before.get("severity"), "to": now.get("severity")} if higher else None,
        "rules": [r for r in now["rules"] if r not in set(before.get("rules") or ())],
    }


def grew(diff: dict[str, Any]) -> bool:
    """True when a story grew in a way an update is sent for (article, outlet, entity, severity)."""
    return bool(diff["article_ids"] or diff["sources"] or diff["entity_ids"] or diff["severity"])


def _message(session: Session, view: _StoryView, sub: Subscription, notice: StoryNotice, kind: str,
             now: datetime) -> Delivery:
    """Write one story message to the outbox (its data frozen now) and record it on the notice."""
    current = view.baseline()
    data = dict(view.data())
    if kind == UPDATED:
        diff = changes(notice.snapshot, current)
        data["changes"] = {
            "articles": view.article_items(set(diff["article_ids"])),
            "article_count": len(diff["article_ids"]),
            "sources": diff["sources"],
            "entities": view.entities(diff["entity_ids"]),
            "severity": diff["severity"],
            "rules": diff["rules"],
            "since": notice.last_message_at.isoformat(),
        }
    else:
        data["changes"] = None
    delivery = Delivery(subscription_id=sub.id or 0, story_id=view.story.id, kind=kind, payload=data,
                        message_id=new_message_id(), status="pending", attempts=0, next_attempt_at=now,
                        created_at=now)
    session.add(delivery)
    session.flush()
    notice.snapshot, notice.last_message_at, notice.last_delivery_id = current, now, delivery.id
    notice.due_at = None
    session.add(notice)
    session.flush()
    return delivery


def _update_if_grown(session: Session, view: _StoryView, sub: Subscription, notice: StoryNotice,
                     now: datetime) -> Delivery | None:
    """A `story.updated` message now if the story grew since the notice's last message and the
    subscription's interval has passed; if it grew sooner, the notice is made due at the interval's end."""
    if notice.due_at is not None and notice.due_at > now:
        return None  # already due later: that update will carry this growth too
    if not grew(changes(notice.snapshot, view.baseline())):
        notice.due_at = None
        session.add(notice)
        return None
    earliest = notice.last_message_at + timedelta(minutes=sub.story_update_minutes)
    if now < earliest:
        notice.due_at = earliest
        session.add(notice)
        session.flush()
        return None
    return _message(session, view, sub, notice, UPDATED, now)


def _insert_notice(session: Session, story_id: int, sub_id: int, **values: Any) -> bool:
    """Insert the (story, subscription) notice unless it exists; True when this call inserted it."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(StoryNotice)
        .values(story_id=story_id, subscription_id=sub_id, **values)
        .on_conflict_do_nothing(index_elements=["story_id", "subscription_id"])
        .returning(col(StoryNotice.story_id))
    )
    return session.execute(stmt).scalar() is not None


def _locked_notice(session: Session, story_id: int, sub_id: int) -> StoryNotice | None:
    stmt = (
        select(StoryNotice)
        .where(col(StoryNotice.story_id) == story_id, col(StoryNotice.subscription_id) == sub_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).first()


def merged_into(session: Session, story_id: int) -> list[int]:
    """Ids of the stories merged into this one, directly or through another merged one."""
    found: list[int] = []
    frontier = [story_id]
    while frontier and len(found) < 1000:
        ids = [i for i in session.scalars(select(col(Story.id)).where(col(Story.merged_into_id).in_(frontier)))
               if i is not None and i not in found and i != story_id]
        found.extend(ids)
        frontier = ids
    return found


def _adopt_merged(session: Session, story_id: int, known: set[int]) -> set[int]:
    """Subscriptions told of a story an analyst merged into this one are told of this one from now on:
    their notice of the merged story is carried over (what they were told, when), so their next message
    is a `story.updated` of this story saying what it has beyond what they knew."""
    merged = merged_into(session, story_id)
    if not merged:
        return set()
    adopted: set[int] = set()
    rows = session.scalars(select(StoryNotice).where(col(StoryNotice.story_id).in_(merged))
                           .order_by(col(StoryNotice.last_message_at).desc()))
    for old in list(rows):
        if old.subscription_id in known or old.subscription_id in adopted:
            continue
        _insert_notice(session, story_id, old.subscription_id, first_at=old.first_at,
                       last_message_at=old.last_message_at, last_delivery_id=old.last_delivery_id,
                       snapshot=old.snapshot)
        adopted.add(old.subscription_id)
    return adopted


def enqueue_for_story(session: Session, story: Story, alert: Alert | None,
                      now: datetime | None = None) -> list[Delivery]:
    """After an article was placed in `story` (or re-matched there), with its alert if it has one: a
    `story.created` for each subscription delivered per story that the alert matches and that was
    never told of the story, and a `story.updated` (now, or when the interval ends) for each that was.

    Returns the deliveries made now; the caller queues `monitor.deliver` for each after commit."""
    subs = story_subscriptions(session)
    if not subs or story.id is None:
        return []
    now = now or utcnow()
    known = set(session.scalars(
        select(col(StoryNotice.subscription_id)).where(col(StoryNotice.story_id) == story.id)))
    known |= _adopt_merged(session, story.id, known)
    passes = alert is not None and not alert.suppressed
    datasets = entity_datasets(session, alert) if passes and alert is not None else set()
    view = _StoryView(session, story)
    made: list[Delivery] = []
    for sub in subs:
        assert sub.id is not None
        if sub.id not in known:
            if not passes or alert is None or not alert_matches(sub, alert, datasets):
                continue
            if _insert_notice(session, story.id, sub.id, first_at=now, last_message_at=now, snapshot={}):
                notice = _locked_notice(session, story.id, sub.id)
                assert notice is not None
                made.append(_message(session, view, sub, notice, CREATED, now))
                continue
        notice = _locked_notice(session, story.id, sub.id)  # another worker's, just committed
        if notice is not None:
            delivery = _update_if_grown(session, view, sub, notice, now)
            if delivery is not None:
                made.append(delivery)
    return made


def release_due_updates(session: Session, now: datetime | None = None, limit: int = 200) -> list[int]:
    """The sweep's part: make the `story.updated` messages whose interval has ended (the story grew
    meanwhile); commits, returns their delivery ids."""
    now = now or utcnow()
    stmt = (
        select(StoryNotice).where(col(StoryNotice.due_at) <= now)
        .order_by(col(StoryNotice.due_at)).limit(limit).execution_options(populate_existing=True)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)  # concurrent sweeps split the notices
    made: list[int] = []
    for notice in list(session.scalars(stmt)):
        sub = session.get(Subscription, notice.subscription_id)
        story = session.get(Story, notice.story_id)
        notice.due_at = None
        session.add(notice)
        wanted = (sub is not None and sub.active and sub.realtime and sub.deliver_per == "story"
                  and sub.status != "disabled")
        # a story merged into another: its articles are the other's now, whose own notices tell of it
        if not wanted or sub is None or story is None or story.merged_into_id is not None:
            continue
        delivery = _update_if_grown(session, _StoryView(session, story), sub, notice, now)
        if delivery is not None and delivery.id is not None:
            made.append(delivery.id)
    session.commit()
    return made


def story_message_data(delivery: Delivery, settings: Settings) -> dict[str, Any]:
    """A story message's data as sent: the frozen story with its links (the API's and the console's)."""
    data = dict(delivery.payload or {})
    base, story_id = settings.public_base_url, data.get("id")
    return {"id": story_id, "url": f"{base}/api/v1/stories/{story_id}", "review_url": f"{base}/stories/{story_id}",
            **data}
