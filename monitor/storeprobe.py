"""The store's versions read with the plain database driver: the schema, the lists, the rule rows.

A command that finds everything it needs saved under the data dir (`scan` over a saved index)
only has to know that the store has not changed since: these few queries answer that without
importing SQLAlchemy, SQLModel and the table models (about half a second of start-up). The SQL
text here is the one copy: `watchlists.aliases.lists_version_key` and the rules source run the
same statements through their session, so both ways give the same keys.

`probe` returns None whenever it cannot answer for sure (a URL form it does not read, no file, a
schema behind SCHEMA_HEAD, any driver error): the caller then takes the ordinary path, which
migrates, reads and builds as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

# The newest migration. Kept here so a command can tell the schema is current with one SELECT,
# without importing Alembic or SQLAlchemy; monitor.db re-exports it and tests/test_schema.py checks
# it against Alembic.
SCHEMA_HEAD = "0008"

SCHEMA_SQL = "SELECT version_num FROM alembic_version"
# what `lists_version_key` is made of: the last list load and their count, the removed entities, the links
LISTS_SQL = (
    "SELECT (SELECT max(id) FROM list_version), (SELECT count(id) FROM list_version), "
    "(SELECT count(id) FROM entity WHERE removed_at IS NOT NULL), "
    "(SELECT max(id) FROM entity_link), (SELECT count(id) FROM entity_link)"
)
# every column a database rule is read from (the rules source builds its rules from these rows)
RULES_SQL = "SELECT id, title, description, category, severity, query, enabled FROM rule ORDER BY id"

RuleRow = tuple[str, str, str, str, str, str, bool]


def lists_key(row: Any) -> str:
    """The lists version key of one LISTS_SQL row (changes with every list load, removal or link)."""
    last, count, removed, link_last, link_count = row
    return f"{last or 0}:{count}:{removed}:{link_last or 0}:{link_count}"


def rule_rows(rows: Any) -> list[RuleRow]:
    """RULES_SQL rows as plain tuples (SQLite gives `enabled` as 0/1, PostgreSQL as a bool)."""
    return [(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in rows]


@dataclass(frozen=True)
class StoreState:
    """What a saved matcher depends on in the store."""

    lists_key: str
    rules: list[RuleRow]


def _connect(url: str) -> Any:
    """A DB-API connection for a SQLite file or a PostgreSQL URL, or None for any other form."""
    if url.startswith("sqlite:///") and "?" not in url:
        # SQLAlchemy percent-decodes the path ("my%20data" is "my data"): the probe must open that file too
        path = unquote(url[len("sqlite:///"):])
        if not path or path == ":memory:" or not Path(path).is_file():
            return None  # never create the file: a store that does not exist yet is for the ordinary path
        import sqlite3

        return sqlite3.connect(path, timeout=30)
    for scheme in ("postgresql://", "postgresql+psycopg://"):
        if url.startswith(scheme):
            import psycopg

            return psycopg.connect("postgresql://" + url[len(scheme):], connect_timeout=10)
    return None


def probe(url: str) -> StoreState | None:
    """The store's lists key and rule rows when its schema is current, else None (see the module doc)."""
    try:
        conn = _connect(url)
    except Exception:  # an unreachable server: the ordinary path reports it properly
        return None
    if conn is None:
        return None
    try:
        cur = conn.cursor()
        cur.execute(SCHEMA_SQL)
        if {row[0] for row in cur.fetchall()} != {SCHEMA_HEAD}:
            return None
        cur.execute(LISTS_SQL)
        lists = lists_key(cur.fetchone())
        cur.execute(RULES_SQL)
        return StoreState(lists, rule_rows(cur.fetchall()))
    except Exception:  # a missing table, a locked file, a dropped connection
        return None
    finally:
        conn.close()
