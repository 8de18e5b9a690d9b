"""The compiled matcher of this process, rebuilt when the rules or the lists change.

The key is cheap to compute for every article: the rule files' names, sizes and
modification times, the DB rules' ids and update times, and `lists_version_key`. When it
differs from the cached matcher's, the matcher is replaced: a worker picks up a new rule or a
list update without a restart. The compiled index is saved under `<data_dir>/cache` per (lists
version, rules contents, code) by `monitor.matching.indexstore`, so a new process (a worker after
a restart, each CLI command) loads it instead of building it. A large matcher is rebuilt in a
background thread while the old one keeps matching. One matcher is kept per database.
Invalid rules are logged and left out (the others keep working); `rules check` shows them.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.cachefiles import CacheError
from monitor.matching import indexstore
from monitor.matching.engine import Matcher, build_matcher
from monitor.matching.rulecompile import StaleIndexError
from monitor.matching.rulefile import RuleError, check_rules, rule_files, validate_rule
from monitor.matching.types import RuleSpec
from monitor.models import Rule
from monitor.settings import CONFIG_DIR, Settings
from monitor.watchlists.aliases import iter_alias_specs, lists_version_key

log = logging.getLogger(__name__)

_LOCK = threading.Lock()
_CACHE: dict[str, tuple[str, Matcher]] = {}
_BUILDING: set[str] = set()  # databases whose matcher is being rebuilt in the background


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


def rules_version(rules: list[RuleSpec]) -> str:
    """A digest of the rules' contents (not of file times): equal in every process that reads them."""
    return hashlib.sha256(repr(rules).encode()).hexdigest()[:16]


def _index_folder(settings: Settings) -> Path:
    return Path(settings.data_dir) / "cache"


def _build(session: Session, settings: Settings, rules: list[RuleSpec], disk_key: str) -> Matcher:
    """Build the matcher from the stored lists and keep its index on disk for the next process."""
    started = time.perf_counter()
    matcher = build_matcher(rules, iter_alias_specs(session))
    log.info("matcher built", extra={"version": matcher.version, "aliases": matcher.alias_count,
                                     "seconds": round(time.perf_counter() - started, 3)})
    if settings.match_cache_enabled:
        try:
            indexstore.save_index(_index_folder(settings), disk_key, matcher.index)
        except Exception as exc:  # a read-only or full disk only costs the next process a rebuild
            log.warning("matching index not cached in %s: %s", _index_folder(settings), exc)
    return matcher


def _load(settings: Settings, rules: list[RuleSpec], disk_key: str) -> Matcher | None:
    """The matcher over the index saved for this key, or None (absent, stale or damaged: rebuild)."""
    if not settings.match_cache_enabled:
        return None
    started = time.perf_counter()
    try:
        matcher = Matcher(indexstore.load_index(_index_folder(settings), disk_key), rules)
    except CacheError as exc:
        log.info("matching index not loaded (%s): building it", exc)
        return None
    except StaleIndexError as exc:
        log.warning("matching index stale (%s): building it", exc)
        return None
    log.info("matching index loaded", extra={"version": matcher.version, "aliases": matcher.alias_count,
                                             "seconds": round(time.perf_counter() - started, 3)})
    return matcher


def _rebuild_in_background(bind: Engine, settings: Settings, where: str, key: str) -> None:
    def run() -> None:
        try:
            with Session(bind) as session:
                rules = load_all_rules(session, settings)
                disk_key = indexstore.index_key(lists_version_key(session), rules_version(rules))
                matcher = _load(settings, rules, disk_key) or _build(session, settings, rules, disk_key)
            _CACHE[where] = (key, matcher)
        except Exception:  # the old matcher keeps serving; the next call tries again
            log.exception("background matcher rebuild failed")
        finally:
            _BUILDING.discard(where)

    if where in _BUILDING:
        return
    _BUILDING.add(where)
    threading.Thread(target=run, name="matcher-rebuild", daemon=True).start()


def current_matcher(session: Session, settings: Settings, wait: bool = False) -> Matcher:
    """The matcher for the current rules and lists: kept in this process, loaded from the index
    saved under the data dir by an earlier process, or built (and saved). When the rules or the
    lists change under a large matcher, the new one is built in the background and the old one
    keeps matching until it is ready (`wait=True` waits for it instead: `scan`, rescreens)."""
    key = f"{rules_key(session, settings)}:{lists_version_key(session)}"
    where = str(session.get_bind().engine.url)
    cached = _CACHE.get(where)
    if cached is not None and cached[0] == key:
        return cached[1]
    if (not wait and cached is not None and settings.match_cache_enabled
            and cached[1].alias_count >= settings.match_background_min_aliases):
        _rebuild_in_background(session.get_bind().engine, settings, where, key)
        return cached[1]
    with _LOCK:
        cached = _CACHE.get(where)
        if cached is not None and cached[0] == key:
            return cached[1]
        rules = load_all_rules(session, settings)
        disk_key = indexstore.index_key(lists_version_key(session), rules_version(rules))
        matcher = _load(settings, rules, disk_key) or _build(session, settings, rules, disk_key)
        _CACHE[where] = (key, matcher)
        return matcher
