"""Storing what the matcher found: mentions, and one alert per article with every rule that fired
as its labels (`monitor.alertlabels`).

`store_scan` is idempotent per article: a re-run (a redelivered task, the sweep, a re-screen
after a list update, rules changed) adds to the article's one alert only the labels of rules
that were not on it yet; labels already there stay as first stored. The unique constraint on
the article settles a race between two workers (the loser's insert is rolled back to a
savepoint and its labels are merged into the winner's alert). Mentions are replaced by the
latest scan. A label whose every entity is covered by a suppression is stored suppressed; an
alert whose every label is suppressed is suppressed and not delivered. What is new and not
suppressed is listed in `StoreResult.to_notify`, for the caller (`monitor.pipeline.match`) to
write its outbox rows in the same transaction, so only what is new is notified (and, once the
article is placed in its story, the rows of subscriptions delivered per story). A new label on a
dismissed alert reopens it (status `new`, with an entry in its audit trail).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from monitor import alertlabels as labels
from monitor.alerts.suppressions import find_suppression
from monitor.matching.engine import Matcher
from monitor.matching.language import detect_language
from monitor.matching.types import AlertFinding, ArticleInput, EntityFinding, ScanResult
from monitor.models import Alert, AlertEntity, AlertReview, Article, Delivery, Mention, utcnow
from monitor.rules.failures import record_failures

log = logging.getLogger(__name__)



@dataclass
class StoreResult:
    """What one match-and-store did: alerts created, alerts that got new labels, new deliveries,
    and the alerts to deliver (with only their new active labels, or None for a new alert)."""

    alerts_created: list[Alert] = field(default_factory=list)
    alerts_updated: list[Alert] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    to_notify: list[tuple[Alert, list[dict[str, Any]] | None]] = field(default_factory=list)
    alert: Alert | None = None  # the article's alert, if it has one (new, updated or as it was)


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


def store_scan(
    session: Session, article: Article, scan: ScanResult, matcher: Matcher, *, rescreen: bool = False
) -> StoreResult:
    """Store a stored article's scan: its mentions and its alert's new labels (idempotent per article)."""
    assert article.id is not None
    article_id = article.id
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
                result.to_notify.append((alert, None))
    if found and alert is not None:
        new = _add_labels(session, alert, found)
        if new:
            _link_entities(session, alert, datasets)
            result.alerts_updated.append(alert)
            if labels.active(new) and not alert.suppressed:
                result.to_notify.append((alert, labels.active(new)))
    article.matched_at = utcnow()
    article.matcher_version = matcher.version[:64]
    if article.language is None and scan.language:
        article.language = scan.language
    session.add(article)
    session.flush()
    result.alert = alert
    return result
