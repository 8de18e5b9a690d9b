"""The alert queue's filter form, read into the API's own `AlertFilter`.

HTML forms send every field, empty ones included, and dates as `YYYY-MM-DD`; this turns
them into the shared filter (so the console shows exactly what `GET /api/v1/alerts`
would) and collects readable errors instead of failing the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import QueryParams

from monitor.alerts.queries import STATUSES, AlertFilter
from monitor.matching.types import SEVERITIES

FIELDS = ("rule", "min_severity", "min_score", "status", "entity_id", "feed_id", "language", "since", "until", "q",
          "suppressed")


@dataclass
class QueueQuery:
    """The form values as typed (to refill the form), the filter, and any errors."""

    values: dict[str, str]
    flt: AlertFilter
    errors: dict[str, str] = field(default_factory=dict)
    cursor: str | None = None

    def params(self, **changes: str | None) -> dict[str, str]:
        """Non-empty form values with some changed, for links that keep the other filters."""
        merged: dict[str, Any] = {**self.values, **changes}
        return {k: v for k, v in merged.items() if v not in (None, "")}


def _day(value: str) -> date:
    return date.fromisoformat(value)


def parse_queue_query(params: QueryParams) -> QueueQuery:
    """Read the queue's query string into an AlertFilter, keeping the typed values and errors."""
    values = {name: (params.get(name) or "").strip()[:200] for name in FIELDS}
    errors: dict[str, str] = {}
    kwargs: dict[str, Any] = {}
    if values["rule"]:
        kwargs["rules"] = [values["rule"]]
    if values["min_severity"]:
        if values["min_severity"] in SEVERITIES:
            kwargs["min_severity"] = values["min_severity"]
        else:
            errors["min_severity"] = "choose a severity from the list"
    if values["min_score"]:
        try:
            score = float(values["min_score"])
            if not 0 <= score <= 1:
                raise ValueError
            kwargs["min_score"] = score
        except ValueError:
            errors["min_score"] = "a number from 0 to 1, e.g. 0.6"
    if values["status"]:
        if values["status"] in STATUSES:
            kwargs["statuses"] = [values["status"]]
        else:
            errors["status"] = "choose a status from the list"
    if values["entity_id"]:
        kwargs["entity_ids"] = [values["entity_id"]]
    if values["feed_id"]:
        try:
            kwargs["feed_ids"] = [int(values["feed_id"])]
        except ValueError:
            errors["feed_id"] = "choose a feed from the list"
    if values["language"]:
        if re.fullmatch(r"[a-z]{2}", values["language"]):
            kwargs["languages"] = [values["language"]]
        else:
            errors["language"] = "a two-letter language code, e.g. ru"
    for name, key, shift in (("since", "since", 0), ("until", "until", 1)):
        if values[name]:
            try:
                # `until` is inclusive of the day typed: stop at the next midnight (UTC).
                day = _day(values[name]) + timedelta(days=shift)
                kwargs[key] = datetime(day.year, day.month, day.day, tzinfo=UTC)
            except ValueError:
                errors[name] = "a date as YYYY-MM-DD"
    if values["q"]:
        kwargs["q"] = values["q"]
    if values["suppressed"]:
        if values["suppressed"] in ("exclude", "include", "only"):
            kwargs["suppressed"] = values["suppressed"]
        else:
            errors["suppressed"] = "choose from the list"
    try:
        flt = AlertFilter(**kwargs)
    except ValidationError as exc:  # the checks above should catch everything; never fail the page
        errors["form"] = exc.errors()[0].get("msg", "invalid filter")
        flt = AlertFilter()
    cursor = (params.get("cursor") or "").strip()[:200] or None
    return QueueQuery(values=values, flt=flt, errors=errors, cursor=cursor)
