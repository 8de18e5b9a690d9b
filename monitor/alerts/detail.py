"""One alert, one listed entity: the detail views the API routes and the console pages both show.

`alert_public` is an alert row as AlertPublic's JSON-ready dict (lists, the stream, the export and
the entity view use it); `alert_detail` adds the article, the rule and the mentions; `entity_detail`
is an entity with its names, list history and the alerts that mention it.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from monitor.alertlabels import labels_of
from monitor.alerts.queries import AlertFilter, list_alerts
from monitor.alerts.rule_views import rule_public
from monitor.models import Alert, Article, Entity, EntityChange, EntityName, ListVersion, Mention
from monitor.schemas import AlertDetail, ArticleDetail, MentionPublic
from monitor.settings import Settings
from monitor.watchlists.links import current_clusters, entity_links, memberships
from monitor.watchlists.resolve import Clusters


def alert_public(alert: Alert, groups: Clusters) -> dict[str, Any]:
    """An alert row as the JSON-ready dict of AlertPublic (rows are trusted, so no revalidation);
    `groups` (the entities merged across lists) gives each named entity its list memberships."""
    return {
        "id": alert.id,
        "article_id": alert.article_id,
        "feed_id": alert.feed_id,
        "rule_id": alert.rule_id,
        "category": alert.category,
        "severity": alert.severity,
        "score": alert.score,
        "title": alert.title,
        "explanation": alert.explanation,
        "entity_ids": list(alert.entity_ids or []),
        "entities": memberships(alert.entity_ids or [], groups),
        "evidence": list(alert.evidence or []),
        "rules": list(alert.rules or []),
        "labels": labels_of(alert),
        "status": alert.status,
        "suppressed": alert.suppressed,
        "rescreened": alert.rescreened,
        "language": alert.language,
        "created_at": alert.created_at.isoformat(),
        "updated_at": alert.updated_at.isoformat(),
    }


def alert_detail(session: Session, settings: Settings, alert_id: int) -> AlertDetail | None:
    """The alert with its article, the rule that fired and the entity mentions in the article; None if unknown."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        return None
    article = session.get(Article, alert.article_id)
    mentions = session.exec(
        select(Mention, Entity.name, Entity.dataset)
        .join(Entity, col(Entity.id) == col(Mention.entity_id), isouter=True)
        .where(Mention.article_id == alert.article_id)
        .order_by(col(Mention.field), col(Mention.start))
    ).all()
    return AlertDetail.model_validate(
        {
            **alert_public(alert, current_clusters(session)),
            "article": ArticleDetail.model_validate(article) if article else None,
            "rule": rule_public(session, settings, alert.rule_id),
            "mentions": [
                MentionPublic.model_validate(
                    {**m.model_dump(), "entity_name": name, "dataset": dataset or m.entity_id.split(":", 1)[0]}
                )
                for m, name, dataset in mentions
            ],
        }
    )


def entity_detail(
    session: Session, entity_id: str, cursor: str | None = None, limit: int = 50
) -> dict[str, Any] | None:
    """The entity, its names, programs, identifiers, list history and a page of the alerts that mention it
    (newest first), JSON-ready; None when there is no such entity. A bad cursor raises InvalidCursor."""
    entity = session.get(Entity, entity_id)
    if entity is None:
        return None
    names = session.exec(
        select(EntityName).where(col(EntityName.entity_id) == entity_id).order_by(col(EntityName.id))
    ).all()
    changes = session.exec(
        select(EntityChange, ListVersion)
        .join(ListVersion, col(ListVersion.id) == col(EntityChange.version_id))
        .where(col(EntityChange.entity_id) == entity_id)
        .order_by(col(EntityChange.version_id), col(EntityChange.id))
    ).all()
    merged = entity_links(session, entity_id)
    page = list_alerts(session, AlertFilter(entity_ids=list(merged.referents), suppressed="include"), cursor, limit)
    groups = current_clusters(session)
    return {
        "entity": {
            "id": entity.id,
            "dataset": entity.dataset,
            "source_id": entity.source_id,
            "schema": entity.schema_,
            "name": entity.name,
            "programs": list(entity.programs or []),
            "countries": list(entity.countries or []),
            "birth_dates": list(entity.birth_dates or []),
            "identifiers": list(entity.identifiers or []),
            "addresses": list(entity.addresses or []),
            "remarks": entity.remarks,
            "listed_on": entity.listed_on.isoformat() if entity.listed_on else None,
            "first_seen": entity.first_seen.isoformat(),
            "last_seen": entity.last_seen.isoformat(),
            "removed_at": entity.removed_at.isoformat() if entity.removed_at else None,
        },
        "referents": list(merged.referents),
        "records": merged.records,
        "names": [{"name": n.name, "kind": n.kind, "weak": n.weak, "lang": n.lang} for n in names],
        "programs": list(entity.programs or []),
        "identifiers": list(entity.identifiers or []),
        "history": [
            {
                "version_id": change.version_id,
                "version": version.number,
                "change": change.change,
                "at": change.at.isoformat(),
                "dataset": version.dataset,
                "source": version.source,
                "detail": change.detail or {},
            }
            for change, version in changes
        ],
        "alerts": {"items": [alert_public(a, groups) for a in page.items], "next_cursor": page.next_cursor},
    }
