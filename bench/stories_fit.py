"""Fit the story grouping's linking score on the hand-grouped stories and choose it by cross-validation.

    .venv/bin/python -m bench.stories_fit [--write]

The linking score (monitor/grouping/linking.py) is a logistic regression over the features of an
(article, candidate story) pair. Its rows come from replaying each labelled window in publication
order with the gold stories: every article is scored against the candidate stories the grouper would
look at (the most similar few), a row per candidate, positive when it is the article's own story, and
the article is then placed in its own story. The data are the `tuning`, `blind`, `blind2` and `blind3`
windows of tests/data/labels_stories.jsonl; `blind4` is never read here (it is the held-out draw).

Leave-one-window-out cross-validation: for each window, the score is fitted on the other windows,
then that window is grouped with the service's algorithm (`group_archive`, as `stories group` does)
at each threshold of `THRESHOLDS`, and the predictions of the held-out windows are pooled per split
and scored with B-cubed. Each candidate variant (feature set, article-kind rule) is scored by its mean
F1 over the splits; the best variant and threshold are then fitted on every window, and `--write`
stores the coefficients, the threshold and the cross-validated figures in monitor/grouping/linking.yaml.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import datetime
from importlib import resources
from typing import NamedTuple

from bench.stories_quality import LABELS, bcubed, load_labels
from monitor.grouping.grouper import StoryArticle, StoryGrouper, group_archive
from monitor.grouping.linking import FEATURES, Linker
from tests.data import select_stories

SPLITS = ("tuning", "blind", "blind2", "blind3")
THRESHOLDS = tuple(round(0.1 + 0.05 * n, 2) for n in range(15))  # 0.1 .. 0.8
ALL = tuple(FEATURES)
# the variants compared by cross-validation: which features, and whether commentary is kept apart
VARIANTS: dict[str, tuple[tuple[str, ...], bool, float]] = {
    "cosine only": (("cosine", "decayed"), True, 1.0),
    "all features": (ALL, True, 1.0),
    "all features, no kind rule": (ALL, False, 1.0),
    "all features, novelty rule": (ALL, True, 0.45),
    "no outlet or size": (tuple(f for f in ALL if f not in ("same_source", "log_size")), True, 1.0),
    "no rare-word count": (tuple(f for f in ALL if f != "shared_rare"), True, 1.0),
    "no rare-word count, novelty rule": (tuple(f for f in ALL if f != "shared_rare"), True, 0.45),
}
REGULARISATION = 1.0  # L2 strength of scikit-learn (C); 10 scored the same in cross-validation


Rows = tuple[list[tuple[float, ...]], list[int]]
Variant = tuple[tuple[str, ...], bool, float]
Scores = dict[str, tuple[float, float, float]]


class Window(NamedTuple):
    name: str
    split: str
    articles: list[StoryArticle]
    gold: dict[str, str]


def windows() -> list[Window]:
    """The labelled windows of the fitting splits, their articles in publication order."""
    labels = [r for r in load_labels(LABELS) if r["split"] in SPLITS]
    picked = select_stories.select()
    out = []
    for name in sorted({r["window"] for r in labels}):
        rows = [r for r in labels if r["window"] == name]
        articles, gold = _split_articles(picked, {r["link"]: r["story"] for r in rows})
        out.append(Window(name, rows[0]["split"], articles, gold))
    return out


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


def rows(window: Window, linker: Linker) -> Rows:
    """Pair features and labels of a window replayed with its gold stories."""
    grouper = StoryGrouper(linker=linker)
    order = sorted(range(len(window.articles)), key=lambda n: _stamp(window.articles[n]))
    xs, ys = [], []
    for n in order:
        article = window.articles[n]
        story = window.gold[article.id]
        for key, features in grouper.candidate_features(article):
            xs.append(features)
            ys.append(int(key == story))
        grouper.remember(article, story)
    return xs, ys


def _stamp(article: StoryArticle) -> float:
    return article.published.timestamp() if article.published else 0.0


def fit(data: list[Rows], features: tuple[str, ...], kind_rule: bool, novelty_max: float) -> Linker:
    """A linker fitted on the given windows' rows (features outside `features` weigh nothing)."""
    from sklearn.linear_model import LogisticRegression

    columns = [ALL.index(f) for f in features]
    xs = [[x[c] for c in columns] for part, _ in data for x in part]
    ys = [y for _, part in data for y in part]
    model = LogisticRegression(C=REGULARISATION, max_iter=2000).fit(xs, ys)
    weights = dict(zip(features, (float(w) for w in model.coef_[0]), strict=True))
    return Linker(
        weights=tuple(weights.get(f, 0.0) for f in ALL), bias=float(model.intercept_[0]),
        threshold=0.5, commentary_rule=kind_rule, novelty_max=novelty_max,
    )


