"""`lists status`: what is loaded, per dataset: version, counts and age."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from monitor.models import Entity, EntityName, ListVersion, utcnow


def human_age(seconds: float) -> str:
    """`3 d 4 h`, `5 h 2 min`, `40 s`."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def list_status(session: Session, now: datetime | None = None) -> list[dict[str, Any]]:
    """One row per dataset with its active version, live counts and age, by dataset name."""
    now = now or utcnow()
    versions: dict[str, ListVersion] = {}
    loads: dict[str, int] = {}
    for version in session.execute(select(ListVersion).order_by(col(ListVersion.id))).scalars():
        loads[version.dataset] = loads.get(version.dataset, 0) + 1
        if version.status == "active":
            versions[version.dataset] = version
    live = dict(
        session.execute(
            select(col(Entity.dataset), func.count())
            .where(col(Entity.removed_at).is_(None))
            .group_by(col(Entity.dataset))
        ).all()
    )
    removed = dict(
        session.execute(
            select(col(Entity.dataset), func.count())
            .where(col(Entity.removed_at).is_not(None))
            .group_by(col(Entity.dataset))
        ).all()
    )
    names = dict(
        session.execute(
            select(col(Entity.dataset), func.count())
            .select_from(EntityName)
            .join(Entity, col(Entity.id) == col(EntityName.entity_id))
            .where(col(Entity.removed_at).is_(None))
            .group_by(col(Entity.dataset))
        ).all()
    )
    rows = []
    for dataset in sorted(set(versions) | set(live)):
        version = versions.get(dataset)
        age = (now - version.loaded_at).total_seconds() if version else None
        rows.append(
            {
                "dataset": dataset,
                "version_id": version.id if version else None,
                "version": version.number if version else None,
                "format": version.format if version else None,
                "source": version.source if version else None,
                "loaded_at": version.loaded_at if version else None,
                "published_at": version.published_at if version else None,
                "age_seconds": int(age) if age is not None else None,
                "age": human_age(age) if age is not None else None,
                "entities": live.get(dataset, 0),
                "names": names.get(dataset, 0),
                "removed": removed.get(dataset, 0),
                "skipped": version.skipped if version else 0,
                "loads": loads.get(dataset, 0),
                "last_change": {"added": version.added, "changed": version.changed, "removed": version.removed}
                if version
                else None,
            }
        )
    return rows
