"""Query parameters shared by the alert routes (list, Atom, stream, export) turned into an AlertFilter."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path, Query
from pydantic import Field, ValidationError

from monitor.alerts.queries import AlertFilter, Status
from monitor.api.errors import validation_error
from monitor.matching.types import Severity
from monitor.modelbase import time_ago
from monitor.models import as_utc

_WHEN_HELP = "ISO 8601 time (UTC when no offset) or a duration back from now: 30m, 24h, 7d, 2w"
# The shapes `parse_when` reads, as the OpenAPI document states them: a duration, or an ISO 8601
# date or date-time with an optional offset. A string of that shape can still name no real time
# (30 February, year 0 once in UTC): that is a 422 naming the field.
WHEN_PATTERN = (
    r"^(\d{1,6}[mhdw]|\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|z|[+-]\d{2}:?\d{2})?)$"
)
# Cursors are URL-safe base64 without padding, as this API hands them out.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,200}$"
WhenQuery = Annotated[str | None, Query(description=_WHEN_HELP, max_length=64, pattern=WHEN_PATTERN)]
CursorQuery = Annotated[
    str | None,
    Query(max_length=200, pattern=CURSOR_PATTERN, description="next_cursor of the previous page (opaque)"),
]


def parse_when(value: str | None, field: str) -> datetime | None:
    """A time from ISO 8601 or a relative duration like `7d`; 422 naming `field` otherwise."""
    if value is None or value == "":
        return None
    ago = time_ago(value)  # the query's pattern has already limited it to 1-6 digits and a lower-case unit
    if ago is not None:
        return ago
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise validation_error(f"query.{field}", f"not a time: {value!r} ({_WHEN_HELP})") from None
    try:
        return as_utc(when)
    except ValueError as exc:
        raise validation_error(f"query.{field}", f"{exc}: {value!r}") from None


async def alert_filter(
    since: WhenQuery = None,
    until: WhenQuery = None,
    rule: Annotated[list[str], Query(description="rule id (repeatable)")] = [],  # noqa: B006
    category: Annotated[list[str], Query(description="rule category (repeatable)")] = [],  # noqa: B006
    severity: Annotated[
        list[Severity], Query(description="exact severity (repeatable)")
    ] = [],  # noqa: B006
    min_severity: Annotated[Severity | None, Query()] = None,
    min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
    entity_id: Annotated[list[str], Query(description="listed entity id, e.g. us_ofac_sdn:35173")] = [],  # noqa: B006
    dataset: Annotated[list[str], Query(description="list dataset, e.g. us_ofac_sdn")] = [],  # noqa: B006
    feed_id: Annotated[list[Annotated[int, Field(ge=1, le=2**31 - 1)]], Query(description="feed id (repeatable)")] = [],  # noqa: B006
    language: Annotated[
        list[Annotated[str, Field(pattern="^[a-z]{2}$")]], Query(description="article language, ISO 639-1 (repeatable)")
    ] = [],  # noqa: B006
    status: Annotated[list[Status], Query()] = [],  # noqa: B006
    q: Annotated[str | None, Query(max_length=200, description="free text over title and evidence")] = None,
    suppressed: Annotated[
        Literal["exclude", "include", "only"], Query(description="suppressed alerts: hide (default), include, only")
    ] = "exclude",
) -> AlertFilter:
    """The filter named by the query string (async: pure work, no worker thread needed)."""
    try:
        return AlertFilter(
            since=parse_when(since, "since"),
            until=parse_when(until, "until"),
            rules=rule,
            categories=category,
            severities=severity,
            min_severity=min_severity,
            min_score=min_score,
            entity_ids=entity_id,
            datasets=dataset,
            feed_ids=feed_id,
            languages=language,
            statuses=status,
            q=q or None,
            suppressed=suppressed,
        )
    except ValidationError as exc:  # pragma: no cover - Query() already checks every field
        first = exc.errors()[0]
        raise validation_error("query." + ".".join(str(p) for p in first["loc"]), first["msg"]) from None


# Ids are 32-bit on PostgreSQL: a larger number can name nothing, and must be a 422, not a database error.
MAX_ID = 2**31 - 1
IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="object id")]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
