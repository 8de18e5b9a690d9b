"""The Boolean query language of watch rules (Factiva / LexisNexis style).

    query    := or-free parts joined by AND (or by juxtaposition), NOT, proximity and OR
    term     := word | word* | "quoted phrase" | "phrase with wildcard*"
    scope    := title:<unit> | text:<unit>
    entity   := entity:any | entity:sanctioned | entity:dataset=X | entity:program=X
                | entity:schema=X | entity:id=X
    country  := country:XX           (ISO-3166 alpha-2)
    near     := a w/N b | a NEAR/N b | a pre/N b (a before b) | a w/s b (same sentence)
    vocab    := @name                 (a named vocabulary: see monitor/matching/vocabulary.py)

Operators are case-insensitive. Precedence, tightest first, as in LexisNexis: OR, then
proximity (w/N, NEAR/N, pre/N, w/s), then AND (also implicit between bare terms), then
NOT (`a NOT b` and `a AND NOT b` mean a without b). So `supply w/5 arms OR weapon*`
reads `supply w/5 (arms OR weapon*)`; use parentheses when in doubt.

A syntax error raises QuerySyntaxError with the line, column and what was expected. So does a
query over one of the bounds below (its length, nesting, proximity chains, clauses, terms): a
hostile or runaway query is refused when it is written, not when every article is matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.matching.normalise import normalise_name
from monitor.matching.vocabulary import NO_VOCABULARIES, Vocabularies, Vocabulary


class QuerySyntaxError(ValueError):
    """A query that does not parse: where, what was expected and what was found."""

    def __init__(self, line: int, column: int, expected: str, found: str, vocabulary: str | None = None,
                 language: str | None = None, entry: int | None = None) -> None:
        self.line = line
        self.column = column
        self.expected = expected
        self.found = found
        # set when the error is inside the definition of a vocabulary (its name, language, entry)
        self.vocabulary = vocabulary
        self.language = language
        self.entry = entry
        where = f"vocabulary @{vocabulary}: " if vocabulary else ""
        super().__init__(f"{where}line {line}, column {column}: expected {expected}, found {found}")


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


# Bounds of one query, its vocabularies expanded. The matcher evaluates the tree recursively
# (a few Python frames per level), so depth is what must stay far below the interpreter's
# limit; the sizes keep one rule from costing the build or every article much more than the
# whole default pack does (every rule of the pack stays under half of each bound:
# tests/matching/test_query.py checks it).
MAX_DEPTH = 64  # nested parentheses in one query
MAX_QUERY_CHARS = 20_000  # a query as written (vocabularies apart): the API and console limit
MAX_TREE_DEPTH = 40  # levels of the expanded tree (parentheses, chained operators, vocabularies)
MAX_CHAIN = 16  # proximity operators chained in one run: a w/5 b w/5 c ...
MAX_CLAUSES = 15_000  # nodes of the expanded tree
MAX_TERMS = 12_000  # words and phrases of the expanded tree
MAX_PROXIMITY = 600  # proximity operators of the expanded tree
MAX_VOCABULARY_DEPTH = 16  # vocabularies referring to vocabularies


@dataclass
class _Stats:
    """Size of a (sub)tree as the matcher will see it: depth, clauses, terms, proximity operators."""

    depth: int
    clauses: int
    terms: int
    near: int


class _Parser:
    def __init__(self, text: str, known_country: frozenset[str] | None, vocabularies: Vocabularies,
                 field: str | None = None, stack: tuple[str, ...] = ()) -> None:
        self.text = text
        self.toks = _lex(text)
        self.i = 0
        self.field: str | None = field
        self.known_country = known_country
        self.vocabularies = vocabularies
        self.stack = stack  # vocabularies being expanded (cycle and depth guard)
        self.depth = 0
        self.stats: dict[int, _Stats] = {}
        self.spliced: set[int] = set()  # ids of OR-nodes that stand for a vocabulary (merged into a parent OR)

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, expected: str, tok: _Tok | None = None) -> QuerySyntaxError:
        tok = tok or self.peek()
        return _error(self.text, tok.pos, expected, _describe(tok))

    def sized(self, node: Node, tok: _Tok, known: _Stats | None = None) -> Node:
        """Record the size of a new node (its children are recorded, or its size is `known`) and refuse
        one over the bounds."""
        st = known or self._stats_of(node)
        for value, bound, what in (
            (st.depth, MAX_TREE_DEPTH, f"at most {MAX_TREE_DEPTH} levels of nested operators"),
            (st.clauses, MAX_CLAUSES, f"at most {MAX_CLAUSES} clauses"),
            (st.terms, MAX_TERMS, f"at most {MAX_TERMS} words and phrases"),
            (st.near, MAX_PROXIMITY, f"at most {MAX_PROXIMITY} proximity operators"),
        ):
            if value > bound:
                raise self.fail(f"{what} (vocabularies expanded)", tok)
        self.stats[id(node)] = st
        return node

    def _stats_of(self, node: Node) -> _Stats:
        children: tuple[Node, ...]
        if isinstance(node, And | Or):
            children = node.children
        elif isinstance(node, Not):
            children = (node.child,)
        elif isinstance(node, Near):
            children = (node.left, node.right)
        else:
            children = ()
        shared = self.vocabularies.sizes
        parts = [self.stats.get(id(c)) or shared.get(id(c)) or tree_stats(c) for c in children]
        return _Stats(
            depth=1 + max((p.depth for p in parts), default=0),
            clauses=1 + sum(p.clauses for p in parts),
            terms=(1 if isinstance(node, Term) else 0) + sum(p.terms for p in parts),
            near=(1 if isinstance(node, Near) else 0) + sum(p.near for p in parts),
        )

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise self.fail("a term, phrase or '('")
        node = self.parse_not()
        if self.peek().kind != "end":
            raise self.fail("an operator or end of query")
        return node

    # NOT binds loosest: a NOT b = a AND NOT b
    def parse_not(self) -> Node:
        first = self.peek()
        if first.kind == "NOT":
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
        parts.extend(self.sized(Not(n), first) for n in negatives)
        return parts[0] if len(parts) == 1 else self.sized(And(tuple(parts)), first)

    def parse_and(self) -> Node:
        first = self.peek()
        children = [self.parse_near()]
        while True:
            kind = self.peek().kind
            if kind == "AND":
                self.take()
                if self.peek().kind == "NOT":
                    tok = self.take()
                    children.append(self.sized(Not(self.parse_near()), tok))
                    continue
                children.append(self.parse_near())
            elif kind in _UNIT_START:
                children.append(self.parse_near())
            else:
                break
        return children[0] if len(children) == 1 else self.sized(And(tuple(children)), first)

    def parse_near(self) -> Node:
        left = self.parse_or()
        chain = 0
        while self.peek().kind == "prox":
            tok = self.take()
            chain += 1
            # `a w/5 b w/5 c ...` nests one level per operator: bounded here, where it is written
            if chain > MAX_CHAIN:
                raise _error(self.text, tok.pos, f"at most {MAX_CHAIN} chained proximity operators "
                             "(group with parentheses or split the rule)", f"'{tok.text}'")
            op = tok.text.lower()
            right = self.parse_or()
            if op == "near":
                left = self.sized(Near(left, right, 10, ordered=False, sentence=False), tok)
                continue
            kind, _, arg = op.partition("/")
            if arg in ("s", "sent", "sentence"):
                if kind == "pre":
                    raise self.fail("a number after pre/", tok)
                left = self.sized(Near(left, right, 0, ordered=False, sentence=True), tok)
                continue
            distance = int(arg)
            if distance < 1 or distance > 100:
                raise _error(self.text, tok.pos, "a distance from 1 to 100", f"'{tok.text}'")
            left = self.sized(Near(left, right, distance, ordered=kind == "pre", sentence=False), tok)
        return left

    def parse_or(self) -> Node:
        first = self.peek()
        children: list[Node] = []
        while True:
            child = self.parse_unit()
            if id(child) in self.spliced and isinstance(child, Or):
                children.extend(child.children)  # a vocabulary's terms join the OR they are named in
            else:
                children.append(child)
            if self.peek().kind != "OR":
                break
            self.take()
        if len(children) == 1:
            return children[0]
        return self.sized(Or(tuple(children)), first)

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
            if tok.text.startswith("@"):
                return self.vocabulary(tok)
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
        return self.sized(Term(tokens, prefix, self.field, raw), tok)  # type: ignore[return-value]

    def entity(self, head: _Tok) -> EntityPred:
        tok = self.peek()
        if tok.kind != "word" or tok.pos != head.pos + len(head.text):
            raise self.fail("any, sanctioned, dataset=, program=, schema= or id= after entity:")
        self.take()
        key, eq, value = tok.text.partition("=")
        key = key.lower()
        if key not in ENTITY_KEYS or (key in ("any", "sanctioned")) == bool(eq) or (eq and not value):
            raise self.fail("any, sanctioned, dataset=X, program=X, schema=X or id=X after entity:", tok)
        return self.sized(EntityPred(key, value, self.field), tok)  # type: ignore[return-value]

    def country(self, head: _Tok) -> Country:
        tok = self.peek()
        code = tok.text.upper()
        valid = tok.kind == "word" and tok.pos == head.pos + len(head.text) and re.fullmatch(r"[A-Z]{2}", code)
        if not valid or (self.known_country is not None and code not in self.known_country):
            raise self.fail("an ISO-3166 alpha-2 country code after country:", tok)
        self.take()
        return self.sized(Country(code, self.field), tok)  # type: ignore[return-value]

    def vocabulary(self, tok: _Tok) -> Node:
        """`@name`: the vocabulary's tree, built once per (name, field scope) and shared."""
        name = tok.text[1:]
        vocab = self.vocabularies.get(name)
        if vocab is None:
            known = ", ".join(f"@{n}" for n in sorted(self.vocabularies)[:12]) or "none is defined"
            raise _error(self.text, tok.pos, f"a defined vocabulary ({known}"
                         f"{', ...' if len(self.vocabularies) > 12 else ''})", f"unknown vocabulary '{tok.text}'")
        if name in self.stack:
            cycle = " -> ".join(f"@{n}" for n in (*self.stack[self.stack.index(name):], name))
            raise _error(self.text, tok.pos, "a vocabulary that does not refer back to itself",
                         f"the cycle {cycle}")
        if len(self.stack) >= MAX_VOCABULARY_DEPTH:
            raise _error(self.text, tok.pos, f"at most {MAX_VOCABULARY_DEPTH} levels of vocabularies "
                         "referring to vocabularies", f"'{tok.text}'")
        key = (name, self.field)
        node = self.vocabularies.expanded.get(key)
        if node is None:
            node = expand_vocabulary(vocab, self.vocabularies, self.known_country, self.field,
                                     (*self.stack, name))
            self.vocabularies.expanded[key] = node
            # the size of every node of the shared tree, computed once: sizing a tree that uses it
            # walked it again for every use (reading the rule pack was quadratic in its vocabularies)
            tree_stats(node, self.vocabularies.sizes)
        if isinstance(node, Or) and not vocab.is_query:
            self.spliced.add(id(node))
        return self.sized(node, tok, self.vocabularies.sizes.get(id(node))) if not isinstance(node, Term) else node


