"""Derive the story grouping's decision thresholds from labelled stories outside the held-out draw.

    .venv/bin/python -m bench.stories_tune [--splits tuning,blind,blind2] [--top 10] [--write]

Grid search over the decision thresholds of monitor/grouping/tuning.yaml (`join`, `guard_centroid`,
`story_half_life_hours`, `story_span_hours`, `novelty_max`) on the labelled items of the given splits
(tests/data/labels_stories.jsonl). The default is every split but `blind3`: `blind` and `blind2` were
each scored once with the article kinds before they were added here, and `blind3` is never read here,
so that the thresholds are measured on items they were not derived from. Each setting groups the
items with the service's algorithm (`group_archive`, as `stories group` does) and is scored with
B-cubed F1 per split, then averaged over the splits. The chosen setting has the best mean F1; among
settings that tie on it (`TOLERANCE`), the strictest (higher thresholds, shorter spans): a split story
costs the analyst one more row where a wrong merge hides a report. Prints the chosen setting first; `--write`
stores it in tuning.yaml (its comments stay).
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

TOLERANCE = 0.0
# each grid runs from the most lenient value to the strictest
GRID: dict[str, tuple[float, ...]] = {
    "join": (0.35, 0.4, 0.45, 0.5),
    "guard_centroid": (0.35, 0.45),
    "story_half_life_hours": (1_000_000.0, 48.0, 24.0),
    "story_span_hours": (36.0, 24.0),
    "novelty_max": (1.0, 0.6, 0.45, 0.3),
}


def _articles(splits: tuple[str, ...]) -> list[tuple[list[StoryArticle], dict[str, str]]]:
    """Per split: its articles and their gold stories."""
    labels = load_labels(LABELS)
    picked = select_stories.select()
    return [_split_articles(picked, {r["link"]: r["story"] for r in labels if r["split"] == split}) for split in splits]


def _split_articles(picked: list[dict[str, str]], gold: dict[str, str]) -> tuple[list[StoryArticle], dict[str, str]]:
    items = [select_stories.as_article(i) for i in picked if i["link"] in gold]
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


def search(splits: tuple[str, ...], top: int) -> list[tuple[float, float, float, dict[str, float]]]:
    """The `top` settings of the grid, the chosen one first: (mean F1, mean P, mean R, values)."""
    base = default_tuning()
    data = _articles(splits)
    rows = []
    for combo in itertools.product(*GRID.values()):
        values = dict(zip(GRID, combo, strict=True))
        tuning = replace(base, **values)  # type: ignore[arg-type]
        scores = [score(tuning, articles, gold) for articles, gold in data]
        p, r, f1 = (sum(s[n] for s in scores) / len(scores) for n in range(3))
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
    parser.add_argument("--splits", default="tuning,blind,blind2", help="comma-separated splits to derive on")
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--write", action="store_true", help="store the best setting in tuning.yaml")
    args = parser.parse_args(argv)
    splits = tuple(args.splits.split(","))
    if "blind3" in splits:
        parser.error("blind3 is the held-out draw: never derive on it")
    best = search(splits, args.top)
    for f1, p, r, values in best:
        shown = "  ".join(f"{k} {v:g}" for k, v in values.items())
        print(f"F1 {f1:.3f}  P {p:.3f}  R {r:.3f}  {shown}")
    if args.write:
        write(best[0][3])
        print("stored in monitor/grouping/tuning.yaml")


if __name__ == "__main__":
    main()
