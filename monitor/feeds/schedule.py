"""When to poll a feed next: pure arithmetic on the feed's state and what the server said.

A healthy feed waits its interval: the feed's own setting or the default, raised to
the feed's <ttl> and the response's Cache-Control max-age, and to any Retry-After,
then clamped to [poll_min_interval, poll_max_interval]. A failing feed backs off
exponentially from the minimum interval up to poll_max_backoff (24 h by default) and
keeps being polled at that pace: it is never dropped silently. A feed that used to
publish about daily and has published nothing for quiet_after_hours is flagged quiet.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from monitor.settings import Settings


def ok_interval(
    settings: Settings,
    feed_interval: int | None = None,
    *,
    ttl_minutes: int | None = None,
    max_age: int | None = None,
    retry_after: int | None = None,
) -> int:
    """Seconds until the next poll of a feed that answered normally."""
    interval = feed_interval or settings.poll_interval
    for hint in (ttl_minutes * 60 if ttl_minutes else None, max_age, retry_after):
        if hint:
            interval = max(interval, hint)
    return max(settings.poll_min_interval, min(settings.poll_max_interval, interval))


def error_backoff(settings: Settings, consecutive_errors: int, retry_after: int | None = None) -> int:
    """Seconds until the next try after `consecutive_errors` failures in a row (>= 1)."""
    errors = max(1, consecutive_errors)
    base = max(60, settings.poll_min_interval)
    # 2 ** 20 is already far past any cap; avoids huge integers on long failure streaks.
    delay = base * 2 ** min(errors - 1, 20)
    if retry_after:
        delay = max(delay, retry_after)
    return min(delay, settings.poll_max_backoff)


def next_poll(now: datetime, seconds: int) -> datetime:
    """The time `seconds` after `now`."""
    return now + timedelta(seconds=seconds)


def is_quiet(
    settings: Settings,
    now: datetime,
    *,
    items_per_day: float | None,
    last_new_item_at: datetime | None,
) -> bool:
    """True when a feed that published about daily or more has been silent too long."""
    if not items_per_day or items_per_day < 1.0 or last_new_item_at is None:
        return False
    return now - last_new_item_at > timedelta(hours=settings.quiet_after_hours)


def publishing_rate(published: list[datetime], now: datetime, window_days: int = 14) -> float | None:
    """Items per day over the recent window, from publication times (None when unknown)."""
    recent = [p for p in published if p is not None and now - p <= timedelta(days=window_days)]
    if not recent:
        return None
    span_days = max(1.0, (now - min(recent)).total_seconds() / 86400)
    return len(recent) / span_days
