"""Public shapes of feeds and articles, shared by the CLI (`--json`) and the API so both print the same fields."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class FeedPublic(BaseModel):
    """A feed as users see it: where it is, whether it is polled, and how polling goes."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    title: str | None = None
    site_url: str | None = None
    enabled: bool
    created_at: datetime
    poll_interval: int | None = None
    next_poll_at: datetime | None = None
    last_polled_at: datetime | None = None
    last_success_at: datetime | None = None
    last_status: int | None = None
    consecutive_errors: int = 0
    last_error: str | None = None
    last_error_at: datetime | None = None
    last_new_item_at: datetime | None = None
    quiet: bool = False


class ArticlePublic(BaseModel):
    """A stored article without its full text (lists); see ArticleDetail for the text."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    feed_id: int | None = None
    guid: str | None = None
    url: str | None = None
    title: str
    summary: str | None = None
    author: str | None = None
    language: str | None = None
    published_at: datetime | None = None
    fetched_at: datetime
    matched_at: datetime | None = None


class ArticleDetail(ArticlePublic):
    """One article with the plain text the matcher read (evidence offsets point into title/text)."""

    text: str
