"""UN and OFAC XML lists: the real files, aliases with their strength, and refused inputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.db import session_scope
from monitor.models import Entity, EntityName, ListVersion
from monitor.watchlists.loaders import ListFormatError, LoadReport, detect_format, get_loader
from monitor.watchlists.store import load_list
from tests.conftest import shared_path


def names_of(session: Session, entity_id: str) -> dict[str, tuple[str, bool]]:
    rows = session.execute(
        select(EntityName.name, EntityName.kind, EntityName.weak).where(EntityName.entity_id == entity_id)
    )
    return {name: (kind, weak) for name, kind, weak in rows}


def test_real_un_list(any_engine: Engine) -> None:
    path = shared_path("lists", "un_sc_sanctions", "consolidated.xml")
    assert detect_format(path) == "un-xml"
    with session_scope(any_engine) as s:
        version = load_list(s, path)
    assert version.dataset == "un_sc_sanctions" and version.entities > 800 and version.skipped == 0
    assert version.published_at is not None and version.published_at.year == 2024
    with Session(any_engine) as s:
        anwari = s.get(Entity, "un_sc_sanctions:TAi.005")
        assert anwari is not None and anwari.name == "MUHAMMAD TAHER ANWARI"
        assert anwari.programs == ["Taliban"] and anwari.countries == ["AF"] and anwari.birth_dates == ["1961"]
        assert {"type": "UN DATAID", "value": "110447"} in anwari.identifiers
        names = names_of(s, anwari.id)
        assert names["Haji Mudir"] == ("weak", True)  # QUALITY Low
        assert names["Muhammad Tahir Anwari"] == ("alias", False)  # QUALITY Good
        assert names["محمد طاهر أنوري"] == ("original", False)
        dprk = s.execute(select(Entity).where(Entity.dataset == "un_sc_sanctions")).scalars().all()
        assert sum(1 for e in dprk if e.programs == ["DPRK"]) > 100
        assert all(e.schema_ in ("person", "organization") for e in dprk)


def test_real_ofac_consolidated(sqlite_engine: Engine) -> None:
    path = shared_path("lists", "us_ofac_cons", "consolidated.xml")
    with session_scope(sqlite_engine) as s:
        version = load_list(s, path)
    assert (version.dataset, version.format) == ("us_ofac_cons", "ofac-xml")
    assert version.entities == 443  # Record_Count in the file
    with Session(sqlite_engine) as s:
        haniya = s.get(Entity, "us_ofac_cons:9639")
        assert haniya is not None and haniya.name == "HANIYA, Ismail Abdul Salah" and haniya.programs == ["NS-PLC"]
        assert names_of(s, haniya.id)["HANIYYA, Ismaeel"] == ("alias", False)
        assert "Ismail Abdul Salah HANIYA" in names_of(s, haniya.id)


SDN_XML = """<?xml version="1.0" standalone="yes"?>
<sdnList xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML">
  <publshInformation><Publish_Date>09/12/2023</Publish_Date><Record_Count>1</Record_Count></publshInformation>
  <sdnEntry>
    <uid>9702</uid><lastName>CHON MYONG</lastName><sdnType>Vessel</sdnType>
    <programList><program>DPRK3</program></programList>
    <idList><id><uid>1</uid><idType>Vessel Registration Identification</idType>
      <idNumber>IMO 8712362</idNumber></id></idList>
    <akaList><aka><uid>2</uid><type>a.k.a.</type><category>weak</category><lastName>CM 1</lastName></aka>
             <aka><uid>3</uid><type>f.k.a.</type><category>strong</category>
               <lastName>OCEAN GLORY</lastName></aka></akaList>
    <vesselInfo><callSign>HMYC</callSign><vesselFlag>Korea, North</vesselFlag></vesselInfo>
  </sdnEntry>
</sdnList>
"""


def test_sdn_xml_fixture(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "sdn.xml"
    path.write_text(SDN_XML)
    with session_scope(sqlite_engine) as s:
        version = load_list(s, path)
    assert (version.dataset, version.format, version.entities) == ("us_ofac_sdn", "ofac-xml", 1)
    with Session(sqlite_engine) as s:
        ship = s.get(Entity, "us_ofac_sdn:9702")
        assert ship is not None and ship.schema_ == "vessel" and ship.countries == ["KP"]
        assert {"type": "IMO", "value": "8712362"} in ship.identifiers
        assert names_of(s, ship.id) == {
            "CHON MYONG": ("primary", False),
            "CM 1": ("weak", True),
            "OCEAN GLORY": ("alias", False),
        }


def test_truncated_and_hostile_xml_refused(sqlite_engine: Engine, tmp_path: Path) -> None:
    good = tmp_path / "sdn.xml"
    good.write_text(SDN_XML)
    with session_scope(sqlite_engine) as s:
        load_list(s, good)
    cut = tmp_path / "cut.xml"
    cut.write_text(SDN_XML[: SDN_XML.index("<akaList>")])
    with (
        pytest.raises(ListFormatError, match=r"line \d+: truncated or malformed XML"),
        session_scope(sqlite_engine) as s,
    ):
        load_list(s, cut)
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE sdnList [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        "<sdnList><sdnEntry><uid>1</uid><lastName>&b;</lastName></sdnEntry></sdnList>"
    )
    with pytest.raises(ListFormatError, match="entity declarations"), session_scope(sqlite_engine) as s:
        load_list(s, bomb, fmt="ofac-xml")
    # an external DTD is never fetched (no network) and its entities are never expanded
    xxe = tmp_path / "xxe.xml"
    xxe.write_text(
        '<?xml version="1.0"?><!DOCTYPE sdnList SYSTEM "file:///etc/passwd">'
        "<sdnList><sdnEntry><uid>1</uid><lastName>&xxe;</lastName></sdnEntry></sdnList>"
    )
    with pytest.raises(ListFormatError, match="xxe"), session_scope(sqlite_engine) as s:
        load_list(s, xxe, fmt="ofac-xml")
    with Session(sqlite_engine) as s:
        assert [v.status for v in s.execute(select(ListVersion)).scalars()] == ["active"]


def test_wrong_root_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.xml"
    path.write_text("<rss><channel/></rss>")
    with pytest.raises(ListFormatError, match="unrecognised list format"):
        detect_format(path)
    with pytest.raises(ListFormatError, match="root element <rss>"):
        list(get_loader("un-xml").read(path, LoadReport()))
