"""Values passed into and out of the matcher: aliases, rules, articles, findings.

Frozen dataclasses with no I/O, so the matcher stays a pure stage. `EntityFinding.to_json`
and `AlertFinding.to_json` give exactly the `scan` JSON of DESIGN.md (plus the alert's
title, category and worded explanation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

from monitor.matching.vocabulary import NO_VOCABULARIES, Vocabularies

# The one list of severities and rule categories: rule files, the API, the console, the CLI and notifications.
Severity = Literal["low", "medium", "high", "critical"]
SEVERITIES: tuple[str, ...] = get_args(Severity)
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES, start=1)}
Category = Literal["sanctions", "arms-transfer", "sanctions-evasion", "proliferation", "named-officials"]
CATEGORIES: tuple[str, ...] = get_args(Category)


@dataclass(frozen=True)
class AliasSpec:
    """One name of one listed entity, as the matcher needs it."""

    entity_id: str
    dataset: str
    source_id: str
    caption: str
    alias: str
    weak: bool = False
    schema: str = "LegalEntity"
    programs: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    # the title or position the list gives (OFAC "President of the Syrian Arab Republic")
    title: str = ""
    # names of entities of the same list this one is linked to (OFAC remarks "Linked To: ...")
    linked: tuple[str, ...] = ()


@dataclass(frozen=True)
class Escalation:
    """Raise a rule's severity when `when` holds near the hit (sentence) or anywhere (article)."""

    when: str
    severity: str
    scope: str = "sentence"


@dataclass(frozen=True)
class RuleSpec:
    """A watch rule: a Boolean query with a severity and a category."""

    id: str
    title: str
    description: str
    category: str
    severity: str
    query: str
    enabled: bool = True
    escalate: tuple[Escalation, ...] = ()
    # the named vocabularies its query (and escalations) may use as @name
    vocabularies: Vocabularies = NO_VOCABULARIES


@dataclass(frozen=True)
class ArticleInput:
    """What the matcher reads from an article: its title and plain text."""

    id: str
    title: str
    text: str
    url: str | None = None
    published: datetime | None = None
    source: str | None = None  # the outlet or feed it came from (story grouping counts outlets)
    # ISO 639-1 code of the article's language (detected upstream), None when unknown
    language: str | None = None


@dataclass(frozen=True)
class EntityFinding:
    """A listed entity mentioned in an article, with the exact span in the original field."""

    entity_id: str
    dataset: str
    source_id: str
    name: str
    matched: str
    field: str
    start: int
    end: int
    confidence: float = 1.0

    def to_json(self) -> dict[str, Any]:
        """The `scan` JSON of this mention."""
        return {
            "entity_id": self.entity_id,
            "dataset": self.dataset,
            "source_id": self.source_id,
            "name": self.name,
            "matched": self.matched,
            "field": self.field,
            "start": self.start,
            "end": self.end,
            "confidence": round(self.confidence, 3),
        }


@dataclass(frozen=True)
class Evidence:
    """A span of the original title or text (a sentence) that supports an alert."""

    field: str
    start: int
    end: int
    text: str

    def to_json(self) -> dict[str, Any]:
        """The `scan` JSON of this evidence span."""
        return {"field": self.field, "start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True)
class AlertFinding:
    """A rule that fired on an article: severity, score, entities, evidence and why."""

    rule: str
    title: str
    category: str
    severity: str
    score: float
    entity_ids: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    explanation: str = ""

    def to_json(self) -> dict[str, Any]:
        """The `scan` JSON of this alert (`rule` and `rule_id` both carry the rule id; see docs/api.md)."""
        return {
            "rule": self.rule,
            "rule_id": self.rule,
            "title": self.title,
            "category": self.category,
            "severity": self.severity,
            "score": self.score,
            "entity_ids": list(self.entity_ids),
            "evidence": [e.to_json() for e in self.evidence],
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class RuleFailure:
    """A rule that raised while it was evaluated on one article: it gave no alert there, the others did."""

    rule: str
    error: str


@dataclass(frozen=True)
class ScanResult:
    """Everything the matcher found in one article."""

    entities: list[EntityFinding] = field(default_factory=list)
    alerts: list[AlertFinding] = field(default_factory=list)
    language: str | None = None
    rule_errors: list[RuleFailure] = field(default_factory=list)

    def to_json(self, article: ArticleInput) -> dict[str, Any]:
        """One `scan` output object for this article."""
        return {
            "id": article.id,
            "title": article.title,
            "language": self.language,
            "entities": [e.to_json() for e in self.entities],
            "alerts": [a.to_json() for a in self.alerts],
        }
