"""Store article drafts: upsert with dedupe by GUID, then link, then content hash.

An incoming item is the same story as a stored one of the same feed when its GUID
matches, else when its link matches, else when its title+text hash matches. A match
whose text changed is an edit: the row is updated (and marked for re-matching). A
story never seen is inserted with INSERT ... ON CONFLICT DO NOTHING on the unique
(feed_id, dedupe_key), so two polls of one feed running at once can never store it
twice: the loser's insert is simply ignored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from monitor.feeds.parse import ArticleDraft
from monitor.matching.language import detect_language
from monitor.models import Article, utcnow


@dataclass
class StoreResult:
    """Ids of the articles this store created and updated."""

    new_ids: list[int] = field(default_factory=list)
    updated_ids: list[int] = field(default_factory=list)


def dedupe_key(draft: ArticleDraft) -> str:
    """The key the unique constraint works on: GUID, else link, else content hash."""
    for prefix, value in (("g", draft.guid), ("l", draft.url)):
        if value:
            if len(value) <= 500:
                return f"{prefix}:{value}"
            return f"{prefix}#{hashlib.sha256(value.encode()).hexdigest()}"
    return f"h:{draft.content_hash}"


def begin_write(session: Session) -> None:
    """Start a write transaction; on SQLite take the write lock up front (BEGIN IMMEDIATE)
    so a read-then-write transaction never fails on a stale snapshot under concurrency."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    raw: Any = conn.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _insert_ignore(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows in one statement, skipping any whose (feed_id, dedupe_key) exists; ids of those inserted."""
    if not rows:
        return []
    dialect = session.connection().dialect.name
    table: Any = Article.__table__  # type: ignore[attr-defined]
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table).values(rows)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).values(rows)
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise RuntimeError(f"unsupported database: {dialect}")
    stmt = stmt.on_conflict_do_nothing(index_elements=["feed_id", "dedupe_key"]).returning(table.c.id)
    return sorted(int(row[0]) for row in session.execute(stmt).all())


def _unique(drafts: Iterable[ArticleDraft]) -> list[ArticleDraft]:
    # A feed that lists one story twice keeps the first occurrence.
    seen: set[str] = set()
    out = []
    for draft in drafts:
        keys = {dedupe_key(draft), f"h:{draft.content_hash}"}
        if draft.url:
            keys.add(f"l:{draft.url}")
        if keys & seen:
            continue
        seen |= keys
        out.append(draft)
    return out


def store_drafts(
    session: Session, feed_id: int, drafts: Sequence[ArticleDraft], now: datetime | None = None
) -> StoreResult:
    """Upsert drafts of one feed (in the caller's transaction); return new and updated ids."""
    now = now or utcnow()
    result = StoreResult()
    drafts = _unique(drafts)
    if not drafts:
        return result
    keys = [dedupe_key(d) for d in drafts]
    guids = [d.guid for d in drafts if d.guid]
    links = [d.url for d in drafts if d.url]
    hashes = [d.content_hash for d in drafts]
    cols: tuple[Any, ...] = (col(Article.id), col(Article.guid), col(Article.url), col(Article.content_hash),
                             col(Article.dedupe_key))
    by_key: dict[str, tuple[int, str]] = {}
    by_guid: dict[str, tuple[int, str]] = {}
    by_link: dict[str, tuple[int, str]] = {}
    by_hash: dict[str, tuple[int, str]] = {}
    for chunk_start in range(0, len(drafts), 300):
        sl = slice(chunk_start, chunk_start + 300)
        stmt = select(*cols).where(
            col(Article.feed_id) == feed_id,
            col(Article.dedupe_key).in_(keys[sl])
            | col(Article.guid).in_(guids[sl] or [""])
            | col(Article.url).in_(links[sl] or [""])
            | col(Article.content_hash).in_(hashes[sl]),
        )
        for art_id, guid, url, chash, key in session.execute(stmt).all():
            entry = (int(art_id), str(chash))
            by_key.setdefault(key, entry)
            if guid:
                by_guid.setdefault(guid, entry)
            if url:
                by_link.setdefault(url, entry)
            by_hash.setdefault(chash, entry)
    claimed: set[int] = set()
    fresh: list[dict[str, Any]] = []
    for draft, key in zip(drafts, keys, strict=True):
        match = by_key.get(key)
        if match is None and draft.guid:
            match = by_guid.get(draft.guid)
        if match is None and draft.url:
            match = by_link.get(draft.url)
        if match is None:
            match = by_hash.get(draft.content_hash)
        if match is not None:
            art_id, old_hash = match
            if art_id in claimed:
                continue
            claimed.add(art_id)
            if old_hash != draft.content_hash:
                _update(session, art_id, draft, now)
                result.updated_ids.append(art_id)
            continue
        fresh.append(_values(feed_id, draft, key, now))
    # Batches keep each statement under SQLite's bound-parameter limit.
    for start in range(0, len(fresh), 200):
        result.new_ids.extend(_insert_ignore(session, fresh[start : start + 200]))
    return result


def _text_values(draft: ArticleDraft) -> dict[str, Any]:
    # what an item's text gives the row, on insert and when an edit replaces it
    return {
        "title": draft.title,
        "summary": draft.summary,
        "content": draft.content,
        "text": draft.text,
        "author": draft.author,
        "language": detect_language(draft.title or "", draft.text or "", draft.language),
        "declared_language": draft.language,
        "content_hash": draft.content_hash,
    }


def _values(feed_id: int, draft: ArticleDraft, key: str, now: datetime) -> dict[str, Any]:
    return {
        "feed_id": feed_id,
        "guid": draft.guid,
        "url": draft.url,
        **_text_values(draft),
        "published_at": draft.published_at,
        "fetched_at": now,
        "dedupe_key": key,
    }


def _update(session: Session, art_id: int, draft: ArticleDraft, now: datetime) -> None:
    values: dict[str, Any] = {
        **_text_values(draft),
        "updated_at": now,
        # Edited text must be matched again.
        "matched_at": None,
    }
    if draft.url:
        values["url"] = draft.url
    if draft.published_at:
        values["published_at"] = draft.published_at
    session.execute(update(Article).where(col(Article.id) == art_id).values(**values))
