"""Derive the story grouping's decision thresholds from the `tuning` windows of the labelled stories.

    .venv/bin/python -m bench.stories_tune [--top 10] [--write]

Grid search over the decision thresholds of monitor/grouping/tuning.yaml (`join`, `commentary_join`,
`guard_centroid`, `story_half_life_hours`, `story_span_hours`) on the items of the `tuning` split only
(tests/data/labels_stories.jsonl; the `blind` and `blind2` windows are never read here). Each setting
groups the tuning items with the service's algorithm (`group_archive`, as `stories group` does) and is
scored with B-cubed F1. The chosen setting is the strictest (higher thresholds, shorter spans) of those
within `TOLERANCE` of the best F1: the tuning windows hold few of the merges that cost the first blind
draw (analyses and next-day developments joined to an event's story), many settings tie on them, and a
split story costs the analyst one more row where a wrong merge hides a report. Prints the chosen
settings first; `--write` stores the first in tuning.yaml (its comments stay).
"""

from __future__ import annotations

import argparse
import itertools
import re
from dataclasses import replace
from datetime import datetime
from importlib import resources

from bench.stories_quality import LABELS, bcubed, load_labels
from monitor.grouping.features import Tuning, default_tuning
from monitor.grouping.grouper import StoryArticle, group_archive
from tests.data import select_stories

TOLERANCE = 0.005
# each grid runs from the most lenient value to the strictest
GRID: dict[str, tuple[float, ...]] = {
    "join": (0.35, 0.4, 0.45, 0.5, 0.55),
    "commentary_join": (0.6, 0.7, 0.8, 0.9),
    "guard_centroid": (0.25, 0.35, 0.45),
    "story_half_life_hours": (1_000_000.0, 48.0, 24.0, 12.0),
    "story_span_hours": (48.0, 36.0, 24.0),
}


def _articles() -> tuple[list[StoryArticle], dict[str, str]]:
    gold = {r["link"]: r["story"] for r in load_labels(LABELS) if r["split"] == "tuning"}
    items = [select_stories.as_article(i) for i in select_stories.select() if i["link"] in gold]
    articles = [
        StoryArticle(
            id=i["id"], title=i["title"], text=i["text"], source=i["source"], url=i["url"],
            published=datetime.fromisoformat(i["published"]) if i["published"] else None,
        )
        for i in items
    ]
    return articles, gold


def score(tuning: Tuning, articles: list[StoryArticle], gold: dict[str, str]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of the grouping with these thresholds on the tuning items."""
    pred = {a.article_id: a.story for a in group_archive(articles, tuning)}
    return bcubed(pred, gold)


def _strictness(values: dict[str, float]) -> int:
    return sum(GRID[k].index(v) for k, v in values.items())


def search(top: int) -> list[tuple[float, float, float, dict[str, float]]]:
    """The `top` settings of the grid, the chosen one first: (F1, P, R, values)."""
    base = default_tuning()
    articles, gold = _articles()
    rows = []
    for combo in itertools.product(*GRID.values()):
        values = dict(zip(GRID, combo, strict=True))
        p, r, f1 = score(replace(base, **values), articles, gold)  # type: ignore[arg-type]
        rows.append((f1, p, r, values))
    best = max(f1 for f1, *_ in rows)
    rows.sort(key=lambda row: (row[0] >= best - TOLERANCE, _strictness(row[3]), row[0]), reverse=True)
    return rows[:top]


def write(values: dict[str, float]) -> None:
    """Store the values in monitor/grouping/tuning.yaml, keeping its comments."""
    path = resources.files("monitor.grouping").joinpath("tuning.yaml")
    text = path.read_text(encoding="utf-8")
    for key, value in values.items():
        shown = int(value) if float(value).is_integer() else value
        text, n = re.subn(rf"(?m)^{key}: .*$", f"{key}: {shown}", text)
        if n != 1:
            raise SystemExit(f"tuning.yaml: no single line for {key}")
    with resources.as_file(path) as real:
        real.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    """Print the best settings of the grid on the tuning split (and store the best with --write)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--write", action="store_true", help="store the best setting in tuning.yaml")
    args = parser.parse_args(argv)
    best = search(args.top)
    for f1, p, r, values in best:
        shown = "  ".join(f"{k} {v:g}" for k, v in values.items())
        print(f"F1 {f1:.3f}  P {p:.3f}  R {r:.3f}  {shown}")
    if args.write:
        write(best[0][3])
        print("stored in monitor/grouping/tuning.yaml")


if __name__ == "__main__":
    main()
