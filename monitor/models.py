"""SQLModel tables: feeds and articles, sanctions lists, rules, alerts and their audit
trail, API keys, subscriptions with their delivery outbox, and digests.

Naming follows XBase / XCreate / X(table=True) / XPublic where an API schema is needed.
Times are timezone-aware UTC (`utcnow()`); SQLModel's UTCDateTime stores them as UTC on
both SQLite and PostgreSQL and refuses naive values, so no local time sneaks in.
JSON columns hold small lists and dicts that are read whole, never queried inside;
anything that is filtered on has its own column or link table with an index.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Index, Text, UniqueConstraint, event, select
from sqlmodel import Field, SQLModel

from monitor import alertlabels
from monitor.modelbase import UtcDatetime, as_utc, utcnow
from monitor.modelbase import json_field as _json
from monitor.modelbase import text_field as _text
from monitor.models_delivery import Delivery, DeliveryAttempt, Digest, DigestItem, StoryNotice, Subscription

__all__ = [
    "Delivery",
    "DeliveryAttempt",
    "Digest",
    "DigestItem",
    "StoryNotice",
    "Subscription",
    "UtcDatetime",
    "as_utc",
    "utcnow",
]


# --------------------------------------------------------------------------- feeds


class Feed(SQLModel, table=True):
    """A polled news feed and its fetch/backoff state."""

    __tablename__ = "feed"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2048, unique=True)
    title: str | None = Field(default=None, max_length=512)
    site_url: str | None = Field(default=None, max_length=2048)
    enabled: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)
    # conditional GET
    etag: str | None = Field(default=None, max_length=512)
    last_modified: str | None = Field(default=None, max_length=128)
    # schedule
    poll_interval: int | None = Field(default=None, description="seconds; None = settings default")
    next_poll_at: datetime = Field(default_factory=utcnow, index=True)
    lease_until: datetime | None = Field(default=None, description="a poll holds the feed until then")
    last_polled_at: datetime | None = None
    last_success_at: datetime | None = None
    last_status: int | None = None
    consecutive_errors: int = Field(default=0)
    last_error: str | None = _text()
    last_error_at: datetime | None = None
    last_new_item_at: datetime | None = None
    quiet: bool = Field(default=False)
    items_per_day: float | None = Field(default=None, description="recent publishing rate, for quiet detection")


class Article(SQLModel, table=True):
    """One stored feed item (or scanned document), deduplicated within its feed."""

    __tablename__ = "article"
    __table_args__ = (
        UniqueConstraint("feed_id", "dedupe_key", name="uq_article_feed_dedupe"),
        Index("ix_article_feed_hash", "feed_id", "content_hash"),
        Index("ix_article_published", "published_at"),
        Index("ix_article_unmatched", "matched_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int | None = Field(default=None, foreign_key="feed.id", ondelete="CASCADE")
    guid: str | None = Field(default=None, max_length=2048)
    url: str | None = Field(default=None, max_length=2048)
    title: str = Field(default="", sa_column=Column(Text, nullable=False))
    summary: str | None = _text()
    content: str | None = _text()
    text: str = Field(default="", sa_column=Column(Text, nullable=False), description="plain text matched")
    author: str | None = Field(default=None, max_length=512)
    # ISO 639-1 code detected from the text (monitor.matching.language); the feed's own
    # declaration is only a hint and is kept apart
    language: str | None = Field(default=None, max_length=32, index=True)
    declared_language: str | None = Field(default=None, max_length=32)
    published_at: datetime | None = None
    fetched_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime | None = None
    dedupe_key: str = Field(max_length=600)
    content_hash: str = Field(max_length=64)
    matched_at: datetime | None = Field(default=None, description="None until the matcher has run")
    matcher_version: str | None = Field(default=None, max_length=64)


class Mention(SQLModel, table=True):
    """An entity found in an article, with the exact span in the original field."""

    __tablename__ = "mention"
    __table_args__ = (Index("ix_mention_entity_article", "entity_id", "article_id"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True, ondelete="CASCADE")
    entity_id: str = Field(max_length=200)
    matched: str = Field(max_length=1000)
    field: str = Field(max_length=16)
    start: int
    end: int
    confidence: float = 1.0


# --------------------------------------------------------------------------- sanctions lists


class ListVersion(SQLModel, table=True):
    """One load of one list file: where it came from and what it changed."""

    __tablename__ = "list_version"
    __table_args__ = (Index("ix_list_version_dataset_number", "dataset", "number", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    dataset: str = Field(max_length=64, index=True)
    number: int | None = Field(default=None, description="version number within its dataset: 1, 2, 3, ...")
    source: str = Field(max_length=2048)
    format: str = Field(max_length=32)
    file_hash: str = Field(max_length=64)
    published_at: datetime | None = None
    loaded_at: datetime = Field(default_factory=utcnow)
    entities: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0
    skipped: int = 0
    skipped_detail: list[Any] = _json()
    status: str = Field(default="active", max_length=16, description="active | superseded | failed")


class Entity(SQLModel, table=True):
    """A listed person, organisation, vessel or aircraft (id `<dataset>:<source id>`)."""

    __tablename__ = "entity"
    __table_args__ = (Index("ix_entity_dataset_source", "dataset", "source_id", unique=True),)

    id: str = Field(primary_key=True, max_length=200)
    dataset: str = Field(max_length=64)
    source_id: str = Field(max_length=128)
    schema_: str = Field(default="LegalEntity", max_length=32, sa_column_kwargs={"name": "schema"})
    name: str = Field(max_length=1000)
    programs: list[str] = _json()
    countries: list[str] = _json()
    birth_dates: list[str] = _json()
    identifiers: list[Any] = _json()
    addresses: list[Any] = _json()
    properties: dict[str, Any] = _json({})
    remarks: str | None = _text()
    listed_on: date | None = None
    first_seen: datetime = Field(default_factory=utcnow)
    last_seen: datetime = Field(default_factory=utcnow)
    removed_at: datetime | None = None
    version_id: int | None = Field(default=None, foreign_key="list_version.id")
    content_hash: str = Field(default="", max_length=64)


class EntityName(SQLModel, table=True):
    """A name of an entity: its primary name or an alias, strong or weak."""

    __tablename__ = "entity_name"
    __table_args__ = (Index("ix_entity_name_entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    entity_id: str = Field(foreign_key="entity.id", max_length=200, ondelete="CASCADE")
    name: str = Field(max_length=1000)
    kind: str = Field(default="alias", max_length=16, description="primary | alias | weak | original")
    weak: bool = False
    lang: str | None = Field(default=None, max_length=16)


class EntityChange(SQLModel, table=True):
    """What a list version did to one entity: added, changed, removed."""

    __tablename__ = "entity_change"
    __table_args__ = (Index("ix_entity_change_entity", "entity_id", "version_id"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="list_version.id", index=True)
    entity_id: str = Field(max_length=200)
    change: str = Field(max_length=16)
    detail: dict[str, Any] = _json({})
    at: datetime = Field(default_factory=utcnow)


class EntityLink(SQLModel, table=True):
    """Two listed records judged one real-world entity ("same") or, by an analyst, two ("different").

    `source` says who judged: `cross-reference` and `strong-match` links are derived from the lists
    after every load (and replaced by the next derivation); `analyst` links are decisions made
    through the API or CLI and stay until an analyst withdraws them. `left_id` < `right_id`."""

    __tablename__ = "entity_link"
    __table_args__ = (
        Index("ix_entity_link_pair", "left_id", "right_id", "source", unique=True),
        Index("ix_entity_link_right", "right_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    left_id: str = Field(max_length=200)
    right_id: str = Field(max_length=200)
    judgement: str = Field(default="same", max_length=16, description="same | different")
    source: str = Field(max_length=32, description="cross-reference | strong-match | analyst")
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    evidence: dict[str, Any] = _json({})
    actor: str = Field(default="system", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


# --------------------------------------------------------------------------- rules and alerts


class Rule(SQLModel, table=True):
    """A user rule stored in the database (the default pack lives in config/rules)."""

    __tablename__ = "rule"

    id: str = Field(primary_key=True, max_length=100)
    title: str = Field(max_length=300)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    severity: str = Field(default="medium", max_length=16)
    category: str = Field(default="sanctions", max_length=32)
    query: str = Field(sa_column=Column(Text, nullable=False))
    enabled: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Alert(SQLModel, table=True):
    """One article's alert: every rule that fired on it as a label, and the review status.

    `labels` holds each rule's own category, severity, score, explanation, entities and
    evidence (see `monitor.alertlabels`); the alert's `rule_id` ... `evidence` summarise
    the labels not suppressed (top label, highest severity and score, unions).
    """

    __tablename__ = "alert"
    __table_args__ = (
        Index("uq_alert_article", "article_id", unique=True),
        Index("ix_alert_rule_sev_created", "rule_id", "severity", "created_at", "id"),
        Index("ix_alert_created", "created_at", "id"),
        Index("ix_alert_status_created", "status", "created_at"),
        # the live stream reads alerts changed since it last looked (labels added: monitor.alerts.label_events)
        Index("ix_alert_updated", "updated_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", ondelete="CASCADE")
    feed_id: int | None = Field(default=None, index=True)
    rule_id: str = Field(max_length=100)
    category: str = Field(default="sanctions", max_length=32)
    severity: str = Field(max_length=16)
    severity_rank: int = Field(default=2, description="low=1 medium=2 high=3 critical=4, for >= filters")
    score: float
    title: str = Field(default="", sa_column=Column(Text, nullable=False))
    explanation: str = Field(default="", sa_column=Column(Text, nullable=False))
    entity_ids: list[str] = _json()
    evidence: list[Any] = _json()
    rules: list[str] = _json()
    labels: list[Any] = _json()
    status: str = Field(default="new", max_length=16)
    suppressed: bool = False
    rescreened: bool = Field(default=False, description="raised by re-screening after a list update")
    language: str | None = Field(default=None, max_length=32, index=True, description="the article's (ISO 639-1)")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class AlertLabel(SQLModel, table=True):
    """Link table of an alert's labels (one row per rule that fired), for rule and category filters.

    Kept equal to `Alert.labels` by the mapper events below, whoever writes the alert.
    """

    __tablename__ = "alert_label"
    __table_args__ = (Index("ix_alert_label_rule", "rule_id", "alert_id"),)

    alert_id: int = Field(foreign_key="alert.id", primary_key=True, ondelete="CASCADE")
    rule_id: str = Field(primary_key=True, max_length=100)
    category: str = Field(default="sanctions", max_length=32)
    severity_rank: int = 2
    suppressed: bool = False


@event.listens_for(Alert, "before_insert")
def _alert_has_labels(_mapper: Any, _connection: Any, target: Alert) -> None:
    # An alert written from its fields alone (imports, tests) gets the one label they describe.
    if not target.labels:
        target.labels = [alertlabels.label_from_fields(target)]
        target.rules = [] if target.suppressed else [target.rule_id]


@event.listens_for(Alert, "after_insert")
def _alert_label_links_insert(_mapper: Any, connection: Any, target: Alert) -> None:
    _write_label_links(connection, target)


@event.listens_for(Alert, "after_update")
def _alert_label_links_update(_mapper: Any, connection: Any, target: Alert) -> None:
    from sqlalchemy import inspect as sa_inspect

    # JSON columns are replaced whole, never mutated in place, so a change shows in the history.
    if sa_inspect(target).attrs.labels.history.has_changes():
        _write_label_links(connection, target)


def _write_label_links(connection: Any, target: Alert) -> None:
    table = AlertLabel.__table__  # type: ignore[attr-defined]
    connection.execute(table.delete().where(table.c.alert_id == target.id))
    rows = {
        lab["rule_id"]: {
            "alert_id": target.id,
            "rule_id": lab["rule_id"],
            "category": lab.get("category") or "sanctions",
            "severity_rank": alertlabels.rank(lab),
            "suppressed": bool(lab.get("suppressed")),
        }
        for lab in alertlabels.labels_of(target)
    }
    connection.execute(table.insert(), list(rows.values()))


class AlertEntity(SQLModel, table=True):
    """Link table so that alerts can be filtered by entity without scanning JSON.

    `created_at` repeats the alert's, so an entity's alerts are paged newest first straight
    from (entity_id, created_at, alert_id): the cost is the page, not the entity's history.
    """

    __tablename__ = "alert_entity"
    __table_args__ = (Index("ix_alert_entity_entity_created", "entity_id", "created_at", "alert_id"),)

    alert_id: int = Field(foreign_key="alert.id", primary_key=True, ondelete="CASCADE")
    entity_id: str = Field(primary_key=True, max_length=200)
    dataset: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow, description="copy of the alert's created_at")


@event.listens_for(AlertEntity, "before_insert")
def _link_takes_alert_time(_mapper: Any, connection: Any, target: AlertEntity) -> None:
    # Every ORM insert copies the alert's time, so callers need not remember to; bulk
    # inserts (SQL) must set it themselves.
    table = Alert.__table__  # type: ignore[attr-defined]
    at = connection.execute(select(table.c.created_at).where(table.c.id == target.alert_id))
    value = at.scalar()
    if value is not None:
        target.created_at = value


class Story(SQLModel, table=True):
    """Articles of one event across outlets (monitor/stories), with what triage needs in one row."""

    __tablename__ = "story"
    __table_args__ = (Index("ix_story_queue", "status", "severity_rank", "last_seen"),)

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(default="", sa_column=Column(Text, nullable=False))
    first_seen: datetime = Field(default_factory=utcnow)
    last_seen: datetime = Field(default_factory=utcnow, index=True)
    article_count: int = 0
    sources: list[str] = _json()  # outlets (feed titles or hosts), first seen first
    entity_ids: list[str] = _json()
    rules: list[str] = _json()
    alert_count: int = 0
    severity: str | None = Field(default=None, max_length=16)
    severity_rank: int = Field(default=0, description="highest of its alerts; 0 = no alert")
    status: str = Field(default="new", max_length=16)
    reviewed_at: datetime | None = None
    reviewed_by: str | None = Field(default=None, max_length=200)
    follows_id: int | None = Field(default=None, foreign_key="story.id", ondelete="SET NULL")
    merged_into_id: int | None = Field(default=None, foreign_key="story.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class StoryArticle(SQLModel, table=True):
    """Which story an article is in; `pinned` when an analyst put it there (grouping leaves it)."""

    __tablename__ = "story_article"

    article_id: int = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    story_id: int = Field(foreign_key="story.id", index=True, ondelete="CASCADE")
    score: float = 0.0
    pinned: bool = False
    added_at: datetime = Field(default_factory=utcnow)


class AlertReview(SQLModel, table=True):
    """One entry of an alert's audit trail: who changed its status, when, and why."""

    __tablename__ = "alert_review"

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alert.id", index=True, ondelete="CASCADE")
    actor: str = Field(max_length=200)
    at: datetime = Field(default_factory=utcnow)
    from_status: str = Field(max_length=16)
    to_status: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=200)
    note: str | None = _text()


