"""The compiled matcher of this process, rebuilt when the rules or the lists change.

The key is cheap to compute for every article: the rule files' names, sizes and
modification times, the DB rules' ids and update times, and `lists_version_key`. When it
differs from the cached matcher's, the matcher is rebuilt in this process: a worker picks
up a new rule or a list update without a restart. One matcher is kept per database.
Invalid rules are logged and left out (the others keep working); `rules check` shows them.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path

from sqlmodel import Session, col, select

from monitor.matching.engine import Matcher, build_matcher
from monitor.matching.rulefile import RuleError, check_rules, rule_files, validate_rule
from monitor.matching.types import RuleSpec
from monitor.models import Rule
from monitor.settings import CONFIG_DIR, Settings
from monitor.watchlists.aliases import iter_alias_specs, lists_version_key

log = logging.getLogger(__name__)

_LOCK = threading.Lock()
_CACHE: dict[str, tuple[str, Matcher]] = {}


def rule_paths(settings: Settings) -> list[Path]:
    """The default rule pack and the user's rule folder (when set and present)."""
    paths = [CONFIG_DIR / "rules"]
    if settings.rules_dir:
        paths.append(Path(settings.rules_dir))
    return [p for p in paths if p.exists()]


def db_rule_specs(session: Session) -> list[RuleSpec]:
    """Rules stored in the database, validated (invalid ones are logged and skipped)."""
    specs = []
    for row in session.exec(select(Rule).order_by(col(Rule.id))).all():
        data = {
            "id": row.id,
            "title": row.title,
            "description": row.description,
            "category": row.category,
            "severity": row.severity,
            "query": row.query,
            "enabled": row.enabled,
        }
        try:
            specs.append(validate_rule(data, source=f"rule {row.id} (database)"))
        except RuleError as exc:
            log.error("invalid database rule left out: %s", exc)
    return specs


def load_all_rules(session: Session, settings: Settings) -> list[RuleSpec]:
    """Every valid rule: the database's, then the files' whose id the database does not override."""
    file_specs, errors = check_rules(rule_paths(settings))
    for err in errors:
        log.error("invalid rule left out: %s", err)
    db_specs = db_rule_specs(session)
    taken = {r.id for r in db_specs}
    return db_specs + [r for r in file_specs if r.id not in taken]


def known_rule_ids(session: Session, settings: Settings) -> set[str]:
    """Ids of every rule a filter may name: the rule files' (valid ones) and the database's (any)."""
    file_specs, _errors = check_rules(rule_paths(settings))
    return {r.id for r in file_specs} | set(session.exec(select(Rule.id)).all())


def rules_key(session: Session, settings: Settings) -> str:
    """Changes whenever a rule file or a database rule changes."""
    digest = hashlib.sha256()
    for path in rule_files(rule_paths(settings)):
        stat = path.stat()
        digest.update(f"{path}\x1f{stat.st_size}\x1f{stat.st_mtime_ns}\x1e".encode())
    for rule_id, updated, enabled in session.exec(select(Rule.id, Rule.updated_at, Rule.enabled)).all():
        digest.update(f"{rule_id}\x1f{updated}\x1f{enabled}\x1e".encode())
    return digest.hexdigest()[:16]


def current_matcher(session: Session, settings: Settings) -> Matcher:
    """The matcher for the current rules and lists, built on first use and after any change."""
    key = f"{rules_key(session, settings)}:{lists_version_key(session)}"
    where = str(session.get_bind().engine.url)
    cached = _CACHE.get(where)
    if cached is not None and cached[0] == key:
        return cached[1]
    with _LOCK:
        cached = _CACHE.get(where)
        if cached is not None and cached[0] == key:
            return cached[1]
        matcher = build_matcher(load_all_rules(session, settings), iter_alias_specs(session))
        log.info("matcher built", extra={"version": matcher.version, "aliases": matcher.alias_count})
        _CACHE[where] = (key, matcher)
        return matcher
