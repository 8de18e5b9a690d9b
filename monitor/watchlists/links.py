"""Stored entity links: derived after every list load, judged by analysts, read as entities.

`refresh_links` re-derives the automatic links (`resolve.derive_links`) from the stored records
and replaces the previous automatic ones in the caller's transaction; analyst judgements are
kept. `judge` and `withdraw` are the analyst's actions (API and CLI call them), each written to
the audit log. `load_clusters` joins the links into entities for screening, the entity page
and alerts; `entity_links` is one entity's records and the reasons that join them.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, or_, select

from monitor.models import AuditEvent, Entity, EntityLink, EntityName
from monitor.watchlists.resolve import Clusters, Link, RecordFacts, ResolveReport, clusters, derive_links

JUDGEMENTS = ("same", "different")
AUTOMATIC = ("cross-reference", "strong-match")
_STRONG_KINDS = ("primary", "alias", "original")


class LinkError(ValueError):
    """An analyst action that cannot be done (unknown record, same record twice, no reason...)."""


def record_facts(session: Session) -> list[RecordFacts]:
    """The resolver's view of every record still listed (two queries: entities, then strong names)."""
    rows = session.connection().execute(
        sa_select(
            col(Entity.id),
            col(Entity.dataset),
            col(Entity.source_id),
            col(Entity.schema_),
            col(Entity.name),
            col(Entity.birth_dates),
            col(Entity.identifiers),
            col(Entity.properties),
        ).where(col(Entity.removed_at).is_(None))
    )
    base: dict[str, tuple[Any, ...]] = {}
    names: dict[str, list[str]] = {}
    for eid, dataset, source_id, schema, name, dates, idents, props in rows:
        base[eid] = (dataset, source_id, schema or "LegalEntity", dates or [], idents or [], props or {})
        names[eid] = [name]
    stmt = select(EntityName.entity_id, EntityName.name).where(col(EntityName.kind).in_(_STRONG_KINDS))
    for eid, alias in session.exec(stmt):
        if eid in names and alias not in names[eid]:
            names[eid].append(alias)
    facts = []
    for eid, (dataset, source_id, schema, dates, idents, props) in base.items():
        identifiers = tuple(
            (str(i.get("type", "")), str(i.get("value", ""))) for i in idents if isinstance(i, dict) and i.get("value")
        )
        referents = tuple(str(r) for r in props.get("referents", []) if isinstance(r, str))
        facts.append(
            RecordFacts(eid, dataset, source_id, schema, tuple(names[eid]), tuple(dates), identifiers, referents)
        )
    return facts


def refresh_links(session: Session, actor: str = "system", *, audit: bool = True) -> ResolveReport:
    """Derive the automatic links again and store them in place of the previous ones.

    Audited as `entity.resolve` when run alone; a list load puts the summary in its own event."""
    report = derive_links(record_facts(session))
    session.execute(delete(EntityLink).where(col(EntityLink.source).in_(AUTOMATIC)))
    seen: set[tuple[str, str, str]] = set()
    rows = []
    for link in report.links:
        key = (link.left, link.right, link.source)
        if key in seen:  # two cross-references between the same pair: one row, the first reason
            continue
        seen.add(key)
        rows.append(
            {
                "left_id": link.left,
                "right_id": link.right,
                "judgement": "same",
                "source": link.source,
                "reason": link.reason,
                "evidence": dict(link.evidence),
                "actor": actor,
            }
        )
    if rows:
        session.execute(EntityLink.__table__.insert(), rows)  # type: ignore[attr-defined]
    if audit:
        detail = report.summary()
        session.add(AuditEvent(actor=actor, action="entity.resolve", object_type="entity", object_id="", detail=detail))
    forget_clusters()
    return report


def _links(session: Session, ids: Iterable[str] | None = None) -> list[EntityLink]:
    stmt = select(EntityLink)
    if ids is not None:
        wanted = list(ids)
        stmt = stmt.where(or_(col(EntityLink.left_id).in_(wanted), col(EntityLink.right_id).in_(wanted)))
    return list(session.exec(stmt.order_by(col(EntityLink.id))).all())


def _as_link(row: EntityLink) -> Link:
    return Link(row.left_id, row.right_id, row.source, row.reason, row.evidence or {}, row.judgement)


def load_clusters(session: Session) -> Clusters:
    """Every stored link joined into entities (records of one list never joined automatically)."""
    rows = _links(session)
    ids = {i for r in rows for i in (r.left_id, r.right_id)}
    datasets: dict[str, str] = {}
    if ids:
        stmt = sa_select(col(Entity.id), col(Entity.dataset)).where(col(Entity.removed_at).is_(None))
        datasets = {eid: ds for eid, ds in session.connection().execute(stmt) if eid in ids}
    # A link to a record no longer listed joins nothing.
    live = [_as_link(r) for r in rows if r.left_id in datasets and r.right_id in datasets]
    return clusters(live, datasets)


#: How long a process trusts its joined links before asking the database whether they changed
#: (alert pages and exports read them on every page; an analyst's merge shows within this).
CLUSTERS_TTL = 2.0
_cached: weakref.WeakKeyDictionary[Any, tuple[float, str, Clusters]] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def current_clusters(session: Session) -> Clusters:
    """The stored links joined into entities, rebuilt only when a link was added or removed."""
    key = session.get_bind().engine
    now = time.monotonic()
    with _cache_lock:
        hit = _cached.get(key)
    if hit is not None and now - hit[0] < CLUSTERS_TTL:
        return hit[2]
    version = links_version(session)
    groups = hit[2] if hit is not None and hit[1] == version else load_clusters(session)
    with _cache_lock:
        _cached[key] = (now, version, groups)
    return groups


