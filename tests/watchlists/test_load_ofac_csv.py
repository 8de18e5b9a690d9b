"""OFAC SDN CSV loading: the real list, versioning, and broken files that must change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.db import session_scope
from monitor.models import Entity, EntityChange, EntityName, ListVersion
from monitor.watchlists.loaders import ListFormatError
from monitor.watchlists.store import load_list
from tests.conftest import shared_path

SDN = (
    '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    '306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"a.k.a. \'BNC\'."\r\n'
    '35173,"SHOIGU, Sergei Kuzhugetovich","individual","RUSSIA-EO14024",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
    '"DOB 21 May 1955; POB Chadan, Republic of Tyva, Russia; nationality Russia; Gender Male."\r\n'
    '9999,"OCEAN STAR","vessel","DPRK3] [SDGT",-0- ,"HMAB",-0- ,-0- ,-0- ,"Korea, North",-0- ,'
    '"Vessel Registration Identification IMO 9165839."\r\n'
    "\x1a"
)
ALT = (
    '36,12,"aka","AERO-CARIBBEAN",-0- \r\n'
    '35173,60446,"aka","SHOIGU, Sergey",-0- \r\n'
    '35173,60447,"fka","SHOYGU, Sergey Kuzhugetovich",-0- \r\n'
    '77777,1,"aka","NOBODY KNOWN",-0- \r\n'
)
ADD = '306,199,"Zweierstrasse 35","Zurich CH-8022","Switzerland",-0- \r\n'


def write_list(folder: Path, sdn: str = SDN, alt: str = ALT, add: str = ADD) -> Path:
    """Write an sdn.csv/alt.csv/add.csv triple (Latin-1, like OFAC's)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sdn.csv").write_bytes(sdn.encode("latin-1"))
    (folder / "alt.csv").write_bytes(alt.encode("latin-1"))
    (folder / "add.csv").write_bytes(add.encode("latin-1"))
    return folder / "sdn.csv"


def names_of(session: Session, entity_id: str) -> dict[str, tuple[str, bool]]:
    rows = session.execute(
        select(EntityName.name, EntityName.kind, EntityName.weak).where(EntityName.entity_id == entity_id)
    )
    return {name: (kind, weak) for name, kind, weak in rows}


def test_small_list_fields_and_aliases(any_engine: Engine, tmp_path: Path) -> None:
    path = write_list(tmp_path / "v1")
    with session_scope(any_engine) as s:
        version = load_list(s, path)
    assert (version.dataset, version.format, version.entities, version.added) == ("us_ofac_sdn", "ofac-csv", 4, 4)
    # alt.csv row for 77777 has no sdn.csv row: skipped and reported with its line
    assert version.skipped == 1
    assert version.skipped_detail[0]["line"] == 4 and "77777" in version.skipped_detail[0]["reason"]
    with Session(any_engine) as s:
        shoigu = s.get(Entity, "us_ofac_sdn:35173")
        assert shoigu is not None
        assert (shoigu.schema_, shoigu.programs, shoigu.countries) == ("person", ["RUSSIA-EO14024"], ["RU"])
        assert shoigu.birth_dates == ["1955-05-21"]
        names = names_of(s, "us_ofac_sdn:35173")
        assert names["SHOIGU, Sergei Kuzhugetovich"] == ("primary", False)
        assert names["SHOIGU, Sergey"] == ("alias", False)
        assert names["Sergei Kuzhugetovich SHOIGU"] == ("derived", False)
        assert names["SHOYGU, Sergey Kuzhugetovich"] == ("alias", False)
        bank = names_of(s, "us_ofac_sdn:306")
        assert bank["BNC"] == ("weak", True)  # quoted a.k.a. in remarks = OFAC weak alias
        vessel = s.get(Entity, "us_ofac_sdn:9999")
        assert vessel is not None and vessel.schema_ == "vessel"
        assert {"type": "IMO", "value": "9165839"} in vessel.identifiers
        assert vessel.programs == ["DPRK3", "SDGT"] and "KP" in vessel.countries
        assert s.get(Entity, "us_ofac_sdn:36").schema_ == "organization"  # type: ignore[union-attr]


def test_second_version_records_added_changed_removed(any_engine: Engine, tmp_path: Path) -> None:
    with session_scope(any_engine) as s:
        load_list(s, write_list(tmp_path / "v1"))
    lines = SDN.split("\r\n")
    v2 = "\r\n".join(
        [
            lines[0].replace("AEROCARIBBEAN AIRLINES", "AEROCARIBBEAN AIRLINES S.A."),
            lines[2],
            lines[3],
            '4242,"NEW FRONT CO LTD",-0- ,"DPRK3",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ',
            "",
        ]
    )
    with session_scope(any_engine) as s:
        version = load_list(s, write_list(tmp_path / "v2", sdn=v2))
    assert (version.entities, version.added, version.changed, version.removed) == (4, 1, 1, 1)
    with Session(any_engine) as s:
        bank = s.get(Entity, "us_ofac_sdn:306")
        assert bank is not None and bank.removed_at is not None  # kept, marked removed
        assert names_of(s, "us_ofac_sdn:306")  # its names are kept too
        changes = {
            c.entity_id: c
            for c in s.execute(select(EntityChange).where(EntityChange.version_id == version.id)).scalars()
        }
        assert changes["us_ofac_sdn:306"].change == "removed"
        assert changes["us_ofac_sdn:4242"].change == "added"
        air = changes["us_ofac_sdn:36"]
        assert air.change == "changed" and air.detail["fields"] == ["name"]
        assert air.detail["names_added"] == ["AEROCARIBBEAN AIRLINES S.A."]
        assert "AEROCARIBBEAN AIRLINES" not in names_of(s, "us_ofac_sdn:36")
        statuses = [v.status for v in s.execute(select(ListVersion).order_by(ListVersion.id)).scalars()]
        assert statuses == ["superseded", "active"]
    # the removed entity comes back in a third version: relisted, not duplicated
    with session_scope(any_engine) as s:
        v3 = load_list(s, write_list(tmp_path / "v3"))
    assert (v3.added, v3.changed, v3.removed) == (0, 2, 1)  # 36 renamed back, 306 relisted, 4242 gone
    with Session(any_engine) as s:
        assert s.get(Entity, "us_ofac_sdn:306").removed_at is None  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(Entity).where(Entity.id == "us_ofac_sdn:306")) == 1


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        (SDN[: SDN.index("9999") + 40], "line 4: truncated file"),
        ("id,name,type\n1,foo,bar\n", "not an OFAC SDN CSV"),
        ('36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"unterminated\n', "line"),
    ],
    ids=["truncated", "wrong-format", "open-quote"],
)
def test_broken_file_leaves_previous_version(sqlite_engine: Engine, tmp_path: Path, content: str, expect: str) -> None:
    with session_scope(sqlite_engine) as s:
        first = load_list(s, write_list(tmp_path / "v1"))
    bad = write_list(tmp_path / "bad", sdn=content)
    with pytest.raises(ListFormatError, match=expect), session_scope(sqlite_engine) as s:
        load_list(s, bad, fmt="ofac-csv")
    with Session(sqlite_engine) as s:
        versions = s.execute(select(ListVersion)).scalars().all()
        assert [(v.id, v.status) for v in versions] == [(first.id, "active")]
        assert s.scalar(select(func.count()).select_from(Entity).where(Entity.removed_at.is_(None))) == 4


