"""Suppression lookup: is this entity mention ruled a false positive in this article's scope?

The CRUD (create, withdraw, re-apply to stored alerts) is `monitor.alerts.suppression_admin`;
the matcher's store calls `find_suppression` for every entity of every new alert.
"""

from __future__ import annotations

from sqlalchemy import or_
from sqlmodel import Session, col, select

from monitor.models import Article, Suppression


def find_suppression(session: Session, article: Article, entity_id: str, matched: str | None) -> Suppression | None:
    """The active suppression covering `entity_id` (as written `matched`) in this article, if any.

    A suppression covers the article when its scope is global, its feed is the article's,
    or its article is this one; one with a surface form (`matched`) covers only that form
    (compared case-insensitively), one without covers every form.
    """
    scopes = [col(Suppression.scope) == "global"]
    if article.id is not None:
        scopes.append((col(Suppression.scope) == "article") & (col(Suppression.article_id) == article.id))
    if article.feed_id is not None:
        scopes.append((col(Suppression.scope) == "feed") & (col(Suppression.feed_id) == article.feed_id))
    stmt = (
        select(Suppression)
        .where(col(Suppression.entity_id) == entity_id, col(Suppression.withdrawn_at).is_(None), or_(*scopes))
        .order_by(col(Suppression.id))
    )
    wanted = matched.casefold() if matched else None
    for sup in session.exec(stmt):
        if sup.matched is None or (wanted is not None and sup.matched.casefold() == wanted):
            return sup
    return None
