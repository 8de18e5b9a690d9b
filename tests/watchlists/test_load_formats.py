"""EU FSF XML, UK OFSI CSV, OpenSanctions CSV and FollowTheMoney JSON: fixtures written from the
published format documentation (no real file of these lists is available offline)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.db import session_scope
from monitor.models import Entity, EntityName, ListVersion
from monitor.watchlists.loaders import ListFormatError, detect_format
from monitor.watchlists.store import load_list

FIXTURES = Path(__file__).parent / "fixtures"


def names_of(session: Session, entity_id: str) -> dict[str, tuple[str, bool]]:
    rows = session.execute(
        select(EntityName.name, EntityName.kind, EntityName.weak).where(EntityName.entity_id == entity_id)
    )
    return {name: (kind, weak) for name, kind, weak in rows}


@pytest.mark.parametrize(
    ("fixture", "fmt", "dataset", "entities", "skipped"),
    [
        ("eu_fsf.xml", "eu-xml", "eu_fsf", 2, 1),
        ("uk_conlist.csv", "uk-csv", "gb_hmt_sanctions", 3, 1),
        ("targets.simple.csv", "opensanctions-csv", "opensanctions", 2, 1),
        ("entities.ftm.json", "ftm-json", "opensanctions", 2, 1),
        ("sdn_advanced.xml", "ofac-xml", "us_ofac_sdn", 2, 0),
    ],
)
def test_detect_and_load(
    sqlite_engine: Engine, fixture: str, fmt: str, dataset: str, entities: int, skipped: int
) -> None:
    path = FIXTURES / fixture
    assert detect_format(path) == fmt
    with session_scope(sqlite_engine) as s:
        version = load_list(s, path)
    assert (version.format, version.dataset, version.entities, version.skipped) == (fmt, dataset, entities, skipped)


def test_eu_fields(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as s:
        version = load_list(s, FIXTURES / "eu_fsf.xml")
    assert version.published_at is not None and version.published_at.year == 2024
    assert version.skipped_detail[0]["line"] == 23 and "without any nameAlias" in version.skipped_detail[0]["reason"]
    with Session(sqlite_engine) as s:
        shoigu = s.get(Entity, "eu_fsf:139034")
        assert shoigu is not None and shoigu.schema_ == "person" and shoigu.programs == ["UKR"]
        assert shoigu.countries == ["RU"] and shoigu.birth_dates == ["1955-05-21"]
        assert {"type": "euReferenceNumber", "value": "EU.7045.12"} in shoigu.identifiers
        names = names_of(s, shoigu.id)
        assert names["Shoigu"] == ("weak", True)  # strong="false"
        assert names["Сергей Кужугетович Шойгу"] == ("alias", False)
        company = s.get(Entity, "eu_fsf:150001")
        assert company is not None and company.schema_ == "organization"
        assert company.addresses == ["Gogolevsky Boulevard 21, Moscow, 119019, RUSSIAN FEDERATION"]


def test_uk_rows_grouped_by_group_id(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as s:
        load_list(s, FIXTURES / "uk_conlist.csv")
    with Session(sqlite_engine) as s:
        shoigu = s.get(Entity, "gb_hmt_sanctions:14195")
        assert shoigu is not None and shoigu.name == "SHOIGU, Sergei Kuzhugetovich"
        assert shoigu.birth_dates == ["1955-05-21"] and shoigu.countries == ["RU"]
        names = names_of(s, shoigu.id)
        assert names["SHOYGU, Sergey"] == ("alias", False)
        assert names["SHOIGU"] == ("weak", True)  # Alias Quality Low
        assert names["Сергей Кужугетович ШОЙГУ"] == ("original", False)
        ship = s.get(Entity, "gb_hmt_sanctions:13640")
        assert ship is not None and ship.schema_ == "vessel" and ship.countries == ["KP"]
        assert ship.identifiers == [{"type": "IMO", "value": "8712362"}]


def test_ftm_folds_sanctions_addresses_and_documents(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as s:
        version = load_list(s, FIXTURES / "entities.ftm.json", dataset="os_test")
    assert version.dataset == "os_test"
    with Session(sqlite_engine) as s:
        person = s.get(Entity, "os_test:NK-2vbSuSAMZMXDdwZNHfTFRk")
        assert person is not None and person.programs == ["RUSSIA-EO14024"]
        assert person.addresses == ["Ministry of Defence, Frunzenskaya nab. 22, Moscow"]
        assert {"type": "Passport", "value": "100123456", "country": "RU"} in person.identifiers
        assert names_of(s, person.id)["Shoigu"] == ("weak", True)
        vessel = s.get(Entity, "os_test:ofac-29457")
        assert vessel is not None and vessel.identifiers == [{"type": "IMO", "value": "9165839"}]
        assert vessel.countries == ["KP"]


def test_ofac_advanced_xml(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as s:
        version = load_list(s, FIXTURES / "sdn_advanced.xml")
    assert version.published_at is not None and version.published_at.date().isoformat() == "2024-05-06"
    with Session(sqlite_engine) as s:
        shoigu = s.get(Entity, "us_ofac_sdn:35173")  # FixedRef = the ent_num of sdn.csv
        assert shoigu is not None and shoigu.name == "SHOIGU, Sergei Kuzhugetovich"
        assert (shoigu.schema_, shoigu.programs, shoigu.countries) == ("person", ["RUSSIA-EO14024"], ["RU"])
        assert shoigu.birth_dates == ["1955-05-21"] and shoigu.listed_on is not None
        assert shoigu.properties["gender"] == "male"
        names = names_of(s, shoigu.id)
        assert names["SHOIGU, Sergey"] == ("alias", False)
        assert names["SHOIGU"] == ("weak", True)  # LowQuality="true"
        vessel = s.get(Entity, "us_ofac_sdn:8702")
        assert vessel is not None and vessel.schema_ == "vessel" and vessel.countries == ["KP"]
        assert {"type": "IMO", "value": "8712362"} in vessel.identifiers
        assert vessel.programs == ["DPRK3"]


def test_truncated_json_lines_refused(sqlite_engine: Engine, tmp_path: Path) -> None:
    good = FIXTURES / "entities.ftm.json"
    with session_scope(sqlite_engine) as s:
        load_list(s, good)
    cut = tmp_path / "cut.ftm.json"
    data = good.read_bytes()
    cut.write_bytes(data[: len(data) - 40])
    with pytest.raises(ListFormatError, match="line 6: truncated file"), session_scope(sqlite_engine) as s:
        load_list(s, cut, fmt="ftm-json")
    with Session(sqlite_engine) as s:
        assert len(s.execute(select(ListVersion)).scalars().all()) == 1


def test_uk_csv_without_header_refused(tmp_path: Path) -> None:
    path = tmp_path / "ConList.csv"
    path.write_text("Last Updated,02/05/2024\nfoo,bar\n1,2\n")
    from monitor.watchlists.loaders import LoadReport, get_loader

    with pytest.raises(ListFormatError, match="line 2: not an OFSI list: header lacks Name 6, Group ID"):
        list(get_loader("uk-csv").read(path, LoadReport()))
