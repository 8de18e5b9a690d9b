"""Rule files: loading, validation, and errors that point at the file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.matching.rulefile import RuleError, check_rules, load_rules, parse_rule_text, validate_rule
from monitor.matching.types import Escalation

GOOD = """\
rules:
  - id: arms-transfer
    title: Arms transfer
    description: Supplying weapons.
    category: arms-transfer
    severity: medium
    query: |
      (supply OR sell*) w/5
        (weapon* OR "artillery shells")
    escalate:
      - when: entity:sanctioned
        severity: high
  - id: dormant
    title: Disabled
    category: sanctions
    severity: low
    query: foo
    enabled: false
"""


def test_load_a_good_file(tmp_path: Path) -> None:
    (tmp_path / "pack.yaml").write_text(GOOD)
    rules = load_rules([tmp_path])
    assert [r.id for r in rules] == ["arms-transfer", "dormant"]
    assert rules[0].escalate == (Escalation("entity:sanctioned", "high", "sentence"),)
    assert rules[1].enabled is False


def test_query_error_points_inside_the_block_scalar() -> None:
    text = GOOD.replace("(weapon* OR", "(weapon* OR OR")
    rules, errors = parse_rule_text(text, "pack.yaml")
    assert [r.id for r in rules] == ["dormant"]
    (err,) = errors
    assert (err.source, err.line, err.column) == ("pack.yaml", 9, 21)
    assert "expected a term, phrase or '('" in str(err)
    assert text.splitlines()[err.line - 1][err.column - 1 :].startswith("OR")


def test_query_error_on_a_plain_line() -> None:
    text = "rules:\n  - {id: x, title: X, category: sanctions, severity: low, query: 'supply w/0 arms'}\n"
    (err,) = parse_rule_text(text, "f.yaml")[1]
    assert err.line == 2 and "distance from 1 to 100" in err.message
    assert text.splitlines()[1][err.column - 1 :].startswith("w/0")


@pytest.mark.parametrize(
    ("change", "message", "line"),
    [
        (("severity: medium", "severity: urgent"), "severity 'urgent' is not one of", 6),
        (("category: arms-transfer", "category: guns"), "category 'guns' is not one of", 5),
        (("id: arms-transfer", "id: Arms Transfer!"), "must be a slug", 2),
        (("    description: Supplying weapons.\n", "    colour: red\n"), "unknown key 'colour'", 4),
        (("        severity: high", "        severity: extreme"), "escalate severity 'extreme'", 11),
        (("      - when: entity:sanctioned", "      - when: 'entity:'"), "escalate when:", 11),
        (("id: dormant", "id: off"), "id must be text", 13),
    ],
)
def test_invalid_rules_name_the_problem_and_line(change: tuple[str, str], message: str, line: int) -> None:
    text = GOOD.replace(*change)
    errors = parse_rule_text(text, "pack.yaml")[1]
    assert errors, "expected an error"
    assert message in str(errors[0])
    assert errors[0].line == line


def test_yaml_syntax_error_and_wrong_shape(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("rules:\n  - id: [unclosed\n")
    (tmp_path / "b.yaml").write_text("- just a list\n")
    _rules, errors = check_rules([tmp_path])
    assert len(errors) == 2
    assert "invalid YAML" in str(errors[0]) and errors[0].line is not None
    assert "must hold 'rules:'" in str(errors[1])


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(GOOD)
    rules, errors = check_rules([tmp_path])
    assert len(rules) == 2
    assert all("duplicate rule id" in str(e) for e in errors) and len(errors) == 2


def test_validate_rule_dict_and_missing_path() -> None:
    spec = validate_rule({"id": "r1", "title": "T", "category": "sanctions", "severity": "low", "query": "x"})
    assert spec.id == "r1" and spec.enabled
    with pytest.raises(RuleError, match="missing 'query'"):
        validate_rule({"id": "r1", "title": "T", "category": "sanctions", "severity": "low"})
    with pytest.raises(RuleError, match="no such file"):
        load_rules(["/nonexistent/rules"])


def test_the_default_rule_pack_is_valid() -> None:
    root = Path(__file__).resolve().parents[2] / "config" / "rules"
    rules, errors = check_rules([root])
    assert not errors, [str(e) for e in errors]
    assert {"sanctioned-entity", "arms-transfer", "named-officials", "sanctions-evasion"} <= {r.id for r in rules}


VOCAB_PACK = """\
vocabularies:
  verbs:
    description: transfer verbs
    en: [supply, sell*, "hand over"]
    de: [liefern]
  arms: [weapons, artillery shells, "@more", country:RU]
  more: [tanks]
  pair:
    en: "@verbs pre/3 @arms"
