"""Store a list file as a new version of its dataset, recording what it added, changed and removed.

`load_list` parses the whole file first (a truncated or wrong-format file raises
`ListFormatError` before anything is written), then applies the difference to the
stored dataset inside the caller's transaction with bulk statements: new entities
inserted, changed ones updated with their names replaced, unchanged ones touched
(`last_seen`), missing ones marked `removed_at` (never deleted), one EntityChange row
per added/changed/removed entity, and a ListVersion with counts and skip detail. If
anything fails the caller's rollback leaves the previous version fully in place.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Table, bindparam, delete, func, insert, select, update
from sqlmodel import Session, col

from monitor.models import AuditEvent, Entity, EntityChange, EntityName, ListVersion, utcnow
from monitor.settings import CONFIG_DIR, Settings
from monitor.watchlists.links import refresh_links
from monitor.watchlists.loaders import EntityRecord, LoadReport, detect_format, get_loader
from monitor.watchlists.loaders.base import ListFormatError, files_digest

log = logging.getLogger(__name__)

DATASET_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
MAX_SOURCE_ID = 128  # Entity.source_id; the entity id adds "<dataset>:" (at most 64 + 1)
CHUNK = 500  # rows per IN (...) list; stays under SQLite's variable limit
DEFAULT_WATCHLISTS = (CONFIG_DIR / "watchlists" / "named_officials.yaml",)

__all__ = [
    "ListFormatError",
    "LoadResult",
    "LoadSummary",
    "active_version",
    "load_default_watchlists",
    "load_file",
    "load_list",
    "summarise",
]


@dataclass
class LoadSummary:
    """What one load did, for the CLI and logs."""

    version_id: int
    dataset: str
    format: str
    entities: int
    added: int
    changed: int
    removed: int
    skipped: int
    unchanged_file: bool


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows in the session's transaction: COPY on PostgreSQL, executemany elsewhere.

    COPY streams the rows in one round trip; psycopg's executemany sends one INSERT per row,
    which was most of a full SDN load on PostgreSQL.
    """
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    json_cols = {c for c in columns if isinstance(table.c[c].type, JSON)}
    names = ", ".join(f'"{c}"' for c in columns)
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(
                [json.dumps(row[c], ensure_ascii=False, default=str) if c in json_cols else row[c] for c in columns]
            )


def _entity_row(rec: EntityRecord, dataset: str, version_id: int, now: datetime) -> dict[str, Any]:
    return {
        "id": f"{dataset}:{rec.source_id}",
        "dataset": dataset,
        "source_id": rec.source_id,
        "schema": rec.schema,
        "name": rec.name[:1000],
        "programs": rec.programs,
        "countries": rec.countries,
        "birth_dates": rec.birth_dates,
        "identifiers": rec.identifiers,
        "addresses": rec.addresses,
        "properties": rec.properties,
        "remarks": rec.remarks,
        "listed_on": rec.listed_on,
        "last_seen": now,
        "removed_at": None,
        "version_id": version_id,
        "content_hash": rec.content_hash(),
    }


def _name_rows(entity_id: str, rec: EntityRecord) -> list[dict[str, Any]]:
    return [
        {"entity_id": entity_id, "name": n.name[:1000], "kind": n.kind, "weak": n.weak, "lang": n.lang}
        for n in rec.names
    ]


def _strong_names(rec: EntityRecord) -> set[str]:
    return {n.name for n in rec.names if not n.weak}


def read_records(path: Path, fmt: str = "auto") -> tuple[str, list[EntityRecord], LoadReport, list[Path]]:
    """Parse a list file completely: (format, records, report, files read). Raises ListFormatError."""
    path = Path(path)
    if not path.exists():
        raise ListFormatError(path, None, "file not found")
    if path.is_dir():
        raise ListFormatError(path, None, "is a directory, expected a list file")
    fmt = detect_format(path) if fmt in ("auto", "", None) else fmt
    loader = get_loader(fmt)
    report = LoadReport()
    records: dict[str, EntityRecord] = {}
    for rec in loader.read(path, report):
        if not rec.source_id:
            report.skip(None, "record without a source id")
            continue
        if len(rec.source_id) > MAX_SOURCE_ID:
            report.skip(None, f"source id longer than {MAX_SOURCE_ID} characters", rec.source_id[:40] + "...")
            continue
        if rec.source_id in records:
            report.skip(None, f"duplicate source id {rec.source_id}: kept the first", rec.source_id)
            continue
        records[rec.source_id] = rec
    if not records:
        raise ListFormatError(path, None, f"no entities found in this {fmt} file")
    return fmt, list(records.values()), report, loader.files(path)


@dataclass
class LoadResult:
    """The version a load left active, and whether the load made it (False: identical to the active one)."""

    version: ListVersion
    new: bool