def cross_validate(
    data: list[Window], replay: list[Rows], variant: Variant
) -> dict[float, Scores]:
    """Threshold -> split -> pooled B-cubed (P, R, F1) of the held-out windows' groupings."""
    pred: dict[float, dict[str, dict[str, str]]] = {t: {s: {} for s in SPLITS} for t in THRESHOLDS}
    for n, window in enumerate(data):
        linker = fit(replay[:n] + replay[n + 1:], *variant)
        for threshold in THRESHOLDS:
            grouped = group_archive(window.articles, linker=replace(linker, threshold=threshold))
            pred[threshold][window.split].update({a.article_id: f"{window.name}:{a.story}" for a in grouped})
    gold = {s: {k: v for w in data if w.split == s for k, v in w.gold.items()} for s in SPLITS}
    return {t: {s: bcubed(pred[t][s], gold[s]) for s in SPLITS} for t in THRESHOLDS}


def _mean(scores: Scores) -> float:
    return sum(s[2] for s in scores.values()) / len(scores)


def write(linker: Linker, features: tuple[str, ...], variant: str, scores: Scores) -> str:
    """linking.yaml's text for the chosen linker."""
    lines = [
        "# The story grouping's linking score (monitor/grouping/linking.py): a logistic regression over",
        "# the features of an (article, candidate story) pair; an article joins the most likely story when",
        "# its probability reaches `threshold`. Generated by",
        "#     .venv/bin/python -m bench.stories_fit --write",
        "# fitted on the tuning, blind, blind2 and blind3 windows of tests/data/labels_stories.jsonl",
        "# (feature set, article-kind rule and threshold chosen by leave-one-window-out cross-validation;",
        "# blind4 is held out). Do not edit by hand: change the script or the labels and regenerate.",
        f"# variant: {variant}",
        "# cross-validated B-cubed (held-out windows pooled per split):",
    ]
    lines += [f"#   {s}: P {p:.3f} R {r:.3f} F1 {f:.3f}" for s, (p, r, f) in scores.items()]
    lines += [
        f"#   mean F1 over the splits: {_mean(scores):.3f}",
        f"intercept: {linker.bias:.4f}",
        f"threshold: {linker.threshold}",
        "# commentary (story_cues.yaml) on either side joins only a near copy of itself (commentary_join)",
        f"commentary_rule: {'true' if linker.commentary_rule else 'false'}",
        "# how many candidate stories (the most similar by cosine) are scored",
        f"stories: {linker.stories}",
        "# after the first news cycle (follow_after_hours), a headline with more than this share of its",
        "# weight in words new to the story never joins it (1.0: no such rule)",
        f"novelty_max: {linker.novelty_max}",
        "coefficients:",
    ]
    lines += [f"  {f}: {w:.4f}  # {FEATURES[f]}" for f, w in zip(ALL, linker.weights, strict=True) if f in features]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Cross-validate the variants, print the figures, optionally write the chosen linker."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", action="store_true", help="store the chosen linker in linking.yaml")
    args = parser.parse_args()
    data = windows()
    base = Linker(weights=(0.0,) * len(ALL), bias=0.0, threshold=0.5, commentary_rule=True)
    replay = [rows(w, base) for w in data]
    results = []
    for variant, setting in VARIANTS.items():
        table = cross_validate(data, replay, setting)
        threshold = max(THRESHOLDS, key=lambda t: (round(_mean(table[t]), 6), t))
        scores = table[threshold]
        results.append((_mean(scores), variant, threshold, scores))
        per_split = "  ".join(f"{s} {f:.3f} ({p:.3f}/{r:.3f})" for s, (p, r, f) in scores.items())
        print(f"{variant:<28} threshold {threshold:.2f}  mean F1 {_mean(scores):.3f}  {per_split}", flush=True)
    _, variant, threshold, scores = max(results, key=lambda r: (round(r[0], 6), -list(VARIANTS).index(r[1])))
    linker = replace(fit(replay, *VARIANTS[variant]), threshold=threshold)
    text = write(linker, VARIANTS[variant][0], variant, scores)
    print(f"chosen: {variant}, threshold {threshold}")
    print(text)
    if args.write:
        target = resources.files("monitor.grouping").joinpath("linking.yaml")
        with resources.as_file(target) as path:
            path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
