"""/rules: list and read every rule; create, update, disable, delete DB rules (admin); backtest a rule.
/vocabularies: the named term sets rules may use as @name.

Every action is a call of `monitor.alerts.rule_admin` (the console calls the same functions);
this module only turns its results and errors into the API's JSON.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from monitor.alerts import rule_admin
from monitor.alerts.rule_admin import RuleActionError
from monitor.alerts.rule_views import all_rules, backtest_result, db_rule_public, rule_public
from monitor.api.auth import AdminKey, AnalystKey
from monitor.api.errors import ApiError, not_found
from monitor.matching.vocabulary import Vocabulary
from monitor.rules.source import active_rules
from monitor.schemas import RuleCreate, RulePublic, RuleTestResult, RuleUpdate
from monitor.web.deps import SessionDep, SettingsDep

router = APIRouter(prefix="/rules", tags=["rules"])
vocabularies_router = APIRouter(prefix="/vocabularies", tags=["rules"])


def api_error(exc: RuleActionError) -> ApiError:
    """A rule action's refusal as the API's JSON error (details name the field, line and column)."""
    if exc.status == 404:
        return ApiError(404, exc.message, details={"type": "rule"})
    # the service names fields as the rule does; the API names them where they are in the request
    details = [{**d, "field": d["field"] if d.get("field", "").startswith(("body.", "query."))
                else f"body.{d.get('field')}"} for d in exc.details]
    message = exc.message if not exc.message.startswith("query:") else "body." + exc.message
    return ApiError(exc.status, message, code=exc.code, details=details or None)


@router.get("", response_model=list[RulePublic], summary="List rules")
def list_rules(session: SessionDep, settings: SettingsDep) -> list[RulePublic]:
    """Every rule, from the database (editable) and the rule files (read-only)."""
    return all_rules(session, settings)


@router.get("/{rule_id}", response_model=RulePublic, summary="One rule")
def get_rule(rule_id: str, session: SessionDep, settings: SettingsDep) -> RulePublic:
    """A rule by id."""
    rule = rule_public(session, settings, rule_id)
    if rule is None:
        raise not_found("rule", rule_id)
    return rule


@router.post("", response_model=RulePublic, status_code=201, summary="Create a rule (admin)")
def create_rule(body: RuleCreate, session: SessionDep, settings: SettingsDep, key: AdminKey) -> RulePublic:
    """Store a new rule; the query (its @vocabularies included) is checked first and errors point at the position."""
    try:
        row = rule_admin.create_rule(session, settings, body.model_dump(), key.actor)
    except RuleActionError as exc:
        raise api_error(exc) from None
    return db_rule_public(row)


@router.patch("/{rule_id}", response_model=RulePublic, summary="Update or disable a rule (admin)")
def update_rule(
    rule_id: str, body: RuleUpdate, session: SessionDep, settings: SettingsDep, key: AdminKey
) -> RulePublic:
    """Change fields of a DB rule (`enabled: false` disables it)."""
    try:
        row = rule_admin.update_rule(session, settings, rule_id, body.model_dump(exclude_unset=True), key.actor)
    except RuleActionError as exc:
        raise api_error(exc) from None
    return db_rule_public(row)


@router.delete("/{rule_id}", status_code=204, response_class=Response, summary="Delete a rule (admin)")
def delete_rule(rule_id: str, session: SessionDep, settings: SettingsDep, key: AdminKey) -> Response:
    """Delete a DB rule (its past alerts stay)."""
    try:
        rule_admin.delete_rule(session, settings, rule_id, key.actor)
    except RuleActionError as exc:
        raise api_error(exc) from None
    return Response(status_code=204)


@router.post("/{rule_id}/test", response_model=RuleTestResult, summary="Backtest a rule over stored articles")
def test_rule(
    rule_id: str,
    session: SessionDep,
    settings: SettingsDep,
    _key: AnalystKey,
    articles: Annotated[int, Query(ge=1, le=5000, description="how many of the newest articles to scan")] = 500,
    limit: Annotated[int, Query(ge=1, le=200, description="hits listed at most")] = 50,
) -> RuleTestResult:
    """Run the rule alone over the newest stored articles and report where it would fire."""
    rule = rule_public(session, settings, rule_id)
    if rule is None:
        raise not_found("rule", rule_id)
    try:
        spec = rule_admin.draft_spec(session, settings, rule.model_dump())
    except RuleActionError as exc:
        raise api_error(exc) from None
    active = active_rules(session, settings).get(rule_id)
    if active is not None:
        spec = active  # escalations included
    try:
        return backtest_result(rule_admin.backtest(session, settings, spec, articles=articles, limit=limit))
    except RuleActionError as exc:
        raise api_error(exc) from None


class VocabularyPublic(BaseModel):
    """A named vocabulary: per language, its terms (a term set) or its query (a named sub-query)."""

    name: str
    description: str = ""
    kind: str  # "terms" or "query"
    languages: dict[str, list[str] | str]
    source: str


def vocabulary_public(vocab: Vocabulary) -> VocabularyPublic:
    """A vocabulary as the API shows it."""
    return VocabularyPublic(name=vocab.name, description=vocab.description, kind="query" if vocab.is_query else "terms",
                            languages=vocab.definition(), source=vocab.where())


@vocabularies_router.get("", response_model=list[VocabularyPublic], summary="List vocabularies")
def list_vocabularies(session: SessionDep, settings: SettingsDep) -> list[Any]:
    """Every vocabulary the rule files define (usable in any rule's query as @name)."""
    vocabularies = active_rules(session, settings).vocabularies
    return [vocabulary_public(vocabularies[name]) for name in sorted(vocabularies)]


@vocabularies_router.get("/{name}", response_model=VocabularyPublic, summary="One vocabulary")
def get_vocabulary(name: str, session: SessionDep, settings: SettingsDep) -> Any:
    """A vocabulary by name (without the @)."""
    vocab = active_rules(session, settings).vocabularies.get(name.lstrip("@"))
    if vocab is None:
        raise not_found("vocabulary", name)
    return vocabulary_public(vocab)
