"""Entity cases as data (tests/data/entity_cases.yaml): each declared cue supports the weak forms
it should, and the traps stay unmatched. Every row of the cue table has a case."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.matching.cues import CUES
from monitor.matching.engine import Matcher, build_matcher
from monitor.matching.indexbuild import build_index
from monitor.matching.types import AliasSpec, ArticleInput, RuleSpec

CASES_FILE = Path(__file__).resolve().parents[1] / "data" / "entity_cases.yaml"
DATA = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = DATA["cases"]


def _aliases() -> list[AliasSpec]:
    out = []
    for ent in DATA["entities"]:
        dataset, source_id = ent["id"].split(":", 1)
        for name in ent["names"]:
            out.append(AliasSpec(ent["id"], ent.get("dataset", dataset), source_id, ent["names"][0], name,
                                 schema=ent["schema"], programs=tuple(ent.get("programs", ())),
                                 countries=tuple(ent.get("countries", ())), title=ent.get("title", ""),
                                 linked=tuple(ent.get("linked", ()))))
    return out


@pytest.fixture(scope="module", params=["automaton", "word table"])
def matcher(request: pytest.FixtureRequest) -> Matcher:
    # the alias forms in the automaton (lists of the real size) or in the word table (millions of
    # alias keys; forced here with a threshold of 0): the same cases must pass both ways
    rules = [RuleSpec("any", "Any", "", "sanctions", "low", "entity:any")]
    if request.param == "automaton":
        return build_matcher(rules, _aliases())
    index, enabled = build_index(rules, _aliases(), word_table_min_keys=0)
    assert len(index.words) and len(index.automaton) < index.key_count
    return Matcher(index, enabled)


def test_every_cue_has_a_case() -> None:
    covered = {case["cue"] for case in CASES}
    assert {cue.name for cue in CUES} <= covered, {cue.name for cue in CUES} - covered
    assert "none" in covered


@pytest.mark.parametrize("case", CASES, ids=[f"{c['cue']}: {c['text'][:50]}" for c in CASES])
def test_case(matcher: Matcher, case: dict[str, Any]) -> None:
    title, text = case.get("title", ""), case["text"]
    found: dict[str, list[str]] = {}
    for ent in matcher.scan(ArticleInput("case", title, text)).entities:
        source = title if ent.field == "title" else text
        assert source[ent.start : ent.end] == ent.matched
        found.setdefault(ent.entity_id, []).append(ent.matched)
    for entity_id, surfaces in (case.get("mentions") or {}).items():
        assert found.get(entity_id) == surfaces, f"{entity_id}: expected {surfaces}, found {found}"
    for entity_id in case.get("not") or ():
        assert entity_id not in found, f"{entity_id} found as {found[entity_id]}"
