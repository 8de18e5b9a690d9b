"""List versions: numbered per dataset, none made for identical content, every load in the audit log."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.cli import app
from monitor.db import session_scope
from monitor.models import AuditEvent, ListVersion
from monitor.watchlists.store import load_file
from tests.support.cli import embedded_cli, jsonl
from tests.watchlists.test_load_ofac_csv import SDN, write_list

FIXTURES = Path(__file__).parent / "fixtures"


def test_identical_file_makes_no_new_version_and_versions_count_per_dataset(any_engine: Engine, tmp_path: Path):
    first_path = write_list(tmp_path / "a")
    copy_path = write_list(tmp_path / "b")  # same bytes, another folder
    with session_scope(any_engine) as s:
        first = load_file(s, first_path, actor="cli:alice")
        eu = load_file(s, FIXTURES / "eu_fsf.xml", actor="cli:alice")
    with session_scope(any_engine) as s:
        again = load_file(s, copy_path, actor="cli:bob")
    assert first.new and not again.new
    assert again.version.id == first.version.id and again.version.number == 1
    # each dataset counts its own versions from 1
    assert (first.version.dataset, first.version.number) == ("us_ofac_sdn", 1)
    assert (eu.version.dataset, eu.version.number) == ("eu_fsf", 1)
    changed = write_list(tmp_path / "c", sdn=SDN.replace("AEROCARIBBEAN AIRLINES", "AEROCARIBBEAN AIRLINES S.A."))
    with session_scope(any_engine) as s:
        second = load_file(s, changed, actor="cli:alice")
    assert second.new and (second.version.number, second.version.changed) == (2, 1)
    with Session(any_engine) as s:
        rows = s.execute(select(ListVersion).order_by(ListVersion.id)).scalars()
        versions = [(v.dataset, v.number, v.status) for v in rows]
        assert versions == [("us_ofac_sdn", 1, "superseded"), ("eu_fsf", 1, "active"), ("us_ofac_sdn", 2, "active")]
        events = s.execute(
            select(AuditEvent).where(AuditEvent.object_type == "list").order_by(AuditEvent.id)
        ).scalars().all()
    got = [(e.actor, e.action, e.object_id, e.detail["file"], e.detail["version"], e.detail["added"]) for e in events]
    assert got == [
        ("cli:alice", "list.load", "us_ofac_sdn", str(first_path), 1, 4),
        ("cli:alice", "list.load", "eu_fsf", str(FIXTURES / "eu_fsf.xml"), 1, eu.version.added),
        ("cli:bob", "list.load_unchanged", "us_ofac_sdn", str(copy_path), 1, 0),
        ("cli:alice", "list.load", "us_ofac_sdn", str(changed), 2, 0),
    ]
    assert events[3].detail["changed"] == 1 and events[0].detail["entities"] == 4


def test_cli_load_twice_says_unchanged_and_audits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    runner = embedded_cli(tmp_path, monkeypatch)
    src = FIXTURES / "eu_fsf.xml"
    path = tmp_path / "eu_fsf.xml"
    shutil.copy(src, path)
    one = runner.invoke(app, ["lists", "load", str(path), "--json", "--no-rescreen"])
    two = runner.invoke(app, ["lists", "load", str(path), "--no-rescreen"])
    assert one.exit_code == 0 and two.exit_code == 0, one.output + two.output
    (summary,) = jsonl(one.output)
    assert (summary["version"], summary["new_version"]) == (1, True)
    assert "unchanged" in two.output and "no new version" in two.output
    audit = runner.invoke(app, ["audit", "list", "--json"])
    actions = [(e["action"], e["object_id"], e["detail"]["version"]) for e in jsonl(audit.output)]
    assert actions == [("list.load_unchanged", "eu_fsf", 1), ("list.load", "eu_fsf", 1)]