def forget_clusters() -> None:
    """Drop the process's joined links (an analyst's judgement here shows on the next read)."""
    with _cache_lock:
        _cached.clear()


def memberships(entity_ids: Sequence[str], groups: Clusters) -> list[dict[str, Any]]:
    """One entry per real-world entity the ids name: its first id, every merged record id and the
    lists they are on (two ids of one merged entity are one entry)."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for eid in entity_ids:
        if eid in seen:
            continue
        referents = groups.referents(eid)
        seen.update(referents)
        lists = sorted({r.split(":", 1)[0] for r in referents if ":" in r})
        out.append({"entity_id": eid, "referents": list(referents), "lists": lists})
    return out


def links_version(session: Session) -> str:
    """A key that changes whenever a link is added or removed (screening rebuilds on it)."""
    last, count = session.exec(select(func.max(EntityLink.id), func.count(col(EntityLink.id)))).one()
    return f"{last or 0}:{count}"


@dataclass(frozen=True)
class EntityLinks:
    """One entity: its records (each a list membership) and the links that join or part them."""

    entity_id: str
    referents: tuple[str, ...]
    records: list[dict[str, Any]]
    links: list[dict[str, Any]]


def link_public(row: EntityLink) -> dict[str, Any]:
    """A stored link as the API and CLI show it."""
    return {
        "id": row.id,
        "left_id": row.left_id,
        "right_id": row.right_id,
        "judgement": row.judgement,
        "source": row.source,
        "reason": row.reason,
        "evidence": row.evidence or {},
        "actor": row.actor,
        "created_at": row.created_at.isoformat(),
    }


def entity_links(session: Session, entity_id: str) -> EntityLinks:
    """The entity a record belongs to: every merged record with its list, and every link touching them."""
    if session.get(Entity, entity_id) is None:
        raise LinkError(f"no entity {entity_id!r}")
    referents = load_clusters(session).referents(entity_id)
    records = []
    for rid in referents:
        ent = session.get(Entity, rid)
        if ent is not None:
            records.append(
                {
                    "id": ent.id,
                    "dataset": ent.dataset,
                    "source_id": ent.source_id,
                    "name": ent.name,
                    "programs": list(ent.programs or []),
                    "listed_on": ent.listed_on.isoformat() if ent.listed_on else None,
                    "removed_at": ent.removed_at.isoformat() if ent.removed_at else None,
                }
            )
    links = [link_public(r) for r in _links(session, referents)]
    return EntityLinks(entity_id, referents, records, links)


def _pair(session: Session, a: str, b: str) -> tuple[str, str]:
    a, b = a.strip(), b.strip()
    if a == b:
        raise LinkError("a record is always the same entity as itself: give two different ids")
    for eid in (a, b):
        if session.get(Entity, eid) is None:
            raise LinkError(f"no entity {eid!r}")
    left, right = sorted((a, b))
    return left, right


def judge(session: Session, a: str, b: str, judgement: str, reason: str, actor: str) -> EntityLink:
    """Record an analyst's judgement that two records are one entity (`same`) or two (`different`)."""
    if judgement not in JUDGEMENTS:
        raise LinkError(f"judgement must be one of {', '.join(JUDGEMENTS)}, not {judgement!r}")
    if not reason or not reason.strip():
        raise LinkError("say why: a judgement needs a reason an auditor can read")
    left, right = _pair(session, a, b)
    existing = session.exec(
        select(EntityLink).where(
            col(EntityLink.left_id) == left, col(EntityLink.right_id) == right, col(EntityLink.source) == "analyst"
        )
    ).first()
    previous = existing.judgement if existing else None
    if existing is not None:
        session.delete(existing)
        session.flush()
    row = EntityLink(left_id=left, right_id=right, judgement=judgement, source="analyst", reason=reason.strip()[:2000],
                     actor=actor)
    session.add(row)
    action = "entity.merge" if judgement == "same" else "entity.split"
    detail = {"left_id": left, "right_id": right, "reason": row.reason, "previous": previous}
    session.add(AuditEvent(actor=actor, action=action, object_type="entity", object_id=left, detail=detail))
    session.flush()
    forget_clusters()
    return row


def withdraw(session: Session, a: str, b: str, actor: str) -> EntityLink:
    """Withdraw an analyst's judgement on a pair (the automatic links apply again); audited."""
    left, right = _pair(session, a, b)
    row = session.exec(
        select(EntityLink).where(
            col(EntityLink.left_id) == left, col(EntityLink.right_id) == right, col(EntityLink.source) == "analyst"
        )
    ).first()
    if row is None:
        raise LinkError(f"no analyst judgement on {left} and {right} to withdraw")
    session.delete(row)
    detail = {"left_id": left, "right_id": right, "judgement": row.judgement, "reason": row.reason}
    session.add(AuditEvent(actor=actor, action="entity.withdraw", object_type="entity", object_id=left, detail=detail))
    session.flush()
    forget_clusters()
    return row
