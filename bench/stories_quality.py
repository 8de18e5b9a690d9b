"""Story grouping quality: B-cubed precision, recall and F1 against the hand-labelled stories.

    .venv/bin/python -m bench.stories_quality PREDICTIONS.jsonl [--labels FILE] [--windows]
    .venv/bin/python -m bench.stories_quality --baselines [--labels FILE] [--windows]
    .venv/bin/python -m bench.stories_quality --facts [--labels FILE]

PREDICTIONS holds one JSON object per line, `{"id": <article link>, "story": <any id>}` (the output of
`sanctions-monitor stories group` on the items of `tests.data.select_stories --articles`). The gold
labels are tests/data/labels_stories.jsonl (labelling rule in tests/data/README.md). Figures are
printed per split (`tuning`, `blind`) and, with `--windows`, per window. A split is scored only when
every one of its labelled links has a prediction; a split with none is reported as not predicted, one
with some missing is an error (scoring a part would hide the dropped articles). `--baselines` scores
two trivial groupings instead: every article its own story, and every article of a window one story;
`--facts` prints the size of the labelled set per window (items, stories, multi-item stories, largest).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

LABELS = Path(__file__).resolve().parents[1] / "tests" / "data" / "labels_stories.jsonl"


def bcubed(pred: dict[str, str], gold: dict[str, str]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of `pred` (item -> story) over the items of `gold` (item -> story).

    Items of `pred` that are not in `gold` are ignored; a gold item missing from `pred` is an error."""
    missing = gold.keys() - pred.keys()
    if missing:
        raise ValueError(f"{len(missing)} labelled items have no prediction, e.g. {min(missing)}")
    if not gold:
        raise ValueError("no labelled items to score")
    pairs = Counter((pred[item], gold[item]) for item in gold)
    pred_size = Counter(pred[item] for item in gold)
    gold_size = Counter(gold.values())
    # Every item of a (predicted, gold) cell shares the same overlap, so sum per cell.
    precision = sum(n * n / pred_size[p] for (p, _), n in pairs.items()) / len(gold)
    recall = sum(n * n / gold_size[g] for (_, g), n in pairs.items()) / len(gold)
    return precision, recall, 2 * precision * recall / (precision + recall)


def load_labels(path: Path) -> list[dict[str, str]]:
    """The labelled items (link, window, split, story, optional follows)."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_predictions(path: Path) -> dict[str, str]:
    """Predictions as id -> story; a malformed line or a repeated id is a clear error."""
    pred: dict[str, str] = {}
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                item, story = row["id"], row["story"]
            except (ValueError, KeyError, TypeError) as exc:
                raise SystemExit(f"{path}:{number}: not a {{'id', 'story'}} object ({exc})") from exc
            if item in pred:
                raise SystemExit(f"{path}:{number}: id {item!r} predicted twice")
            pred[item] = str(story)
    return pred


def baselines(labels: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    """The two trivial groupings: one story per article, one story per window."""
    return {
        "singletons": {row["link"]: row["link"] for row in labels},
        "one per window": {row["link"]: row["window"] for row in labels},
    }


def groups(labels: list[dict[str, str]], by_window: bool) -> dict[str, dict[str, str]]:
    """Gold item -> story per split (and per window when asked), in file order."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for row in labels:
        out[row["split"]][row["link"]] = row["story"]
        if by_window:
            out[f"{row['split']} {row['window']}"][row["link"]] = row["story"]
    return out


def facts(labels: list[dict[str, str]]) -> None:
    """Print items, stories, multi-item stories, largest story and follow-ups per window and in all."""
    windows: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in labels:
        windows[f"{row['window']} {row['split']}"].append(row)
    windows["all"] = labels
    for key, rows in windows.items():
        sizes = Counter(row["story"] for row in rows)
        follow_ups = {row["story"] for row in rows if row.get("follows")}
        multi = [n for n in sizes.values() if n > 1]
        print(
            f"{key:<12} items {len(rows):>4}  stories {len(sizes):>4}  multi-item {len(multi):>3}"
            f"  in multi-item {sum(multi):>4}  largest {max(sizes.values()):>3}"
            f"  follow-ups {len(follow_ups):>3}"
        )


def report(name: str, pred: dict[str, str], gold_groups: dict[str, dict[str, str]]) -> None:
    """Print one line per group: items, stories, B-cubed P/R/F1 (or why it is not scored)."""
    for key, gold in gold_groups.items():
        covered = len(gold.keys() & pred.keys())
        head = f"{name:<16} {key:<12} items {len(gold):>4}  stories {len(set(gold.values())):>4}"
        if covered == 0:
            print(f"{head}  not predicted")
            continue
        if covered < len(gold):
            raise SystemExit(f"{key}: {len(gold) - covered} of {len(gold)} labelled items have no prediction")
        p, r, f1 = bcubed(pred, gold)
        print(f"{head}  P {p:.3f}  R {r:.3f}  F1 {f1:.3f}")


def main(argv: list[str] | None = None) -> None:
    """Score a predictions file (or the trivial baselines) against the story labels."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("predictions", nargs="?", type=Path)
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--baselines", action="store_true", help="score the two trivial groupings")
    parser.add_argument("--facts", action="store_true", help="print the size of the labelled set")
    parser.add_argument("--windows", action="store_true", help="also print a line per window")
    args = parser.parse_args(argv)
    if (args.predictions is not None) + args.baselines + args.facts != 1:
        parser.error("give one of: a predictions file, --baselines, --facts")
    labels = load_labels(args.labels)
    if args.facts:
        facts(labels)
        return
    gold_groups = groups(labels, args.windows)
    if args.baselines:
        for name, pred in baselines(labels).items():
            report(name, pred, gold_groups)
    else:
        report(args.predictions.name, load_predictions(args.predictions), gold_groups)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
