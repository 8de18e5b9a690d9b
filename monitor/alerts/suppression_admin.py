"""Creating and withdrawing suppressions (an analyst's "this mention is a false positive").

A suppression names an entity (optionally one surface form, e.g. "Kim") in a scope: one
article, one feed, or everywhere. New matches under it are stored suppressed by the matcher
(`monitor.alerts.suppressions.find_suppression`); here the same lookup is re-applied to the
alerts already stored in the scope, so creating or withdrawing one takes effect at once.
A label (one rule that fired) is suppressed when every entity it names is covered, and drops
out of the alert's summary; the alert is suppressed when every label is. Both are audited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session, col, select

from monitor import alertlabels as labels
from monitor.models import Alert, AlertEntity, Article, AuditEvent, Mention, Suppression, utcnow

SCOPES = ("article", "feed", "global")


class SuppressionError(ValueError):
    """A suppression that cannot be created or withdrawn; `field` names the offending input."""

    def __init__(self, message: str, field: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


def create_suppression(
    session: Session,
    *,
    entity_id: str,
    scope: str,
    reason: str,
    actor: str,
    matched: str | None = None,
    article_id: int | None = None,
    feed_id: int | None = None,
) -> Suppression:
    """Record a suppression, audit it, and mark the stored alerts it covers as suppressed."""
    if scope not in SCOPES:
        raise SuppressionError(f"scope must be one of {', '.join(SCOPES)}", "scope")
    if not reason.strip():
        raise SuppressionError("a reason is required", "reason")
    if scope == "article":
        if article_id is None:
            raise SuppressionError("scope 'article' needs article_id", "article_id")
        article = session.get(Article, article_id)
        if article is None:
            raise SuppressionError(f"article {article_id} not found", "article_id", 404)
        feed_id = None
    elif scope == "feed":
        if feed_id is None:
            raise SuppressionError("scope 'feed' needs feed_id", "feed_id")
        article_id = None
    else:
        article_id = feed_id = None
    sup = Suppression(
        entity_id=entity_id,
        matched=(matched or None),
        scope=scope,
        article_id=article_id,
        feed_id=feed_id,
        reason=reason.strip(),
        created_by=actor,
    )
    _apply(session, sup, actor, "suppression.create", "alerts_suppressed",
           entity_id=entity_id, scope=scope, matched=matched)
    return sup


def withdraw_suppression(session: Session, suppression_id: int, *, actor: str) -> Suppression:
    """Withdraw a suppression (idempotent), audit it, and re-raise the alerts nothing else covers."""
    sup = session.get(Suppression, suppression_id)
    if sup is None:
        raise SuppressionError(f"suppression {suppression_id} not found", "id", 404)
    if sup.withdrawn_at is None:
        sup.withdrawn_at = utcnow()
        sup.withdrawn_by = actor
        _apply(session, sup, actor, "suppression.withdraw", "alerts_unsuppressed")
    return sup


def _apply(session: Session, sup: Suppression, actor: str, action: str, counted: str, **detail: Any) -> None:
    """Store the change, re-apply it to the alerts in scope and audit it with how many alerts changed."""
    session.add(sup)
    session.flush()
    changed = reapply(session, sup)
    session.add(AuditEvent(actor=actor, action=action, object_type="suppression", object_id=str(sup.id),
                           detail={**detail, counted: changed}))
    session.flush()


def list_suppressions(session: Session, *, active_only: bool = True, entity_id: str | None = None) -> list[Suppression]:
    """Suppressions, newest first (active ones only unless asked)."""
    stmt = select(Suppression)
    if active_only:
        stmt = stmt.where(col(Suppression.withdrawn_at).is_(None))
    if entity_id:
        stmt = stmt.where(Suppression.entity_id == entity_id)
    return list(session.exec(stmt.order_by(col(Suppression.id).desc())).all())


def _entity_covered(session: Session, article: Article, entity_id: str) -> bool:
    """True when every mention of the entity in the article falls under an active suppression."""
    from monitor.alerts.suppressions import find_suppression

    forms = session.exec(
        select(Mention.matched).where(Mention.article_id == article.id, Mention.entity_id == entity_id).distinct()
    ).all()
    if not forms:
        return find_suppression(session, article, entity_id, None) is not None
    return all(find_suppression(session, article, entity_id, form) is not None for form in forms)


def _coverage(session: Session, article: Article) -> Callable[[str], bool]:
    """`_entity_covered` for this article, each entity looked up once."""
    seen: dict[str, bool] = {}

    def covered(entity_id: str) -> bool:
        if entity_id not in seen:
            seen[entity_id] = _entity_covered(session, article, entity_id)
        return seen[entity_id]

    return covered


def reapply(session: Session, sup: Suppression) -> int:
    """Recompute `suppressed` on the stored alerts in this suppression's scope; returns how many changed."""
    stmt = (
        select(Alert)
        .join(AlertEntity, col(AlertEntity.alert_id) == col(Alert.id))
        .where(AlertEntity.entity_id == sup.entity_id)
    )
    if sup.scope == "article":
        stmt = stmt.where(Alert.article_id == sup.article_id)
    elif sup.scope == "feed":
        stmt = stmt.where(Alert.feed_id == sup.feed_id)
    changed = 0
    for alert in session.exec(stmt).all():
        article = session.get(Article, alert.article_id)
        if article is None:
            continue
        covered = _coverage(session, article)
        # A label is suppressed when every entity it names is covered; one naming none never is.
        before = labels.labels_of(alert)
        after = [{**lab, "suppressed": bool(lab.get("entity_ids")) and all(map(covered, lab["entity_ids"]))}
                 for lab in before]
        if after != before:
            was_suppressed = alert.suppressed
            labels.apply(alert, after)
            alert.updated_at = utcnow()
            session.add(alert)
            changed += alert.suppressed != was_suppressed
    session.flush()
    return changed