def test_real_sdn_list(sqlite_engine: Engine) -> None:
    path = shared_path("lists", "us_ofac_sdn", "sdn.csv")
    with session_scope(sqlite_engine) as s:
        version = load_list(s, path)
    assert version.entities > 10_000 and version.skipped > 0
    assert all("not in sdn.csv" in d["reason"] for d in version.skipped_detail[:-1])
    with Session(sqlite_engine) as s:
        kim = s.get(Entity, "us_ofac_sdn:20157")
        putin = s.get(Entity, "us_ofac_sdn:35096")
        shoigu = s.get(Entity, "us_ofac_sdn:35173")
        assert kim is not None and kim.name == "KIM, Jong Un" and kim.programs == ["DPRK3"]
        assert {"KIM Jong Un", "Jong Un KIM"} <= set(names_of(s, kim.id))
        assert putin is not None and putin.name.startswith("PUTIN, Vladimir")
        assert shoigu is not None and "SHOIGU, Sergey" in names_of(s, shoigu.id)


def test_cli_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from monitor.cli import app

    monkeypatch.chdir(tmp_path)
    env = {"MONITOR_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "MONITOR_DATA_DIR": str(tmp_path / "var")}
    folder = write_list(tmp_path / "v1").parent
    runner = CliRunner()
    # alt.csv and add.csv named next to their sdn.csv are read with it, not loaded on their own
    result = runner.invoke(
        app, ["lists", "load", str(folder / "sdn.csv"), str(folder / "alt.csv"), str(folder / "add.csv")], env=env
    )
    assert result.exit_code == 0, result.output
    assert "us_ofac_sdn: version 1, 4 entities (+4 added" in result.output
    assert "skipped line 4: alt.csv: ent_num 77777 is not in sdn.csv" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(SDN[: SDN.index("9999") + 40])
    result = runner.invoke(app, ["lists", "load", "--format", "ofac-csv", str(bad)], env=env)
    assert result.exit_code == 1
    assert "bad.csv, line 4: truncated file" in result.output and "the previous version stays" in result.output
    result = runner.invoke(app, ["lists", "load", "--format", "nonsense", str(bad)], env=env)
    assert result.exit_code == 1 and "unknown format 'nonsense'" in result.output
