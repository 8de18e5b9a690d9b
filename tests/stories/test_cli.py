"""`sanctions-monitor stories group`: the contract (one {id, story} per input, in order) on made-up and real data."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from tests.conftest import shared_path


def run(*args: str) -> tuple[int, list[dict]]:
    result = CliRunner().invoke(app, ["stories", "group", *args])
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, rows


def test_group_keeps_input_order_and_reports_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    lines = [
        {"id": "s3", "title": "Plane carrying Wagner boss Prigozhin crashes near Moscow", "text": "Ten people died.",
         "source": "c", "published": "2023-08-23T18:00:00Z"},
        {"id": "s1", "title": "Wagner chief Prigozhin on passenger list of crashed jet",
         "text": "A private jet crashed north of Moscow.", "source": "a",
         "published": "Wed, 23 Aug 2023 17:50:00 +0000"},
        {"id": "s2", "title": "Council approves new cycle lanes", "text": "The city council voted.", "source": "b"},
    ]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines) + "{not json\n")
    code, rows = run(str(path))
    assert code == 1  # the bad line is reported, not dropped
    assert [r["id"] for r in rows] == ["s3", "s1", "s2", "a.jsonl:4"]
    assert rows[0]["story"] == rows[1]["story"] != rows[2]["story"]
    assert rows[3]["story"] is None and "error" in rows[3]


@pytest.mark.slow
def test_group_runs_on_the_real_feed_items() -> None:
    path = shared_path("articles", "rss_items_2023_watchlist_hits.jsonl")
    with path.open(encoding="utf-8") as fh:
        count = sum(1 for line in fh if line.strip())
    code, rows = run(str(path))
    assert code == 0
    assert len(rows) == count
    sizes = Counter(r["story"] for r in rows)
    multi = [n for n in sizes.values() if n > 1]
    # real stories form (many outlets on one event), and no story swallows the file
    assert len(multi) > 100
    assert max(sizes.values()) < 0.05 * count
