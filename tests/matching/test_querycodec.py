"""Query trees and vocabularies as JSON data: the default pack's expanded vocabularies come back as
the same trees (shared subtrees once, deep trees without recursion), and a damaged table is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from monitor.matching.query import Node, Not, Term, parse_query, walk
from monitor.matching.querycodec import dump_trees, dump_vocabularies, load_trees, load_vocabularies
from monitor.matching.rulefile import read_pack
from monitor.settings import CONFIG_DIR


def test_the_default_pack_round_trips() -> None:
    pack = read_pack([CONFIG_DIR / "rules"])
    assert not pack.errors and pack.vocabularies.expanded
    data = json.loads(json.dumps(dump_vocabularies(pack.vocabularies)))
    loaded = load_vocabularies(data)
    assert loaded.fingerprint == pack.vocabularies.fingerprint
    assert loaded.expanded.keys() == pack.vocabularies.expanded.keys()
    for key, tree in pack.vocabularies.expanded.items():
        assert loaded.expanded[key] == tree, key
    unique = {id(n) for tree in pack.vocabularies.expanded.values() for n in walk(tree)}
    assert len(data["nodes"]) == len(unique)  # a vocabulary used by another is stored once
    # every rule parses to the same tree against the loaded vocabularies (nothing expanded again)
    expanded = dict(loaded.expanded)
    for rule in pack.rules:
        assert parse_query(rule.query, vocabularies=loaded) == parse_query(rule.query, vocabularies=pack.vocabularies)
    assert loaded.expanded == expanded


def test_a_deep_tree_needs_no_recursion() -> None:
    node: Node = Term(("arms",), False, None, "arms")
    for _ in range(5000):
        node = Not(node)
    table, [root] = dump_trees([node])
    again, [root2] = dump_trees([load_trees(table)[root]])
    assert again == table and root2 == root == 5000


@pytest.mark.parametrize("table", [
    "not a list",
    [["x", 1]],
    [["t", [], False, None, "a"]],  # a term without tokens
    [["t", ["a"], "yes", None, "a"]],  # a flag that is not a bool
    [["c", "RU", "body"]],  # an unknown field scope
    [["t", ["a"], False, None, "a"], ["a", [0, 1]]],  # a child after its parent (or itself)
    [["n", -1]],
    [["t", ["a"], False, None, "a"], ["o", [0]]],  # an OR of one
    [["r", 0, 0, 5, True]],  # a row of the wrong size
])
def test_a_damaged_table_is_refused(table: Any) -> None:
    with pytest.raises(ValueError):
        load_trees(table)


def test_damaged_vocabularies_are_refused() -> None:
    pack = read_pack([CONFIG_DIR / "rules"])
    good = json.loads(json.dumps(dump_vocabularies(pack.vocabularies)))
    for damage in (
        lambda d: d["expanded"].append(["no_such_vocabulary", None, 0]),
        lambda d: d["expanded"].append([d["expanded"][0][0], None, len(d["nodes"])]),
        lambda d: d["definitions"][0].update(languages=[["en"]]),
        lambda d: d.pop("definitions"),
    ):
        data = json.loads(json.dumps(good))
        damage(data)
        with pytest.raises(ValueError):
            load_vocabularies(data)
