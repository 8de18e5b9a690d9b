"""Our YAML watch-list format and the bundled named-officials list."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.db import session_scope
from monitor.models import Entity, EntityName, ListVersion
from monitor.settings import CONFIG_DIR
from monitor.watchlists.loaders import ListFormatError
from monitor.watchlists.store import load_default_watchlists, load_list

GOOD = """\
dataset: my_watch
entities:
  - id: jane-roe
    name: Jane Roe
    aliases: [J. Roe, Джейн Смит]
    weak_aliases: [Roe]
    countries: [GB, Russia]
    birth_date: 1970
  - id: bad entry
    name: Broken
  - id: no-name
    schema: spaceship
"""


def test_yaml_entries_validated_with_lines(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD)
    with session_scope(sqlite_engine) as s:
        version = load_list(s, path)
    assert (version.dataset, version.format, version.entities, version.skipped) == ("my_watch", "watchlist-yaml", 1, 2)
    lines = [d["line"] for d in version.skipped_detail]
    assert lines == [9, 11]
    assert "id must be a slug" in version.skipped_detail[0]["reason"]
    assert "schema must be one of" in version.skipped_detail[1]["reason"]
    assert "name: Field required" in version.skipped_detail[1]["reason"]
    with Session(sqlite_engine) as s:
        jane = s.get(Entity, "my_watch:jane-roe")
        assert jane is not None and jane.countries == ["GB", "RU"] and jane.birth_dates == ["1970"]
        names = {n.name: n.weak for n in s.execute(select(EntityName).where(EntityName.entity_id == jane.id)).scalars()}
        assert names == {"Jane Roe": False, "J. Roe": False, "Джейн Смит": False, "Roe": True}


def test_yaml_syntax_error_has_line(tmp_path: Path, sqlite_engine: Engine) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("entities:\n  - id: a\n    name: [unclosed\n  - id: b\n")
    with pytest.raises(ListFormatError, match=r"line \d+: YAML syntax error"), session_scope(sqlite_engine) as s:
        load_list(s, path, fmt="watchlist-yaml")
    path.write_text("just: a mapping\n")
    with (
        pytest.raises(ListFormatError, match="expected a mapping with an 'entities:' list"),
        session_scope(sqlite_engine) as s,
    ):
        load_list(s, path, fmt="watchlist-yaml")


def test_named_officials_default_list(any_engine: Engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    with session_scope(any_engine) as s:
        lines = load_default_watchlists(s, make_settings())
    assert len(lines) == 1 and "named_officials" in lines[0]
    with session_scope(any_engine) as s:
        assert load_default_watchlists(s, make_settings()) == []  # unchanged file: not reloaded
    with Session(any_engine) as s:
        version = s.execute(select(ListVersion)).scalars().one()
        assert version.dataset == "named_officials" and version.skipped == 0 and version.entities >= 20
        kim = s.get(Entity, "named_officials:kim-jong-un")
        assert kim is not None and kim.countries == ["KP"] and kim.properties["same_as"] == ["us_ofac_sdn:20157"]
        names = set(s.execute(select(EntityName.name).where(EntityName.entity_id == kim.id)).scalars())
        assert {"김정은", "Kim Jong-un"} <= names
        shoigu = {
            n.name: n.weak
            for n in s.execute(
                select(EntityName).where(EntityName.entity_id == "named_officials:sergei-shoigu")
            ).scalars()
        }
        assert shoigu["Сергей Шойгу"] is False and shoigu["Shoigu"] is True
        countries = {c for e in s.execute(select(Entity)).scalars() for c in e.countries}
        assert {"KP", "RU", "IR", "BY"} <= countries
    assert (CONFIG_DIR / "watchlists" / "named_officials.yaml").exists()
