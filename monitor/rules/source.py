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
for the same rules: the matcher and its saved index are keyed on it. A new entry is parsed only
when no earlier process saved the rules of the same content (`monitor.rules.saved`).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path

from sqlmodel import Session, col, select

from monitor.matching.rulefile import RuleError, rule_files
from monitor.models import Rule
from monitor.rules.active import ActiveRules as ActiveRules  # re-exported: the one place callers import from
from monitor.rules.active import rule_paths
from monitor.rules.saved import rules_for
from monitor.settings import Settings
from monitor.storeprobe import RULES_SQL, rule_rows

log = logging.getLogger(__name__)


_LOCK = threading.Lock()
_CACHE: dict[tuple[str, tuple[str, ...]], tuple[str, ActiveRules]] = {}


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


def _load(session: Session, settings: Settings) -> ActiveRules:
    # the database's rows as the plain-driver probe reads them: the saved rules' key is the same both ways
    rows = rule_rows(session.connection().exec_driver_sql(RULES_SQL).all())
    return rules_for(settings, rows)


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
        active = _load(session, settings)
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
