"""The Boolean query language of watch rules (Factiva / LexisNexis style).

    query    := or-free parts joined by AND (or by juxtaposition), NOT, proximity and OR
    term     := word | word* | "quoted phrase" | "phrase with wildcard*"
    scope    := title:<unit> | text:<unit>
    entity   := entity:any | entity:sanctioned | entity:dataset=X | entity:program=X
                | entity:schema=X | entity:id=X
    country  := country:XX           (ISO-3166 alpha-2)
    near     := a w/N b | a NEAR/N b | a pre/N b (a before b) | a w/s b (same sentence)

Operators are case-insensitive. Precedence, tightest first, as in LexisNexis: OR, then
proximity (w/N, NEAR/N, pre/N, w/s), then AND (also implicit between bare terms), then
NOT (`a NOT b` and `a AND NOT b` mean a without b). So `supply w/5 arms OR weapon*`
reads `supply w/5 (arms OR weapon*)`; use parentheses when in doubt.

A syntax error raises QuerySyntaxError with the line, column and what was expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.matching.normalise import normalise_name


class QuerySyntaxError(ValueError):
    """A query that does not parse: where, what was expected and what was found."""

    def __init__(self, line: int, column: int, expected: str, found: str) -> None:
        self.line = line
        self.column = column
        self.expected = expected
        self.found = found
        super().__init__(f"line {line}, column {column}: expected {expected}, found {found}")


# --------------------------------------------------------------------------- AST


@dataclass(frozen=True)
class Term:
    """A word or phrase: normalised tokens, the last one a prefix when `prefix`."""

    tokens: tuple[str, ...]
    prefix: bool
    field: str | None
    raw: str


@dataclass(frozen=True)
class EntityPred:
    """A mention of a listed entity that satisfies `key=value` (key any/sanctioned take no value)."""

    key: str
    value: str
    field: str | None


@dataclass(frozen=True)
class Country:
    """A mention of a country (name, demonym, capital or synonym)."""

    code: str
    field: str | None


@dataclass(frozen=True)
class And:
    """All children hold."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """At least one child holds."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """The child does not hold (only meaningful inside an And)."""

    child: Node


@dataclass(frozen=True)
class Near:
    """Left and right within `distance` words (or in one sentence); `ordered` = left first."""

    left: Node
    right: Node
    distance: int
    ordered: bool
    sentence: bool


Node = Term | EntityPred | Country | And | Or | Not | Near

ENTITY_KEYS = ("any", "sanctioned", "dataset", "program", "schema", "id")


# --------------------------------------------------------------------------- lexer

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<phrase>["“”](?P<body>[^"“”]*)["“”]?)
  | (?P<prox>(?:w|near|pre)/(?:\d+|s|sent|sentence)\b|near\b(?!:))
  | (?P<fieldop>(?:title|text|entity|country):)
  | (?P<word>[^\s()"“”]+)
    """,
    re.IGNORECASE | re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    pos: int


