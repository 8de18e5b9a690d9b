"""Backtest one rule over stored articles without storing anything.

The API's `POST /rules/{id}/test`, the console's draft backtest and the CLI's `rules test`
all scan through `stored_hits`, so a rule fires the same way in all three. Nothing is
written: a draft is passed as a `RuleSpec`, never inserted, so on SQLite no write lock is
held while the articles are scanned.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from monitor.alerts.store import article_input
from monitor.matching.engine import build_matcher
from monitor.matching.types import AlertFinding, RuleSpec
from monitor.models import Article


def stored_hits(
    session: Session,
    spec: RuleSpec,
    *,
    articles: int,
    since: datetime | None = None,
    newest_first: bool = True,
    all_entities: bool = False,
) -> Iterator[tuple[Article, list[AlertFinding]]]:
    """Each scanned stored article with what `spec` (enabled) would raise on it, newest first by default.

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
        yield article, matcher.scan(article_input(article)).alerts
