"""Storing what the matcher found: mentions, one alert per article with every rule that fired
as its labels (`monitor.alerts.labels`), outbox rows.

`match_and_store` is idempotent per article: a re-run (a redelivered task, the sweep, a
re-screen after a list update, rules changed) adds to the article's one alert only the
labels of rules that were not on it yet; labels already there stay as first stored. The
unique constraint on the article settles a race between two workers (the loser's insert is
rolled back to a savepoint and its labels are merged into the winner's alert). Mentions are
replaced by the latest scan. A label whose every entity is covered by a suppression is
stored suppressed; an alert whose every label is suppressed is suppressed and not delivered.
Outbox rows (`monitor.notify.outbox.enqueue_for_alert`) are written in the same transaction
for the subscriptions the new labels match, so only what is new is notified; subscriptions
delivered per story get theirs once the article is placed in its story
(`monitor.notify.story_outbox.enqueue_for_story`), in that transaction too. A new label on
a dismissed alert reopens it (status `new`, with an entry in its audit trail).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from monitor.alerts import labels
from monitor.alerts.matcher_cache import current_matcher
from monitor.alerts.suppressions import find_suppression
from monitor.matching.engine import Matcher
from monitor.matching.language import detect_language
from monitor.matching.types import AlertFinding, ArticleInput, EntityFinding
from monitor.models import Alert, AlertEntity, AlertReview, Article, Delivery, Mention, Story, utcnow
from monitor.notify.outbox import enqueue_for_alert
from monitor.notify.story_outbox import enqueue_for_story
from monitor.rules.failures import record_failures
from monitor.settings import Settings

log = logging.getLogger(__name__)

SWEEP_AGE = timedelta(minutes=2)
SWEEP_BATCH = 500


@dataclass
class StoreResult:
    """What one match-and-store did: alerts created, alerts that got new labels, new deliveries."""

    alerts_created: list[Alert] = field(default_factory=list)
    alerts_updated: list[Alert] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)


def article_input(article: Article) -> ArticleInput:
    """The matcher's view of a stored article: its title and plain text."""
    return ArticleInput(
        id=str(article.id),
        title=article.title or "",
        text=article.text or article.summary or "",
        url=article.url,
        published=article.published_at,
        # rows stored before languages were detected are detected now (and stored when matched)
        language=article.language or detect_language(article.title or "", article.text or article.summary or "",
                                                      article.declared_language),
    )


def _replace_mentions(session: Session, article_id: int, entities: list[EntityFinding]) -> None:
    session.execute(delete(Mention).where(col(Mention.article_id) == article_id))
    for finding in entities:
        session.add(
            Mention(
                article_id=article_id,
                entity_id=finding.entity_id,
                matched=finding.matched[:1000],
                field=finding.field,
                start=finding.start,
                end=finding.end,
                confidence=finding.confidence,
            )
        )


def _is_suppressed(session: Session, article: Article, finding: AlertFinding, forms: dict[str, set[str]]) -> bool:
    """True when every entity of the alert is covered, in every form it was written."""
    if not finding.entity_ids:
        return False
    for entity_id in finding.entity_ids:
        written: list[str | None] = list(forms.get(entity_id, ())) or [None]
        if not all(find_suppression(session, article, entity_id, form) is not None for form in written):
            return False
    return True


def _new_alert(article: Article, article_id: int, found: list[dict[str, Any]], title: str, rescreen: bool,
               language: str | None = None) -> Alert:
    now = utcnow()
    alert = Alert(article_id=article_id, feed_id=article.feed_id, title=article.title or title, status="new",
                  rescreened=rescreen, language=language, created_at=now, updated_at=now, rule_id="", severity="",
                  score=0.0)
    labels.apply(alert, found)
    return alert


