"""What every table module shares: the UTC time convention and the column helpers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator
from sqlalchemy import JSON, Column, Text
from sqlmodel import Field


def utcnow() -> datetime:
    """Current time, timezone-aware UTC (the storage convention)."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """The time as given when it carries a zone, else the same wall time read as UTC (naive input).

    Raises ValueError for a time whose UTC equivalent falls outside years 1-9999
    (`0001-01-01T00:00:00+01:00`): the database stores UTC, and the conversion would
    otherwise overflow wherever the value is next used.
    """
    value = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("time out of range: in UTC it must fall between years 1 and 9999") from None
    return value


_DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def time_ago(value: str) -> datetime | None:
    """Now minus a duration written `30m`, `12h`, `7d` or `2w`; None when `value` is not such a duration."""
    match = _DURATION.match(value)
    if match is None:
        return None
    return utcnow() - timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})


# A datetime field of an input model: naive values are read as UTC.
UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]


def json_field(default: Any = None) -> Any:
    """A JSON column, never NULL: an empty list by default, an empty mapping when `default` is given."""
    factory = list if default is None else dict
    return Field(default_factory=factory, sa_column=Column(JSON, nullable=False))


def text_field(nullable: bool = True) -> Any:
    """An unbounded text column: None by default, or "" when it may not be NULL."""
    return Field(default=None if nullable else "", sa_column=Column(Text, nullable=nullable))
