"""Re-screening: after a list load adds an entity or a name, find the stored articles that
would have raised alerts with it, and raise them now, marked `rescreened`.

Which names are new comes from the version's EntityChange rows (`names_added` of every
added or changed entity). The stored articles of the last `settings.rescreen_days` that
were already matched are scanned with the current matcher (which now knows the new
names); only an article in which one of the new entities is found goes on to ENGINE's
`match_and_store(..., rescreen=True)`, which is idempotent per article: labels (rules that
fired) already on the article's alert are left alone, new ones are added to it (or a new alert
raised) marked rescreened and queued for delivery like any other. Articles not matched yet
are left to the normal matching sweep.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from monitor.alerts.matcher_cache import current_matcher
from monitor.alerts.store import article_input
from monitor.models import Article, EntityChange, ListVersion, utcnow
from monitor.pipeline.match import match_and_store
from monitor.settings import Settings

log = logging.getLogger(__name__)

BATCH = 200


@dataclass
class RescreenResult:
    """What one re-screening pass did."""

    version_id: int
    new_entities: int = 0
    articles_scanned: int = 0
    articles_matched: int = 0
    alert_ids: list[int] = field(default_factory=list)
    delivery_ids: list[int] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the CLI and logs."""
        return (
            f"re-screened {self.articles_scanned} recent articles for {self.new_entities} new or renamed entities: "
            f"{len(self.alert_ids)} new alerts"
        )


def added_names(session: Session, version_id: int) -> dict[str, list[str]]:
    """entity id -> strong names this version added (empty when it only removed or kept entities)."""
    out: dict[str, list[str]] = {}
    rows = session.execute(
        select(col(EntityChange.entity_id), col(EntityChange.detail)).where(
            col(EntityChange.version_id) == version_id, col(EntityChange.change).in_(("added", "changed"))
        )
    )
    for entity_id, detail in rows:
        names = (detail or {}).get("names_added") or []
        if names:
            out[entity_id] = list(names)
    return out


def needs_rescreen(session: Session, version_id: int) -> bool:
    """True when the version added an entity or a strong name."""
    return bool(added_names(session, version_id))


def rescreen_version(
    session: Session,
    settings: Settings,
    version_id: int,
    *,
    matcher: Any = None,
    now: datetime | None = None,
) -> RescreenResult:
    """Scan recent matched articles for the entities a version added; store the alerts they raise."""
    result = RescreenResult(version_id=version_id)
    version = session.get(ListVersion, version_id)
    if version is None:
        raise ValueError(f"no list version {version_id}")
    new = added_names(session, version_id)
    result.new_entities = len(new)
    if not new:
        return result
    now = now or utcnow()
    cutoff = now - timedelta(days=settings.rescreen_days)
    when = func.coalesce(col(Article.published_at), col(Article.fetched_at))
    recent = (col(Article.matched_at).is_not(None), or_(when >= cutoff, col(Article.fetched_at) >= cutoff))
    if not session.execute(select(func.count()).select_from(Article).where(*recent)).scalar():
        return result  # nothing stored yet (a first load): no matcher needed
    if matcher is None:
        matcher = current_matcher(session, settings, wait=True)  # the new names, not the old matcher
    last_id = 0
    while True:
        batch = (
            session.execute(
                select(Article).where(col(Article.id) > last_id, *recent).order_by(col(Article.id)).limit(BATCH)
            )
            .scalars()
            .all()
        )
        if not batch:
            break
        for article in batch:
            assert article.id is not None
            last_id = article.id
            result.articles_scanned += 1
            scan = matcher.scan(article_input(article))
            if not any(finding.entity_id in new for finding in scan.entities):
                continue
            result.articles_matched += 1
            stored = match_and_store(session, article, matcher, rescreen=True)
            changed = [*stored.alerts_created, *stored.alerts_updated]
            result.alert_ids.extend(a.id for a in changed if a.id is not None)
            result.delivery_ids.extend(d.id for d in stored.deliveries if d.id is not None)
        session.flush()
    log.info(
        "rescreened",
        extra={
            "version": version_id,
            "entities": result.new_entities,
            "scanned": result.articles_scanned,
            "alerts": len(result.alert_ids),
        },
    )
    return result
