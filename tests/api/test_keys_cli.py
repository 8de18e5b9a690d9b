"""`sanctions-monitor keys create|list|revoke` on the embedded store."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from monitor.cli import app
from monitor.db import engine_for, session_scope
from monitor.keys import authenticate


def test_keys_cli_create_list_revoke(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MONITOR_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("MONITOR_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    r = runner.invoke(app, ["keys", "create", "--role", "reader", "--name", "auditor"])
    assert r.exit_code == 0, r.output
    key = r.stdout.strip().splitlines()[-1]
    assert key.startswith("smk_") and len(key) >= 40 and " " not in key
    r = runner.invoke(app, ["keys", "list", "--json"])
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert [(x["role"], x["name"], x["revoked_at"]) for x in rows] == [("reader", "auditor", None)]
    assert all(key not in line for line in r.stdout.splitlines())  # the key itself is never shown again
    from monitor.settings import Settings

    engine = engine_for(Settings(_env_file=None, data_dir=tmp_path / "var"))  # type: ignore[call-arg]
    with session_scope(engine) as s:
        assert authenticate(s, key) is not None
    r = runner.invoke(app, ["keys", "revoke", str(rows[0]["id"])])
    assert r.exit_code == 0 and json.loads(r.stdout)["revoked_at"]
    with session_scope(engine) as s:
        assert authenticate(s, key) is None
    r = runner.invoke(app, ["keys", "create", "--role", "owner"])
    assert r.exit_code == 2 and "--role must be one of" in r.output
    assert runner.invoke(app, ["keys", "revoke", "999"]).exit_code == 1
