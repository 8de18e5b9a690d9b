"""The rule list for the console, with the rule files' part cached until a file changes.

Loading the rule files validates every query (about 0.2 s for the default pack), too slow
for every render of the alert queue; the API's `all_rules` logic is kept, only the file
part is remembered per (path, mtime, size) of the YAML files.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sqlmodel import Session, col, select

from monitor.api.rules_source import db_rule_public, file_rules, rule_dirs
from monitor.api.schemas import RulePublic
from monitor.models import Rule
from monitor.settings import Settings

_LOCK = threading.Lock()
_CACHE: dict[tuple[tuple[str, int, int], ...], list[RulePublic]] = {}


def _stamp(settings: Settings) -> tuple[tuple[str, int, int], ...]:
    files: list[Path] = []
    for folder in rule_dirs(settings):
        files.extend(sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml")))
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)


def cached_file_rules(settings: Settings) -> list[RulePublic]:
    """`file_rules(settings)`, reloaded only when a rule file is added, removed or changed."""
    stamp = _stamp(settings)
    with _LOCK:
        hit = _CACHE.get(stamp)
    if hit is not None:
        return hit
    rules = file_rules(settings)
    with _LOCK:
        _CACHE.clear()
        _CACHE[stamp] = rules
    return rules


def all_rules_cached(session: Session, settings: Settings) -> list[RulePublic]:
    """Every rule as the API lists it: the database's, then file rules the database does not override."""
    rows = [db_rule_public(r) for r in session.exec(select(Rule).order_by(col(Rule.id))).all()]
    taken = {r.id for r in rows}
    return rows + [r for r in cached_file_rules(settings) if r.id not in taken]
