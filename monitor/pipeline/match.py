"""Matching stored articles: scan, store the alert (`monitor.alerts.store`), queue its deliveries
(`monitor.notify.outbox`), place the article in a story and queue the deliveries of subscriptions
delivered per story (`monitor.notify.story_outbox`), all in one transaction.

The worker's `match` task, the sweep of articles left unmatched, `feeds poll --once`, re-screening
and the tests all come through `match_and_store`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import Session, col, select

from monitor.alerts.matcher_cache import current_matcher
from monitor.alerts.store import StoreResult, article_input, store_scan
from monitor.matching.engine import Matcher
from monitor.models import Article, Story, utcnow
from monitor.notify.outbox import enqueue_for_alert
from monitor.notify.story_outbox import enqueue_for_story
from monitor.settings import Settings
from monitor.stories.store import forget_window, place_article

log = logging.getLogger(__name__)

SWEEP_AGE = timedelta(minutes=2)
SWEEP_BATCH = 500


def match_and_store(session: Session, article: Article, matcher: Matcher, *, rescreen: bool = False) -> StoreResult:
    """Scan a stored article, store its mentions and its alert's new labels (idempotent per article),
    queue the deliveries of what is new and place the article in a story."""
    if article.id is None:
        session.add(article)
        session.flush()
    result = store_scan(session, article, matcher.scan(article_input(article)), matcher, rescreen=rescreen)
    for alert, new_labels in result.to_notify:
        result.deliveries.extend(enqueue_for_alert(session, alert, new_labels))
    story = _place_in_story(session, article)
    if story is not None:
        # subscriptions delivered per story, in the same transaction as the alert and the placement
        result.deliveries.extend(enqueue_for_story(session, story, result.alert))
    return result


def _place_in_story(session: Session, article: Article) -> Story | None:
    # grouping must never cost an article its alerts: a failure is logged and the article stays
    # out of a story (a later re-match places it)
    try:
        with session.begin_nested():
            return place_article(session, article)
    except Exception:
        forget_window(session)  # the window may hold what the savepoint rolled back
        log.exception("stories: article %s not placed", article.id)
        return None


def match_article_id(session: Session, settings: Settings, article_id: int) -> list[int]:
    """Match one stored article with the current matcher; the ids of the deliveries created."""
    article = session.get(Article, article_id)
    if article is None:
        log.warning("match: article %s is gone", article_id)
        return []
    result = match_and_store(session, article, current_matcher(session, settings))
    session.flush()
    return [d.id for d in result.deliveries if d.id is not None]


@dataclass
class MatchSummary:
    """What matching a batch of stored articles did."""

    matched: int = 0
    alerts: int = 0
    delivery_ids: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def match_articles(session: Session, settings: Settings, article_ids: Iterable[int]) -> MatchSummary:
    """Match these stored articles now, each in its own savepoint (one that fails is logged,
    left unmatched for the sweep, and never stops the others); the caller commits."""
    summary = MatchSummary()
    matcher = None
    for article_id in article_ids:
        article = session.get(Article, article_id)
        if article is None:
            continue
        matcher = matcher or current_matcher(session, settings)
        try:
            with session.begin_nested():
                result = match_and_store(session, article, matcher)
        except Exception:  # a bug on one article must not stall the batch
            log.exception("match: article %s failed, left for the next sweep", article_id)
            summary.failed.append(article_id)
            continue
        summary.matched += 1
        summary.alerts += len(result.alerts_created)
        summary.delivery_ids.extend(d.id for d in result.deliveries if d.id is not None)
    return summary


def match_unmatched(session: Session, settings: Settings, *, older_than: timedelta = SWEEP_AGE,
                    limit: int = SWEEP_BATCH) -> tuple[int, list[int]]:
    """Match articles left unmatched (a lost task, a crash): (articles matched, delivery ids)."""
    cutoff = utcnow() - older_than
    ids = session.exec(
        select(Article.id)
        .where(col(Article.matched_at).is_(None), col(Article.fetched_at) <= cutoff)
        .order_by(col(Article.id))
        .limit(limit)
    ).all()
    summary = match_articles(session, settings, [i for i in ids if i is not None])
    return summary.matched, summary.delivery_ids