def _lex(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None:  # pragma: no cover - the word alternative matches anything else
            break
        kind = m.lastgroup or "word"
        if kind == "body":
            kind = "phrase"
        if m.group("phrase") is not None:
            kind = "phrase"
            if not m.group("phrase").endswith(('"', "“", "”")) or len(m.group("phrase")) == 1:
                raise _error(text, m.start(), "a closing quote", "end of query")
        if kind != "ws":
            word = m.group()
            if kind == "word" and word.upper() in ("AND", "OR", "NOT"):
                kind = word.upper()
            toks.append(_Tok(kind, word, m.start()))
        pos = m.end()
    toks.append(_Tok("end", "", len(text)))
    return toks


def _position(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, col


def _error(text: str, pos: int, expected: str, found: str) -> QuerySyntaxError:
    line, col = _position(text, pos)
    return QuerySyntaxError(line, col, expected, found)


def _describe(tok: _Tok) -> str:
    return "end of query" if tok.kind == "end" else f"'{tok.text}'"


# --------------------------------------------------------------------------- parser

_UNIT_START = ("lparen", "phrase", "word", "fieldop")


MAX_DEPTH = 64  # nested parentheses in one query


class _Parser:
    def __init__(self, text: str, known_country: frozenset[str] | None) -> None:
        self.text = text
        self.toks = _lex(text)
        self.i = 0
        self.field: str | None = None
        self.known_country = known_country
        self.depth = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, expected: str, tok: _Tok | None = None) -> QuerySyntaxError:
        tok = tok or self.peek()
        return _error(self.text, tok.pos, expected, _describe(tok))

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise self.fail("a term, phrase or '('")
        node = self.parse_not()
        if self.peek().kind != "end":
            raise self.fail("an operator or end of query")
        return node

    # NOT binds loosest: a NOT b = a AND NOT b
    def parse_not(self) -> Node:
        if self.peek().kind == "NOT":
            self.take()
            positive: Node | None = None
        else:
            positive = self.parse_and()
            if self.peek().kind != "NOT":
                return positive
            self.take()
        negatives = [self.parse_and()]
        while self.peek().kind == "NOT":
            self.take()
            negatives.append(self.parse_and())
        parts: list[Node] = []
        if isinstance(positive, And):
            parts.extend(positive.children)
        elif positive is not None:
            parts.append(positive)
        parts.extend(Not(n) for n in negatives)
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def parse_and(self) -> Node:
        children = [self.parse_near()]
        while True:
            kind = self.peek().kind
            if kind == "AND":
                self.take()
                if self.peek().kind == "NOT":
                    self.take()
                    children.append(Not(self.parse_near()))
                    continue
                children.append(self.parse_near())
            elif kind in _UNIT_START:
                children.append(self.parse_near())
            else:
                break
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_near(self) -> Node:
        left = self.parse_or()
        while self.peek().kind == "prox":
            tok = self.take()
            op = tok.text.lower()
            right = self.parse_or()
            if op == "near":
                left = Near(left, right, 10, ordered=False, sentence=False)
                continue
            kind, _, arg = op.partition("/")
            if arg in ("s", "sent", "sentence"):
                if kind == "pre":
                    raise self.fail("a number after pre/", tok)
                left = Near(left, right, 0, ordered=False, sentence=True)
                continue
            distance = int(arg)
            if distance < 1 or distance > 100:
                raise _error(self.text, tok.pos, "a distance from 1 to 100", f"'{tok.text}'")
            left = Near(left, right, distance, ordered=kind == "pre", sentence=False)
        return left

    def parse_or(self) -> Node:
        children = [self.parse_unit()]
        while self.peek().kind == "OR":
            self.take()
            children.append(self.parse_unit())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_unit(self) -> Node:
        tok = self.peek()
        if tok.kind == "lparen":
            # Bounded so a hostile query is a syntax error, not a RecursionError (found by fuzzing).
            if self.depth >= MAX_DEPTH:
                raise self.fail(f"at most {MAX_DEPTH} levels of parentheses")
            self.take()
            if self.peek().kind == "rparen":
                raise self.fail("a term, phrase or '('")
            self.depth += 1
            node = self.parse_not()
            self.depth -= 1
            if self.peek().kind != "rparen":
                raise self.fail("')'")
            self.take()
            return node
        if tok.kind == "phrase":
            self.take()
            return self.term(tok, tok.text.strip("\"“”"))
        if tok.kind == "word":
            self.take()
            return self.term(tok, tok.text)
        if tok.kind == "fieldop":
            self.take()
            name = tok.text[:-1].lower()
            if name in ("title", "text"):
                if self.field is not None:
                    raise self.fail("a term (field scopes do not nest)", tok)
                self.field = name
                try:
                    return self.parse_unit()
                finally:
                    self.field = None
            if name == "entity":
                return self.entity(tok)
            return self.country(tok)
        raise self.fail("a term, phrase or '('")

    def term(self, tok: _Tok, raw: str) -> Term:
        prefix = raw.endswith("*")
        body = raw.rstrip("*") if prefix else raw
        if "*" in body or "?" in body:
            star = tok.pos + tok.text.find("*" if "*" in body else "?")
            raise _error(self.text, star, "a wildcard only at the end of a word", f"'{tok.text}'")
        tokens = tuple(normalise_name(body).split())
        if not tokens:
            raise self.fail("a word with letters or digits", tok)
        if prefix and len(tokens[-1]) < 3:
            raise self.fail("at least 3 letters before '*'", tok)
        return Term(tokens, prefix, self.field, raw)

    def entity(self, head: _Tok) -> EntityPred:
        tok = self.peek()
        if tok.kind != "word" or tok.pos != head.pos + len(head.text):
            raise self.fail("any, sanctioned, dataset=, program=, schema= or id= after entity:")
        self.take()
        key, eq, value = tok.text.partition("=")
        key = key.lower()
        if key not in ENTITY_KEYS or (key in ("any", "sanctioned")) == bool(eq) or (eq and not value):
            raise self.fail("any, sanctioned, dataset=X, program=X, schema=X or id=X after entity:", tok)
        return EntityPred(key, value, self.field)

    def country(self, head: _Tok) -> Country:
        tok = self.peek()
        code = tok.text.upper()
        valid = tok.kind == "word" and tok.pos == head.pos + len(head.text) and re.fullmatch(r"[A-Z]{2}", code)
        if not valid or (self.known_country is not None and code not in self.known_country):
            raise self.fail("an ISO-3166 alpha-2 country code after country:", tok)
        self.take()
        return Country(code, self.field)


def parse_query(text: str, known_countries: frozenset[str] | None = None) -> Node:
    """Parse a rule query; raises QuerySyntaxError with line and column."""
    if known_countries is None:
        from monitor.matching.countries import country_codes

        known_countries = country_codes()
    return _Parser(text, known_countries).parse()


def walk(node: Node) -> list[Node]:
    """Every node of a tree, depth first."""
    out: list[Node] = [node]
    if isinstance(node, And | Or):
        for child in node.children:
            out.extend(walk(child))
    elif isinstance(node, Not):
        out.extend(walk(node.child))
    elif isinstance(node, Near):
        out.extend(walk(node.left))
        out.extend(walk(node.right))
    return out
