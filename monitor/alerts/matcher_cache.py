"""The compiled matcher of this process, rebuilt when the rules or the lists change.

Which rules are active, and their content version, come from `monitor.rules.source` (one
cache, one invalidation); the key is that rules version and `lists_version_key`. When it
differs from the cached matcher's, the matcher is replaced: a worker picks up a new rule or a
list update without a restart. The compiled index is saved under `<data_dir>/cache` per (lists
version, rules contents, code) by `monitor.matching.indexstore`, so a new process (a worker after
a restart, each CLI command) loads it instead of building it. A large matcher is rebuilt in a
background thread while the old one keeps matching. One matcher is kept per database.
Invalid rules are left out by the rules source (the others keep working); `rules check`, the
console and /healthz show them.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.alerts.saved_matcher import load_matcher
from monitor.matching import indexstore
from monitor.matching.engine import Matcher, build_matcher
from monitor.matching.language import keep_model_in
from monitor.matching.types import RuleSpec
from monitor.rules.saved import cache_folder
from monitor.rules.source import active_rules
from monitor.settings import Settings
from monitor.watchlists.aliases import iter_alias_specs, lists_version_key

log = logging.getLogger(__name__)

_LOCK = threading.Lock()
_CACHE: dict[str, tuple[str, Matcher]] = {}
_BUILDING: set[str] = set()  # databases whose matcher is being rebuilt in the background


def _build(session: Session, settings: Settings, rules: list[RuleSpec], disk_key: str) -> Matcher:
    """Build the matcher from the stored lists and keep its index on disk for the next process."""
    started = time.perf_counter()
    matcher = build_matcher(rules, iter_alias_specs(session))
    log.info("matcher built", extra={"version": matcher.version, "aliases": matcher.alias_count,
                                     "seconds": round(time.perf_counter() - started, 3)})
    if settings.match_cache_enabled:
        try:
            indexstore.save_index(cache_folder(settings), disk_key, matcher.index)
        except Exception as exc:  # a read-only or full disk only costs the next process a rebuild
            log.warning("matching index not cached in %s: %s", cache_folder(settings), exc)
    return matcher


def _rebuild_in_background(bind: Engine, settings: Settings, where: str, key: str) -> None:
    def run() -> None:
        try:
            with Session(bind) as session:
                active = active_rules(session, settings)
                rules = list(active.rules)
                disk_key = indexstore.index_key(lists_version_key(session), active.version)
                matcher = load_matcher(settings, rules, disk_key) or _build(session, settings, rules, disk_key)
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
    if settings.match_cache_enabled:  # the language model's uncompressed copy beside the index
        keep_model_in(cache_folder(settings))
    active = active_rules(session, settings)
    key = f"{active.version}:{lists_version_key(session)}"
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
        rules = list(active.rules)
        disk_key = indexstore.index_key(lists_version_key(session), active.version)
        matcher = load_matcher(settings, rules, disk_key) or _build(session, settings, rules, disk_key)
        _CACHE[where] = (key, matcher)
        return matcher
