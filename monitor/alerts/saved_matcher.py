"""The matcher from what earlier processes saved under the data dir, without the ORM.

`saved_matcher` is the start-up path of a command that only matches (`scan`): the store's versions
are read with the plain driver (`monitor.storeprobe`), the rules come from `monitor.rules.saved`
and the index from `monitor.matching.indexstore`, both keyed on those versions, so a scan over a
fresh saved index never imports SQLAlchemy, SQLModel or the table models. It answers None whenever
the ordinary path (`matcher_cache.current_matcher`: migrate, read, build, save) has work to do:
no saved index for these versions, a schema behind, a store it cannot read, the cache turned off.
"""

from __future__ import annotations

import logging
import time

from monitor.cachefiles import CacheError
from monitor.matching import indexstore
from monitor.matching.engine import Matcher
from monitor.matching.language import keep_model_in
from monitor.matching.rulecompile import StaleIndexError
from monitor.matching.types import RuleSpec
from monitor.rules.saved import cache_folder, rules_for
from monitor.settings import Settings
from monitor.storeprobe import probe

log = logging.getLogger(__name__)


def load_matcher(settings: Settings, rules: list[RuleSpec], disk_key: str) -> Matcher | None:
    """The matcher over the index saved for this key, or None (absent, stale or damaged: rebuild)."""
    if not settings.match_cache_enabled:
        return None
    started = time.perf_counter()
    try:
        matcher = Matcher(indexstore.load_index(cache_folder(settings), disk_key), rules)
    except CacheError as exc:
        log.info("matching index not loaded (%s): building it", exc)
        return None
    except StaleIndexError as exc:
        log.warning("matching index stale (%s): building it", exc)
        return None
    log.info("matching index loaded", extra={"version": matcher.version, "aliases": matcher.alias_count,
                                             "seconds": round(time.perf_counter() - started, 3)})
    return matcher


def saved_matcher(settings: Settings) -> Matcher | None:
    """The matcher for the store's current lists and rules from the saved index, or None (see above)."""
    if not settings.match_cache_enabled:
        return None
    state = probe(settings.effective_database_url)
    if state is None:
        return None
    keep_model_in(cache_folder(settings))  # as current_matcher does: the language model beside the index
    active = rules_for(settings, state.rules)
    return load_matcher(settings, list(active.rules), indexstore.index_key(state.lists_key, active.version))
