"""The command line: `scan`, `rules check`, `rules test`, `alerts list`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.db import make_engine, session_scope, upgrade
from monitor.models import Article, Entity, EntityName, ListVersion

RULES = """\
rules:
  - id: cli-arms
    title: Arms (cli)
    category: arms-transfer
    severity: medium
    query: supply pre/4 (weapons OR "artillery ammunition")
"""
FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>http://example.org/</link>
<description>d</description>
<item><guid>g1</guid><title>Shoigu visit</title><link>http://example.org/1</link>
<description>Sergei Shoigu asked them to supply artillery ammunition.</description></item>
<item><guid>g2</guid><title>Cycle lanes</title><link>http://example.org/2</link><description>None.</description></item>
</channel></rss>"""


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "m.db"
    monkeypatch.setenv("MONITOR_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("MONITOR_DATA_DIR", str(tmp_path / "var"))
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "cli.yaml").write_text(RULES)
    monkeypatch.setenv("MONITOR_RULES_DIR", str(rules))
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    with session_scope(engine) as s:
        lv = ListVersion(dataset="us_ofac_sdn", source="t", format="ofac-csv", file_hash="x")
        s.add(lv)
        s.flush()
        s.add(Entity(id="us_ofac_sdn:35173", dataset="us_ofac_sdn", source_id="35173", schema_="Person",
                     name="SHOIGU, Sergei Kuzhugetovich", programs=["RUSSIA-EO14024"], version_id=lv.id))
        s.flush()
        s.add(EntityName(entity_id="us_ofac_sdn:35173", name="SHOIGU, Sergei Kuzhugetovich", kind="primary"))
    engine.dispose()
    return tmp_path


def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args), input=input)


def lines(out: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_scan_text_file_spans_index_the_file(env: Path) -> None:
    text = "Ministers meet\nRussia's Sergei Shoigu wants them to supply artillery ammunition.\n"
    path = env / "story.txt"
    path.write_text(text)
    result = run("scan", str(path))
    assert result.exit_code == 0, result.output
    (obj,) = lines(result.stdout)
    assert obj["id"] == "story.txt" and obj["title"] == "Ministers meet"
    (ent,) = obj["entities"]
    assert text[ent["start"] : ent["end"]] == ent["matched"] == "Sergei Shoigu"
    assert ent["entity_id"] == "us_ofac_sdn:35173" and ent["field"] == "text"
    assert "cli-arms" in {a["rule"] for a in obj["alerts"]}


def test_scan_jsonl_keeps_ids_and_reports_bad_lines(env: Path) -> None:
    path = env / "in.jsonl"
    path.write_text(
        json.dumps({"id": "a1", "title": "Plain", "text": "Cycle lanes."}) + "\n"
        + "{not json\n"
        + json.dumps({"link": "http://x/2", "title": "T", "description": "Sergei Shoigu met officials."}) + "\n"
        + "[1]\n"
    )
    result = run("scan", str(path))
    assert result.exit_code == 1
    objs = lines(result.stdout)
    assert [o["id"] for o in objs] == ["a1", "in.jsonl:2", "http://x/2", "in.jsonl:4"]
    assert "error" in objs[1] and "error" in objs[3]
    assert objs[2]["entities"][0]["matched"] == "Sergei Shoigu"
    assert "invalid JSON on line 2" in result.stderr


def test_scan_reports_every_unreadable_line_and_goes_on(env: Path) -> None:
    good = [json.dumps({"id": f"a{i}", "text": "Sergei Shoigu met officials."}) for i in range(3)]
    deep, huge = "[" * 100_000, '{"id": 1' + "0" * 5000 + "}"  # json raises RecursionError, ValueError
    path = env / "odd.jsonl"
    path.write_text("\n".join([good[0], deep, good[1], huge, good[2]]) + "\n")
    result = run("scan", str(path))
    assert result.exit_code == 1
    objs = lines(result.stdout)
    assert [o["id"] for o in objs] == ["a0", "odd.jsonl:2", "a1", "odd.jsonl:4", "a2"]
    assert "error" in objs[1] and "error" in objs[3] and objs[2]["entities"][0]["matched"] == "Sergei Shoigu"
    # stdin: a line that is not UTF-8 is one article with replacement characters, not the end of the scan
    data = (good[0] + "\n").encode() + b'{"id": "latin", "text": "Caf\xe9"}\n' + (good[1] + "\n").encode()
    piped = run("scan", "-", input=data)
    assert piped.exit_code == 0, piped.output
    assert [o["id"] for o in lines(piped.stdout)] == ["a0", "latin", "a1"]


def test_scan_feed_file_and_json_format(env: Path) -> None:
    path = env / "feed.xml"
    path.write_text(FEED)
    result = run("scan", "--format", "json", str(path))
    assert result.exit_code == 0, result.output
    objs = json.loads(result.stdout)
    assert [o["id"] for o in objs] == ["g1", "g2"]
    assert objs[0]["entities"][0]["entity_id"] == "us_ofac_sdn:35173" and objs[1]["alerts"] == []


def test_scan_json_feed(env: Path) -> None:
    path = env / "feed.json"
    path.write_text(json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [
        {"id": "j1", "title": "Visit", "content_text": "Sergei Shoigu asked them to supply weapons."},
        {"id": "j2", "title": "Other", "content_text": "Nothing."}]}))
    result = run("scan", str(path))
    assert result.exit_code == 0, result.output
    objs = lines(result.stdout)
    assert [o["id"] for o in objs] == ["j1", "j2"]
    assert objs[0]["entities"][0]["matched"] == "Sergei Shoigu"


