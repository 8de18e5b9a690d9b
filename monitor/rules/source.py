"""The one answer to "which rules and vocabularies are active now", for every process and caller.

Rules come from the default pack (config/rules), the user's rules folder (MONITOR_RULES_DIR) and
the database (rules created through the API or the console); a database rule overrides a file
rule of the same id. Vocabularies come from the rule files only, and database rules may use them.
The worker (through the matcher cache), the API, the console, the CLI and notifications all call
`active_rules`, so they all see the same rules after the same change.

One cache per process and per (database, rule folders). Whether it is still current is decided
by a cheap stamp: the rule files' names, sizes and modification times and the database rules'
ids, update times and enabled flags (one small query). A change of any of them rebuilds the
entry; `invalidate()` drops every entry at once (the rule service calls it after a write, so the
writing process never serves the old rules even within one clock tick). `ActiveRules.version`
is a fingerprint of the content (rules and vocabularies, not times), the same in every process
for the same rules: the matcher and its saved index are keyed on it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, col, select

from monitor.matching.rulefile import RuleError, read_pack, rule_files, validate_rule
from monitor.matching.types import RuleSpec
from monitor.matching.vocabulary import NO_VOCABULARIES, Vocabularies
from monitor.models import Rule
from monitor.settings import CONFIG_DIR, Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActiveRules:
    """The rules and vocabularies in force, with what was left out and a content fingerprint."""

    rules: tuple[RuleSpec, ...] = ()  # every valid rule, enabled or not: the database's, then the files'
    file_rules: tuple[RuleSpec, ...] = ()  # every valid rule of the files (overridden or not)
    vocabularies: Vocabularies = NO_VOCABULARIES
    errors: tuple[RuleError, ...] = ()  # invalid rules and vocabularies, left out
    version: str = ""
    origins: dict[str, str] = field(default_factory=dict)  # rule id -> "db" | "file"

    def get(self, rule_id: str) -> RuleSpec | None:
        """The active rule with this id (enabled or not), or None."""
        return next((r for r in self.rules if r.id == rule_id), None)

    @property
    def enabled(self) -> list[RuleSpec]:
        """The rules the matcher runs."""
        return [r for r in self.rules if r.enabled]

    def is_file_rule(self, rule_id: str) -> bool:
        """True when a rule file defines this id (read-only through the API and the console)."""
        return any(r.id == rule_id for r in self.file_rules)


_LOCK = threading.Lock()
_CACHE: dict[tuple[str, tuple[str, ...]], tuple[str, ActiveRules]] = {}


def rule_paths(settings: Settings) -> list[Path]:
    """The default rule pack and the user's rule folder (when set and present)."""
    paths = [CONFIG_DIR / "rules"]
    if settings.rules_dir:
        paths.append(Path(settings.rules_dir))
    return [p for p in paths if p.exists()]


def _stamp(session: Session, paths: list[Path]) -> str:
    """Changes whenever a rule file or a database rule changes (cheap: stat calls and one small query)."""
    digest = hashlib.sha256()
    try:
        files = rule_files(paths)
    except RuleError:
        files = []
    for path in files:
        try:
            stat = path.stat()
        except OSError:
            continue
        digest.update(f"{path}\x1f{stat.st_size}\x1f{stat.st_mtime_ns}\x1e".encode())
    rows = session.exec(select(Rule.id, Rule.updated_at, Rule.enabled).order_by(col(Rule.id))).all()
    for rule_id, updated, enabled in rows:
        digest.update(f"db\x1f{rule_id}\x1f{updated}\x1f{enabled}\x1e".encode())
    return digest.hexdigest()


def _version(rules: list[RuleSpec], vocabularies: Vocabularies) -> str:
    digest = hashlib.sha256(vocabularies.fingerprint.encode())
    for r in sorted(rules, key=lambda r: r.id):
        escalate = [(e.when, e.severity, e.scope) for e in r.escalate]
        digest.update(repr((r.id, r.title, r.description, r.category, r.severity, r.query, r.enabled,
                            escalate)).encode())
    return digest.hexdigest()[:16]


def _load(session: Session, paths: list[Path]) -> ActiveRules:
    pack = read_pack(paths) if paths else None
    vocabularies = pack.vocabularies if pack else NO_VOCABULARIES
    errors: list[RuleError] = list(pack.errors) if pack else []
    db_specs: list[RuleSpec] = []
    for row in session.exec(select(Rule).order_by(col(Rule.id))).all():
        data = {"id": row.id, "title": row.title, "description": row.description, "category": row.category,
                "severity": row.severity, "query": row.query, "enabled": row.enabled}
        try:
            db_specs.append(validate_rule(data, source=f"rule {row.id} (database)", vocabularies=vocabularies))
        except RuleError as exc:
            errors.append(exc)
    file_specs = list(pack.rules) if pack else []
    taken = {r.id for r in db_specs}
    rules = db_specs + [r for r in file_specs if r.id not in taken]
    for err in errors:
        log.error("invalid rule left out: %s", err)
    origins = {r.id: "db" for r in db_specs} | {r.id: "file" for r in file_specs if r.id not in taken}
    return ActiveRules(tuple(rules), tuple(file_specs), vocabularies, tuple(errors), _version(rules, vocabularies),
                       origins)


def active_rules(session: Session, settings: Settings) -> ActiveRules:
    """The rules and vocabularies in force now (cached until a rule file or a database rule changes)."""
    paths = rule_paths(settings)
    where = (str(session.get_bind().engine.url), tuple(str(p) for p in paths))
    stamp = _stamp(session, paths)
    cached = _CACHE.get(where)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with _LOCK:
        cached = _CACHE.get(where)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        active = _load(session, paths)
        _CACHE[where] = (stamp, active)
        return active


def rules_version(session: Session, settings: Settings) -> str:
    """Fingerprint of the active rules and vocabularies (the same in every process for the same content)."""
    return active_rules(session, settings).version


def invalidate() -> None:
    """Forget every cached rule set (the next call re-reads files and database)."""
    with _LOCK:
        _CACHE.clear()


def rule_title(session: Session, settings: Settings, rule_id: str) -> tuple[str, str]:
    """(title, description) of a rule: the database row's (valid or not), else the files', else the id."""
    row = session.get(Rule, rule_id)
    if row is not None:
        return row.title, row.description
    try:
        spec = active_rules(session, settings).get(rule_id)
    except Exception:  # an unreadable rule folder must not stop a delivery
        log.exception("rules not readable while describing rule %s", rule_id)
        spec = None
    return (spec.title, spec.description) if spec is not None else (rule_id, "")


def known_rule_ids(session: Session, settings: Settings) -> set[str]:
    """Ids of every rule a filter may name: the rule files' (valid ones) and the database's (any, valid or not)."""
    return {r.id for r in active_rules(session, settings).file_rules} | set(session.exec(select(Rule.id)).all())
