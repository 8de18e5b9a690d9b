"""Backtest one rule over stored articles without storing anything.

The API's `POST /rules/{id}/test`, the console's draft backtest and the CLI's `rules test`
all scan through `stored_hits`, so a rule fires the same way in all three. Nothing is
written: a draft is passed as a `RuleSpec`, never inserted, so on SQLite no write lock is
held while the articles are scanned.

The API and the console run a backtest as a `LimitedBacktest`: it is refused up front when
its cost (articles x the query's operator clauses) exceeds `backtest_max_cost`, and it stops
at the first article boundary after `backtest_timeout` seconds, answering with what it
scanned so far and saying so. An analyst's draft therefore cannot hold an API worker for
longer than the deadline plus one article's scan.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from monitor.alerts.store import article_input
from monitor.matching.engine import build_matcher
from monitor.matching.query import Country, EntityPred, QuerySyntaxError, Term, parse_query, walk
from monitor.matching.types import AlertFinding, RuleSpec
from monitor.matching.vocabulary import NO_VOCABULARIES, Vocabularies
from monitor.models import Article
from monitor.settings import Settings


class BacktestTooCostly(ValueError):
    """A backtest whose cost (articles x clauses) is over the configured budget."""

    def __init__(self, articles: int, clauses: int, max_cost: int) -> None:
        self.articles, self.clauses, self.max_cost = articles, clauses, max_cost
        self.cost = articles * clauses
        most = max(1, max_cost // clauses)
        super().__init__(
            f"backtest too costly: {articles} articles x {clauses} query clauses = {self.cost}, over the budget of "
            f"{max_cost} (MONITOR_BACKTEST_MAX_COST); scan at most {most} articles or simplify the query"
        )


def query_clauses(query: str, vocabularies: Vocabularies = NO_VOCABULARIES) -> int:
    """The query's operator clauses (AND, OR, NOT, proximity) plus one: what a backtest's cost counts.

    Words and phrases are found in one pass over the article whatever their number, so they
    do not count; each operator is evaluated per article. A query that does not parse is
    refused elsewhere and counts as one clause here.
    """
    try:
        nodes = walk(parse_query(query, vocabularies=vocabularies))
    except (QuerySyntaxError, RecursionError, ValueError):
        return 1
    return 1 + sum(1 for n in nodes if not isinstance(n, Term | EntityPred | Country))


class LimitedBacktest:
    """`stored_hits` under a cost budget and a wall-clock deadline (checked between articles).

    Construct it to check the budget (raises BacktestTooCostly); iterate it for the hits.
    After the loop, `complete` says whether every requested article was scanned, and
    `stopped` why not.
    """

    def __init__(self, session: Session, spec: RuleSpec, settings: Settings, *, articles: int, **kwargs: Any) -> None:
        self.clauses = query_clauses(spec.query, spec.vocabularies)
        if articles * self.clauses > settings.backtest_max_cost:
            raise BacktestTooCostly(articles, self.clauses, settings.backtest_max_cost)
        self.session, self.spec, self.articles, self.kwargs = session, spec, articles, kwargs
        self.timeout = settings.backtest_timeout
        self.scanned = 0
        self.complete = True
        self.stopped: str | None = None
        self.elapsed = 0.0

    def __iter__(self) -> Iterator[tuple[Article, list[AlertFinding]]]:
        started = time.monotonic()

        def late() -> bool:
            # Asked before each article is scanned: a deadline that passes while the last
            # article is scanned leaves the result complete.
            self.elapsed = time.monotonic() - started
            if self.scanned and self.elapsed > self.timeout:
                self.complete = False
                self.stopped = (
                    f"stopped at the {self.timeout:g} s deadline (MONITOR_BACKTEST_TIMEOUT) after "
                    f"{self.scanned} of {self.articles} articles: the result covers those only"
                )
                return True
            return False

        for article, alerts in stored_hits(self.session, self.spec, articles=self.articles, stop=late,
                                           **self.kwargs):
            self.scanned += 1
            yield article, alerts
        self.elapsed = time.monotonic() - started


def stored_hits(
    session: Session,
    spec: RuleSpec,
    *,
    articles: int,
    since: datetime | None = None,
    newest_first: bool = True,
    all_entities: bool = False,
    stop: Callable[[], bool] | None = None,
) -> Iterator[tuple[Article, list[AlertFinding]]]:
    """Each scanned stored article with what `spec` (enabled) would raise on it, newest first by default.

    `stop`, when given, is asked before each article is scanned; True ends the scan there.

    The alias set is loaded only when the rule names entities, or when `all_entities` asks
    for every listed party in the evidence to be reported (it is large).
    """
    from monitor.watchlists.aliases import iter_alias_specs

    aliases: list[Any] = []
    if all_entities or "entity:" in spec.query:
        aliases = list(iter_alias_specs(session))
    matcher = build_matcher([dataclasses.replace(spec, enabled=True)], aliases)
    order = col(Article.id).desc() if newest_first else col(Article.id)
    stmt = select(Article).order_by(order).limit(articles)
    if since is not None:
        when = func.coalesce(col(Article.published_at), col(Article.fetched_at))
        stmt = stmt.where(or_(when >= since, col(Article.fetched_at) >= since))
    for article in session.exec(stmt):
        if stop is not None and stop():
            return
        yield article, matcher.scan(article_input(article)).alerts
