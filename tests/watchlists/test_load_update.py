"""`lists update` against a real HTTP server on 127.0.0.1 (never the internet), and `lists status`."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from monitor.cli import app
from monitor.models import Entity, ListVersion
from monitor.watchlists.status import list_status
from monitor.watchlists.update import update_lists
from tests.watchlists.test_load_ofac_csv import ADD, ALT, SDN

UN_XML = """<?xml version='1.0' encoding='UTF-8'?>
<CONSOLIDATED_LIST dateGenerated='2024-09-26T00:00:07.514Z'><INDIVIDUALS>
<INDIVIDUAL><DATAID>6908</DATAID><FIRST_NAME>KIM</FIRST_NAME><SECOND_NAME>SONG IL</SECOND_NAME>
<UN_LIST_TYPE>DPRK</UN_LIST_TYPE><REFERENCE_NUMBER>KPi.070</REFERENCE_NUMBER>
<INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>Kim</ALIAS_NAME></INDIVIDUAL_ALIAS>
</INDIVIDUAL></INDIVIDUALS><ENTITIES/></CONSOLIDATED_LIST>
"""


class ListServer:
    """Serves files from a folder with ETags and counts the requests."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[tuple[str, str | None]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = outer.root / self.path.lstrip("/")
                outer.requests.append((self.path, self.headers.get("If-None-Match")))
                if not path.is_file():
                    self.send_response(404)
                    self.end_headers()
                    return
                body = path.read_bytes()
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def list_server(tmp_path: Path) -> Iterator[ListServer]:
    root = tmp_path / "mirror"
    (root / "us_ofac_sdn").mkdir(parents=True)
    (root / "un_sc_sanctions").mkdir(parents=True)
    (root / "us_ofac_sdn" / "sdn.csv").write_bytes(SDN.encode("latin-1"))
    (root / "us_ofac_sdn" / "alt.csv").write_bytes(ALT.encode("latin-1"))
    (root / "us_ofac_sdn" / "add.csv").write_bytes(ADD.encode("latin-1"))
    (root / "un_sc_sanctions" / "consolidated.xml").write_text(UN_XML)
    server = ListServer(root)
    yield server
    server.close()


def test_update_conditional_and_rejected(sqlite_engine: Engine, make_settings, list_server: ListServer) -> None:  # type: ignore[no-untyped-def]
    cfg = make_settings(lists_mirror_url=list_server.url, lists_datasets=["us_ofac_sdn", "un_sc_sanctions"])
    with Session(sqlite_engine, expire_on_commit=False) as s:
        first = update_lists(s, cfg)
    assert [(r.dataset, r.status) for r in first] == [("us_ofac_sdn", "loaded"), ("un_sc_sanctions", "loaded")]
    assert (Path(cfg.data_dir) / "lists" / "us_ofac_sdn" / "alt.csv").exists()
    with Session(sqlite_engine) as s:
        assert s.get(Entity, "us_ofac_sdn:35173") is not None
        assert s.get(Entity, "un_sc_sanctions:KPi.070") is not None
        version = s.execute(select(ListVersion).where(ListVersion.dataset == "us_ofac_sdn")).scalars().one()
        assert version.source == f"{list_server.url}/us_ofac_sdn/sdn.csv"

    # unchanged files: every request is conditional, answered 304, nothing reloaded
    list_server.requests.clear()
    with Session(sqlite_engine, expire_on_commit=False) as s:
        second = update_lists(s, cfg)
    assert [r.status for r in second] == ["unchanged", "unchanged"]
    assert len(list_server.requests) == 4 and all(etag for _p, etag in list_server.requests)

    # a truncated download is rejected and the loaded version stays
    un = list_server.root / "un_sc_sanctions" / "consolidated.xml"
    un.write_text(UN_XML[: UN_XML.index("<INDIVIDUAL_ALIAS>")])
    with Session(sqlite_engine, expire_on_commit=False) as s:
        third = update_lists(s, cfg, ["un_sc_sanctions"])
    assert third[0].status == "failed" and "downloaded file rejected" in third[0].message
    assert "truncated or malformed XML" in third[0].message
    with Session(sqlite_engine) as s:
        versions = s.execute(select(ListVersion).where(ListVersion.dataset == "un_sc_sanctions")).scalars().all()
        assert [v.status for v in versions] == ["active"]
    kept = (Path(cfg.data_dir) / "lists" / "un_sc_sanctions" / "consolidated.xml").read_text()
    assert kept == UN_XML  # the previous download is put back


def test_update_offline_and_blocked(sqlite_engine: Engine, make_settings, list_server: ListServer) -> None:  # type: ignore[no-untyped-def]
    port = list_server.server.server_port
    list_server.close()  # nothing listens there any more: offline
    cfg = make_settings(lists_mirror_url=f"http://127.0.0.1:{port}", lists_datasets=["un_sc_sanctions"])
    with Session(sqlite_engine, expire_on_commit=False) as s:
        result = update_lists(s, cfg)[0]
    assert result.status == "failed" and result.message.startswith("cannot reach 127.0.0.1 (offline or blocked?)")
    # 127.0.0.2 is loopback but not in allowed_networks (only 127.0.0.1/32): refused before connecting
    cfg = make_settings(lists_mirror_url="http://127.0.0.2:9/", lists_datasets=["un_sc_sanctions"])
    with Session(sqlite_engine, expire_on_commit=False) as s:
        result = update_lists(s, cfg)[0]
    assert result.status == "failed" and "127.0.0.2" in result.message and "loopback" in result.message.lower()
    with Session(sqlite_engine) as s:
        assert s.execute(select(ListVersion)).first() is None


def test_cli_update_and_status(tmp_path: Path, list_server: ListServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    env = {
        "MONITOR_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "MONITOR_DATA_DIR": str(tmp_path / "var"),
        "MONITOR_ALLOWED_NETWORKS": "127.0.0.1/32",
        "MONITOR_LISTS_MIRROR_URL": list_server.url,
        "MONITOR_LISTS_DATASETS": "un_sc_sanctions",
    }
    runner = CliRunner()
    result = runner.invoke(app, ["lists", "update"], env=env)
    assert result.exit_code == 0, result.output
    assert "un_sc_sanctions: loaded: version 1: 1 entities" in result.output
    result = runner.invoke(app, ["lists", "status", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert '"dataset": "un_sc_sanctions"' in result.output and '"entities": 1' in result.output
    result = runner.invoke(app, ["lists", "update", "no_such_list"], env=env)
    assert result.exit_code == 1 and "no download source for 'no_such_list'" in result.output


def test_status_counts(sqlite_engine: Engine, make_settings, list_server: ListServer) -> None:  # type: ignore[no-untyped-def]
    cfg = make_settings(lists_mirror_url=list_server.url, lists_datasets=["us_ofac_sdn"])
    with Session(sqlite_engine, expire_on_commit=False) as s:
        update_lists(s, cfg)
    with Session(sqlite_engine) as s:
        rows = list_status(s)
    assert len(rows) == 1
    row = rows[0]
    assert (row["dataset"], row["entities"], row["removed"], row["skipped"], row["loads"]) == (
        "us_ofac_sdn",
        4,
        0,
        1,
        1,
    )
    assert row["names"] > 4 and row["age"].endswith("s")
