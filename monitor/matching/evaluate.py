"""Evaluate compiled rules against one scanned article and word the alerts: evidence sentences
(those with a listed party first), severity escalations, a score and an explanation an auditor
can read."""

from __future__ import annotations

from monitor.matching.countries import SANCTIONED_JURISDICTIONS
from monitor.matching.fields import FIELDS, FieldState, Occ
from monitor.matching.query import EntityPred, Near
from monitor.matching.resolve import Mention
from monitor.matching.rulecompile import Closure, CompiledRule, RuleSet
from monitor.matching.tuning import (
    MAX_EVIDENCE,
    MAX_OCC,
    SCORE_EXTRA_SENTENCES_MAX,
    SCORE_LISTED_PARTY,
    SCORE_PER_EXTRA_SENTENCE,
    SCORE_SAME_SENTENCE,
    SCORE_SANCTIONED_PLACE,
    SEVERITY_BASE,
)
from monitor.matching.types import SEVERITY_RANK, AlertFinding, Evidence
from monitor.matching.words import FUNCTION_WORDS


class Evaluation:
    """The scan context rules are evaluated against (one article)."""

    def __init__(self, ruleset: RuleSet, fields: list[FieldState | None], term_hits: dict[int, list[Occ]],
                 country_hits: dict[str, list[Occ]], mentions: list[Mention], present: set[object]) -> None:
        self.rules = ruleset
        self.entities = ruleset.index.entities
        self.fields = fields
        self.term_hits = term_hits
        self.country_hits = country_hits
        self.mentions = mentions
        self.present = present
        self.entity_cache: dict[EntityPred, list[Occ]] = {}
        self.sent_mentions: dict[tuple[int, int], list[Mention]] | None = None

    def sentence(self, fi: int, pos: int) -> int:
        """The sentence index of an offset in a field."""
        fs = self.fields[fi]
        assert fs is not None
        return fs.sentence_of(pos)

    def words(self, fi: int, end: int, start: int) -> int:
        """Words between two offsets of a field."""
        fs = self.fields[fi]
        assert fs is not None
        return fs.nt.words_between(end, start)

    def country_occs(self, code: str) -> list[Occ]:
        """Mentions of a country; acronym hits kept only when written in capitals."""
        found = self.country_hits.get(code, [])
        pending = self.country_hits.get(f"?{code}")
        if not pending:
            return found
        verified = []
        for occ in pending:
            fs = self.fields[occ[0]]
            assert fs is not None
            o0, o1 = fs.nt.orig_span(occ[1], occ[2])
            if fs.text[o0:o1].isupper():
                verified.append(occ)
        self.country_hits[code] = found = found + verified
        del self.country_hits[f"?{code}"]
        return found

    def entity_occs(self, pred: EntityPred) -> list[Occ]:
        """Mentions of entities that satisfy a predicate (cached per scan)."""
        found = self.entity_cache.get(pred)
        if found is None:
            test = self.rules.predicate(pred)
            found = [(mm.field, mm.t0, mm.t1) for mm in self.mentions if test(self.entities[mm.entity])]
            if pred.field is not None:
                wanted = FIELDS.index(pred.field)
                found = [o for o in found if o[0] == wanted]
            self.entity_cache[pred] = found
        return found

    def near(self, node: Near, left_fn: Closure, right_fn: Closure,
             right_first: bool) -> list[Occ]:
        """Pairs of occurrences within the distance (or one sentence); the rarer side first."""
        if right_first:
            right = [o for o in right_fn(self) if o[0] >= 0]
            if not right:
                return []
            left = [o for o in left_fn(self) if o[0] >= 0]
        else:
            left = [o for o in left_fn(self) if o[0] >= 0]
            if not left:
                return []
            right = [o for o in right_fn(self) if o[0] >= 0]
        if not left or not right:
            return []
        out: list[Occ] = []
        dist = node.distance
        words = self.words
        for f1, a0, a1 in left:
            for f2, b0, b1 in right:
                if f1 != f2:
                    continue
                if node.sentence:
                    ok = self.sentence(f1, a0) == self.sentence(f1, b0)
                elif b0 > a1:
                    # 8 characters a word at least: skip the counting for pairs far apart
                    ok = b0 - a1 <= dist * 40 and words(f1, a1, b0) <= dist
                elif node.ordered:
                    ok = False
                elif a0 > b1:
                    ok = a0 - b1 <= dist * 40 and words(f1, b1, a0) <= dist
                else:
                    ok = (a0, a1) != (b0, b1)
                if ok:
                    out.append((f1, min(a0, b0), max(a1, b1)))
                    if len(out) >= MAX_OCC:
                        return out
        return out

    # ------------------------------------------------------------------ alerts

    def _mentions_by_sentence(self) -> dict[tuple[int, int], list[Mention]]:
        if self.sent_mentions is None:
            out: dict[tuple[int, int], list[Mention]] = {}
            for mm in self.mentions:
                out.setdefault((mm.field, self.sentence(mm.field, mm.t0)), []).append(mm)
            self.sent_mentions = out
        return self.sent_mentions

    def run_rule(self, rule: CompiledRule) -> AlertFinding | None:
        """The alert of one rule, or None when the rule does not fire."""
        occs = rule.fn(self)
        if not occs:
            return None
        real = sorted({o for o in occs if o[0] >= 0})
        sentences: list[tuple[int, int]] = []
        for fi, t0, _t1 in real:
            key = (fi, self.sentence(fi, t0))
            if key not in sentences:
                sentences.append(key)
        by_sentence = self._mentions_by_sentence()
        # sentences with a listed party come first: they are what an analyst must read
        sentences.sort(key=lambda k: (0 if by_sentence.get(k) else 1, k))
        chosen = sentences[:MAX_EVIDENCE]
        chosen.sort()
        severity, raised = self._severity(rule, set(sentences))
        entity_order: list[int] = []
        for pred in rule.entity_preds:
            test = self.rules.predicate(pred)
            for mm in self.mentions:
                if test(self.entities[mm.entity]) and mm.entity not in entity_order:
                    entity_order.append(mm.entity)
        involved: list[Mention] = []
        for key in chosen:
            for mm in by_sentence.get(key, []):
                involved.append(mm)
                if mm.entity not in entity_order:
                    entity_order.append(mm.entity)
        evidence = []
        for fi, si in chosen:
            fs = self.fields[fi]
            assert fs is not None
            start, end = fs.sentence_bounds(si)
            evidence.append(Evidence(FIELDS[fi], start, end, fs.text[start:end]))
        score, explanation = self._explain(rule, severity, raised, chosen, by_sentence, entity_order, real)
        return AlertFinding(
            rule=rule.spec.id,
            title=rule.spec.title,
            category=rule.spec.category,
            severity=severity,
            score=score,
            entity_ids=[self.entities[e].entity_id for e in entity_order],
            evidence=evidence,
            explanation=explanation,
        )

    def _severity(self, rule: CompiledRule, sentences: set[tuple[int, int]]) -> tuple[str, list[str]]:
        severity = rule.spec.severity
        raised: list[str] = []
        for level, scope, fn in rule.escalations:
            occs = [o for o in fn(self) if o[0] >= 0 or scope == "article"]
            if not occs:
                continue
            if scope == "sentence" and not any((o[0], self.sentence(o[0], o[1])) in sentences for o in occs):
                continue
            if SEVERITY_RANK[level] > SEVERITY_RANK[severity]:
                severity = level
                raised.append(level)
        return severity, raised

    def _term_phrase(self, rule: CompiledRule, key: tuple[int, int]) -> str:
        fi, si = key
        fs = self.fields[fi]
        assert fs is not None
        hits = []
        # the article's hit terms are far fewer than a rule's (a rule of ten languages has
        # thousands): walk the hits
        found = self.term_hits
        for tid in [tid for tid in found if tid in rule.term_ids]:
            for f, t0, t1 in found[tid]:
                if f == fi and self.sentence(fi, t0) == si:
                    hits.append((t0, t1))
        if not hits:
            return ""

        def said(hit: tuple[int, int]) -> str:
            o0, o1 = fs.nt.orig_span(*hit)
            return fs.text[o0:o1]

        # 'with', 'to' tell an auditor nothing: name the span of the content terms, or those terms
        content = [h for h in hits if not set(said(h).casefold().split()) <= FUNCTION_WORDS] or hits
        lo = min(h[0] for h in content)
        hi = max(h[1] for h in content)
        if fs.nt.words_between(lo, hi) <= 8:
            return f"'{said((lo, hi))}'"
        terms: dict[str, str] = {}
        for hit in sorted(set(content)):
            terms.setdefault(said(hit).casefold(), said(hit))
        return ", ".join(f"'{term}'" for term in list(terms.values())[:4])

    def _english_of(self, matched: str, people: list[Mention]) -> str:
        return next((self.entities[mm.entity].caption for mm in people if mm.matched == matched), "")

    def _explain(self, rule: CompiledRule, severity: str, raised: list[str], chosen: list[tuple[int, int]],
                 by_sentence: dict[tuple[int, int], list[Mention]], entity_order: list[int],
                 occs: list[Occ]) -> tuple[float, str]:
        score = SEVERITY_BASE[severity]
        parts: list[str] = []
        listed = [e for e in entity_order if not self.entities[e].curated]
        if listed:
            best = max((mm.confidence for mm in self.mentions if mm.entity in listed), default=0.0)
            score += SCORE_LISTED_PARTY * best
        co_sentence = False
        for key in chosen:
            phrase = self._term_phrase(rule, key)
            people = by_sentence.get(key, [])
            if people and phrase:
                co_sentence = True
                named: dict[str, list[str]] = {}
                for mm in people:
                    ent = self.entities[mm.entity]
                    label = f"{ent.entity_id}, {ent.display_programs}"
                    if label not in named.setdefault(mm.matched, []):
                        named[mm.matched].append(label)
                who = [f"{matched}{_gloss(matched, self._english_of(matched, people))} ({'; '.join(labels)})"
                       for matched, labels in named.items()]
                parts.append(f"{' and '.join(who[:3])} in the same sentence as {phrase}")
            elif phrase:
                parts.append(f"{phrase} in the {FIELDS[key[0]]}")
        if co_sentence:
            score += SCORE_SAME_SENTENCE
        if not parts and entity_order:
            for e in entity_order[:3]:
                ent = self.entities[e]
                matched = next((mm.matched for mm in self.mentions if mm.entity == e), ent.caption)
                shown = f" [{ent.caption}]" if not matched.isascii() else ""
                parts.append(f"{matched}{shown} ({ent.entity_id}, {ent.display_programs}) mentioned")
        sanctioned_places = sorted(
            {code for code in {c.lstrip("?") for c in self.country_hits} if code in SANCTIONED_JURISDICTIONS
             and any((o[0], self.sentence(o[0], o[1])) in set(chosen) for o in self.country_occs(code))}
        )
        if sanctioned_places:
            score += SCORE_SANCTIONED_PLACE
            parts.append(f"sanctioned jurisdiction{'s' if len(sanctioned_places) > 1 else ''} "
                         f"{', '.join(sanctioned_places)} in the evidence")
        if len(chosen) > 1:
            score += min(SCORE_EXTRA_SENTENCES_MAX, SCORE_PER_EXTRA_SENTENCE * (len(chosen) - 1))
        head = f"{rule.spec.title} ({severity}"
        if raised:
            head += f", raised from {rule.spec.severity}"
        head += ")"
        score = round(min(1.0, max(0.0, score)), 3)
        return score, head + ": " + "; ".join(parts) if parts else head


def _gloss(matched: str, caption: str) -> str:
    """The listed (English) name beside a name written in another script: "Путиным [PUTIN, ...]"."""
    return f" [{caption}]" if caption and not matched.isascii() else ""
