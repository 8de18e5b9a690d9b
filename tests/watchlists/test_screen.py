"""Screening: candidate retrieval from the index, reranking, filters, caching per list version,
the real OFAC SDN + UN lists, and the `screen` command's contract."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from monitor.cli import app
from monitor.db import make_engine, session_scope, upgrade
from monitor.models import Entity, EntityName, ListVersion
from monitor.watchlists import namematch, screen
from monitor.watchlists.screen import AliasRow, ScreenError, ScreenIndex, get_screener
from tests.conftest import shared_path

ROWS = [
    AliasRow("t:1", "t", "1", "SHOIGU, Sergei Kuzhugetovich", "SHOIGU, Sergei Kuzhugetovich", "person",
             countries=("RU",), birth_years=(1955,)),
    AliasRow("t:1", "t", "1", "SHOIGU, Sergei Kuzhugetovich", "SHOYGU, Sergey", "person",
             countries=("RU",), birth_years=(1955,)),
    AliasRow("t:2", "t", "2", "PUTIN, Vladimir Vladimirovich", "PUTIN, Vladimir Vladimirovich", "person",
             countries=("RU",), birth_years=(1952,)),
    AliasRow("t:3", "t", "3", "KIM, Jong Un", "KIM, Jong Un", "person", countries=("KP",), birth_years=(1984,)),
    AliasRow("t:4", "t", "4", "KIM, Jong Il", "KIM, Jong Il", "person", countries=("KP",), birth_years=(1941,)),
    AliasRow("u:9", "u", "9", "OBORONNYE INITSIATIVY, OOO", "OBORONNYE INITSIATIVY, OOO", "organization",
             countries=("RU",)),
    AliasRow("u:9", "u", "9", "OBORONNYE INITSIATIVY, OOO", "DEFENSIVE INITIATIVES LLC", "organization",
             weak=True),
    AliasRow("t:5", "t", "5", "SHOIGU", "SHOIGU", "vessel"),
]  # fmt: skip


@pytest.fixture(scope="module")
def index() -> ScreenIndex:
    return ScreenIndex(ROWS)


def top(result: screen.ScreenResult) -> str:
    assert result.matches, f"no candidates for {result.query!r}"
    return result.matches[0].entity_id


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Sergei Shoigu", "t:1"),
        ("Сергей Шойгу", "t:1"),
        ("Sergei Schoigu", "t:1"),
        ("PUTIN, Vladimir", "t:2"),
        ("Putin Vladimir", "t:2"),
        ("Vladimir Poutine", "t:2"),
        ("President Vladimir Putin", "t:2"),
        ("V. Putin", "t:2"),
        ("김정은", "t:3"),
        ("Kim Jong-un", "t:3"),
        ("Oboronnye Initsiativy LLC", "u:9"),
    ],
)
def test_finds_the_listed_entity(index: ScreenIndex, query: str, expected: str) -> None:
    result = index.screen(query, threshold=0.7)
    assert top(result) == expected
    assert result.matches[0].match is True
    assert result.matches[0].explanation


def test_result_shape_and_near_misses(index: ScreenIndex) -> None:
    result = index.screen("Sergei Shoigu", threshold=0.7).to_json()
    assert set(result) == {"query", "threshold", "matches"}
    assert result["query"] == "Sergei Shoigu" and result["threshold"] == 0.7
    first = result["matches"][0]
    assert set(first) == {
        "entity_id", "dataset", "source_id", "name", "matched_alias", "score", "match", "explanation", "referents"
    }
    assert first["referents"] == [first["entity_id"]]
    assert (first["entity_id"], first["match"]) == ("t:1", True)
    # The vessel SHOIGU is a near miss: listed for the analyst, but not a match.
    near = [m for m in result["matches"] if m["entity_id"] == "t:5"]
    assert near and near[0]["match"] is False and near[0]["score"] < 0.7
    assert [m["score"] for m in result["matches"]] == sorted((m["score"] for m in result["matches"]), reverse=True)


def test_one_row_per_entity_with_its_best_alias(index: ScreenIndex) -> None:
    result = index.screen("Sergey Shoygu", threshold=0.7)
    ids = [m.entity_id for m in result.matches]
    assert len(ids) == len(set(ids))
    assert result.matches[0].matched_alias == "SHOYGU, Sergey"
    assert result.matches[0].score == 1.0


def test_threshold_decides_match(index: ScreenIndex) -> None:
    strict = index.screen("Vladimir Poutine", threshold=0.99)
    assert top(strict) == "t:2" and strict.matches[0].match is False


def test_weak_alias_counts_less(index: ScreenIndex) -> None:
    result = index.screen("Defensive Initiatives LLC", threshold=0.7)
    assert top(result) == "u:9"
    assert result.matches[0].score < 1.0 and "weak alias" in result.matches[0].explanation


def test_schema_filter_lowers_other_schemas(index: ScreenIndex) -> None:
    plain = {m.entity_id: m.score for m in index.screen("Shoigu", threshold=0.7).matches}
    vessel = {m.entity_id: m for m in index.screen("Shoigu", threshold=0.7, schema="vessel").matches}
    assert vessel["t:5"].score >= plain["t:5"]
    assert "t:1" not in vessel or vessel["t:1"].score < plain["t:1"]


def test_birth_year_and_country_raise_or_lower(index: ScreenIndex) -> None:
    base = index.screen("Vladimir Putin", threshold=0.7).matches[0].score
    born = index.screen("Vladimir Putin", threshold=0.7, birth_year=1952).matches[0]
    other = index.screen("Vladimir Putin", threshold=0.7, birth_year=1980).matches[0]
    assert born.score >= base and "born 1952" in born.explanation
    assert other.score < base and "not 1980" in other.explanation
    ru = index.screen("Vladimir Putin", threshold=0.7, country="Russia").matches[0]
    us = index.screen("Vladimir Putin", threshold=0.7, country="US").matches[0]
    assert ru.score >= base > us.score
    with pytest.raises(ScreenError, match="unknown country"):
        index.screen("Vladimir Putin", threshold=0.7, country="Atlantis")


def test_dataset_filter(index: ScreenIndex) -> None:
    assert index.screen("Oboronnye Initsiativy", threshold=0.7, datasets=["t"]).matches == ()
    assert top(index.screen("Oboronnye Initsiativy", threshold=0.7, datasets=["u"])) == "u:9"


@pytest.mark.parametrize("bad", ["", "   ", "...", "\u200b"])
def test_empty_names_get_a_clear_error(index: ScreenIndex, bad: str) -> None:
    with pytest.raises(ScreenError, match=r"empty name|nothing to screen"):
        index.screen(bad, threshold=0.7)


def test_a_10000_character_name_gets_a_clear_error(index: ScreenIndex) -> None:
    with pytest.raises(ScreenError, match="name too long: 10000 characters"):
        index.screen("x" * 10_000, threshold=0.7)


def test_any_script_answers(index: ScreenIndex) -> None:
    for name in ("محمد شياع السوداني", "ប៉ុល ពត", "高市早苗", "Ψ", "🙂 Putin", "\u13a0\u13a1"):  # Cherokee last
        result = index.screen(name, threshold=0.7)
        assert all(0.0 <= m.score <= 1.0 for m in result.matches)


def test_candidates_come_from_the_index_not_from_every_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)
    parts = ["ivan", "petrov", "anna", "smirnova", "oleg", "kuznetsov", "maria", "popova", "igor", "sokolov",
             "li", "wei", "zhang", "ahmed", "hassan", "ali", "omar", "garcia", "lopez", "martin"]  # fmt: skip
    rows = [
        AliasRow(f"s:{i}", "s", str(i), name, name, "person")
        for i, name in enumerate(" ".join(rng.sample(parts, 3)) + f" {rng.choice(parts)}{i}" for i in range(20_000))
    ]
    rows.append(AliasRow("s:x", "s", "x", "SHOIGU, Sergei", "SHOIGU, Sergei", "person"))
    big = ScreenIndex(rows)
    calls = 0
    real = namematch.compare_prepared

    def counting(a: namematch.PreparedName, b: namematch.PreparedName) -> namematch.NameMatch:
        nonlocal calls
        calls += 1
        return real(a, b)

    monkeypatch.setattr(namematch, "compare_prepared", counting)
    result = big.screen("Sergei Shoigu", threshold=0.7)
    assert top(result) == "s:x"
    assert 0 < calls <= screen.CANDIDATES


# --------------------------------------------------------------------------- database


def _add_entity(engine: Engine, eid: str, names: list[str], schema: str = "person") -> None:
    dataset, source_id = eid.split(":")
    with session_scope(engine) as s:
        version = ListVersion(dataset=dataset, source="test", format="test", file_hash=eid)
        s.add(version)
        s.flush()
        s.add(Entity(id=eid, dataset=dataset, source_id=source_id, schema_=schema, name=names[0],
                     birth_dates=["1955-05-21"], countries=["RU"], version_id=version.id))  # fmt: skip
        s.flush()
        for i, name in enumerate(names):
            s.add(EntityName(entity_id=eid, name=name, kind="primary" if i == 0 else "alias"))


def test_screener_is_cached_per_list_version(sqlite_engine: Engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    cfg = make_settings()
    _add_entity(sqlite_engine, "t:1", ["SHOIGU, Sergei Kuzhugetovich", "SHOYGU, Sergey"])
    with session_scope(sqlite_engine) as s:
        first = get_screener(s, cfg)
        again = get_screener(s, cfg)
        assert first.index is again.index  # no rebuild without a list load
        assert top(first.screen("Sergei Shoigu", birth_year=1955)) == "t:1"
        assert first.screen("Sergei Shoigu").matches[0].match is True
        assert first.screen("Vladimir Putin").matches == ()
    _add_entity(sqlite_engine, "t:2", ["PUTIN, Vladimir Vladimirovich"])
    with session_scope(sqlite_engine) as s:
        rebuilt = get_screener(s, cfg)
        assert rebuilt.index is not first.index
        assert top(rebuilt.screen("Vladimir Putin")) == "t:2"


def test_removed_entities_are_not_screened(sqlite_engine: Engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    from monitor.models import utcnow

    _add_entity(sqlite_engine, "t:7", ["PUTIN, Vladimir"])
    with session_scope(sqlite_engine) as s:
        assert top(get_screener(s, make_settings()).screen("Vladimir Putin")) == "t:7"
        entity = s.get(Entity, "t:7")
        assert entity is not None
        entity.removed_at = utcnow()
    with session_scope(sqlite_engine) as s:
        assert get_screener(s, make_settings()).screen("Vladimir Putin").matches == ()


# --------------------------------------------------------------------------- the real lists


@pytest.fixture(scope="module")
def real_lists(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SQLite store with the real OFAC SDN and UN lists loaded (by LISTS' loader)."""
    from monitor.watchlists.store import load_list

    sdn = shared_path("lists", "us_ofac_sdn", "sdn.csv")
    un = shared_path("lists", "un_sc_sanctions", "consolidated.xml")
    url = f"sqlite:///{tmp_path_factory.mktemp('real') / 'm.db'}"
    engine = make_engine(url)
    upgrade(engine)
    for path in (sdn, un):
        with session_scope(engine) as s:
            load_list(s, path)
    engine.dispose()
    yield url


