"""The Boolean query parser: syntax, precedence and errors with line and column."""

from __future__ import annotations

import pytest

from monitor.matching.query import And, Country, EntityPred, Near, Not, Or, QuerySyntaxError, Term, parse_query


def test_terms_phrases_wildcards_and_fields() -> None:
    node = parse_query('weapon* AND "artillery shells" AND title:Kim-Jong-un')
    assert isinstance(node, And)
    a, b, c = node.children
    assert a == Term(("weapon",), True, None, "weapon*")
    assert isinstance(b, Term) and b.tokens == ("artillery", "shells") and not b.prefix
    assert isinstance(c, Term) and c.tokens == ("kim", "jong", "un") and c.field == "title"


def test_implicit_and_and_lexisnexis_precedence() -> None:
    node = parse_query("supply w/5 arms OR weapon* sanctions NOT test")
    assert isinstance(node, And)
    near, term, neg = node.children
    assert isinstance(near, Near) and near.distance == 5 and not near.ordered
    assert isinstance(near.right, Or)
    assert isinstance(term, Term) and term.tokens == ("sanctions",)
    assert isinstance(neg, Not)


def test_proximity_operators() -> None:
    pre = parse_query("sell pre/3 arms")
    assert isinstance(pre, Near) and pre.ordered and pre.distance == 3
    near = parse_query("sell NEAR/4 arms")
    assert isinstance(near, Near) and not near.ordered and near.distance == 4
    sent = parse_query("entity:sanctioned w/s (supply OR sell)")
    assert isinstance(sent, Near) and sent.sentence
    assert sent.left == EntityPred("sanctioned", "", None)


def test_entity_and_country_predicates() -> None:
    node = parse_query("entity:id=us_ofac_sdn:35173 OR entity:program=DPRK3 OR entity:schema=vessel OR country:kp")
    assert isinstance(node, Or)
    assert node.children[0] == EntityPred("id", "us_ofac_sdn:35173", None)
    assert node.children[1] == EntityPred("program", "DPRK3", None)
    assert node.children[3] == Country("KP", None)


@pytest.mark.parametrize(
    ("query", "line", "column", "expected"),
    [
        ("supply AND", 1, 11, "a term, phrase or '('"),
        ("(supply OR sell", 1, 16, "')'"),
        ('"artillery shells', 1, 1, "a closing quote"),
        ("supply OR\n  sell w/500 arms", 2, 8, "a distance from 1 to 100"),
        ("country:XX", 1, 9, "an ISO-3166 alpha-2 country code after country:"),
        ("entity:bogus", 1, 8, "any, sanctioned, dataset=X, program=X, schema=X or id=X after entity:"),
        ("we*apon", 1, 3, "a wildcard only at the end of a word"),
        ("a*", 1, 1, "at least 3 letters before '*'"),
        ("supply )", 1, 8, "an operator or end of query"),
        ("", 1, 1, "a term, phrase or '('"),
        ("()", 1, 2, "a term, phrase or '('"),
    ],
)
def test_syntax_errors_name_line_column_and_expectation(query: str, line: int, column: int, expected: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    err = info.value
    assert (err.line, err.column, err.expected) == (line, column, expected)
    assert str(err).startswith(f"line {line}, column {column}: expected {expected}, found ")
