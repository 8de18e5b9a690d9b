"""Severities are ordered defensibly: a sanctions-list hit never ranks below a watch-list hit on the
same sentence. Checked on the shipped rule pack, as data and on a real scan."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.alerts.matcher_cache import current_matcher
from monitor.db import session_scope
from monitor.matching.query import Term, parse_query, walk
from monitor.matching.rulefile import load_rules
from monitor.matching.types import SEVERITY_RANK, ArticleInput
from monitor.rules.source import rule_paths
from monitor.settings import CONFIG_DIR
from monitor.watchlists.store import load_list
from tests.watchlists.test_load_ofac_csv import write_list


def _words(query: str) -> set[str]:
    return {n.raw.lower() for n in walk(parse_query(query)) if isinstance(n, Term)}


def test_every_context_that_raises_a_watch_list_hit_raises_a_sanctions_list_hit_as_high(make_settings) -> None:  # type: ignore[no-untyped-def]
    rules = {r.id: r for r in load_rules(rule_paths(make_settings()))}
    listed, watched = rules["sanctioned-entity"], rules["named-officials"]
    assert SEVERITY_RANK[listed.severity] >= SEVERITY_RANK[watched.severity]
    for esc in watched.escalate:
        raising = set().union(*(_words(e.when) for e in listed.escalate
                                if SEVERITY_RANK[e.severity] >= SEVERITY_RANK[esc.severity] and e.scope == esc.scope))
        missing = _words(esc.when) - raising
        assert not missing, f"named-officials rises to {esc.severity} on {sorted(missing)}; sanctioned-entity does not"


def test_the_same_person_on_both_lists_ranks_no_lower_as_a_sanctions_hit(sqlite_engine: Engine, make_settings,
                                                                        tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cfg = make_settings()
    with session_scope(sqlite_engine) as s:
        load_list(s, write_list(tmp_path / "sdn"))  # lists SHOIGU, Sergei Kuzhugetovich (us_ofac_sdn:35173)
        load_list(s, CONFIG_DIR / "watchlists" / "named_officials.yaml")  # Sergei Shoigu, named official
    article = ArticleInput(id="1", title="Talks in Pyongyang",
                           text="Russian defence minister Sergei Shoigu discussed missiles and drones with his hosts.")
    with Session(sqlite_engine) as s:
        found = {a.rule: a for a in current_matcher(s, cfg).scan(article).alerts}
    listed, watched = found["sanctioned-entity"], found["named-officials"]
    assert "us_ofac_sdn:35173" in listed.entity_ids
    assert (SEVERITY_RANK[listed.severity], listed.score) >= (SEVERITY_RANK[watched.severity], watched.score), (
        listed.severity, listed.score, watched.severity, watched.score)
    assert listed.severity == "high" and "raised from medium" in listed.explanation