def _link_entities(session: Session, alert: Alert, datasets: dict[str, str]) -> None:
    """Entity links for every entity a label names that has none yet."""
    assert alert.id is not None
    have = set(session.exec(select(AlertEntity.entity_id).where(col(AlertEntity.alert_id) == alert.id)).all())
    for entity_id in labels.all_entity_ids(alert.labels):
        if entity_id not in have:
            dataset = datasets.get(entity_id) or entity_id.split(":", 1)[0]
            session.add(AlertEntity(alert_id=alert.id, entity_id=entity_id, dataset=dataset))
    session.flush()


def _alert_of(session: Session, article_id: int) -> Alert | None:
    # Locked, so two workers adding labels to one alert each see the other's.
    return session.exec(select(Alert).where(col(Alert.article_id) == article_id).with_for_update()).first()


def _add_labels(session: Session, alert: Alert, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge `found` into the alert's labels; the labels that were new (reopens a dismissed alert)."""
    merged, added = labels.merge(labels.labels_of(alert), found)
    if not added:
        return []
    new = [lab for lab in merged if lab["rule_id"] in added]
    labels.apply(alert, merged)
    alert.updated_at = utcnow()
    if alert.status == "dismissed" and labels.active(new):
        assert alert.id is not None
        session.add(AlertReview(alert_id=alert.id, actor="system", from_status="dismissed", to_status="new",
                                reason="new rule fired",
                                note="reopened: " + ", ".join(lab["rule_id"] for lab in labels.active(new))))
        alert.status = "new"
    session.add(alert)
    session.flush()
    return new


def match_and_store(session: Session, article: Article, matcher: Matcher, *, rescreen: bool = False) -> StoreResult:
    """Scan a stored article and store its mentions and its alert's new labels (idempotent per article)."""
    if article.id is None:
        session.add(article)
        session.flush()
    assert article.id is not None
    article_id = article.id
    scan = matcher.scan(article_input(article))
    if scan.rule_errors:
        record_failures(session, scan.rule_errors, matcher.rules, article_id)
    _replace_mentions(session, article_id, scan.entities)
    forms: dict[str, set[str]] = {}
    datasets: dict[str, str] = {}
    for mention in scan.entities:
        forms.setdefault(mention.entity_id, set()).add(mention.matched)
        datasets[mention.entity_id] = mention.dataset
    result = StoreResult()
    alert = _alert_of(session, article_id)
    have = {lab["rule_id"] for lab in labels.labels_of(alert)} if alert is not None else set()
    now = utcnow()
    found = [
        labels.label_from_finding(finding, suppressed=_is_suppressed(session, article, finding, forms), at=now)
        for finding in scan.alerts
        if finding.rule not in have
    ]
    for lab in found:
        lab["rescreened"] = rescreen
    if found and alert is None:
        alert = _new_alert(article, article_id, found, scan.alerts[0].title, rescreen, scan.language)
        try:
            with session.begin_nested():
                session.add(alert)
                session.flush()
                _link_entities(session, alert, datasets)
        except IntegrityError:
            # another worker stored this article's alert first: add to theirs
            alert = _alert_of(session, article_id)
            if alert is None:  # pragma: no cover - the conflicting row cannot vanish inside our transaction
                raise
        else:
            result.alerts_created.append(alert)
            found = []
            if not alert.suppressed:
                result.deliveries.extend(enqueue_for_alert(session, alert))
    if found and alert is not None:
        new = _add_labels(session, alert, found)
        if new:
            _link_entities(session, alert, datasets)
            result.alerts_updated.append(alert)
            if labels.active(new) and not alert.suppressed:
                result.deliveries.extend(enqueue_for_alert(session, alert, labels.active(new)))
    article.matched_at = utcnow()
    article.matcher_version = matcher.version[:64]
    if article.language is None and scan.language:
        article.language = scan.language
    session.add(article)
    session.flush()
    story = _place_in_story(session, article)
    if story is not None:
        # subscriptions delivered per story, in the same transaction as the alert and the placement
        result.deliveries.extend(enqueue_for_story(session, story, alert))
    return result


def _place_in_story(session: Session, article: Article) -> Story | None:
    # grouping must never cost an article its alerts: a failure is logged and the article stays
    # out of a story (a later re-match places it)
    from monitor.stories.store import forget_window, place_article

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
