"""Storing what the matcher found: mentions, one alert per (article, rule), outbox rows.

`match_and_store` is idempotent per (article, rule): a re-run (a redelivered task, the
sweep, a re-screen after a list update) adds only the alerts that did not exist, and the
unique constraint settles a race between two workers (the loser's insert is rolled back to
a savepoint and skipped). Mentions are replaced by the latest scan. An alert whose every
entity is covered by a suppression is stored with `suppressed=True` and not delivered;
every other new alert gets its outbox rows (`monitor.notify.outbox.enqueue_for_alert`) in
the same transaction, so an alert is never stored without its deliveries or vice versa.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from monitor.alerts.matcher_cache import current_matcher
from monitor.alerts.suppressions import find_suppression
from monitor.matching.engine import Matcher
from monitor.matching.language import detect_language
from monitor.matching.types import SEVERITY_RANK, AlertFinding, ArticleInput, EntityFinding
from monitor.models import Alert, AlertEntity, Article, Delivery, Mention, utcnow
from monitor.notify.outbox import enqueue_for_alert
from monitor.rules.failures import record_failures
from monitor.settings import Settings

log = logging.getLogger(__name__)

SWEEP_AGE = timedelta(minutes=2)
SWEEP_BATCH = 500


@dataclass
class StoreResult:
    """What one match-and-store created: new alerts and their new deliveries."""

    alerts_created: list[Alert] = field(default_factory=list)
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


def _new_alert(article: Article, article_id: int, finding: AlertFinding, suppressed: bool, rescreen: bool,
               language: str | None = None) -> Alert:
    now = utcnow()
    return Alert(
        article_id=article_id,
        feed_id=article.feed_id,
        rule_id=finding.rule,
        category=finding.category,
        severity=finding.severity,
        severity_rank=SEVERITY_RANK.get(finding.severity, 2),
        score=finding.score,
        title=article.title or finding.title,
        explanation=finding.explanation,
        entity_ids=list(finding.entity_ids),
        evidence=[e.to_json() for e in finding.evidence],
        status="new",
        suppressed=suppressed,
        rescreened=rescreen,
        language=language,
        created_at=now,
        updated_at=now,
    )


def match_and_store(session: Session, article: Article, matcher: Matcher, *, rescreen: bool = False) -> StoreResult:
    """Scan a stored article and store its mentions and new alerts (idempotent per article and rule)."""
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
    existing = set(session.exec(select(Alert.rule_id).where(col(Alert.article_id) == article.id)).all())
    result = StoreResult()
    for finding in scan.alerts:
        if finding.rule in existing:
            continue
        alert = _new_alert(article, article_id, finding, _is_suppressed(session, article, finding, forms), rescreen,
                           scan.language)
        try:
            with session.begin_nested():
                session.add(alert)
                session.flush()
                assert alert.id is not None
                for entity_id in dict.fromkeys(finding.entity_ids):
                    dataset = datasets.get(entity_id) or entity_id.split(":", 1)[0]
                    session.add(AlertEntity(alert_id=alert.id, entity_id=entity_id, dataset=dataset))
                session.flush()
        except IntegrityError:
            # another worker stored this (article, rule) first: theirs stands
            continue
        result.alerts_created.append(alert)
        if not alert.suppressed:
            result.deliveries.extend(enqueue_for_alert(session, alert))
    article.matched_at = utcnow()
    article.matcher_version = matcher.version[:64]
    if article.language is None and scan.language:
        article.language = scan.language
    session.add(article)
    session.flush()
    _place_in_story(session, article)
    return result


def _place_in_story(session: Session, article: Article) -> None:
    # grouping must never cost an article its alerts: a failure is logged and the article stays
    # out of a story (a later re-match places it)
    from monitor.stories.store import place_article

    try:
        with session.begin_nested():
            place_article(session, article)
    except Exception:
        log.exception("stories: article %s not placed", article.id)


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
