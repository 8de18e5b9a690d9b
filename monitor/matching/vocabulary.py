"""Named vocabularies of the rule language: a term set (or a sub-query) defined once, used by name.

A vocabulary is written beside the rules (a `vocabularies:` mapping in any rule file) and
used in a query as `@name`:

    vocabularies:
      weapons:                       # a term set: one word or phrase per entry
        en: [weapon, weapons, "artillery shells", himars]
        de: [Waffe, Waffen]          # terms of other languages are added to the same set
      nuclear_deployment:            # a named sub-query (a string instead of a list)
        en: (@deploy_verbs pre/4 @nuclear_weapons) w/s @nuclear_hosts

A term set stands for `(term OR term OR ...)` over the terms of every language; a sub-query
for its query (the queries of several languages are joined by OR). Entries of a term set are
written as in a query but need no quotes around phrases (`artillery shells` is the phrase);
an entry may be `country:XX`, `entity:...` or another vocabulary (`@other`), whose terms are
added in its place. This module holds the definitions only; `query.parse_query` expands them
into the same tree a query written out in full gives, so a rule behaves exactly as before.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
LANGUAGE_RE = re.compile(r"^[a-z]{2}$")  # ISO 639-1


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """One named vocabulary: per language, a tuple of term entries or one sub-query."""

    name: str
    languages: tuple[tuple[str, tuple[str, ...] | str], ...]
    description: str = ""
    source: str = ""
    line: int | None = None
    column: int | None = None
    # (line, column) in the file of each language's value and of each term entry, for errors
    positions: Mapping[Any, Any] = field(default_factory=dict)

    @property
    def is_query(self) -> bool:
        """True for a named sub-query, False for a term set."""
        return any(isinstance(body, str) for _lang, body in self.languages)

    def definition(self) -> dict[str, Any]:
        """The definition as plain data (what the fingerprint and the API show)."""
        return {lang: (body if isinstance(body, str) else list(body)) for lang, body in self.languages}

    def references(self) -> Iterator[tuple[str, str, int]]:
        """(language, referenced name, entry index) of every `@name` in the definition."""
        for lang, body in self.languages:
            if isinstance(body, str):
                for m in re.finditer(r"(?<![^\s(])@([A-Za-z0-9_]+)", body):
                    yield lang, m.group(1), -1
            else:
                for i, entry in enumerate(body):
                    if entry.strip().startswith("@"):
                        yield lang, entry.strip()[1:], i

    def where(self) -> str:
        """`file:line` of the definition (for messages)."""
        return f"{self.source}:{self.line}" if self.source and self.line else self.source or "?"


class Vocabularies(Mapping[str, Vocabulary]):
    """The vocabularies a set of rules may use, with a fingerprint of their content.

    Compared and hashed by fingerprint, so a RuleSpec carrying them stays a cheap value;
    the expanded query trees are cached here (per name and field scope)."""

    def __init__(self, items: Iterable[Vocabulary] = ()) -> None:
        self._items: dict[str, Vocabulary] = {}
        for vocab in items:
            self._items[vocab.name] = vocab
        canonical = json.dumps({n: v.definition() for n, v in sorted(self._items.items())}, sort_keys=True,
                               ensure_ascii=False)
        self.fingerprint = hashlib.sha256(canonical.encode()).hexdigest()[:16]
        self.expanded: dict[tuple[str, str | None], Any] = {}
        # sizes of every node of those trees, by id (they live as long as `expanded` holds them)
        self.sizes: dict[int, Any] = {}

    def __getitem__(self, name: str) -> Vocabulary:
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabularies) and other.fingerprint == self.fingerprint

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __repr__(self) -> str:
        return f"Vocabularies({len(self)}, {self.fingerprint})"


NO_VOCABULARIES = Vocabularies()


def find_cycle(vocabularies: Mapping[str, Vocabulary], start: str) -> list[str] | None:
    """A chain of references from `start` back to itself (`[a, b, a]`), or None."""
    path: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> list[str] | None:
        if name in path:
            return [*path[path.index(name):], name]
        if name in done or name not in vocabularies or len(path) > 200:
            return None  # (a chain that long is refused by the parser's depth bound)
        path.append(name)
        for _lang, ref, _i in vocabularies[name].references():
            found = visit(ref)
            if found is not None:
                return found
        path.pop()
        done.add(name)
        return None

    found = visit(start)
    return found if found is not None and found[0] == start else None