class Suppression(SQLModel, table=True):
    """An analyst's ruling that an entity mention in some scope is a false positive."""

    __tablename__ = "suppression"

    id: int | None = Field(default=None, primary_key=True)
    entity_id: str = Field(max_length=200, index=True)
    matched: str | None = Field(default=None, max_length=1000, description="only this surface form")
    scope: str = Field(max_length=16, description="article | feed | global")
    article_id: int | None = None
    feed_id: int | None = None
    reason: str = Field(sa_column=Column(Text, nullable=False))
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = Field(default=None, max_length=200)


class AuditEvent(SQLModel, table=True):
    """Audit log of administrative actions (keys, rules, feeds, suppressions, subscriptions)."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=64)
    object_type: str = Field(max_length=32)
    object_id: str = Field(max_length=200)
    detail: dict[str, Any] = _json({})


# --------------------------------------------------------------------------- API keys


class ApiKey(SQLModel, table=True):
    """An API key, stored as a hash; the key itself is shown once."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(default="", max_length=200)
    prefix: str = Field(max_length=16, index=True)
    key_hash: str = Field(max_length=128, unique=True)
    role: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def actor(self) -> str:
        """How this key appears in audit trails: `key:<id>` plus its name when it has one."""
        return f"key:{self.id}" + (f" ({self.name})" if self.name else "")


# --------------------------------------------------------------------------- operations


class Heartbeat(SQLModel, table=True):
    """Last sign of life of each worker and beat process, for /healthz."""

    __tablename__ = "heartbeat"

    name: str = Field(primary_key=True, max_length=200)
    kind: str = Field(max_length=16)
    at: datetime = Field(default_factory=utcnow)


class KeyValue(SQLModel, table=True):
    """Small named values that must survive restarts (matcher version, first-start flags)."""

    __tablename__ = "key_value"

    key: str = Field(primary_key=True, max_length=200)
    value: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)
