"""/articles: list stored articles (newest first, keyset by id) and read one with its text."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import col, select

from monitor.api.errors import not_found
from monitor.api.params import MAX_ID, IdPath, IdQuery
from monitor.models import Article
from monitor.schemas import ArticleDetail, ArticlePublic, Page
from monitor.web.deps import SessionDep

router = APIRouter(prefix="/articles", tags=["articles"])


@router.get("", response_model=Page[ArticlePublic], summary="List articles, newest first")
def list_articles(
    session: SessionDep,
    feed_id: IdQuery = None,
    q: Annotated[str | None, Query(max_length=200, description="case-insensitive text in the title")] = None,
    cursor: Annotated[int | None, Query(ge=1, le=MAX_ID, description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[ArticlePublic]:
    """Stored articles, newest first (by id, so pages are stable while new articles arrive)."""
    stmt = select(Article)
    if feed_id is not None:
        stmt = stmt.where(Article.feed_id == feed_id)
    if q:
        escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(col(Article.title).ilike(f"%{escaped}%", escape="\\"))
    if cursor is not None:
        stmt = stmt.where(col(Article.id) < cursor)
    rows = list(session.exec(stmt.order_by(col(Article.id).desc()).limit(limit + 1)).all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = str(rows[-1].id)
    return Page[ArticlePublic](items=[ArticlePublic.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/{article_id}", response_model=ArticleDetail, summary="One article with its text")
def get_article(article_id: IdPath, session: SessionDep) -> ArticleDetail:
    """An article with the plain text the matcher read (evidence offsets point into it)."""
    row = session.get(Article, article_id)
    if row is None:
        raise not_found("article", article_id)
    return ArticleDetail.model_validate(row)
