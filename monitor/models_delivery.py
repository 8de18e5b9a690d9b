"""SQLModel tables of delivery: subscriptions, their outbox (one delivery per alert and
subscription, or per story message for subscriptions delivered by story, an attempt row per
try), what each subscription was last told of a story, and daily digests with the alerts each
included.

Imported through `monitor.models`, which re-exports every table."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from monitor.modelbase import json_field as _json
from monitor.modelbase import text_field as _text
from monitor.modelbase import utcnow

# --------------------------------------------------------------------------- delivery


class Subscription(SQLModel, table=True):
    """Who receives which alerts, over which channel, and when the digest goes out."""

    __tablename__ = "subscription"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(default="", max_length=200)
    channel: str = Field(max_length=16, description="webhook | email | apprise")
    target: str = Field(sa_column=Column(Text, nullable=False))
    secret: str | None = Field(default=None, max_length=512, description="encrypted webhook secret")
    previous_secret: str | None = Field(default=None, max_length=512)
    previous_secret_until: datetime | None = None
    rules: list[str] = _json()
    categories: list[str] = _json()
    min_severity: str | None = Field(default=None, max_length=16)
    min_score: float | None = None
    entity_ids: list[str] = _json()
    datasets: list[str] = _json()
    feed_ids: list[int] = _json()
    deliver_per: str = Field(default="article", max_length=16, description="article | story")
    story_update_minutes: int = Field(default=60, description="per story: at most one update per this many minutes")
    realtime: bool = True
    digest: bool = False
    digest_time: str | None = Field(default=None, max_length=5, description="HH:MM local")
    timezone: str = Field(default="UTC", max_length=64)
    active: bool = True
    status: str = Field(default="ok", max_length=16, description="ok | failing | disabled")
    status_detail: str | None = _text()
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=200)


class Delivery(SQLModel, table=True):
    """Outbox row: one alert (or one story message) to one subscription, retried from the database.

    A story message (`kind` story.created or story.updated) has `story_id` and no alert; its
    `payload` is the story as it was when the message was made, so every retry sends the same data."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("alert_id", "subscription_id", name="uq_delivery_alert_sub"),
        Index("ix_delivery_due", "status", "next_attempt_at"),
        # per-subscription FIFO: "is an earlier delivery of this subscription still open?"
        Index("ix_delivery_sub_status", "subscription_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int | None = Field(default=None, foreign_key="alert.id", ondelete="CASCADE")
    subscription_id: int = Field(foreign_key="subscription.id", index=True, ondelete="CASCADE")
    kind: str = Field(default="alert", max_length=16, description="alert | story.created | story.updated")
    story_id: int | None = Field(default=None, foreign_key="story.id", index=True, ondelete="CASCADE")
    payload: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    message_id: str = Field(max_length=64, description="webhook-id: the same on every retry")
    status: str = Field(default="pending", max_length=16, description="pending | sending | delivered | failed")
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    lease_until: datetime | None = None
    last_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    last_error: str | None = _text()
    created_at: datetime = Field(default_factory=utcnow)


class StoryNotice(SQLModel, table=True):
    """What one subscription delivered by story was last told of one story, and when it may hear again.

    `snapshot` is the story as its latest message carried it (what an update is compared with);
    `due_at` is set when the story grew while updates were held back (`story_update_minutes`), and
    the delivery sweep makes the update then."""

    __tablename__ = "story_notice"

    story_id: int = Field(foreign_key="story.id", primary_key=True, ondelete="CASCADE")
    subscription_id: int = Field(foreign_key="subscription.id", primary_key=True, index=True, ondelete="CASCADE")
    first_at: datetime = Field(default_factory=utcnow)
    last_message_at: datetime = Field(default_factory=utcnow)
    last_delivery_id: int | None = None
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    due_at: datetime | None = Field(default=None, index=True)


class DeliveryAttempt(SQLModel, table=True):
    """One try of one delivery: what the endpoint answered and how long it took."""

    __tablename__ = "delivery_attempt"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="delivery.id", index=True, ondelete="CASCADE")
    at: datetime = Field(default_factory=utcnow)
    ok: bool = False
    status_code: int | None = None
    error: str | None = _text()
    response_body: str | None = _text()
    duration_ms: float = 0.0


class Digest(SQLModel, table=True):
    """One digest per (subscription, local date), claimed by a unique row."""

    __tablename__ = "digest"
    __table_args__ = (UniqueConstraint("subscription_id", "local_date", name="uq_digest_sub_date"),)

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="subscription.id", index=True, ondelete="CASCADE")
    local_date: date
    status: str = Field(default="claimed", max_length=16, description="claimed | sent | empty | failed | superseded")
    claimed_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    alert_count: int = 0
    first_alert_id: int | None = None
    last_alert_id: int | None = None
    error: str | None = _text()


class DigestItem(SQLModel, table=True):
    """One alert included in one digest; the key makes an alert part of at most one digest per subscription.

    The digest gathers "matching alerts with no item yet" (an anti-join on this key), so an
    alert committed late, with a lower id than alerts already sent, still gets into the next one.
    """

    __tablename__ = "digest_item"
    __table_args__ = (Index("ix_digest_item_digest", "digest_id", "alert_id"),)

    subscription_id: int = Field(foreign_key="subscription.id", primary_key=True, ondelete="CASCADE")
    alert_id: int = Field(foreign_key="alert.id", primary_key=True, ondelete="CASCADE")
    digest_id: int = Field(foreign_key="digest.id", ondelete="CASCADE")
