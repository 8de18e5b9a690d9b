"""The matcher: a compiled index (`index`) plus the rules compiled against it (`rulecompile`).

Scan (per article): normalise title and text, run the index's automaton once over each (and
probe its word table, when the lists are large enough to have one), keep the hits that start
(and, unless wildcard, end) on token boundaries, resolve entity mentions
(`resolve`: longest span wins, weak forms need a declared cue, `cues`), then evaluate only the
rules whose triggers occurred (`rulecompile`, Luwak-style) and word their alerts (`evaluate`).
No regex runs per rule and no I/O happens here: building and saving the index is
`indexbuild` and `indexstore`.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain

from monitor.matching.evaluate import Evaluation
from monitor.matching.fields import FIELDS, FieldState, Occ
from monitor.matching.index import (
    COUNTRY,
    FORM,
    KIND_MASK,
    NON_SANCTIONS_DATASETS,
    PART,
    PREFIX,
    TERM,
    CompiledIndex,
)
from monitor.matching.indexbuild import build_index
from monitor.matching.multilingual import LanguageSupport
from monitor.matching.resolve import Resolver
from monitor.matching.rulecompile import RuleSet
from monitor.matching.scriptkeys import script_hits
from monitor.matching.tuning import MAX_HITS, TYPO_MAX_CHECKS
from monitor.matching.types import AliasSpec, ArticleInput, EntityFinding, RuleFailure, RuleSpec, ScanResult
from monitor.matching.typos import typo_hits

_KIND_AND_PREFIX = KIND_MASK | PREFIX  # an owner code's kind and wildcard flag (-1, several owners, has both)


class Matcher:
    """All rules and aliases of one version, compiled; `scan` matches one article."""

    def __init__(self, index: CompiledIndex, rules: Iterable[RuleSpec]) -> None:
        self.index = index
        self.ruleset = RuleSet(index, rules)
        self._resolver = Resolver(index)
        self._languages = LanguageSupport(index.name_words, index.han_words)

    @property
    def version(self) -> str:
        """A digest of the rules and aliases the index was built from."""
        return self.index.version

    @property
    def alias_count(self) -> int:
        """Aliases compiled in."""
        return self.index.alias_count

    @property
    def key_count(self) -> int:
        """Keys in the automaton and the word table."""
        return self.index.key_count

    @property
    def rules(self) -> list[RuleSpec]:
        """The enabled rules compiled into this matcher."""
        return [r.spec for r in self.ruleset.rules]

    def _scan_field(self, fi: int, fs: FieldState, term_hits: dict[int, list[Occ]],
                    form_hits: dict[Occ, list[int]], country_hits: dict[str, list[Occ]],
                    parts: list[Occ]) -> None:
        s = fs.nt.padded
        if len(s) <= 2:
            return
        index = self.index
        klen, owners, multi, countries = index.klen, index.owners, index.multi, index.countries
        hits = index.automaton.iter(s)
        if index.words:  # each key id is in one of the two: every hit is seen once
            hits = chain(hits, index.words.hits(s))
        term_hit = term_hits.get
        for end, kid in hits:
            own = owners[kid]
            if own & _KIND_AND_PREFIX == TERM:
                # a whole-word rule term with one owner, most hits of an article ("to", "in"): its
                # key ends with the space at `end`
                found = term_hit(own >> 3)
                if found is None:
                    term_hits[own >> 3] = [(fi, end - klen[kid] + 2, end)]
                elif len(found) < MAX_HITS:
                    found.append((fi, end - klen[kid] + 2, end))
                continue
            t0 = end - klen[kid] + 2  # first character after the key's leading space
            t1 = end if s[end] == " " else s.find(" ", end)  # a wildcard key ends inside its token
            for code in (own,) if own >= 0 else multi[kid]:
                kind = code & KIND_MASK
                idx = code >> 3
                if kind == TERM:
                    found = term_hits.setdefault(idx, [])
                    if len(found) < MAX_HITS:
                        found.append((fi, t0, t1))
                elif kind == FORM:
                    if len(form_hits) < MAX_HITS:
                        form_hits.setdefault((fi, t0, t1), []).append(idx)
                elif kind == PART:
                    if len(parts) < TYPO_MAX_CHECKS:
                        parts.append((fi, t0, t1))
                elif kind == COUNTRY:
                    code_, caps = countries[idx]
                    if code_[0] == "~":
                        # a Cyrillic or Arabic name read as Latin letters ("sir" of Сирия) is
                        # that country only where the text is written in that script
                        o0, o1 = fs.nt.orig_span(t0, t1)
                        if fs.nt.original[o0:o1].isascii():
                            continue
                        code_ = code_[1:]
                    # an acronym ("US") counts only in capitals: checked later, and only if a rule
                    # asks for that country (the pronoun "us" is in every other article)
                    country_hits.setdefault(f"?{code_}" if caps else code_, []).append((fi, t0, t1))

    def scan(self, article: ArticleInput) -> ScanResult:
        """Match one article: entity mentions and the alerts of every rule that fires."""
        fields: list[FieldState | None] = []
        term_hits: dict[int, list[Occ]] = {}
        form_hits: dict[Occ, list[int]] = {}
        country_hits: dict[str, list[Occ]] = {}
        parts: list[Occ] = []
        for fi, raw in enumerate((article.title or "", article.text or "")):
            if not raw:
                fields.append(None)
                continue
            fs = FieldState(raw, self._languages.normalise(raw, article.language))
            if fi:
                fs.running_text()
            fields.append(fs)
            self._scan_field(fi, fs, term_hits, form_hits, country_hits, parts)
        script_hits(self.index, fields, form_hits, article.language)
        if parts:
            typo_hits(self.index, fields, parts, form_hits)
        self._languages.segment_filter(fields, form_hits)
        mentions = self._resolver.resolve(fields, form_hits, country_hits)
        entities = self.index.entities
        findings = [
            EntityFinding(
                entity_id=entities[m.entity].entity_id,
                dataset=entities[m.entity].dataset,
                source_id=entities[m.entity].source_id,
                name=entities[m.entity].caption,
                matched=m.matched,
                field=FIELDS[m.field],
                start=m.start,
                end=m.end,
                confidence=round(m.confidence, 3),
            )
            for m in mentions
        ]
        present: set[object] = set(term_hits)
        present.update(f"c:{code.lstrip('?')}" for code in country_hits)
        if mentions:
            present.add("entity")
        ruleset = self.ruleset
        candidates: set[int] = set(ruleset.always)
        for trigger in present:
            found = ruleset.triggers.get(trigger)
            if found:
                candidates.update(found)
        if not candidates:
            return ScanResult(findings, [], language=article.language)
        ctx = Evaluation(ruleset, fields, term_hits, country_hits, mentions, present)
        alerts = []
        failures = []
        for index in sorted(candidates):
            rule = ruleset.rules[index]
            try:
                alert = ctx.run_rule(rule)
            except Exception as exc:  # one broken rule must not take the others down (RecursionError included)
                failures.append(RuleFailure(rule.spec.id, f"{type(exc).__name__}: {exc}"[:500]))
                continue
            if alert is not None:
                alerts.append(alert)
        return ScanResult(findings, alerts, language=article.language, rule_errors=failures)


def build_matcher(rules: Iterable[RuleSpec], aliases: Iterable[AliasSpec]) -> Matcher:
    """Compile rules and aliases into one matcher (one automaton)."""
    index, enabled = build_index(rules, aliases)
    return Matcher(index, enabled)


__all__ = ["NON_SANCTIONS_DATASETS", "Matcher", "build_matcher"]