@pytest.mark.parametrize(
    ("query", "entity_id"),
    [
        ("Sergei Shoigu", "us_ofac_sdn:35173"),
        ("Сергей Шойгу", "us_ofac_sdn:35173"),
        ("Schoigu Sergej", "us_ofac_sdn:35173"),
        ("PUTIN, Vladimir", "us_ofac_sdn:35096"),
        ("Vladimir Poutine", "us_ofac_sdn:35096"),
        ("김정은", "us_ofac_sdn:20157"),
        ("Kim Jong Un", "us_ofac_sdn:20157"),
    ],
)
def test_real_lists(real_lists: str, make_settings, query: str, entity_id: str) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(real_lists)
    with session_scope(engine) as s:
        result = get_screener(s, make_settings(database_url=real_lists)).screen(query)
    engine.dispose()
    assert top(result) == entity_id
    assert result.matches[0].match is True


def test_screen_command_contract(real_lists: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The contract-check lines: `screen --json NAME` and `screen --file F --json`, one object per name in order."""
    monkeypatch.setenv("MONITOR_DATABASE_URL", real_lists)
    monkeypatch.setenv("MONITOR_DATA_DIR", str(tmp_path / "var"))
    runner = CliRunner()
    out = runner.invoke(app, ["screen", "--json", "Sergei Shoigu"])
    assert out.exit_code == 0, out.output
    objs = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert len(objs) == 1 and objs[0]["query"] == "Sergei Shoigu" and objs[0]["threshold"] == 0.7
    assert objs[0]["matches"][0]["entity_id"] == "us_ofac_sdn:35173"
    names = tmp_path / "names.txt"
    names.write_text("Sergei Shoigu\nJohn Smith Nobody\n\nVladimir Putin\n", encoding="utf-8")
    out = runner.invoke(app, ["screen", "--file", str(names), "--json"])
    assert out.exit_code == 0, out.output
    objs = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert [o["query"] for o in objs] == ["Sergei Shoigu", "John Smith Nobody", "Vladimir Putin"]
    assert objs[2]["matches"][0]["entity_id"] == "us_ofac_sdn:35096"
    assert not any(m["match"] for m in objs[1]["matches"])
    # A bad line keeps its place in the output and the command says it failed.
    out = runner.invoke(app, ["screen", "--json", "Vladimir Putin", "x" * 10_000, "Kim Jong Un"])
    objs = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert out.exit_code == 1
    assert [o["query"][:20] for o in objs] == ["Vladimir Putin", "x" * 20, "Kim Jong Un"]
    assert "name too long" in objs[1]["error"]


def test_a_query_in_arabic_or_persian_script_finds_the_romanised_listing() -> None:
    rows = [
        AliasRow("us_ofac_sdn:12735", "us_ofac_sdn", "12735", "AL-ASSAD, Bashar", "AL-ASSAD, Bashar", "Person"),
        AliasRow("us_ofac_sdn:26945", "us_ofac_sdn", "26945", "KHAMENEI, Ali Husseini", "KHAMENEI, Ali", "Person"),
        AliasRow("us_ofac_sdn:1", "us_ofac_sdn", "1", "BASHIR, Ali", "BASHIR, Ali", "Person"),
    ]
    index = ScreenIndex(rows)
    for query, expected in (("بشار الأسد", "us_ofac_sdn:12735"), ("علی خامنه\u200cای", "us_ofac_sdn:26945")):  # noqa: RUF001
        top = index.screen(query, threshold=0.7).matches[0]
        assert (top.entity_id, top.match) == (expected, True), (query, top)
        assert "consonants" in top.explanation


def test_an_arabic_script_query_retrieves_the_rarer_spelling_of_its_consonants_first() -> None:
    # "حماس" (hms) is the consonants of a hundred aliases Hamza; HAMAS is the one rare spelling
    rows = [AliasRow(f"t:{i}", "t", str(i), f"PERSON {i}", "Hamza", "Person", weak=True) for i in range(100)]
    rows.append(AliasRow("us_ofac_sdn:4695", "us_ofac_sdn", "4695", "HAMAS", "HAMAS", "Organization"))
    top = ScreenIndex(rows).screen("حماس", threshold=0.7).matches[0]
    assert (top.entity_id, top.match) == ("us_ofac_sdn:4695", True)


def test_equal_scores_rank_the_alias_written_as_the_query_first() -> None:
    rows = [
        AliasRow("us_ofac_sdn:25420", "us_ofac_sdn", "25420", "MELLI BANK PLC", "MELLI BANK PLC", "organization"),
        AliasRow("us_ofac_sdn:25578", "us_ofac_sdn", "25578", "BANK MELLI IRAN", "BANK MELLI", "organization"),
    ]
    result = ScreenIndex(rows).screen("Bank Melli", threshold=0.7)
    assert [m.score for m in result.matches] == [1.0, 1.0]  # both carry the two words
    assert result.matches[0].entity_id == "us_ofac_sdn:25578"  # same order, no legal form the query lacks


def test_a_query_part_the_list_writes_as_two_is_retrieved() -> None:
    # a hundred other KIMs share the query's only known part; "Jongun" is JONG + UN in the list
    rows = [AliasRow(f"t:{i}", "t", str(i), f"KIM, Tae{chr(97 + i % 26)}{chr(97 + i // 26)}",
                     f"KIM, Tae{chr(97 + i % 26)}{chr(97 + i // 26)}", "person") for i in range(100)]  # fmt: skip
    rows.append(AliasRow("t:999", "t", "999", "KIM, Jong Un", "KIM, Jong Un", "person"))
    rows.append(AliasRow("t:998", "t", "998", "RI, Jong Su", "RI, Jong Su", "person"))
    rows.append(AliasRow("t:997", "t", "997", "PAK, Un Chol", "PAK, Un Chol", "person"))
    result = ScreenIndex(rows).screen("Kim Jongun", threshold=0.7)
    assert result.matches[0].entity_id == "t:999"
    assert "jong+un~jongun" in result.matches[0].explanation
