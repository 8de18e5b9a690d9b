"""CSV that is safe to open in a spreadsheet (OWASP, "CSV Injection").

A cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage return can be read
as a formula by Excel, LibreOffice or Google Sheets; feed titles and evidence are
attacker-controlled, so such cells get a leading apostrophe, which spreadsheets show
as text and do not display. Numbers are left as they are (a negative score is a number,
not a formula); the csv module quotes commas, quotes and line breaks.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: Any) -> Any:
    """The value with a leading apostrophe when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_lines(fields: list[str], rows: Iterable[Mapping[str, Any]]) -> Iterable[str]:
    """The header line, then one CSV line per row (each cell made spreadsheet-safe)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields)
    writer.writeheader()
    yield buf.getvalue()
    for row in rows:
        buf.seek(0)
        buf.truncate()
        writer.writerow({k: spreadsheet_cell(v) for k, v in row.items()})
        yield buf.getvalue()