rules:
  - id: r1
    title: T
    category: arms-transfer
    severity: medium
    query: '@pair OR (give pre/2 @arms)'
    escalate:
      - when: '@arms w/s entity:sanctioned'
        severity: high
"""


def test_vocabularies_expand_to_the_query_written_out() -> None:
    from monitor.matching.query import parse_query

    (rule,), errors = parse_rule_text(VOCAB_PACK, "pack.yaml")
    assert errors == []
    assert set(rule.vocabularies) == {"verbs", "arms", "more", "pair"}
    written = ('((supply OR sell* OR "hand over" OR liefern) pre/3 (weapons OR "artillery shells" OR tanks OR '
               "country:RU)) OR (give pre/2 (weapons OR \"artillery shells\" OR tanks OR country:RU))")
    expanded = parse_query(rule.query, vocabularies=rule.vocabularies)
    assert repr(expanded).replace("'hand over'", "") == repr(parse_query(written)).replace("'hand over'", "")
    assert rule.vocabularies.fingerprint == parse_rule_text(VOCAB_PACK, "other.yaml")[0][0].vocabularies.fingerprint


@pytest.mark.parametrize(
    ("change", "line", "column", "message"),
    [
        (("'@pair OR", "'@pair OR @nope OR"), 15, 22, "unknown vocabulary '@nope'"),
        (("more: [tanks]", "more: [tanks, '@arms']"), 7, 18, "the cycle @arms -> @more -> @arms"),
        (("more: [tanks]", "more: [tanks OR jets]"), 7, 16, "expected a word or phrase"),
        (("more: [tanks]", "more: []"), 7, 9, "must be a list of terms"),
        (("more: [tanks]", "More: [tanks]"), 7, 3, "vocabulary name 'More'"),
        (("    de: [liefern]", "    deu: [liefern]"), 5, 10, "'deu' is not a language code"),
    ],
)
def test_vocabulary_errors_name_file_line_and_column(change: tuple[str, str], line: int, column: int,
                                                     message: str) -> None:
    text = VOCAB_PACK.replace(*change)
    assert text != VOCAB_PACK
    _rules, errors = parse_rule_text(text, "pack.yaml")
    assert errors, "expected an error"
    err = next((e for e in errors if message in str(e)), None)
    assert err is not None, [str(e) for e in errors]
    assert (err.source, err.line, err.column) == ("pack.yaml", line, column)


def test_vocabularies_are_shared_across_files_and_names_are_unique(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "a.yaml").write_text("vocabularies:\n  arms: [weapons]\n")
    (tmp_path / "b.yaml").write_text(
        "rules:\n  - id: r\n    title: T\n    category: arms-transfer\n    severity: low\n"
        "    query: sell pre/2 @arms\n")
    rules, errors = check_rules([tmp_path])
    assert errors == [] and [r.id for r in rules] == ["r"]
    (tmp_path / "c.yaml").write_text("vocabularies:\n  arms: [guns]\n")
    _rules, errors = check_rules([tmp_path])
    assert any("duplicate vocabulary 'arms'" in str(e) and e.line == 2 for e in errors)


@pytest.mark.parametrize("text", [GOOD, GOOD.replace("(weapon* OR", "(weapon* OR OR"), VOCAB_PACK,
                                  VOCAB_PACK.replace("more: [tanks]", "more: [tanks, '@arms']"),
                                  GOOD.replace("title:", "title: [", 1)])
def test_libyaml_and_python_composers_give_the_same_pack(tmp_path: Path, text: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor.matching import rulefile

    (tmp_path / "pack.yaml").write_text(text)
    fast = rulefile.read_pack([tmp_path])
    monkeypatch.setattr(rulefile, "_C_LOADER", None)
    slow = rulefile.read_pack([tmp_path])
    assert [repr(r) for r in fast.rules] == [repr(r) for r in slow.rules]
    assert [(str(e), e.line, e.column) for e in fast.errors] == [(str(e), e.line, e.column) for e in slow.errors]
    assert fast.vocabularies.fingerprint == slow.vocabularies.fingerprint