def _entry_node(entry: str, parser: _Parser) -> Node:
    """One entry of a term set: a word or phrase (quotes optional), country:, entity: or @name."""
    text = entry.strip()
    if text.startswith("@") or re.match(r"^(country|entity):", text, re.IGNORECASE):
        return parser.parse()
    quoted = text[:1] in "\"“”" and len(text) > 1 and text[-1] in "\"“”"
    if not quoted:
        for tok in parser.toks[:-1]:
            if tok.kind not in ("word", "phrase"):
                raise parser.fail("a word or phrase (quote a phrase holding AND, OR, NOT or brackets; "
                                  "write a sub-query as a string, not a list)", tok)
    tok = _Tok("phrase", text, len(entry) - len(entry.lstrip()))
    return parser.term(tok, text.strip("\"“”"))


def expand_vocabulary(vocab: Vocabulary, vocabularies: Vocabularies, known_country: frozenset[str] | None,
                      field: str | None, stack: tuple[str, ...]) -> Node:
    """The query tree a vocabulary stands for: an OR of its terms (every language), or its sub-query."""
    children: list[Node] = []
    for lang, body in vocab.languages:
        texts = [body] if isinstance(body, str) else list(body)
        for index, text in enumerate(texts):
            parser = _Parser(text, known_country, vocabularies, field, stack)
            try:
                node = parser.parse() if isinstance(body, str) else _entry_node(text, parser)
            except QuerySyntaxError as exc:
                if exc.vocabulary is None:
                    exc.vocabulary, exc.language = vocab.name, lang
                    exc.entry = None if isinstance(body, str) else index
                raise
            is_terms = isinstance(node, Or) and id(node) in parser.spliced
            if isinstance(node, Or) and (is_terms or not isinstance(body, str)):
                children.extend(node.children)
            else:
                children.append(node)
    if not children:
        raise QuerySyntaxError(vocab.line or 1, vocab.column or 1, "at least one term", "an empty vocabulary",
                               vocabulary=vocab.name)
    return children[0] if len(children) == 1 else Or(tuple(children))


