"""One entity across lists from real loads: a UN list and an OpenSanctions file citing it, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.cli import app
from tests.support.cli import embedded_cli, jsonl

UN_XML = """<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST dateGenerated="2024-01-01T00:00:00">
 <INDIVIDUALS>
  <INDIVIDUAL>
   <DATAID>6908036</DATAID><FIRST_NAME>AYMAN</FIRST_NAME><SECOND_NAME>MUHAMMED RABI</SECOND_NAME>
   <THIRD_NAME>AL-ZAWAHIRI</THIRD_NAME><UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE>
   <REFERENCE_NUMBER>QDi.006</REFERENCE_NUMBER><LISTED_ON>2001-01-25</LISTED_ON>
   <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><DATE>1951-06-19</DATE></INDIVIDUAL_DATE_OF_BIRTH>
  </INDIVIDUAL>
 </INDIVIDUALS>
 <ENTITIES/>
</CONSOLIDATED_LIST>
"""


def _ftm(referents: list[str]) -> str:
    entity = {
        "id": "Q-zawahiri", "schema": "Person", "caption": "Ayman al-Zawahiri", "referents": referents,
        "datasets": ["opensanctions"], "properties": {"name": ["Ayman al-Zawahiri"], "birthDate": ["1951-06-19"]},
    }  # fmt: skip
    return json.dumps(entity) + "\n"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    return embedded_cli(tmp_path, monkeypatch)


def test_loads_merge_the_cited_records_and_an_analyst_can_part_them(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "un.xml").write_text(UN_XML, encoding="utf-8")
    (tmp_path / "os.ftm.json").write_text(_ftm(["unsc-6908036", "ofac-999999"]), encoding="utf-8")
    for name, fmt in (("un.xml", "un-xml"), ("os.ftm.json", "ftm-json")):
        r = cli.invoke(app, ["lists", "load", str(tmp_path / name), "--format", fmt])
        assert r.exit_code == 0, r.output
    os_id = next(
        m["entity_id"]
        for m in jsonl(cli.invoke(app, ["screen", "Ayman al-Zawahiri", "--json"]).output)[0]["matches"]
    )
    r = cli.invoke(app, ["entities", "links", os_id, "--json"])
    assert r.exit_code == 0, r.output
    merged = json.loads(r.output)
    assert merged["referents"] == [os_id, "un_sc_sanctions:QDi.006"]
    [link] = merged["links"]
    assert link["source"] == "cross-reference" and "unsc-6908036" in link["reason"]
    out = jsonl(cli.invoke(app, ["screen", "Ayman al-Zawahiri", "--json"]).output)[0]
    assert len(out["matches"]) == 1 and sorted(out["matches"][0]["referents"]) == sorted(merged["referents"])
    # The dangling referent (no OFAC record loaded) merged nothing and is reported by `entities resolve`.
    report = json.loads(cli.invoke(app, ["entities", "resolve"]).output)
    assert report["dangling"] == 1 and "ofac-999999" in report["dangling_examples"][0]
    r = cli.invoke(app, ["entities", "split", os_id, "un_sc_sanctions:QDi.006", "--reason", "different person"])
    assert r.exit_code == 0, r.output
    out = jsonl(cli.invoke(app, ["screen", "Ayman al-Zawahiri", "--json"]).output)[0]
    assert len(out["matches"]) == 2
    r = cli.invoke(app, ["entities", "withdraw", "un_sc_sanctions:QDi.006", os_id])
    assert r.exit_code == 0, r.output
    assert len(jsonl(cli.invoke(app, ["screen", "Ayman al-Zawahiri", "--json"]).output)[0]["matches"]) == 1
    r = cli.invoke(app, ["entities", "merge", os_id, os_id, "--reason", "x"])
    assert r.exit_code != 0 and "itself" in r.output
