"""Aliases of the loaded lists as the matcher needs them, and the key that says when they changed."""

from __future__ import annotations

from collections.abc import Iterator

from sqlmodel import Session, col, select

from monitor.matching.types import AliasSpec
from monitor.models import Entity, EntityName
from monitor.storeprobe import LISTS_SQL, lists_key
from monitor.watchlists.relations import linked_names, listed_title


def iter_alias_specs(session: Session) -> Iterator[AliasSpec]:
    """Every name of every entity still listed (one query, grouped by entity)."""
    stmt = (
        select(  # type: ignore[call-overload]
            col(Entity.id),
            col(Entity.dataset),
            col(Entity.source_id),
            col(Entity.name),
            col(Entity.schema_),
            col(Entity.programs),
            col(Entity.countries),
            col(Entity.properties),
            col(Entity.remarks),
            col(EntityName.name),
            col(EntityName.weak),
        )
        .join(EntityName, col(EntityName.entity_id) == col(Entity.id))
        .where(col(Entity.removed_at).is_(None))
        .order_by(col(Entity.id), col(EntityName.id))
    )
    facts: tuple[str, str, tuple[str, ...]] = ("", "", ())
    for eid, dataset, source_id, caption, schema, programs, countries, props, remarks, alias, weak in session.exec(
            stmt):
        if facts[0] != eid:  # one entity's rows come together: read its title and links once
            facts = (eid, listed_title(props), linked_names(remarks))
        yield AliasSpec(
            entity_id=eid,
            dataset=dataset,
            source_id=source_id,
            caption=caption,
            alias=alias,
            weak=bool(weak),
            schema=schema or "LegalEntity",
            programs=tuple(programs or ()),
            countries=tuple(countries or ()),
            title=facts[1],
            linked=facts[2],
        )


def lists_version_key(session: Session) -> str:
    """A key that changes whenever a list load happens (new version, or entities removed)."""
    # the statement `storeprobe` runs with the plain driver, so a saved matcher's key is the same both ways
    return lists_key(session.connection().exec_driver_sql(LISTS_SQL).one())
