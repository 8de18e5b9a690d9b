"""What a notification says about an alert: the JSON payload, shared by every channel."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from monitor.alertlabels import labels_of
from monitor.links import web_link
from monitor.models import Alert, Article, Delivery, DeliveryAttempt, Entity, Subscription
from monitor.rules.source import rule_title
from monitor.settings import Settings
from monitor.stories.queries import story_summary


def rule_info(session: Session, settings: Settings, rule_id: str) -> tuple[str, str]:
    """(title, description) of a rule, from the one rules source (current after any edit)."""
    return rule_title(session, settings, rule_id)


def alert_url(settings: Settings, alert_id: int | None) -> str:
    """Link to the alert in the API (for programs: the webhook payload's `url`)."""
    return f"{settings.public_base_url}/api/v1/alerts/{alert_id}"


def review_url(settings: Settings, alert_id: int | None) -> str:
    """Link to the alert's page in the console (for people: "Review" in e-mails and digests)."""
    return f"{settings.public_base_url}/alerts/{alert_id}"


def _label_data(session: Session, settings: Settings, label: dict[str, Any]) -> dict[str, Any]:
    title, _description = rule_info(session, settings, label["rule_id"])
    return {
        "rule_id": label["rule_id"],
        "rule_title": title,
        "category": label.get("category"),
        "severity": label.get("severity"),
        "score": label.get("score"),
        "explanation": label.get("explanation", ""),
        "entity_ids": list(label.get("entity_ids") or []),
        "evidence": list(label.get("evidence") or []),
        "suppressed": bool(label.get("suppressed")),
    }


def alert_data(session: Session, alert: Alert, settings: Settings) -> dict[str, Any]:
    """The alert with its top rule, every label (rule that fired), entities, evidence, score, article and a
    link, as plain JSON types."""
    article = session.get(Article, alert.article_id)
    rule_title, rule_description = rule_info(session, settings, alert.rule_id)
    entities: list[dict[str, Any]] = []
    if alert.entity_ids:
        found = {e.id: e for e in session.exec(select(Entity).where(col(Entity.id).in_(alert.entity_ids)))}
        for eid in alert.entity_ids:
            ent = found.get(eid)
            entities.append(
                {
                    "entity_id": eid,
                    "dataset": ent.dataset if ent else eid.split(":", 1)[0],
                    "name": ent.name if ent else None,
                    "schema": ent.schema_ if ent else None,
                    "programs": list(ent.programs) if ent else [],
                }
            )
    return {
        "id": alert.id,
        "url": alert_url(settings, alert.id),
        "review_url": review_url(settings, alert.id),
        "created_at": alert.created_at.isoformat(),
        "title": alert.title,
        "rule": {
            "id": alert.rule_id,
            "title": rule_title,
            "description": rule_description,
            "category": alert.category,
        },
        "category": alert.category,
        "severity": alert.severity,
        "score": alert.score,
        "status": alert.status,
        "language": alert.language,
        "explanation": alert.explanation,
        "rules": list(alert.rules or [alert.rule_id]),
        # the story the article is in (other outlets' reports of the same event), for grouping on receipt
        "story": story_summary(session, alert.article_id),
        "labels": [_label_data(session, settings, lab) for lab in labels_of(alert)],
        "entities": entities,
        "evidence": list(alert.evidence or []),
        "article": {
            "id": alert.article_id,
            "title": article.title if article else "",
            "url": web_link(article.url) if article else None,  # rows stored before links were checked
            "published_at": article.published_at.isoformat() if article and article.published_at else None,
            "feed_id": alert.feed_id,
            "language": article.language if article else alert.language,
        },
    }


def sent_before(session: Session, alert: Alert, subscription: Subscription) -> bool:
    """True when the subscription's delivery of this alert carries a message newer than one it already
    got (a successful attempt older than the delivery's current message: see `outbox._send_again`)."""
    stmt = (
        select(DeliveryAttempt.id)
        .join(Delivery, col(Delivery.id) == col(DeliveryAttempt.delivery_id))
        .where(col(Delivery.alert_id) == alert.id, col(Delivery.subscription_id) == subscription.id,
               col(DeliveryAttempt.ok).is_(True), col(DeliveryAttempt.at) < col(Delivery.created_at))
        .limit(1)
    )
    return session.exec(stmt).first() is not None


def webhook_payload(
    session: Session, alert: Alert, subscription: Subscription, settings: Settings, timestamp: str
) -> dict[str, Any]:
    """The Standard Webhooks envelope `{type, timestamp, data}` for an alert: `alert.updated` when the
    subscription was sent this alert before (it has a label since), else `alert.created`."""
    return {
        "type": "alert.updated" if sent_before(session, alert, subscription) else "alert.created",
        "timestamp": timestamp,
        "subscription_id": subscription.id,
        "data": alert_data(session, alert, settings),
    }
