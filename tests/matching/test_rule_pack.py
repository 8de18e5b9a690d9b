"""The default rule pack (config/rules/default.yaml) through the real matcher.

Recall phrasing and precision traps come from tests/data/arms_sentences.yaml; each sentence
is scanned as one article. Entities are small hand-made AliasSpecs (the real lists are
measured by bench/quality.py).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml

from monitor.matching.engine import Matcher, build_matcher
from monitor.matching.rulefile import load_rules
from monitor.matching.types import AliasSpec, ArticleInput, ScanResult
from tests.conftest import ROOT, SHARED_SEEDS

RULES_DIR = ROOT / "config" / "rules"
SENTENCES = ROOT / "tests" / "data" / "arms_sentences.yaml"
REQUIRED = {
    "sanctioned-entity": "sanctions",
    "arms-transfer": "arms-transfer",
    "named-officials": "named-officials",
    "sanctions-evasion": "sanctions-evasion",
    "proliferation": "proliferation",
}


def _person(
    dataset: str, source_id: str, caption: str, aliases: tuple[str, ...], programs: tuple[str, ...]
) -> list[AliasSpec]:
    return [
        AliasSpec(
            entity_id=f"{dataset}:{source_id}",
            dataset=dataset,
            source_id=source_id,
            caption=caption,
            alias=alias,
            schema="person",
            programs=programs,
        )
        for alias in aliases
    ]


ALIASES = [
    *_person("us_ofac_sdn", "20157", "KIM, Jong Un", ("KIM, Jong Un",), ("DPRK3",)),
    *_person(
        "us_ofac_sdn", "35096", "PUTIN, Vladimir Vladimirovich", ("PUTIN, Vladimir Vladimirovich",), ("RUSSIA-EO14024",)
    ),
    *_person(
        "us_ofac_sdn", "35173", "SHOIGU, Sergei Kuzhugetovich", ("SHOIGU, Sergei Kuzhugetovich",), ("RUSSIA-EO14024",)
    ),
    *_person("named_officials", "choe-son-hui", "Choe Son Hui", ("Choe Son Hui",), ()),
]


@cache
def matcher() -> Matcher:
    """The default pack compiled once with the small alias set."""
    return build_matcher(load_rules([RULES_DIR]), ALIASES)


def scan(text: str, title: str = "") -> ScanResult:
    """Scan one text as an article."""
    return matcher().scan(ArticleInput(id="t", title=title, text=text))


def fired(text: str, rule: str) -> bool:
    """Whether `rule` raised an alert on `text`."""
    return any(a.rule == rule for a in scan(text).alerts)


def _cases() -> list[tuple[str, str, str]]:
    data = yaml.safe_load(SENTENCES.read_text(encoding="utf-8"))
    return [
        (rule, kind, sentence)
        for rule, groups in data.items()
        for kind in ("positive", "negative")
        for sentence in groups[kind]
    ]


CASES = _cases()


def test_pack_has_the_required_rules() -> None:
    rules = {r.id: r for r in load_rules([RULES_DIR])}
    for rule_id, category in REQUIRED.items():
        assert rule_id in rules, rule_id
        assert rules[rule_id].category == category
        assert rules[rule_id].enabled
    assert rules["named-officials"].query.strip() == "entity:dataset=named_officials"


def test_sentence_file_is_big_enough() -> None:
    arms = [c for c in CASES if c[0] == "arms-transfer"]
    assert sum(1 for c in arms if c[1] == "positive") >= 60
    assert sum(1 for c in arms if c[1] == "negative") >= 60


def test_proliferation_sentences_cover_both_sides() -> None:
    prolif = [c for c in CASES if c[0] == "proliferation"]
    assert sum(1 for c in prolif if c[1] == "positive") >= 20
    assert sum(1 for c in prolif if c[1] == "negative") >= 20


@pytest.mark.parametrize(("rule", "kind", "sentence"), CASES, ids=[f"{r}-{k}-{i}" for i, (r, k, _) in enumerate(CASES)])
def test_sentence(rule: str, kind: str, sentence: str) -> None:
    assert fired(sentence, rule) == (kind == "positive"), f"{rule} {kind}: {sentence}"


def test_arms_transfer_severity_rises_with_listed_party_and_jurisdiction() -> None:
    plain = next(
        a
        for a in scan("The Netherlands will donate F-16s to the air force of Norway.").alerts
        if a.rule == "arms-transfer"
    )
    assert plain.severity == "medium"
    jurisdiction = next(
        a for a in scan("Belarus transferred ammunition stocks to Russia.").alerts if a.rule == "arms-transfer"
    )
    assert jurisdiction.severity == "high"
    listed = next(
        a for a in scan("Kim Jong Un offered to supply artillery shells to Russia.").alerts if a.rule == "arms-transfer"
    )
    assert listed.severity == "critical"
    assert "us_ofac_sdn:20157" in listed.entity_ids
    assert listed.score > plain.score


def test_escalation_needs_the_party_in_the_same_sentence() -> None:
    text = "Kim Jong Un visited a farm. Later, the Netherlands said it will donate F-16s to Norway."
    alert = next(a for a in scan(text).alerts if a.rule == "arms-transfer")
    assert alert.severity == "medium"
    assert any(a.rule == "sanctioned-entity" for a in scan(text).alerts)


def test_named_officials_rule_uses_the_watch_list_dataset_only() -> None:
    assert fired("Choe Son Hui met the Russian foreign minister.", "named-officials")
    assert not fired("Choe Son Hui met the Russian foreign minister.", "sanctioned-entity")
    assert not fired("Sergei Shoigu met the Russian foreign minister.", "named-officials")
    assert fired("Sergei Shoigu met the Russian foreign minister.", "sanctioned-entity")


def test_evasion_escalates_for_listed_party() -> None:
    alert = next(
        a for a in scan("Sergei Shoigu relied on a shadow fleet of tankers.").alerts if a.rule == "sanctions-evasion"
    )
    assert alert.severity == "high"


def test_seed_story() -> None:
    seeds = sorted(Path(SHARED_SEEDS).glob("*.txt")) if Path(SHARED_SEEDS).exists() else []
    if not seeds:
        pytest.skip(f"seed story not available under {SHARED_SEEDS}")
    result = scan(seeds[0].read_text(encoding="utf-8"), title="seed")
    ids = {e.entity_id for e in result.entities}
    assert {"us_ofac_sdn:20157", "us_ofac_sdn:35096", "us_ofac_sdn:35173"} <= ids
    arms = next(a for a in result.alerts if a.rule == "arms-transfer")
    assert any("supply artillery ammunition" in ev.text for ev in arms.evidence)
    assert arms.severity in ("high", "critical")


def test_proliferation_is_critical_with_a_wmd_programme_state_in_the_sentence() -> None:
    dprk = next(
        a
        for a in scan("Russia could share nuclear submarine technology with North Korea.").alerts
        if a.rule == "proliferation"
    )
    assert dprk.severity == "critical"
    aukus = next(
        a
        for a in scan("Australia will buy nuclear-powered submarines from the United States.").alerts
        if a.rule == "proliferation"
    )
    assert aukus.severity == "high"
    assert dprk.score > aukus.score


def test_proliferation_fires_on_transfer_not_on_the_same_words_used_otherwise() -> None:
    # the same missile words: a transfer fires, a launch and a display do not
    assert fired("Iran may give Russia ballistic missiles.", "proliferation")
    assert not fired("Iran launched ballistic missiles at Israel.", "proliferation")
    assert not fired("Iran displayed ballistic missiles to Russian officials.", "proliferation")
    # help with another state's programme fires; help to curb it does not
    assert fired("Moscow may help Tehran with its nuclear programme.", "proliferation")
    assert not fired("The deal would help limit Tehran's nuclear programme.", "proliferation")
