"""The rules in force as one value (`ActiveRules`), and how it is made from rule files and database rows.

Plain values and parsing only, no session: the rules source (`monitor.rules.source`) feeds it the
rows it reads through the ORM's connection, and a command that never imports the ORM feeds it the
rows `monitor.storeprobe` reads with the plain driver; `monitor.rules.saved` keeps the result.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from monitor.matching.rulefile import RuleError, RulePack, RuleTexts, pack_of_texts, validate_rule
from monitor.matching.types import RuleSpec
from monitor.matching.vocabulary import NO_VOCABULARIES, Vocabularies
from monitor.settings import CONFIG_DIR, Settings
from monitor.storeprobe import RuleRow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActiveRules:
    """The rules and vocabularies in force, with what was left out and a content fingerprint."""

    rules: tuple[RuleSpec, ...] = ()  # every valid rule, enabled or not: the database's, then the files'
    file_rules: tuple[RuleSpec, ...] = ()  # every valid rule of the files (overridden or not)
    vocabularies: Vocabularies = NO_VOCABULARIES
    errors: tuple[RuleError, ...] = ()  # invalid rules and vocabularies, left out
    version: str = ""
    origins: dict[str, str] = field(default_factory=dict)  # rule id -> "db" | "file"

    def get(self, rule_id: str) -> RuleSpec | None:
        """The active rule with this id (enabled or not), or None."""
        return next((r for r in self.rules if r.id == rule_id), None)

    @property
    def enabled(self) -> list[RuleSpec]:
        """The rules the matcher runs."""
        return [r for r in self.rules if r.enabled]

    def is_file_rule(self, rule_id: str) -> bool:
        """True when a rule file defines this id (read-only through the API and the console)."""
        return any(r.id == rule_id for r in self.file_rules)


def rule_paths(settings: Settings) -> list[Path]:
    """The default rule pack and the user's rule folder (when set and present)."""
    paths = [CONFIG_DIR / "rules"]
    if settings.rules_dir:
        paths.append(Path(settings.rules_dir))
    return [p for p in paths if p.exists()]


def _version(rules: Iterable[RuleSpec], vocabularies: Vocabularies) -> str:
    digest = hashlib.sha256(vocabularies.fingerprint.encode())
    for r in sorted(rules, key=lambda r: r.id):
        escalate = [(e.when, e.severity, e.scope) for e in r.escalate]
        digest.update(repr((r.id, r.title, r.description, r.category, r.severity, r.query, r.enabled,
                            escalate)).encode())
    return digest.hexdigest()[:16]


def combine(db_specs: list[RuleSpec], file_specs: list[RuleSpec], vocabularies: Vocabularies,
            errors: Iterable[RuleError] = ()) -> ActiveRules:
    """The rules in force: a database rule overrides a file rule of the same id."""
    taken = {r.id for r in db_specs}
    rules = db_specs + [r for r in file_specs if r.id not in taken]
    origins = {r.id: "db" for r in db_specs} | {r.id: "file" for r in file_specs if r.id not in taken}
    return ActiveRules(tuple(rules), tuple(file_specs), vocabularies, tuple(errors), _version(rules, vocabularies),
                       origins)


def build(texts: RuleTexts | RuleError, rows: list[RuleRow]) -> ActiveRules:
    """Parse the rule files' texts (`rulefile.read_texts`) and validate the database's rule rows."""
    pack = RulePack(errors=[texts]) if isinstance(texts, RuleError) else pack_of_texts(texts)
    vocabularies = pack.vocabularies
    errors = list(pack.errors)
    db_specs: list[RuleSpec] = []
    for rule_id, title, description, category, severity, query, enabled in rows:
        data = {"id": rule_id, "title": title, "description": description, "category": category,
                "severity": severity, "query": query, "enabled": enabled}
        try:
            db_specs.append(validate_rule(data, source=f"rule {rule_id} (database)", vocabularies=vocabularies))
        except RuleError as exc:
            errors.append(exc)
    for err in errors:
        log.error("invalid rule left out: %s", err)
    return combine(db_specs, pack.rules, vocabularies, errors)
