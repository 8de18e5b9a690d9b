"""Where rules come from for the API: editable rows of the DB `Rule` table and the read-only rule files."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, col, select

from monitor.api.schemas import RulePublic
from monitor.models import Rule
from monitor.settings import CONFIG_DIR, Settings


def rule_dirs(settings: Settings) -> list[Path]:
    """The default rule pack plus the user's own rule folder, when set."""
    dirs = [CONFIG_DIR / "rules"]
    if settings.rules_dir:
        dirs.append(Path(settings.rules_dir))
    return [d for d in dirs if d.exists()]


def file_rules(settings: Settings) -> list[RulePublic]:
    """Rules defined in YAML files (read-only through the API)."""
    from monitor.matching.rulefile import load_rules

    dirs = rule_dirs(settings)
    if not dirs:
        return []
    return [
        RulePublic(
            id=spec.id,
            title=spec.title,
            description=spec.description,
            category=spec.category,
            severity=spec.severity,
            query=spec.query,
            enabled=spec.enabled,
            source="file",
        )
        for spec in load_rules(dirs)
    ]


def db_rule_public(rule: Rule) -> RulePublic:
    """A DB rule row as RulePublic."""
    return RulePublic.model_validate({**rule.model_dump(), "source": "db"})


def all_rules(session: Session, settings: Settings) -> list[RulePublic]:
    """Every rule: the database's, then those from files whose id the database does not override."""
    rows = [db_rule_public(r) for r in session.exec(select(Rule).order_by(col(Rule.id))).all()]
    taken = {r.id for r in rows}
    return rows + [r for r in file_rules(settings) if r.id not in taken]


def rule_public(session: Session, settings: Settings, rule_id: str) -> RulePublic | None:
    """One rule by id, from the database first, then the files; None when unknown."""
    row = session.get(Rule, rule_id)
    if row is not None:
        return db_rule_public(row)
    return next((r for r in file_rules(settings) if r.id == rule_id), None)
