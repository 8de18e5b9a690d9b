"""The title and the "Linked To" names a list states reach the matcher's AliasSpecs."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.db import session_scope
from monitor.watchlists.aliases import iter_alias_specs
from monitor.watchlists.relations import linked_names, listed_title
from monitor.watchlists.store import load_list
from tests.watchlists.test_load_ofac_csv import write_list

SDN = (
    '12735,"AL-ASSAD, Bashar","individual","SYRIA] [SYRIA-EO13894","President of the Syrian Arab Republic",'
    '-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB 11 Sep 1965; nationality Syria; President of the Syrian Arab Republic."\r\n'
    '29279,"AL-ASSAD, Hafez","individual","SYRIA-EO13894",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
    '"DOB 04 Dec 2001; nationality Syria; Linked To: AL-ASSAD, Bashar."\r\n'
    "\x1a"
)


def test_linked_names_read_from_remarks() -> None:
    remarks = ("Website fznc.world; a.k.a. 'FZNC'; Linked To: MALKEVICH, Alexander Aleksandrovich; "
               "Linked To: PRIVATE MILITARY COMPANY 'WAGNER'.")
    assert linked_names(remarks) == ("MALKEVICH, Alexander Aleksandrovich", "PRIVATE MILITARY COMPANY 'WAGNER'")
    assert linked_names("DOB 1970; POB Ukraine.") == ()
    assert linked_names(None) == ()
    assert listed_title({"title": "Major General", "position": "Commander"}) == "Major General; Commander"
    assert listed_title({}) == ""


def test_alias_specs_carry_title_and_links(sqlite_engine: Engine, tmp_path: Path) -> None:
    with session_scope(sqlite_engine) as s:
        load_list(s, write_list(tmp_path / "v1", sdn=SDN, alt='12735,1,"aka","ASSAD, Bashar",-0- \r\n', add=""))
    with Session(sqlite_engine) as s:
        specs = list(iter_alias_specs(s))
    bashar = [a for a in specs if a.source_id == "12735"]
    hafez = [a for a in specs if a.source_id == "29279"]
    assert len(bashar) >= 2 and {a.title for a in bashar} == {"President of the Syrian Arab Republic"}
    assert {a.linked for a in bashar} == {()}
    assert hafez and {a.linked for a in hafez} == {("AL-ASSAD, Bashar",)} and {a.title for a in hafez} == {""}
