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


def chained(n: int) -> str:
    """`w0 w/5 w1 w/5 w2 ...` with n proximity operators (under 4 KB for a few hundred)."""
    return " w/5 ".join(f"w{i}" for i in range(n + 1))


def test_hundreds_of_chained_proximity_operators_are_refused_where_written() -> None:
    from monitor.matching.query import MAX_CHAIN

    query = chained(300)
    assert len(query) < 4096
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    err = info.value
    assert err.line == 1 and err.column == query.index("w/5", len(chained(MAX_CHAIN))) + 1
    assert "chained proximity operators" in err.expected
    parse_query(chained(MAX_CHAIN))  # the bound itself is allowed


@pytest.mark.parametrize(
    ("query", "what"),
    [
        ("(" * 70 + "a" + ")" * 70, "levels of parentheses"),
        # chains of 8 nested 6 deep: each level under the chain bound, the tree over the depth bound
        ("(" * 6 + ((chained(7) + ") w/5 ") * 6)[:-5], "levels of nested operators"),
        (" OR ".join(f"w{i}" for i in range(13_000)), "characters"),
    ],
)
def test_every_kind_of_size_is_bounded_with_a_position(query: str, what: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    assert what in info.value.expected and info.value.line >= 1 and info.value.column >= 1


def test_term_and_clause_bounds_count_expanded_vocabularies() -> None:
    from monitor.matching.query import MAX_TERMS
    from monitor.matching.vocabulary import Vocabularies, Vocabulary

    big = Vocabulary("big", (("en", tuple(f"t{i}" for i in range(MAX_TERMS // 4 + 1))),))
    vocabs = Vocabularies([big])
    parse_query("@big OR @big OR @big", vocabularies=vocabs)
    with pytest.raises(QuerySyntaxError) as info:
        parse_query("@big OR @big OR @big OR\n  @big", vocabularies=vocabs)
    # reported at the start of the clause that grew too large
    assert "words and phrases" in info.value.expected and (info.value.line, info.value.column) == (1, 1)


def test_the_default_pack_is_well_inside_the_bounds() -> None:
    from monitor.matching import query as q
    from monitor.matching.rulefile import load_rules
    from monitor.settings import CONFIG_DIR

    for rule in load_rules([CONFIG_DIR / "rules"]):
        stats = q.tree_stats(parse_query(rule.query, vocabularies=rule.vocabularies))
        assert len(rule.query) <= q.MAX_QUERY_CHARS
        assert stats.depth * 2 <= q.MAX_TREE_DEPTH and stats.terms * 2 <= q.MAX_TERMS
        assert stats.clauses * 2 <= q.MAX_CLAUSES and stats.near * 2 <= q.MAX_PROXIMITY
