"""The hand-labelled stories (tests/data/labels_stories.jsonl) are well-formed and resolve in the shared
data, and the B-cubed scorer of bench/stories_quality.py computes what it should."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from bench import stories_quality as sq
from tests.data import select_rss2023, select_stories

LABELS = Path(__file__).resolve().parent / "data" / "labels_stories.jsonl"
FIELDS = {"link", "window", "split", "story", "follows"}


def _labels() -> list[dict[str, str]]:
    return sq.load_labels(LABELS)


def test_labels_are_well_formed() -> None:
    labels = _labels()
    windows = {w.name: w for w in select_stories.WINDOWS}
    links = [row["link"] for row in labels]
    assert len(links) == len(set(links)), "a link is labelled twice"
    stories: dict[str, set[str]] = defaultdict(set)  # story -> windows
    follows: dict[str, set[str]] = defaultdict(set)  # story -> the stories its items say it follows
    for row in labels:
        assert set(row) <= FIELDS and FIELDS - {"follows"} <= set(row), row
        assert row["window"] in windows, row
        assert row["split"] == windows[row["window"]].split, row
        assert re.fullmatch(rf"{row['window']}-s\d{{3}}", row["story"]), row
        stories[row["story"]].add(row["window"])
        follows[row["story"]].add(row.get("follows", ""))
    for story, targets in follows.items():
        assert len(targets) == 1, f"the items of {story} disagree on what it follows: {targets}"
        (target,) = targets
        if target:
            assert target != story and target in stories, (story, target)
            assert target.split("-")[0] == story.split("-")[0], "a follow-up outside its window"


def test_every_window_is_labelled_and_the_blind_split_is_large_enough() -> None:
    labels = _labels()
    per_window: dict[str, int] = defaultdict(int)
    for row in labels:
        per_window[row["window"]] += 1
    assert set(per_window) == {w.name for w in select_stories.WINDOWS}
    assert len(labels) >= 400
    assert sum(1 for row in labels if row["split"] == "blind") >= 160


def test_labelled_windows_are_the_selection_and_resolve_in_the_shared_data() -> None:
    if not (select_rss2023.DATA / select_rss2023.HITS).exists():
        pytest.skip(f"the shared articles are not here ({select_rss2023.DATA})")
    labels = _labels()
    picked = select_stories.select()
    by_link = {item["link"]: item for item in picked}
    missing = [row["link"] for row in labels if row["link"] not in by_link]
    assert not missing, f"{len(missing)} labelled links are not in the shared data selection, e.g. {missing[0]}"
    for row in labels:
        assert by_link[row["link"]]["window"] == row["window"], row
    labelled_windows = {row["window"] for row in labels}
    wanted = {i["link"] for i in picked if i["window"] in labelled_windows}
    assert wanted == {row["link"] for row in labels}, "a labelled window is not labelled in full"


def test_bcubed_matches_a_hand_computed_example() -> None:
    gold = {"a": "1", "b": "1", "c": "1", "d": "2", "e": "3"}
    pred = {"a": "x", "b": "x", "c": "y", "d": "y", "e": "z", "unlabelled": "x"}
    p, r, f1 = sq.bcubed(pred, gold)
    # precision: a, b 2/2; c, d 1/2; e 1/1 -> 4/5; recall: a, b 2/3; c 1/3; d, e 1/1 -> 11/15
    assert p == pytest.approx(4 / 5)
    assert r == pytest.approx(11 / 15)
    assert f1 == pytest.approx(2 * (4 / 5) * (11 / 15) / (4 / 5 + 11 / 15))
    assert sq.bcubed(dict(gold), gold) == pytest.approx((1.0, 1.0, 1.0))
    with pytest.raises(ValueError, match="no prediction"):
        sq.bcubed({"a": "x"}, gold)


def test_trivial_baselines_have_perfect_precision_or_recall() -> None:
    labels = _labels()
    gold = {row["link"]: row["story"] for row in labels}
    base = sq.baselines(labels)
    p, r, _ = sq.bcubed(base["singletons"], gold)
    assert p == 1.0 and r < 1.0
    p, r, _ = sq.bcubed(base["one per window"], gold)
    assert r == 1.0 and p < 0.2


def test_cli_scores_predictions_and_refuses_a_partial_split(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels = _labels()
    tuning = [row for row in labels if row["split"] == "tuning"]
    path = tmp_path / "pred.jsonl"
    path.write_text("".join(json.dumps({"id": row["link"], "story": row["story"]}) + "\n" for row in tuning))
    sq.main([str(path)])
    out = capsys.readouterr().out
    assert re.search(r"tuning\s+items\s+\d+\s+stories\s+\d+\s+P 1\.000  R 1\.000  F1 1\.000", out), out
    path.write_text("".join(json.dumps({"id": row["link"], "story": row["story"]}) + "\n" for row in tuning[1:]))
    with pytest.raises(SystemExit, match="no prediction"):
        sq.main([str(path)])
    path.write_text('{"id": "x"}\n')
    with pytest.raises(SystemExit, match="not a"):
        sq.main([str(path)])
