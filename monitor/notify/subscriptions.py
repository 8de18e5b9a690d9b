"""Subscriptions: who gets which alerts, over which channel; create, list, pause, delete, rotate.

Every user-supplied destination is checked when it is saved (and again when it is
used): webhook URLs and every host an apprise target names must pass `monitor.netguard`.
Webhook secrets are shown once, on creation or rotation, and stored encrypted.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator, model_validator
from sqlmodel import Session, col, select

from monitor import netguard
from monitor.matching.types import CATEGORIES, SEVERITY_RANK
from monitor.models import AuditEvent, Subscription, utcnow
from monitor.notify import secretbox
from monitor.notify.apprise_guard import AppriseTargetError, check_apprise_url
from monitor.notify.email import CONTROL_CHARS
from monitor.settings import Settings

CHANNELS = ("webhook", "email", "apprise")
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class SubscriptionError(ValueError):
    """A subscription request that cannot be accepted (bad channel, unsafe URL, unknown id)."""

    def __init__(self, message: str, field: str = "target") -> None:
        super().__init__(message)
        self.field = field


# Filter lists are matched against every alert; their size is bounded so one request cannot
# store megabytes (a subscription is read on every delivery sweep).
MAX_FILTER_ITEMS = 100
MAX_ENTITY_IDS = 1000
RuleId = Annotated[str, Field(min_length=1, max_length=100)]
EntityId = Annotated[str, Field(min_length=1, max_length=200)]
Dataset = Annotated[str, Field(min_length=1, max_length=64)]
FeedId = Annotated[int, Field(ge=1, le=2**31 - 1)]
RuleIds = Annotated[list[RuleId], Field(max_length=MAX_FILTER_ITEMS)]
Categories = Annotated[list[str], Field(max_length=MAX_FILTER_ITEMS)]
EntityIds = Annotated[list[EntityId], Field(max_length=MAX_ENTITY_IDS)]
Datasets = Annotated[list[Dataset], Field(max_length=MAX_FILTER_ITEMS)]
FeedIds = Annotated[list[FeedId], Field(max_length=MAX_ENTITY_IDS)]
DeliverPer = Literal["article", "story"]
# per story: the shortest and longest wait between two updates (0: every time the story grows)
DEFAULT_STORY_UPDATE_MINUTES = 60
UpdateMinutes = Annotated[int, Field(ge=0, le=7 * 24 * 60)]


class SubscriptionCreate(BaseModel):
    """What a user sends to subscribe."""

    channel: str = Field(description="webhook | email | apprise")
    target: str = Field(description="webhook URL, e-mail address, or apprise URL", min_length=1, max_length=4000)
    name: str = Field("", max_length=200)
    rules: RuleIds = Field(default_factory=list, description="only these rule ids (empty = all; must exist)")
    categories: Categories = Field(default_factory=list, description="only these rule categories")
    min_severity: str | None = Field(None, description="low | medium | high | critical")
    min_score: float | None = Field(None, ge=0, le=1)
    entity_ids: EntityIds = Field(default_factory=list)
    datasets: Datasets = Field(default_factory=list)
    feed_ids: FeedIds = Field(default_factory=list)
    deliver_per: DeliverPer = Field(
        "article", description="article: one message per alert (default); story: one message per story "
        "(story.created, then story.updated as it grows)")
    story_update_minutes: UpdateMinutes = Field(
        DEFAULT_STORY_UPDATE_MINUTES, description="per story: at most one story.updated per this many minutes")
    realtime: bool = Field(True, description="deliver each alert as it is raised")
    digest: bool = Field(False, description="send a daily digest")
    digest_time: str | None = Field(None, description="HH:MM local time of the daily digest")
    timezone: str = Field("UTC", max_length=64, description="IANA time zone of digest_time")

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        if value not in CHANNELS:
            raise ValueError(f"unknown channel {value!r}; expected one of {', '.join(CHANNELS)}")
        return value

    @field_validator("min_severity")
    @classmethod
    def _severity(cls, value: str | None) -> str | None:
        if value is not None and value not in SEVERITY_RANK:
            raise ValueError(f"unknown severity {value!r}; expected one of {', '.join(SEVERITY_RANK)}")
        return value

    @field_validator("categories")
    @classmethod
    def _categories(cls, value: list[str]) -> list[str]:
        bad = [c for c in value if c not in CATEGORIES]
        if bad:
            raise ValueError(f"unknown categories {bad}; expected some of {', '.join(CATEGORIES)}")
        return value

    @field_validator("digest_time")
    @classmethod
    def _digest_time(cls, value: str | None) -> str | None:
        if value is not None and not _HHMM.match(value):
            raise ValueError(f"digest time must be HH:MM (24-hour), not {value!r}")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/London)") from exc
        return value

    @model_validator(mode="after")
    def _digest_needs_time(self) -> SubscriptionCreate:
        if self.digest_time and not self.digest:
            self.digest = True
        if self.digest and not self.digest_time:
            self.digest_time = "08:00"
        if not self.realtime and not self.digest:
            raise ValueError("a subscription must be real-time, digest, or both")
        return self


class SubscriptionUpdate(BaseModel):
    """Fields that may be changed after creation (all optional)."""

    name: str | None = Field(None, max_length=200)
    rules: RuleIds | None = None
    categories: Categories | None = None
    min_severity: str | None = None
    min_score: float | None = Field(None, ge=0, le=1)
    entity_ids: EntityIds | None = None
    datasets: Datasets | None = None
    feed_ids: FeedIds | None = None
    deliver_per: DeliverPer | None = None
    story_update_minutes: UpdateMinutes | None = None
    realtime: bool | None = None
    digest: bool | None = None
    digest_time: str | None = None
    timezone: str | None = Field(None, max_length=64)
    active: bool | None = None


class SubscriptionPublic(BaseModel):
    """A subscription as the API and `subscriptions list --json` show it (never the secret)."""

    id: int
    name: str
    channel: str
    target: str
    rules: list[str]
    categories: list[str]
    min_severity: str | None
    min_score: float | None
    entity_ids: list[str]
    datasets: list[str]
    feed_ids: list[int]
    deliver_per: str = Field(description="article | story")
    story_update_minutes: int
    realtime: bool
    digest: bool
    digest_time: str | None
    timezone: str
    active: bool
    status: str = Field(description="ok | failing | disabled")
    status_detail: str | None
    secret_rotating_until: datetime | None
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, sub: Subscription) -> SubscriptionPublic:
        """The public view of a row (webhook URLs may hold tokens, so only apprise is masked)."""
        data: dict[str, Any] = sub.model_dump()
        data["secret_rotating_until"] = sub.previous_secret_until if sub.previous_secret else None
        if sub.channel == "apprise":
            data["target"] = _mask_apprise(sub.target)
        return cls.model_validate(data)


def _mask_apprise(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://***" if parts.scheme else "***"


def check_target(channel: str, target: str, settings: Settings, resolver: netguard.Resolver | None = None) -> None:
    """Raise SubscriptionError when the destination is malformed or not allowed (SSRF guard)."""
    # Before any parsing: urlsplit silently drops CR, LF and tab, so the URL it checks would
    # not be the one later sent (a header injected into a request or an e-mail).
    bad = CONTROL_CHARS.search(target)
    if bad:
        raise SubscriptionError(
            f"{channel} target contains a control character (U+{ord(bad.group()):04X} at position {bad.start()})"
        )
    if channel == "webhook":
        try:
            netguard.check_url(target, settings, resolver)
        except netguard.BlockedAddressError as exc:
            raise SubscriptionError(f"webhook URL refused: {exc}") from exc
        except ValueError as exc:  # urlsplit on a malformed URL ("http://[::1")
            raise SubscriptionError(f"not a valid URL: {exc}") from exc
    elif channel == "email":
        if not _EMAIL.match(target):
            raise SubscriptionError(f"not an e-mail address: {target!r}")
    elif channel == "apprise":
        try:
            check_apprise_url(target, settings, resolver)
        except AppriseTargetError as exc:
            raise SubscriptionError(str(exc)) from exc
    else:
        raise SubscriptionError(f"unknown channel {channel!r}")


def _audit(session: Session, actor: str, action: str, sub: Subscription, **detail: Any) -> None:
    session.add(
        AuditEvent(actor=actor, action=action, object_type="subscription", object_id=str(sub.id), detail=detail)
    )


def create_subscription(
    session: Session,
    settings: Settings,
    data: SubscriptionCreate,
    *,
    actor: str = "cli",
    resolver: netguard.Resolver | None = None,
) -> tuple[Subscription, str | None]:
    """Save a subscription; returns the row and, for webhooks, the plain secret (shown once)."""
    check_target(data.channel, data.target, settings, resolver)
    check_rule_ids(session, settings, data.rules)
    plain = secretbox.new_webhook_secret() if data.channel == "webhook" else None
    sub = Subscription(
        **data.model_dump(),
        secret=secretbox.encrypt(settings, plain) if plain else None,
        created_by=actor,
    )
    session.add(sub)
    session.flush()
    _audit(session, actor, "subscription.create", sub, channel=sub.channel)
    session.flush()
    return sub, plain


def list_subscriptions(session: Session) -> list[Subscription]:
    """Every subscription, oldest first."""
    return list(session.exec(select(Subscription).order_by(col(Subscription.id))))


def get_subscription(session: Session, sub_id: int) -> Subscription:
    """The subscription with this id, or SubscriptionError."""
    sub = session.get(Subscription, sub_id)
    if sub is None:
        raise SubscriptionError(f"subscription {sub_id} not found")
    return sub


def check_rule_ids(session: Session, settings: Settings, rule_ids: list[str]) -> None:
    """Raise SubscriptionError (field `rules`) naming the rule ids that no rule file or stored rule defines."""
    if not rule_ids:
        return
    from monitor.rules.source import known_rule_ids

    unknown = sorted(set(rule_ids) - known_rule_ids(session, settings))
    if unknown:
        shown = ", ".join(unknown[:10]) + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
        raise SubscriptionError(f"unknown rule ids: {shown} (`rules list` shows the rules)", field="rules")


def update_subscription(
    session: Session,
    sub_id: int,
    changes: SubscriptionUpdate,
    *,
    actor: str = "cli",
    settings: Settings | None = None,
) -> Subscription:
    """Apply changes (validated as a whole, like a new subscription) and save.

    With settings, new rule ids are checked against the rules that exist (as on creation)."""
    sub = get_subscription(session, sub_id)
    fields = changes.model_dump(exclude_unset=True)
    if settings is not None and fields.get("rules"):
        check_rule_ids(session, settings, [r for r in fields["rules"] if r not in sub.rules])
    active = fields.pop("active", None)
    merged = SubscriptionCreate.model_validate({**sub.model_dump(), **fields})
    for name in fields:
        setattr(sub, name, getattr(merged, name))
    sub.digest, sub.digest_time = merged.digest, merged.digest_time
    if active is not None:
        set_active(session, sub_id, active, actor=actor)
    session.add(sub)
    _audit(session, actor, "subscription.update", sub, fields=sorted(fields))
    session.flush()
    return sub


def set_active(session: Session, sub_id: int, active: bool, *, actor: str = "cli") -> Subscription:
    """Pause (False) or resume (True); resuming also clears a failing or disabled status."""
    sub = get_subscription(session, sub_id)
    sub.active = active
    if active and sub.status != "ok":
        sub.status, sub.status_detail = "ok", None
    session.add(sub)
    _audit(session, actor, "subscription.resume" if active else "subscription.pause", sub)
    session.flush()
    return sub


def delete_subscription(session: Session, sub_id: int, *, actor: str = "cli") -> None:
    """Delete a subscription and its outbox rows."""
    from monitor.models import Delivery, DeliveryAttempt, Digest, DigestItem, StoryNotice

    sub = get_subscription(session, sub_id)
    _audit(session, actor, "subscription.delete", sub, channel=sub.channel)
    # Deleted explicitly: SQLite only cascades when foreign keys are on for that connection.
    ids = select(Delivery.id).where(Delivery.subscription_id == sub_id)
    for attempt in session.exec(select(DeliveryAttempt).where(col(DeliveryAttempt.delivery_id).in_(ids))):
        session.delete(attempt)
    for row in session.exec(select(Delivery).where(Delivery.subscription_id == sub_id)):
        session.delete(row)
    for item in session.exec(select(DigestItem).where(DigestItem.subscription_id == sub_id)):
        session.delete(item)
    for notice in session.exec(select(StoryNotice).where(StoryNotice.subscription_id == sub_id)):
        session.delete(notice)
    session.flush()
    for dg in session.exec(select(Digest).where(Digest.subscription_id == sub_id)):
        session.delete(dg)
    session.flush()
    session.delete(sub)
    session.flush()


def rotate_secret(
    session: Session, settings: Settings, sub_id: int, *, overlap_hours: float | None = None, actor: str = "cli"
) -> str:
    """Issue a new webhook secret; the old one keeps signing (both signatures sent) for the overlap."""
    sub = get_subscription(session, sub_id)
    if sub.channel != "webhook":
        raise SubscriptionError(f"subscription {sub_id} is not a webhook; only webhooks have secrets")
    hours = settings.secret_rotation_hours if overlap_hours is None else overlap_hours
    plain = secretbox.new_webhook_secret()
    if hours > 0 and sub.secret:
        sub.previous_secret = sub.secret
        sub.previous_secret_until = utcnow() + timedelta(hours=hours)
    else:
        sub.previous_secret, sub.previous_secret_until = None, None
    sub.secret = secretbox.encrypt(settings, plain)
    session.add(sub)
    _audit(session, actor, "subscription.rotate_secret", sub, overlap_hours=hours)
    session.flush()
    return plain


def signing_secrets(sub: Subscription, settings: Settings, now: datetime | None = None) -> list[str]:
    """The secrets that sign a message now: the current one, plus the previous during rotation."""
    now = now or utcnow()
    found = [secretbox.decrypt(settings, sub.secret)] if sub.secret else []
    if sub.previous_secret and sub.previous_secret_until and sub.previous_secret_until > now:
        found.append(secretbox.decrypt(settings, sub.previous_secret))
    return found