def load_list(session: Session, path: Path | str, fmt: str = "auto", dataset: str | None = None) -> ListVersion:
    """Load a list file as a new version of its dataset in the caller's transaction (see `load_file`)."""
    return load_file(session, path, fmt, dataset).version


def load_file(
    session: Session, path: Path | str, fmt: str = "auto", dataset: str | None = None, *, actor: str = "system"
) -> LoadResult:
    """Load a list file into its dataset and write the load to the audit log.

    A file whose content is that of the dataset's active version makes no new version: the
    active one is returned with `new=False` (the audit log still records the attempt).
    """
    path = Path(path)
    fmt, records, report, files = read_records(path, fmt)
    dataset = dataset or get_loader(fmt).dataset_for(path)
    if not DATASET_NAME.fullmatch(dataset):
        raise ValueError(f"dataset name {dataset!r}: use 1-64 lower-case letters, digits, '_', '-' or '.'")
    digest = files_digest(files)
    current = active_version(session, dataset)
    if current is not None and current.file_hash == digest and current.format == fmt:
        _audit_load(session, current, actor, str(path), new=False)
        return LoadResult(current, new=False)
    version = store_records(session, records, report, dataset=dataset, fmt=fmt, source=str(path), file_hash=digest)
    # Records of this list may be the same entities as records of others: link them again.
    links = refresh_links(session, actor, audit=False).summary()
    _audit_load(session, version, actor, str(path), new=True, links=links)
    return LoadResult(version, new=True)


def active_version(session: Session, dataset: str) -> ListVersion | None:
    """The dataset's active (newest complete) version, if any."""
    return (
        session.execute(
            select(ListVersion)
            .where(col(ListVersion.dataset) == dataset, col(ListVersion.status) == "active")
            .order_by(col(ListVersion.id).desc())
        )
        .scalars()
        .first()
    )


def _audit_load(
    session: Session, version: ListVersion, actor: str, source: str, *, new: bool, links: dict[str, Any] | None = None
) -> None:
    detail: dict[str, Any] = {
        "file": source[:1000],
        "format": version.format,
        "version": version.number,
        "version_id": version.id,
        "new_version": new,
        "entities": version.entities,
        "added": version.added if new else 0,
        "changed": version.changed if new else 0,
        "removed": version.removed if new else 0,
        "skipped": version.skipped,
    }
    if links is not None:
        detail["entity_links"] = links
    session.add(
        AuditEvent(
            actor=actor,
            action="list.load" if new else "list.load_unchanged",
            object_type="list",
            object_id=version.dataset,
            detail=detail,
        )
    )


