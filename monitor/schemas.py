"""Public shapes (XCreate / XUpdate / XPublic) of the API, the console and the CLI's `--json`, in one place."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from monitor.matching.types import Category, Severity

T = TypeVar("T")
Status = Literal["new", "confirmed", "dismissed", "escalated"]  # an alert's or a story's review status


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


class Page(BaseModel, Generic[T]):
    """A page of results; pass `next_cursor` as `cursor` to get the next one (null on the last page)."""

    items: list[T]
    next_cursor: str | None = None


class EvidencePublic(BaseModel):
    """A span of the article that made the rule fire (offsets into the named field)."""

    model_config = ConfigDict(extra="allow")

    field: str
    start: int
    end: int
    text: str


class LabelPublic(BaseModel):
    """One rule that fired on the alert's article, with its own evidence, score and severity."""

    rule_id: str
    category: str
    severity: str
    score: float
    explanation: str = ""
    entity_ids: list[str] = Field(default_factory=list)
    evidence: list[EvidencePublic] = Field(default_factory=list)
    suppressed: bool = Field(False, description="every entity this label names is under a suppression")
    rescreened: bool = Field(False, description="raised by re-screening stored articles after a list update")
    created_at: datetime | None = Field(None, description="when this rule first fired on the article")


class AlertEntity(BaseModel):
    """One real-world entity an alert names, with every list record merged into it."""

    entity_id: str = Field(description="the id the alert names (the first of one entity's records)")
    referents: list[str] = Field(description="every record merged into this entity (`<dataset>:<id>`), its own first")
    lists: list[str] = Field(description="the lists those records are on")


class AlertPublic(BaseModel):
    """An alert: one article with every rule that fired on it (its labels), and the review status.

    `rule_id`, `category` and `explanation` are those of the top label (highest severity, then
    score); `severity` and `score` the highest of the labels; `entity_ids` and `evidence` their
    union; suppressed labels count only when every label is suppressed.
    """

    model_config = ConfigDict(from_attributes=True)

    id: int
    article_id: int
    feed_id: int | None = None
    rule_id: str = Field(description="the top label's rule (highest severity, then score)")
    category: str
    severity: str = Field(description="the highest severity of the labels")
    score: float = Field(description="the highest score of the labels")
    title: str
    explanation: str
    entity_ids: list[str]
    entities: list[AlertEntity] = Field(
        default_factory=list, description="the entities `entity_ids` name, each with all its list memberships"
    )
    evidence: list[EvidencePublic]
    rules: list[str] = Field(default_factory=list, description="every rule that fired (not suppressed), best first")
    labels: list[LabelPublic] = Field(default_factory=list, description="every rule that fired, best first")
    status: str
    suppressed: bool
    rescreened: bool
    language: str | None = None
    created_at: datetime
    updated_at: datetime


class MentionPublic(BaseModel):
    """An entity found in the article, with the exact span and the listed entity's name."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    entity_id: str
    entity_name: str | None = None
    dataset: str | None = None
    matched: str
    field: str
    start: int
    end: int
    confidence: float


class RulePublic(BaseModel):
    """A watch rule, from the database (editable) or the rule files (read-only)."""

    id: str
    title: str
    description: str = ""
    category: str
    severity: str
    query: str
    enabled: bool = True
    source: Literal["db", "file"] = "db"
    created_at: datetime | None = None
    updated_at: datetime | None = None


class AlertDetail(AlertPublic):
    """An alert with its article, rule and the entity mentions found in the article."""

    article: ArticleDetail | None = None
    rule: RulePublic | None = None
    mentions: list[MentionPublic] = Field(default_factory=list)


class ReviewCreate(BaseModel):
    """A review decision on an alert."""

    model_config = ConfigDict(extra="forbid")

    status: Status
    reason: str = Field(min_length=1, max_length=200, description="short justification, e.g. 'name clash'")
    note: str | None = Field(None, max_length=10000)


class ReviewPublic(BaseModel):
    """One entry of an alert's audit trail."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    alert_id: int
    actor: str
    at: datetime
    from_status: str
    to_status: str
    reason: str | None = None
    note: str | None = None


