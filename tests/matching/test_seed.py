"""The seed story against the real OFAC SDN + UN lists and the default rule pack."""

from __future__ import annotations

import pytest

from monitor.matching.engine import Matcher, build_matcher
from monitor.matching.normalise import normalise_name
from monitor.matching.rulefile import load_rules
from monitor.matching.types import ArticleInput, ScanResult
from tests.conftest import ROOT, SHARED_SEEDS, shared_path
from tests.matching.realdata import real_aliases

# reading and compiling the real lists takes a few seconds (more on a busy machine)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def seed() -> tuple[str, ScanResult, Matcher]:
    if not SHARED_SEEDS.exists():
        pytest.skip("the seed story is not available")
    path = next(SHARED_SEEDS.glob("*.txt"))
    text = path.read_text(encoding="utf-8")
    matcher = build_matcher(load_rules([ROOT / "config" / "rules"]), real_aliases(str(shared_path("lists"))))
    return text, matcher.scan(ArticleInput(path.name, "", text)), matcher


def test_seed_finds_the_three_officials(seed: tuple[str, ScanResult, Matcher]) -> None:
    text, result, _ = seed
    ids = {e.entity_id for e in result.entities}
    assert {"us_ofac_sdn:20157", "us_ofac_sdn:35096", "us_ofac_sdn:35173"} <= {i for i in ids if "ofac" in i}
    for e in result.entities:
        assert text[e.start : e.end] == e.matched


def test_seed_nobody_else(seed: tuple[str, ScanResult, Matcher]) -> None:
    text, result, _ = seed
    for name in ("John Kirby", "Edward Wong", "John Everard", "Donald Trump", "Kirby", "Wong", "Everard", "Trump"):
        start = text.find(name)
        assert start >= 0
        overlapping = [e for e in result.entities if e.start < start + len(name) and e.end > start]
        assert not overlapping, (name, overlapping)


def test_seed_arms_transfer_alert_with_the_artillery_sentence(seed: tuple[str, ScanResult, Matcher]) -> None:
    _, result, _ = seed
    arms = next(a for a in result.alerts if a.rule == "arms-transfer")
    sentences = [e.text for e in arms.evidence]
    assert any("supply artillery ammunition to Russia" in s for s in sentences), sentences
    assert "us_ofac_sdn:35173" in arms.entity_ids
    assert "in the same sentence as" in arms.explanation


def test_donald_trump_is_no_alias(seed: tuple[str, ScanResult, Matcher]) -> None:
    _, _, matcher = seed
    text = "Former US President Donald Trump and Mr Trump spoke. Trump left."
    res = matcher.scan(ArticleInput("t", "Donald Trump", text))
    assert res.entities == []
    names = {normalise_name(a.alias) for a in real_aliases(str(shared_path("lists")))}
    assert "donald trump" not in names and "trump donald" not in names


def test_hangul_and_cyrillic_forms_of_listed_people(seed: tuple[str, ScanResult, Matcher]) -> None:
    _, _, matcher = seed
    res = matcher.scan(ArticleInput("k", "", "김정은 위원장과 푸틴 대통령. Министр обороны Сергей Шойгу."))
    ids = {e.entity_id for e in res.entities}
    assert {"us_ofac_sdn:20157", "us_ofac_sdn:35173"} <= ids


def test_bbc_alert_rate_is_low(seed: tuple[str, ScanResult, Matcher]) -> None:
    """Over 300 BBC articles from 2004-05 (almost none about arms transfers) few rules fire."""
    import json

    _, _, matcher = seed
    path = shared_path("articles", "bbc_fulltext_2225.jsonl")
    arms = 0
    with path.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for _, line in zip(range(300), fh, strict=False)]
    for row in rows:
        res = matcher.scan(ArticleInput(row["id"], row["title"], row["text"]))
        arms += any(a.rule == "arms-transfer" for a in res.alerts)
    assert arms <= 6
