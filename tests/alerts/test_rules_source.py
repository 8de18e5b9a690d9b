"""The one rules source: files, the user's folder and the database, one cache, one version;
rule failures isolated per article and recorded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.alerts.matcher_cache import current_matcher
from monitor.matching.engine import build_matcher
from monitor.matching.types import ArticleInput, RuleSpec
from monitor.models import Article, Rule
from monitor.pipeline.match import match_and_store
from monitor.rules import source
from monitor.rules.failures import current_failures
from monitor.settings import Settings

BODY = """\
vocabularies:
  my_arms: [rifles, "artillery shells"]
rules:
  - id: {id}
    title: T
    category: arms-transfer
    severity: low
    query: supply pre/3 @my_arms
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "rules"
    path.mkdir()
    (path / "mine.yaml").write_text(BODY.format(id="first-rule"))
    return path


def _touch(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_one_cache_follows_files_and_database(any_engine: Engine, make_settings, folder: Path) -> None:  # type: ignore[no-untyped-def]
    settings: Settings = make_settings(rules_dir=folder)
    with Session(any_engine) as session:
        first = source.active_rules(session, settings)
        ids = {r.id for r in first.rules}
        assert {"first-rule", "sanctioned-entity", "arms-transfer"} <= ids
        assert "my_arms" in first.vocabularies
        assert source.active_rules(session, settings) is first  # nothing changed: no reload
        # a file edit is seen at once, and the version follows the content
        (folder / "mine.yaml").write_text(BODY.format(id="second-rule"))
        _touch(folder / "mine.yaml")
        second = source.active_rules(session, settings)
        assert second is not first and second.get("second-rule") and not second.get("first-rule")
        assert second.version != first.version
        # a database rule may use the files' vocabularies; it overrides a file rule of the same id
        session.add(Rule(id="second-rule", title="DB", category="arms-transfer", severity="high",
                         query="sell pre/2 @my_arms"))
        session.commit()
        third = source.active_rules(session, settings)
        db_rule = third.get("second-rule")
        assert db_rule is not None and db_rule.severity == "high" and third.origins["second-rule"] == "db"
        assert third.is_file_rule("second-rule")
        # the same content gives the same version (what a saved index is keyed on), whatever the cache
        source.invalidate()
        again = source.active_rules(session, settings)
        assert again is not third and again.version == third.version
        assert source.rules_version(session, settings) == third.version


def test_invalid_database_rule_is_left_out_with_its_error(any_engine: Engine, make_settings, folder: Path) -> None:  # type: ignore[no-untyped-def]
    settings: Settings = make_settings(rules_dir=folder)
    with Session(any_engine) as session:
        session.add(Rule(id="broken", title="B", category="sanctions", severity="low", query="supply pre/3 @nope"))
        session.commit()
        active = source.active_rules(session, settings)
        assert active.get("broken") is None and active.get("first-rule") is not None
        (err,) = [e for e in active.errors if "broken" in str(e)]
        assert "unknown vocabulary '@nope'" in str(err)
        assert source.rule_title(session, settings, "broken") == ("B", "")  # notifications still name it
        assert source.rule_title(session, settings, "first-rule") == ("T", "")


def _failing_matcher(rules: list[RuleSpec]):  # type: ignore[no-untyped-def]
    matcher = build_matcher(rules, [])
    bad = next(r for r in matcher.ruleset.rules if r.spec.id == "bad")

    def explode(ctx):  # type: ignore[no-untyped-def]
        raise RecursionError("maximum recursion depth exceeded")

    bad.fn = explode
    return matcher


RULE = dict(title="T", description="", category="arms-transfer", severity="medium")


def test_a_rule_failing_at_evaluation_is_disabled_for_that_article_only() -> None:
    rules = [RuleSpec(id="bad", query="supply", **RULE), RuleSpec(id="good", query="supply pre/3 weapons", **RULE)]
    matcher = _failing_matcher(rules)
    result = matcher.scan(ArticleInput(id="1", title="", text="They supply weapons."))
    assert [a.rule for a in result.alerts] == ["good"]
    assert [(f.rule, f.error.split(":")[0]) for f in result.rule_errors] == [("bad", "RecursionError")]


def test_rule_failures_are_recorded_and_cleared_by_an_edit(any_engine: Engine, make_settings, folder: Path) -> None:  # type: ignore[no-untyped-def]
    from monitor.alerts import rule_admin

    settings: Settings = make_settings(rules_dir=folder)
    with Session(any_engine) as session:
        session.add(Rule(id="bad", query="supply", **RULE))
        session.commit()
        active = source.active_rules(session, settings)
        matcher = _failing_matcher(active.enabled)
        for text in ("They supply weapons.", "They supply more."):
            article = Article(title="", text=text, dedupe_key=text, content_hash="h")
            match_and_store(session, article, matcher)
        session.commit()
        (failure,) = current_failures(session, active.rules)
        assert failure.rule == "bad" and failure.count == 2 and failure.error.startswith("RecursionError")
        # an edited rule is a new rule: its old failure no longer shows
        rule_admin.update_rule(session, settings, "bad", {"query": "supply pre/2 weapons"}, "test")
        session.commit()
        assert current_failures(session, source.active_rules(session, settings).rules) == []


def test_worker_matcher_uses_the_rules_source(any_engine: Engine, make_settings, folder: Path) -> None:  # type: ignore[no-untyped-def]
    settings: Settings = make_settings(rules_dir=folder)
    with Session(any_engine) as session:
        matcher = current_matcher(session, settings)
        assert {r.id for r in matcher.rules} == {r.id for r in source.active_rules(session, settings).enabled}
        hit = matcher.scan(ArticleInput(id="1", title="", text="Iran will supply artillery shells to them."))
        assert "first-rule" in {a.rule for a in hit.alerts}