def store_records(
    session: Session,
    records: list[EntityRecord],
    report: LoadReport,
    *,
    dataset: str,
    fmt: str,
    source: str,
    file_hash: str,
) -> ListVersion:
    """Apply parsed records to the stored dataset as one new ListVersion (bulk statements)."""
    now = utcnow()
    last = session.execute(select(func.max(col(ListVersion.number))).where(col(ListVersion.dataset) == dataset))
    version = ListVersion(
        dataset=dataset,
        number=(last.scalar() or 0) + 1,
        source=source[:2048],
        format=fmt,
        file_hash=file_hash,
        published_at=report.published_at,
        loaded_at=now,
        status="loading",
    )
    session.add(version)
    session.flush()
    assert version.id is not None
    vid = version.id

    existing: dict[str, tuple[str, datetime | None]] = {
        row[0]: (row[1], row[2])
        for row in session.execute(
            select(col(Entity.id), col(Entity.content_hash), col(Entity.removed_at)).where(
                col(Entity.dataset) == dataset
            )
        )
    }
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    unchanged_ids: list[str] = []
    changes: list[dict[str, Any]] = []
    changed_recs: dict[str, EntityRecord] = {}
    by_id: dict[str, EntityRecord] = {}
    for rec in records:
        row = _entity_row(rec, dataset, vid, now)
        eid = row["id"]
        by_id[eid] = rec
        prev = existing.get(eid)
        if prev is None:
            row["first_seen"] = now
            new_rows.append(row)
            changes.append(
                {
                    "version_id": vid,
                    "entity_id": eid,
                    "change": "added",
                    "at": now,
                    "detail": {"name": rec.name, "names_added": sorted(_strong_names(rec))},
                }
            )
        elif prev[0] != row["content_hash"] or prev[1] is not None:
            changed_rows.append(row)
            changed_recs[eid] = rec
        else:
            unchanged_ids.append(eid)
    removed_ids = [eid for eid, (_h, removed_at) in existing.items() if removed_at is None and eid not in by_id]

    ent_table = Entity.__table__  # type: ignore[attr-defined]
    name_table = EntityName.__table__  # type: ignore[attr-defined]
    if new_rows:
        _bulk_insert(session, ent_table, new_rows)
        _bulk_insert(session, name_table, [n for r in new_rows for n in _name_rows(r["id"], by_id[r["id"]])])

    if changed_rows:
        ids = [r["id"] for r in changed_rows]
        old_names: dict[str, set[str]] = {}
        for chunk in _chunks(ids):
            for eid, name, weak in session.execute(
                select(col(EntityName.entity_id), col(EntityName.name), col(EntityName.weak)).where(
                    col(EntityName.entity_id).in_(chunk)
                )
            ):
                if not weak:
                    old_names.setdefault(eid, set()).add(name)
        old_fields: dict[str, dict[str, Any]] = {}
        compared = ("name", "schema_", "programs", "countries", "birth_dates", "identifiers", "addresses", "remarks")
        for chunk in _chunks(ids):
            for ent in session.execute(select(Entity).where(col(Entity.id).in_(chunk))).scalars():
                old_fields[ent.id] = {"removed": ent.removed_at is not None, **{f: getattr(ent, f) for f in compared}}
        for chunk in _chunks(ids):
            session.execute(delete(name_table).where(name_table.c.entity_id.in_(chunk)))
        stmt = update(ent_table).where(ent_table.c.id == _bind("b_id"))
        session.execute(
            stmt.values({k: _bind(k) for k in changed_rows[0] if k != "id"}),
            [{**{k: v for k, v in r.items() if k != "id"}, "b_id": r["id"]} for r in changed_rows],
        )
        _bulk_insert(session, name_table, [n for r in changed_rows for n in _name_rows(r["id"], by_id[r["id"]])])
        for r in changed_rows:
            eid = r["id"]
            rec = changed_recs[eid]
            before = old_fields.get(eid, {})
            new_names = _strong_names(rec)
            prev_names = old_names.get(eid, set())
            fields = [f.rstrip("_") for f in compared if f in before and before[f] != _rec_field(rec, f)]
            detail: dict[str, Any] = {
                "name": rec.name,
                "fields": fields,
                "names_added": sorted(new_names - prev_names),
                "names_removed": sorted(prev_names - new_names),
            }
            if before.get("removed"):
                detail["relisted"] = True
            changes.append({"version_id": vid, "entity_id": eid, "change": "changed", "at": now, "detail": detail})

    for chunk in _chunks(unchanged_ids):
        session.execute(update(ent_table).where(ent_table.c.id.in_(chunk)).values(last_seen=now))
    for chunk in _chunks(removed_ids):
        session.execute(update(ent_table).where(ent_table.c.id.in_(chunk)).values(removed_at=now, version_id=vid))
    changes.extend(
        {"version_id": vid, "entity_id": eid, "change": "removed", "at": now, "detail": {}} for eid in removed_ids
    )
    _bulk_insert(session, EntityChange.__table__, changes)  # type: ignore[attr-defined]

    session.execute(
        update(ListVersion.__table__)  # type: ignore[attr-defined]
        .where(ListVersion.__table__.c.dataset == dataset)  # type: ignore[attr-defined]
        .where(ListVersion.__table__.c.status == "active")  # type: ignore[attr-defined]
        .values(status="superseded")
    )
    version.entities = len(records)
    version.added = len(new_rows)
    version.changed = len(changed_rows)
    version.removed = len(removed_ids)
    version.skipped = report.skipped_count
    version.skipped_detail = report.skipped_summary()
    version.status = "active"
    session.add(version)
    session.flush()
    log.info(
        "loaded list",
        extra={
            "dataset": dataset,
            "version": vid,
            "entities": version.entities,
            "added": version.added,
            "changed": version.changed,
            "removed": version.removed,
            "skipped": version.skipped,
        },
    )
    return version


def _rec_field(rec: EntityRecord, field: str) -> Any:
    return rec.schema if field == "schema_" else getattr(rec, field)


def _bind(name: str) -> Any:
    return bindparam(name)


def summarise(version: ListVersion) -> dict[str, Any]:
    """A ListVersion as a JSON-ready summary line."""
    return {
        "version_id": version.id,
        "version": version.number,
        "dataset": version.dataset,
        "format": version.format,
        "source": version.source,
        "entities": version.entities,
        "added": version.added,
        "changed": version.changed,
        "removed": version.removed,
        "skipped": version.skipped,
        "skipped_detail": version.skipped_detail[:20],
        "loaded_at": version.loaded_at,
    }


def load_default_watchlists(session: Session, settings: Settings) -> list[str]:
    """Load the bundled watch lists (named officials) unless already loaded; lines for the user."""
    lines: list[str] = []
    for path in DEFAULT_WATCHLISTS:
        if not path.exists():
            continue
        fmt, records, report, files = read_records(path)
        dataset = get_loader(fmt).dataset_for(path)
        digest = files_digest(files)
        current = active_version(session, dataset)
        if current is not None and current.file_hash == digest:
            continue
        version = store_records(session, records, report, dataset=dataset, fmt=fmt, source=str(path), file_hash=digest)
        _audit_load(session, version, "system", str(path), new=True)
        lines.append(f"loaded watch list {dataset}: {version.entities} entities from {path.name}")
    return lines
