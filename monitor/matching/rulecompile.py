"""Rules compiled against an index: each query becomes a function of the scan context, and each
rule is indexed by its triggers (Luwak-style: terms, countries or "an entity", one of which any
matching article must contain), so a scan evaluates only the rules whose triggers occurred.

OR-groups of plain terms fold into one term set; AND children run rarest first so that an absent
child ends the evaluation early; a node whose triggers are all absent returns at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from monitor.matching.fields import FIELDS, Occ
from monitor.matching.index import CompiledIndex, EntityInfo
from monitor.matching.query import And, Country, EntityPred, Near, Node, Not, Or, Term, parse_query, walk
from monitor.matching.tuning import COUNTRY_COST, ENTITY_COST, MAX_OCC
from monitor.matching.types import RuleSpec

if TYPE_CHECKING:
    from monitor.matching.evaluate import Evaluation

Closure = Callable[["Evaluation"], list[Occ]]
_SCHEMA_SYNONYMS = {"individual": "person", "organisation": "organization", "entity": "organization",
                    "company": "organization", "ship": "vessel"}


class StaleIndexError(LookupError):
    """A rule uses a term the index was not built with: the index predates the rules."""


class TermSet:
    """Compiled form of `a OR b OR "c d"` over plain terms: one lookup per term id."""

    __slots__ = ("field", "tids")

    def __init__(self, tids: tuple[int, ...], field: str | None) -> None:
        self.tids = tids
        self.field = field


@dataclass
class CompiledRule:
    """One rule: its query and escalations as closures, its term ids and entity predicates."""

    spec: RuleSpec
    fn: Closure
    escalations: list[tuple[str, str, Closure]]
    term_ids: frozenset[int]
    entity_preds: list[EntityPred]


def _schema_key(value: str) -> str:
    low = value.casefold()
    return _SCHEMA_SYNONYMS.get(low, low)


def entity_predicate(pred: EntityPred) -> Callable[[EntityInfo], bool]:
    """The test of an `entity:...` predicate on an entity."""
    key, value = pred.key, pred.value
    if key == "any":
        return lambda e: True
    if key == "sanctioned":
        return lambda e: not e.curated
    if key == "dataset":
        return lambda e: e.dataset == value
    if key == "program":
        wanted = value.casefold()
        return lambda e: any(p.casefold() == wanted for p in e.programs)
    if key == "schema":
        wanted = _schema_key(value)
        return lambda e: _schema_key(e.schema) == wanted
    return lambda e: e.entity_id == value


class RuleSet:
    """The enabled rules of one version, compiled against one index."""

    def __init__(self, index: CompiledIndex, specs: Iterable[RuleSpec]) -> None:
        self.index = index
        self.rules: list[CompiledRule] = []
        self.triggers: dict[object, list[int]] = {}
        self.always: list[int] = []
        self._pred_cache: dict[EntityPred, Callable[[EntityInfo], bool]] = {}
        # `_required` of each node of the rule being compiled: every level of `_closure` asks it of
        # its node, which walked the whole subtree again at each level
        self._required_of: dict[int, set[object] | None] = {}
        for spec in specs:
            if spec.enabled:
                self._add(spec)

    def predicate(self, pred: EntityPred) -> Callable[[EntityInfo], bool]:
        """The compiled test of an entity predicate (cached)."""
        fn = self._pred_cache.get(pred)
        if fn is None:
            fn = self._pred_cache[pred] = entity_predicate(pred)
        return fn

    def _tid(self, term: Term) -> int:
        tid = self.index.term_id(term.tokens, term.prefix)
        if tid is None:
            raise StaleIndexError(f"term {' '.join(term.tokens)!r} is not in index {self.index.version}")
        return tid

    def _add(self, spec: RuleSpec) -> None:
        self._required_of.clear()  # keyed by node id: valid only while this rule's trees (node, whens) are held
        parsed = parse_query(spec.query, vocabularies=spec.vocabularies)
        term_ids = frozenset(self._tid(sub) for sub in walk(parsed) if isinstance(sub, Term))
        preds = [sub for sub in walk(parsed) if isinstance(sub, EntityPred)]
        node = self._compile(parsed)
        whens = [self._compile(parse_query(e.when, vocabularies=spec.vocabularies)) for e in spec.escalate]
        escalations = [(e.severity, e.scope, self._closure(when)) for e, when in zip(spec.escalate, whens, strict=True)]
        index = len(self.rules)
        self.rules.append(CompiledRule(spec, self._closure(node), escalations, term_ids, preds))
        required = self._required(node)
        self._required_of.clear()
        if required is None:
            self.always.append(index)
        else:
            for trigger in required:
                self.triggers.setdefault(trigger, []).append(index)

    def _compile(self, node: Node) -> Node:
        """Fold OR-groups of plain terms into one TermSet (evaluated in one step)."""
        if isinstance(node, Or):
            terms: dict[str | None, list[int]] = {}
            rest: list[Node] = []
            for child in node.children:
                if isinstance(child, Term):
                    terms.setdefault(child.field, []).append(self._tid(child))
                else:
                    rest.append(self._compile(child))
            parts: list[Node] = [TermSet(tuple(dict.fromkeys(t)), f) for f, t in terms.items()]  # type: ignore[misc]
            parts.extend(rest)
            return parts[0] if len(parts) == 1 else Or(tuple(parts))
        if isinstance(node, Term):
            return TermSet((self._tid(node),), node.field)  # type: ignore[return-value]
        if isinstance(node, And):
            children = [self._compile(c) for c in node.children]
            children.sort(key=lambda c: (isinstance(c, Not), self._cost(c)))
            return And(tuple(children))
        if isinstance(node, Not):
            return Not(self._compile(node.child))
        if isinstance(node, Near):
            return Near(self._compile(node.left), self._compile(node.right), node.distance, node.ordered,
                        node.sentence)
        return node

    def _term_cost(self, tid: int) -> float:
        """Chance that a term occurs in an article (computed when the index was built)."""
        return self.index.term_costs[tid]

    def _trigger_cost(self, triggers: set[object]) -> float:
        total = 0.0
        for trig in triggers:
            if isinstance(trig, int):
                total += self._term_cost(trig)
            elif trig == "entity":
                total += ENTITY_COST
            else:
                total += COUNTRY_COST
        return total

    def _cost(self, node: Node) -> float:
        """Expected cost/likelihood of a compiled node holding: AND children are evaluated
        cheapest (rarest) first so that an absent child ends the evaluation early."""
        if isinstance(node, TermSet):
            return sum(self._term_cost(t) for t in node.tids)
        if isinstance(node, EntityPred):
            return ENTITY_COST
        if isinstance(node, Country):
            return COUNTRY_COST
        if isinstance(node, Or):
            return sum(self._cost(c) for c in node.children)
        if isinstance(node, And):
            return min((self._cost(c) for c in node.children if not isinstance(c, Not)), default=1000.0)
        if isinstance(node, Near):
            return min(self._cost(node.left), self._cost(node.right))
        return 1000.0

    def _closure(self, node: Node) -> Closure:
        """Compile a node into a function of the scan context. A node whose triggers are all
        absent from the article returns at once (Luwak's pruning, at every level)."""
        inner = self._closure_inner(node)
        required = None if isinstance(node, TermSet) else self._required(node)
        if required is None:
            return inner
        needed = frozenset(required)

        def guarded(ctx: Evaluation) -> list[Occ]:
            if needed.isdisjoint(ctx.present):
                return []
            return inner(ctx)

        return guarded

    def _closure_inner(self, node: Node) -> Closure:
        if isinstance(node, TermSet):
            tids = frozenset(node.tids)
            wanted = None if node.field is None else FIELDS.index(node.field)

            def terms(ctx: Evaluation) -> list[Occ]:
                hits = ctx.term_hits
                out: list[Occ] = []
                for tid in tids.intersection(hits):
                    out.extend(hits[tid])
                if wanted is not None:
                    out = [o for o in out if o[0] == wanted]
                return out

            return terms
        if isinstance(node, EntityPred):
            pred = node
            return lambda ctx: ctx.entity_occs(pred)
        if isinstance(node, Country):
            code = node.code
            cwanted = None if node.field is None else FIELDS.index(node.field)

            def country(ctx: Evaluation) -> list[Occ]:
                found = ctx.country_occs(code)
                return found if cwanted is None else [o for o in found if o[0] == cwanted]

            return country
        if isinstance(node, Or):
            parts = [self._closure(c) for c in node.children]

            def any_of(ctx: Evaluation) -> list[Occ]:
                out: list[Occ] = []
                for fn in parts:
                    out.extend(fn(ctx))
                return out[:MAX_OCC]

            return any_of
        if isinstance(node, And):
            positive = [self._closure(c) for c in node.children if not isinstance(c, Not)]
            negative = [self._closure(c.child) for c in node.children if isinstance(c, Not)]

            def all_of(ctx: Evaluation) -> list[Occ]:
                out: list[Occ] = []
                for fn in positive:
                    found = fn(ctx)
                    if not found:
                        return []
                    out.extend(found)
                for fn in negative:
                    if fn(ctx):
                        return []
                return out[:MAX_OCC] if positive else [(-1, 0, 0)]

            return all_of
        if isinstance(node, Not):
            child = self._closure(node.child)
            return lambda ctx: [] if child(ctx) else [(-1, 0, 0)]
        if isinstance(node, Near):
            left = self._closure(node.left)
            right = self._closure(node.right)
            right_first = self._cost(node.right) < self._cost(node.left)
            near = node
            return lambda ctx: ctx.near(near, left, right, right_first)
        raise TypeError(f"unknown query node {node!r}")  # pragma: no cover

    def _required(self, node: Node) -> set[object] | None:
        """Triggers of which any article matching `node` holds at least one (None: unbounded)."""
        key = id(node)
        if key not in self._required_of:
            self._required_of[key] = self._required_uncached(node)
        return self._required_of[key]

    def _required_uncached(self, node: Node) -> set[object] | None:
        if isinstance(node, TermSet):
            return set(node.tids)
        if isinstance(node, EntityPred):
            return {"entity"}
        if isinstance(node, Country):
            return {f"c:{node.code}"}
        if isinstance(node, Or):
            out: set[object] = set()
            for child in node.children:
                sub = self._required(child)
                if sub is None:
                    return None
                out |= sub
            return out
        if isinstance(node, And | Near):
            children = node.children if isinstance(node, And) else (node.left, node.right)
            options = [s for s in (self._required(c) for c in children if not isinstance(c, Not)) if s is not None]
            if not options:
                return None
            return min(options, key=self._trigger_cost)
        return None
