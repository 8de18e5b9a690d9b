"""Fuzzing the rule-query parser and the scanner (tests/matching already fuzzes the normaliser's
offset map; this adds what it lacks).

- Any text given to `parse_query` either parses or raises `QuerySyntaxError` whose line and
  column point inside the query; nothing else escapes (no IndexError, no RecursionError).
- Queries built from the grammar always parse, and a rule with such a query, scanned over
  random article text in any script, never crashes and every evidence span and entity
  mention lies inside the field it names, with the text the span covers.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.matching.engine import build_matcher
from monitor.matching.query import QuerySyntaxError, parse_query
from monitor.matching.types import AliasSpec, ArticleInput, RuleSpec

WORDS = ["arms", "weapon*", "shells", "Russia", "North Korea", "drone*", "supply", "ship*", "tanker", "Pyongyang",
         "Шойгу", "김정은", "café", "e\u0301", "sanction*"]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))

query_alphabet = st.sampled_from(list('()"*:/=-_ \n\tANDORNOTwsnearpre0123456789abcxyzé')) | st.characters()


def _inside(text: str, line: int, column: int) -> bool:
    lines = text.split("\n")
    return 1 <= line <= len(lines) and 1 <= column <= len(lines[line - 1]) + 1


@FUZZ
@given(st.text(query_alphabet, max_size=120))
def test_any_text_parses_or_fails_with_a_position_inside_it(text: str) -> None:
    try:
        parse_query(text)
    except QuerySyntaxError as err:
        assert _inside(text, err.line, err.column), (text, err.line, err.column)
        assert str(err).startswith(f"line {err.line}, column {err.column}: expected ")


@FUZZ
@given(st.integers(min_value=1, max_value=3000))
def test_deep_nesting_is_an_error_or_a_parse_not_a_crash(depth: int) -> None:
    for text in ("(" * depth + "arms" + ")" * depth, "NOT " * depth + "arms", "(" * depth):
        try:
            parse_query(text)
        except QuerySyntaxError as err:
            assert _inside(text, err.line, err.column)


def _term() -> st.SearchStrategy[str]:
    word = st.sampled_from(WORDS).map(lambda w: f'"{w}"' if " " in w else w)
    field = st.sampled_from(["", "title:", "text:"])
    pred = st.sampled_from(["entity:any", "entity:sanctioned", "entity:dataset=fuzz", "country:KP", "country:RU"])
    return st.one_of(st.tuples(field, word).map("".join), pred)


queries = st.recursive(
    _term(),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from([" AND ", " OR ", " "]), inner).map("".join),
        st.tuples(inner, st.sampled_from([" w/3 ", " NEAR/5 ", " pre/2 ", " w/s "]), inner).map("".join),
        inner.map(lambda q: f"({q})"),
        st.tuples(inner, inner).map(lambda p: f"{p[0]} NOT {p[1]}"),
    ),
    max_leaves=8,
)

article_text = st.lists(
    st.sampled_from([*WORDS, "Kim Jong Un", "KIM, Jong Un", ".", ",", " ", "\n", "the", "sold", "to",
                             "\u0000", "\u200b", "ß", "İ", "ﬁ", "👍", "Ким Чен Ын"]),
    max_size=60,
).map(" ".join)

ALIASES = [
    AliasSpec("fuzz:1", "fuzz", "1", "KIM, Jong Un", alias, False, "Person", ("DPRK3",), ("kp",))
    for alias in ("Kim Jong Un", "김정은", "Ким Чен Ын")
]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(queries, article_text, article_text)
def test_generated_rules_scan_any_text_with_offsets_inside_it(query: str, title: str, text: str) -> None:
    parse_query(query)  # grammar-built: must parse
    rule = RuleSpec("fuzz", "Fuzz", "", "sanctions", "medium", query)
    matcher = build_matcher([rule], ALIASES)
    result = matcher.scan(ArticleInput(id="x", title=title, text=text))
    fields = {"title": title, "text": text}
    for ent in result.entities:
        src = fields[ent.field]
        assert 0 <= ent.start <= ent.end <= len(src), (ent, len(src))
    for alert in result.alerts:
        for ev in alert.evidence:
            src = fields[ev.field]
            assert 0 <= ev.start <= ev.end <= len(src), (ev, len(src))
            assert ev.text.strip() == src[ev.start:ev.end].strip() or ev.text in src or ev.text.endswith("…")