def test_scan_with_other_rules_and_stdin(env: Path) -> None:
    other = env / "other.yaml"
    other.write_text(RULES.replace("cli-arms", "other-arms"))
    data = json.dumps({"id": "s1", "text": "They supply weapons."}) + "\n"
    result = run("scan", "--rules", str(other), "-", input=data)
    assert result.exit_code == 0, result.output
    assert [a["rule"] for a in lines(result.stdout)[0]["alerts"]] == ["other-arms"]


def test_scan_in_chunks_answers_as_one_by_one(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor.cli import rules_cmd

    texts = ["Sergei Shoigu asked them to supply weapons.", "Сергей Шойгу посетил Пхеньян.",
             "Le ministre Sergueï Choïgou a livré des armes.",
             "The new cycle lanes of the city were opened on Monday morning."]
    rows = [json.dumps({"id": f"a{i}", "title": "", "text": texts[i % len(texts)]}) for i in range(11)]
    path = env / "many.jsonl"
    path.write_text("\n".join([*rows[:5], "{not json", *rows[5:]]) + "\n")
    one_by_one = run("scan", "-", input=path.read_text())  # stdin: one article at a time
    monkeypatch.setattr(rules_cmd, "_CHUNK", 4)  # chunks that end before, at and after the bad line
    chunked = run("scan", str(path))
    assert chunked.exit_code == one_by_one.exit_code == 1
    objs = lines(chunked.stdout)
    assert [o["id"] for o in objs] == [f"a{i}" for i in range(5)] + ["many.jsonl:6"] + [f"a{i}" for i in range(5, 11)]
    assert [o.get("language") for o in objs[:4]] == ["en", "ru", "fr", "en"]
    strip = [{k: v for k, v in o.items() if k != "id"} for o in objs]
    assert strip == [{k: v for k, v in o.items() if k != "id"} for o in lines(one_by_one.stdout)]


def test_languages_detected_in_chunks_keep_order_and_a_feeds_own() -> None:
    from monitor.cli.rules_cmd import InputError, with_languages
    from monitor.matching.types import ArticleInput

    items = [ArticleInput("1", "", "Die Regierung liefert Waffen an die Ukraine."), InputError("x", "bad"),
             ArticleInput("2", "", "Die Regierung liefert Waffen.", language="nl"),
             ArticleInput("3", "", "El gobierno anunció nuevas sanciones contra Rusia.")]
    for chunk in (1, 2, 3, 10):
        out = list(with_languages(iter(items), chunk))
        assert out[1] is items[1]
        assert [getattr(item, "language", None) for item in out] == ["de", None, "nl", "es"]


def test_rules_check(env: Path) -> None:
    good = run("rules", "check", str(env / "rules"))
    assert good.exit_code == 0 and "ok: 1 rules, 0 vocabularies in 1 file" in good.stdout
    bad = env / "bad"
    bad.mkdir()
    (bad / "x.yaml").write_text(RULES.replace("supply pre/4", "supply pre/4 AND"))
    result = run("rules", "check", str(bad))
    assert result.exit_code == 1
    assert f"{bad / 'x.yaml'}:6:25: query: expected a term, phrase or '(', found 'AND'" in result.stderr


def test_rules_test_and_alerts_list(env: Path) -> None:
    engine = make_engine(f"sqlite:///{env / 'm.db'}")
    with session_scope(engine) as s:
        s.add(Article(title="Shoigu", text="Sergei Shoigu: supply artillery ammunition now.", dedupe_key="1",
                      content_hash="h"))
        s.add(Article(title="Other", text="Nothing to see.", dedupe_key="2", content_hash="h"))
    engine.dispose()
    result = run("rules", "test", "cli-arms", "--since", "30d", "--json")
    assert result.exit_code == 0, result.output
    (row,) = lines(result.stdout)
    assert row["rule"] == row["rule_id"] == "cli-arms" and row["article_title"] == "Shoigu"
    assert row["stored"] is None  # no alert stored for it yet, so nothing to compare
    assert "1 of 2 stored articles" in result.stderr
    assert run("rules", "test", "no-such-rule").exit_code == 1
    assert run("rules", "test", "cli-arms", "--since", "soon").exit_code == 1
    out_of_range = run("rules", "test", "cli-arms", "--since", "0001-01-01T00:00:00+01:00")
    assert out_of_range.exit_code == 1 and "out of range" in out_of_range.output  # a clear error, no traceback

    from monitor.pipeline.match import match_unmatched
    from monitor.settings import Settings

    engine = make_engine(f"sqlite:///{env / 'm.db'}")
    with session_scope(engine) as s:
        from datetime import timedelta

        match_unmatched(s, Settings(), older_than=timedelta(0))
    engine.dispose()
    listed = run("alerts", "list", "--json", "--rule", "cli-arms", "--since", "7d")
    assert listed.exit_code == 0, listed.output
    (alert,) = lines(listed.stdout)
    # one alert for the article, the rule among its labels (the default pack's rules may fire too)
    assert "cli-arms" in alert["rules"] and alert["status"] == "new" and alert["evidence"]
    assert [lab["rule_id"] for lab in alert["labels"]] == alert["rules"]
    assert "cli-arms" in run("alerts", "list").stdout
