"""The name-knowledge files under monitor/resources: well formed, one copy each, read by both the
in-text matcher and screening."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

import pytest
import yaml

from monitor import resources
from monitor.matching import aliasforms, words
from monitor.watchlists import namematch

NAMES = sorted(p.name[:-5] for p in files("monitor.resources").iterdir() if p.name.endswith(".yaml"))
ROLES = {
    ("titles", "titles"): {"text", "honorific", "head", "leader", "abbreviation"},
    ("person_names", "particles"): {"light", "surname", "arabic", "nasab", "kunya"},
}


def _scalars(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [k for k in value] + [s for v in value.values() for s in _scalars(v)]
    if isinstance(value, list):
        return [s for v in value for s in _scalars(v)]
    return [value]


def test_every_file_is_found() -> None:
    assert {"titles", "legal_forms", "person_names", "programmes", "romanisation", "words", "countries"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_file_has_a_source_and_only_text(name: str) -> None:
    data = resources.load(name)
    assert isinstance(data["source"], str) and len(data["source"]) > 40
    # YAML 1.1 reads on/off/yes/no as booleans: every key and list item must stay a word
    # (number_words maps words to numbers, which are values, not keys)
    # a derived table (prominence) carries its counts as numbers beside its text entries
    # (name_parts: how many listed people bear each part, keyed by the part)
    counts = {"thresholds", "entries", "rejected", "people"} if "thresholds" in data else set()
    bad = [s for k, v in data.items() if k != "number_words" and k not in counts for s in _scalars(v)
           if not isinstance(s, str)]  # fmt: skip
    tables = counts - {"thresholds", "people"}
    bad += [e["form"] for k in tables for e in data.get(k, []) if not isinstance(e["form"], str)]
    # the lists beside the counts are text too (a country code NO unquoted is false)
    bad += [s for k in tables for e in data.get(k, []) for v in e.values() if isinstance(v, list)
            for s in _scalars(v) if not isinstance(s, str)]  # fmt: skip
    bad += [part for part in data.get("people", {}) if not isinstance(part, str)]
    assert not bad, f"{name}.yaml: non-text entries {bad[:5]} (quote them)"


@pytest.mark.parametrize(("name", "key"), sorted(ROLES))
def test_roles_are_known(name: str, key: str) -> None:
    used = {role for roles in resources.mapping(name, key).values() for role in roles}
    assert used <= ROLES[(name, key)], used - ROLES[(name, key)]


def test_a_legal_form_belongs_to_one_family() -> None:
    seen: dict[str, str] = {}
    for family, forms in resources.mapping("legal_forms", "families").items():
        for form in forms:
            assert form not in seen, f"{form!r} in {seen[form]} and {family}"
            seen[form] = family
    assert resources.legal_form_families()[("ooo",)] == resources.legal_form_families()[("llc",)]


def test_text_matcher_and_screening_share_one_copy() -> None:
    # the same legal forms: every form the matcher cuts from an alias is one screening knows
    assert {(form,) for form in words.LEGAL_FORMS} <= set(resources.legal_form_families())
    # the same patronymics
    assert aliasforms._PATRONYMIC.search("ivanovych") and "ovych" in namematch._PATRONYMIC
    # the same titles file: screening's honorifics and the matcher's titles overlap where they should
    assert "general" in namematch.HONORIFICS and "general" in words.TITLE_WORDS
    assert "emir" in words.TITLE_WORDS and "emir" not in namematch.HONORIFICS  # also a given name


def test_programme_tags_map_to_countries() -> None:
    assert resources.programme_country("DPRK3") == "KP"
    assert resources.programme_country("IRAN-EO13902") == "IR"
    assert resources.programme_country("RUSSIA-EO14024") == "RU"
    assert resources.programme_country("SDGT") is None


def test_cultures() -> None:
    assert resources.in_culture("hispanic", ["VE"], [])
    assert resources.in_culture("slavic", [], ["RUSSIA-EO14024"])
    assert resources.in_culture("korean", [], ["DPRK2"])
    assert not resources.in_culture("arabic", ["FR"], ["UKRAINE-EO13660"])


def test_a_broken_file_is_a_clear_error(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "broken.yaml").write_text("source: [unclosed\n", encoding="utf-8")
    (tmp_path / "nosource.yaml").write_text("words: a b c\n", encoding="utf-8")
    monkeypatch.setattr(resources, "files", lambda _pkg: tmp_path)
    resources.load.cache_clear()
    try:
        with pytest.raises(resources.ResourceError, match=r"broken\.yaml"):
            resources.load("broken")
        with pytest.raises(resources.ResourceError, match="source"):
            resources.load("nosource")
    finally:
        resources.load.cache_clear()


def test_every_yaml_parses_with_safe_load() -> None:
    for name in NAMES:
        yaml.safe_load(files("monitor.resources").joinpath(f"{name}.yaml").read_text(encoding="utf-8"))


def test_cyrillic_oblique_case_letters_are_data() -> None:
    # the letters an oblique-case given name ends in are read from languages.yaml, not kept in code
    from monitor.matching import resolve

    letters = resources.mapping("languages", "inflection")["cyrillic_oblique_last_letters"]
    assert all(len(c) == 1 and "\u0400" <= c <= "\u04ff" for c in letters)
    assert frozenset(letters) == resolve._OBLIQUE_LAST_LETTERS
    assert {"я", "ю", "м"} <= resolve._OBLIQUE_LAST_LETTERS and "й" not in resolve._OBLIQUE_LAST_LETTERS
