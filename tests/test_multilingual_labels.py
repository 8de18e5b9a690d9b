"""The labelled multilingual articles (tests/data/multilingual/ and its blind folders) are well-formed,
name only records of the OFAC SDN list the benchmark loads, and each split selects what it should."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench import multilingual_quality as mq

WRITTEN = {"id", "title", "text", "entities", "arms_transfer", "sanctions_evasion"}
REAL = {"feed", "link", "language", "entities", "arms_transfer", "sanctions_evasion"}
SDN_CSV = mq.DATA / "lists" / "us_ofac_sdn" / "sdn.csv"


def _raw(folder: Path) -> list[tuple[str, dict[str, Any]]]:
    """Every labelled row of a folder as written in its YAML files, with the file's language."""
    rows = []
    for lang in mq.LANGUAGES:
        rows += [(lang, row) for row in yaml.safe_load((folder / f"{lang}.yaml").read_text(encoding="utf-8"))]
    real = folder / "real.yaml"
    if real.exists():
        rows += [(str(row["language"]), row) for row in yaml.safe_load(real.read_text(encoding="utf-8"))]
    return rows


FOLDERS = [(mq.LABELS, {"tune", "blind"}), *((folder, {name}) for name, folder in mq.BLIND_FOLDERS.items())]
EVERY_ROW = [row for folder, _ in FOLDERS for _, row in _raw(folder)]


@pytest.mark.parametrize(("folder", "splits"), FOLDERS)
def test_rows_are_well_formed(folder: Path, splits: set[str]) -> None:
    for lang, row in _raw(folder):
        fields = REAL if "feed" in row else WRITTEN
        assert fields <= set(row) <= fields | {"split"}, row
        assert lang in mq.LANGUAGES, row
        assert row.get("split", "tune" if folder == mq.LABELS else next(iter(splits))) in splits, row
        assert isinstance(row["arms_transfer"], bool) and isinstance(row["sanctions_evasion"], bool), row
        entities = row["entities"]
        assert isinstance(entities, list) and len(entities) == len(set(entities)), row
        assert all(re.fullmatch(r"us_ofac_sdn:\d+", str(e)) for e in entities), row
        if "feed" not in row:
            assert str(row["id"]).startswith(f"{lang}-") and str(row["title"]).strip(), row


def test_ids_and_articles_are_unique_across_every_set() -> None:
    rows = EVERY_ROW
    keys = Counter(str(row.get("id") or f"{row['feed']}#{row['link']}") for row in rows)
    assert [k for k, n in keys.items() if n > 1] == []
    titles = Counter(str(row["title"]) for row in rows if "title" in row)
    assert [t for t, n in titles.items() if n > 1] == [], "an article is labelled twice"


def test_every_language_has_enough_articles_in_each_set() -> None:
    main = Counter(lang for lang, _ in _raw(mq.LABELS))
    assert all(main[lang] >= 20 for lang in mq.LANGUAGES), main
    for folder in mq.BLIND_FOLDERS.values():
        blind = Counter(lang for lang, _ in _raw(folder))
        assert all(blind[lang] >= 14 for lang in mq.LANGUAGES), (folder, blind)


@pytest.mark.parametrize("name", sorted(mq.BLIND_FOLDERS))
def test_splits_select_their_own_articles(name: str) -> None:
    blind = mq.select_items(name)
    assert blind and {i["split"] for i in blind} == {name}
    every = mq.select_items("all")
    assert {i["split"] for i in every} == {"tune", "blind"}, f"--split all must never read {name}"
    assert not {i["id"] for i in blind} & {i["id"] for i in every}
    assert len(mq.select_items("tune")) + len(mq.select_items("blind")) == len(every)


def test_labelled_entities_are_rows_of_the_loaded_sdn_list() -> None:
    if not SDN_CSV.exists():
        pytest.skip(f"the shared lists are not here ({SDN_CSV})")
    with SDN_CSV.open(encoding="latin-1", newline="") as fh:
        listed = {f"us_ofac_sdn:{row[0].strip()}" for row in csv.reader(fh) if row}
    labelled = {str(e) for row in EVERY_ROW for e in row["entities"]}
    assert sorted(labelled - listed) == []


def test_real_items_resolve_in_the_shared_feeds() -> None:
    if not (mq.DATA / "feeds").exists():
        pytest.skip(f"the shared feeds are not here ({mq.DATA / 'feeds'})")
    for folder, _ in FOLDERS:
        real = [row for _, row in _raw(folder) if "feed" in row]
        items = [i for i in mq.load_items(folder) if i["source"] != "written"]
        assert len(items) == len(real)
        assert all(str(i["title"]).strip() for i in items)
