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
