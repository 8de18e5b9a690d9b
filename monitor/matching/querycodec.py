"""Query trees and vocabularies as plain JSON data, and back, for the rules saved under the data dir.

Expanding the vocabularies of the rule pack is most of the cost of reading it; a saved pack keeps
the expanded trees (`Vocabularies.expanded`), so a new process parses each rule's own query against
them in milliseconds and gets the tree it would have built. A tree is a table of nodes, children
before their parents and each shared subtree once (a vocabulary used by another is one subtree),
a node referring to earlier rows only: decoding checks every row's shape and type and raises
ValueError on anything else, so a damaged file can never become a different query.
"""

from __future__ import annotations

from typing import Any

from monitor.matching.query import And, Country, EntityPred, Near, Node, Not, Or, Term, tree_stats
from monitor.matching.vocabulary import NO_VOCABULARIES, Vocabularies, Vocabulary

_FIELDS = (None, "title", "text")


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, And | Or):
        return node.children
    if isinstance(node, Not):
        return (node.child,)
    if isinstance(node, Near):
        return (node.left, node.right)
    return ()


def _row(node: Node, at: dict[int, int]) -> list[Any]:
    if isinstance(node, Term):
        return ["t", list(node.tokens), node.prefix, node.field, node.raw]
    if isinstance(node, EntityPred):
        return ["e", node.key, node.value, node.field]
    if isinstance(node, Country):
        return ["c", node.code, node.field]
    if isinstance(node, And | Or):
        return ["a" if isinstance(node, And) else "o", [at[id(c)] for c in node.children]]
    if isinstance(node, Not):
        return ["n", at[id(node.child)]]
    if isinstance(node, Near):
        return ["r", at[id(node.left)], at[id(node.right)], node.distance, node.ordered, node.sentence]
    raise TypeError(f"unknown query node {node!r}")  # pragma: no cover


def dump_trees(roots: list[Node]) -> tuple[list[list[Any]], list[int]]:
    """The node table of these trees and the row of each root (without recursion: trees may be deep)."""
    table: list[list[Any]] = []
    at: dict[int, int] = {}
    for root in roots:
        todo: list[tuple[Node, bool]] = [(root, False)]
        while todo:
            node, ready = todo.pop()
            if id(node) in at:
                continue
            kids = _children(node)
            if not ready and kids:
                todo.append((node, True))
                todo.extend((k, False) for k in kids if id(k) not in at)
                continue
            at[id(node)] = len(table)
            table.append(_row(node, at))
    return table, [at[id(root)] for root in roots]


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, found {type(value).__name__}")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, found {type(value).__name__}")
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"expected a number, found {type(value).__name__}")
    return value


def _field(value: Any) -> str | None:
    if value not in _FIELDS:
        raise ValueError(f"unknown field scope {value!r}")
    return value  # type: ignore[no-any-return]


def _node(row: Any, nodes: list[Node]) -> Node:
    def ref(value: Any) -> Node:
        index = _int(value)
        if not 0 <= index < len(nodes):
            raise ValueError(f"node {index} does not come before its parent")
        return nodes[index]

    if not isinstance(row, list) or not row:
        raise ValueError("a node is a non-empty list")
    kind, args = row[0], row[1:]
    sizes = {"t": 4, "e": 3, "c": 2, "a": 1, "o": 1, "n": 1, "r": 5}
    if kind not in sizes or len(args) != sizes[kind]:
        raise ValueError(f"a node of unknown kind or size: {kind!r}")
    if kind == "t":
        if not isinstance(args[0], list) or not args[0]:
            raise ValueError("a term has tokens")
        return Term(tuple(_str(t) for t in args[0]), _bool(args[1]), _field(args[2]), _str(args[3]))
    if kind == "e":
        return EntityPred(_str(args[0]), _str(args[1]), _field(args[2]))
    if kind == "c":
        return Country(_str(args[0]), _field(args[1]))
    if kind in ("a", "o"):
        if not isinstance(args[0], list) or len(args[0]) < 2:
            raise ValueError("AND and OR have at least two children")
        children = tuple(ref(c) for c in args[0])
        return And(children) if kind == "a" else Or(children)
    if kind == "n":
        return Not(ref(args[0]))
    return Near(ref(args[0]), ref(args[1]), _int(args[2]), _bool(args[3]), _bool(args[4]))


def load_trees(table: Any) -> list[Node]:
    """The nodes of a table written by `dump_trees` (ValueError when it is not one)."""
    if not isinstance(table, list):
        raise ValueError("a node table is a list")
    nodes: list[Node] = []
    for row in table:
        nodes.append(_node(row, nodes))
    return nodes


def dump_vocabularies(vocabularies: Vocabularies) -> dict[str, Any]:
    """Definitions and expanded trees of these vocabularies as JSON data."""
    keys = list(vocabularies.expanded)
    table, roots = dump_trees([vocabularies.expanded[k] for k in keys])
    return {
        "definitions": [{"name": v.name, "languages": [[lang, body if isinstance(body, str) else list(body)]
                                                       for lang, body in v.languages],
                         "description": v.description, "source": v.source, "line": v.line, "column": v.column}
                        for v in vocabularies.values()],
        "nodes": table,
        "expanded": [[name, field, root] for (name, field), root in zip(keys, roots, strict=True)],
    }


def _opt_int(value: Any) -> int | None:
    return None if value is None else _int(value)


def _body(value: Any) -> tuple[str, ...] | str:
    if isinstance(value, list):
        return tuple(_str(v) for v in value)
    return _str(value)


def load_vocabularies(data: Any) -> Vocabularies:
    """Vocabularies written by `dump_vocabularies`, their expanded trees in place (ValueError when damaged)."""
    if not isinstance(data, dict) or not isinstance(data.get("definitions"), list):
        raise ValueError("vocabularies: no definitions")
    found = []
    for d in data["definitions"]:
        if not isinstance(d, dict) or not isinstance(d.get("languages"), list):
            raise ValueError("vocabularies: a definition is not a mapping with languages")
        languages = []
        for pair in d["languages"]:
            if not isinstance(pair, list) or len(pair) != 2:
                raise ValueError("vocabularies: a language is [code, body]")
            languages.append((_str(pair[0]), _body(pair[1])))
        found.append(Vocabulary(_str(d.get("name")), tuple(languages), _str(d.get("description")),
                                _str(d.get("source")), _opt_int(d.get("line")), _opt_int(d.get("column"))))
    vocabularies = Vocabularies(found) if found else NO_VOCABULARIES
    nodes = load_trees(data.get("nodes"))
    expanded = data.get("expanded")
    if not isinstance(expanded, list) or (expanded and not found):
        raise ValueError("vocabularies: expanded trees without their definitions")
    for item in expanded:
        if not isinstance(item, list) or len(item) != 3 or _str(item[0]) not in vocabularies:
            raise ValueError("vocabularies: an expanded tree of an unknown vocabulary")
        index = _int(item[2])
        if not 0 <= index < len(nodes):
            raise ValueError("vocabularies: an expanded tree out of the table")
        node = vocabularies.expanded[(item[0], _field(item[1]))] = nodes[index]
        tree_stats(node, vocabularies.sizes)  # as the parser records a tree it expands
    return vocabularies