class SuppressionCreate(BaseModel):
    """Mark an entity mention as a false positive in a scope."""

    model_config = ConfigDict(extra="forbid")

    entity_id: str = Field(min_length=1, max_length=200)
    matched: str | None = Field(None, max_length=1000, description="only this surface form, e.g. 'Kim'")
    scope: Literal["article", "feed", "global"]
    article_id: int | None = Field(None, ge=1, le=2**31 - 1, description="required for scope 'article'")
    feed_id: int | None = Field(None, ge=1, le=2**31 - 1, description="required for scope 'feed'")
    reason: str = Field(min_length=1, max_length=10000)


class SuppressionPublic(BaseModel):
    """A suppression and whether it is still in force."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    entity_id: str
    matched: str | None = None
    scope: str
    article_id: int | None = None
    feed_id: int | None = None
    reason: str
    created_by: str
    created_at: datetime
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = None


class FeedCreate(BaseModel):
    """A feed to poll."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2048)
    title: str | None = Field(None, max_length=512)
    poll_interval: int | None = Field(None, ge=60, le=7 * 86400, description="seconds; null = default")
    enabled: bool = True


class FeedUpdate(BaseModel):
    """Fields of a feed that can be changed."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(None, min_length=1, max_length=2048)
    title: str | None = Field(None, max_length=512)
    poll_interval: int | None = Field(None, ge=60, le=7 * 86400)
    enabled: bool | None = None


class OpmlImportResult(BaseModel):
    """What an OPML import did."""

    added: list[FeedPublic]
    skipped: list[dict[str, Any]] = Field(default_factory=list, description="outlines not added, with the reason")


_RULE_ID = r"^[a-z0-9][a-z0-9-]{0,99}$"


class RuleCreate(BaseModel):
    """A rule to store in the database."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=_RULE_ID, description="slug, e.g. 'drone-exports'")
    title: str = Field(min_length=1, max_length=300)
    description: str = Field("", max_length=10000)
    category: Category = "sanctions"
    severity: Severity = "medium"
    query: str = Field(min_length=1, max_length=20000)
    enabled: bool = True


class RuleUpdate(BaseModel):
    """Fields of a rule that can be changed."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=300)
    description: str | None = Field(None, max_length=10000)
    category: Category | None = None
    severity: Severity | None = None
    query: str | None = Field(None, min_length=1, max_length=20000)
    enabled: bool | None = None


class StoredAlertNote(BaseModel):
    """The alert stored for this article and rule, when its severity or score differ, and why."""

    alert_id: int
    severity: str
    score: float
    created_at: datetime
    changes: list[str] = Field(description="what changed since it was stored: list loads, rule edits, a draft")
    note: str


class RuleTestHit(BaseModel):
    """An article the rule would fire on."""

    article_id: int
    title: str
    severity: str
    score: float
    entity_ids: list[str]
    evidence: list[EvidencePublic]
    stored: StoredAlertNote | None = Field(None, description="set when a stored alert of this rule on this "
                                           "article has another severity or score")


class RuleTestResult(BaseModel):
    """A backtest of a rule over the newest stored articles."""

    rule_id: str
    articles_scanned: int
    articles_requested: int = Field(0, description="articles asked for; more than scanned when stopped early")
    hits: int
    items: list[RuleTestHit]
    complete: bool = Field(True, description="false when the deadline stopped the scan: the counts cover only the "
                           "articles scanned")
    stopped: str | None = Field(None, description="why the scan stopped early, when it did")
    elapsed_ms: float = 0.0


class KeyCreate(BaseModel):
    """A new API key."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["reader", "analyst", "admin"]
    name: str = Field("", max_length=200)


class KeyPublic(BaseModel):
    """An API key without its secret."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    role: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class KeyCreated(KeyPublic):
    """A new key: `key` is shown this once and never again."""

    key: str


class AuditEventPublic(BaseModel):
    """One administrative change: who (`key:<id> (<name>)`, `cli`, `poller`...), what, on which object, when."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    detail: dict[str, Any] = Field(default_factory=dict)


class HealthPublic(BaseModel):
    """Service health: database, broker and worker heartbeat."""

    status: Literal["ok", "degraded", "down"]
    checks: dict[str, str]
    heartbeats: dict[str, datetime] = Field(default_factory=dict)
