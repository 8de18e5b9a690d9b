"""Where rules come from for the API: editable rows of the DB `Rule` table and the read-only rule files."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlmodel import Session, col, select

from monitor.api.schemas import RulePublic
from monitor.matching.types import RuleSpec
from monitor.models import Rule
from monitor.settings import Settings

_FILE_RULES: dict[str, list[RulePublic]] = {}
_LOCK = threading.Lock()


def rule_dirs(settings: Settings) -> list[Path]:
    """The default rule pack plus the user's own rule folder, when set and present."""
    from monitor.alerts.matcher_cache import rule_paths

    return rule_paths(settings)


def _files_key(paths: list[Path]) -> str:
    from monitor.matching.rulefile import rule_files

    return "\x1e".join(f"{p}\x1f{p.stat().st_size}\x1f{p.stat().st_mtime_ns}" for p in rule_files(paths))


def file_rules(settings: Settings) -> list[RulePublic]:
    """Rules defined in YAML files (read-only through the API), re-read only when a file changes.

    Parsing and checking the rule pack takes tens of milliseconds, too much for every alert
    detail; the cache is keyed on the files' names, sizes and modification times.
    """
    from monitor.matching.rulefile import load_rules

    paths = rule_dirs(settings)
    if not paths:
        return []
    key = _files_key(paths)
    cached = _FILE_RULES.get(key)
    if cached is not None:
        return cached
    with _LOCK:
        rules = [spec_public(spec, source="file") for spec in load_rules(paths)]
        _FILE_RULES.clear()
        _FILE_RULES[key] = rules
    return rules


_RULE_FIELDS = ("id", "title", "description", "category", "severity", "query", "enabled")


def spec_public(spec: RuleSpec, source: str) -> RulePublic:
    """A matcher's RuleSpec as the API shows it (escalations are not part of RulePublic)."""
    return RulePublic.model_validate({**{name: getattr(spec, name) for name in _RULE_FIELDS}, "source": source})


def rule_spec(rule: RulePublic) -> RuleSpec:
    """The RuleSpec the matcher runs for a rule as the API shows it."""
    return RuleSpec(**{name: getattr(rule, name) for name in _RULE_FIELDS})


def db_rule_public(rule: Rule) -> RulePublic:
    """A DB rule row as RulePublic."""
    return RulePublic.model_validate({**rule.model_dump(), "source": "db"})


def all_rules(session: Session, settings: Settings) -> list[RulePublic]:
    """Every rule: the database's, then those from files whose id the database does not override."""
    rows = [db_rule_public(r) for r in session.exec(select(Rule).order_by(col(Rule.id))).all()]
    taken = {r.id for r in rows}
    return rows + [r for r in file_rules(settings) if r.id not in taken]


def rule_public(session: Session, settings: Settings, rule_id: str) -> RulePublic | None:
    """One rule by id, from the database first, then the files; None when unknown."""
    row = session.get(Rule, rule_id)
    if row is not None:
        return db_rule_public(row)
    return next((r for r in file_rules(settings) if r.id == rule_id), None)