def tree_stats(node: Node, done: dict[int, _Stats] | None = None) -> _Stats:
    """Depth and sizes of a tree, computed without recursion (the tree may be deeper than Python allows);
    `done` holds the sizes of nodes already known (by id, of nodes still alive) and receives the new ones."""
    done = {} if done is None else done
    todo: list[tuple[Node, bool]] = [(node, False)]
    while todo:
        cur, expanded = todo.pop()
        if id(cur) in done:
            continue
        kids: tuple[Node, ...] = (
            cur.children if isinstance(cur, And | Or) else (cur.child,) if isinstance(cur, Not)
            else (cur.left, cur.right) if isinstance(cur, Near) else ()
        )
        if not expanded and kids:
            todo.append((cur, True))
            todo.extend((k, False) for k in kids if id(k) not in done)
            continue
        parts = [done[id(k)] for k in kids]
        done[id(cur)] = _Stats(
            depth=1 + max((p.depth for p in parts), default=0),
            clauses=1 + sum(p.clauses for p in parts),
            terms=(1 if isinstance(cur, Term) else 0) + sum(p.terms for p in parts),
            near=(1 if isinstance(cur, Near) else 0) + sum(p.near for p in parts),
        )
    return done[id(node)]


def parse_query(text: str, known_countries: frozenset[str] | None = None,
                vocabularies: Vocabularies | None = None) -> Node:
    """Parse a rule query, expanding `@vocabulary` names; raises QuerySyntaxError with line and column."""
    if known_countries is None:
        from monitor.matching.countries import country_codes

        known_countries = country_codes()
    if len(text) > MAX_QUERY_CHARS:
        raise _error(text, MAX_QUERY_CHARS, f"a query of at most {MAX_QUERY_CHARS} characters "
                     "(put long term lists in a vocabulary)", f"{len(text)} characters")
    return _Parser(text, known_countries, vocabularies if vocabularies is not None else NO_VOCABULARIES).parse()


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
