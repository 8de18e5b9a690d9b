"""GET /api/v1/audit: the administrative changes made through the API come back, filtered and paged."""

from __future__ import annotations

from datetime import timedelta

from monitor.db import session_scope
from monitor.models import AuditEvent, utcnow
from tests.api.conftest import Api


def _refuse_resolver(host: str, port: int) -> list[str]:
    raise AssertionError(f"no DNS lookup expected for {host}")


def _admin_id(api: Api) -> str:
    keys = api.client.get("/api/v1/keys", headers=api.h("admin")).json()
    return str(next(k["id"] for k in keys if k["name"] == "test-admin"))


def test_changes_made_through_the_api_are_listed_newest_first(api: Api) -> None:
    c, h = api.client, api.h("admin")
    api.app.state.resolver = _refuse_resolver
    fid = c.post("/api/v1/feeds", json={"url": "http://127.0.0.1:9/a.xml"}, headers=h).json()["id"]
    assert c.post(f"/api/v1/feeds/{fid}/pause", headers=h).status_code == 200
    kid = c.post("/api/v1/keys", json={"role": "reader", "name": "temp"}, headers=h).json()["id"]
    assert c.delete(f"/api/v1/keys/{kid}", headers=h).status_code == 200

    r = c.get("/api/v1/audit", headers=h)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    actions = [(e["action"], e["object_type"], e["object_id"]) for e in items]
    assert actions[:4] == [("key.revoke", "api_key", str(kid)), ("key.create", "api_key", str(kid)),
                           ("feed.pause", "feed", str(fid)), ("feed.create", "feed", str(fid))]
    admin = f"key:{_admin_id(api)} (test-admin)"
    assert {e["actor"] for e in items[:4]} == {admin}
    assert [e["id"] for e in items] == sorted((e["id"] for e in items), reverse=True)

    # Filters: object, action (exact or a prefix ending in a dot), actor (`key:<id>` whatever its name).
    def ids(**params: str) -> list[tuple[str, str]]:
        got = c.get("/api/v1/audit", params=params, headers=h)
        assert got.status_code == 200, got.text
        return [(e["action"], e["object_id"]) for e in got.json()["items"]]

    assert ids(object_type="feed", object_id=str(fid)) == [("feed.pause", str(fid)), ("feed.create", str(fid))]
    assert ids(action="feed.") == [("feed.pause", str(fid)), ("feed.create", str(fid))]
    assert ids(action="feed.") == ids(action="feed.", actor=f"key:{_admin_id(api)}")
    assert ids(action="feed") == []  # no dot: exact, and there is no action called `feed`
    assert ids(action="key.revoke") == [("key.revoke", str(kid))]
    assert ids(actor="key:999999") == []
    assert ids(since="1h", object_type="api_key", object_id=str(kid)) == [("key.revoke", str(kid)),
                                                                          ("key.create", str(kid))]
    assert len(ids(object_type="api_key", actor="cli")) == 3  # the fixture's three keys
    assert ids(until="1h") == []


def test_cursor_pages_are_stable_and_bad_input_is_a_422(api: Api) -> None:
    c, h = api.client, api.h("admin")
    old = utcnow() - timedelta(days=3)
    with session_scope(api.engine) as s:
        for i in range(7):
            s.add(AuditEvent(at=old + timedelta(minutes=i), actor="cli", action="rule.update",
                             object_type="rule", object_id=f"r{i}", detail={"n": i}))
    seen: list[str] = []
    cursor = None
    while True:
        params = {"object_type": "rule", "limit": "3", **({"cursor": cursor} if cursor else {})}
        page = c.get("/api/v1/audit", params=params, headers=h).json()
        seen += [e["object_id"] for e in page["items"]]
        if len(seen) == 3:  # an event arriving between pages does not shift the next page
            with session_scope(api.engine) as s:
                s.add(AuditEvent(actor="cli", action="rule.create", object_type="rule", object_id="late"))
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"r{i}" for i in reversed(range(7))]
    assert c.get("/api/v1/audit", params={"object_id": "r3"}, headers=h).json()["items"][0]["detail"] == {"n": 3}
    assert c.get("/api/v1/audit", params={"since": "2d", "object_type": "rule"}, headers=h).json()["items"][0][
        "object_id"] == "late"

    for params, field in (({"cursor": "bm90LW91cnM"}, "query.cursor"), ({"since": "yesterday"}, "query.since"),
                          ({"limit": "0"}, "limit"), ({"action": "x" * 65}, "action")):
        r = c.get("/api/v1/audit", params=params, headers=h)
        assert r.status_code == 422, (params, r.text)
        assert field in r.text


def test_only_admins_read_the_audit_log(api: Api) -> None:
    c = api.client
    assert c.get("/api/v1/audit").status_code == 401
    assert c.get("/api/v1/audit", headers=api.h("reader")).status_code == 403
    assert c.get("/api/v1/audit", headers=api.h("analyst")).status_code == 403
    assert c.get("/api/v1/audit", headers=api.h("admin")).status_code == 200


def test_audit_list_cli(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import json

    from typer.testing import CliRunner

    from monitor.cli import app

    monkeypatch.setenv("MONITOR_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("MONITOR_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["keys", "create", "--role", "reader", "--name", "auditor"]).exit_code == 0
    assert runner.invoke(app, ["keys", "revoke", "1"]).exit_code == 0
    r = runner.invoke(app, ["audit", "list", "--json"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(x["action"], x["object_type"], x["object_id"], x["actor"]) for x in rows] == [
        ("key.revoke", "api_key", "1", "cli"), ("key.create", "api_key", "1", "cli")]
    assert rows[1]["detail"] == {"role": "reader", "name": "auditor"}
    r = runner.invoke(app, ["audit", "list", "--action", "key.create", "--limit", "5"])
    assert r.exit_code == 0 and "key.create" in r.stdout and "key.revoke" not in r.stdout
    assert "name=auditor" in r.stdout
    r = runner.invoke(app, ["audit", "list", "--since", "not-a-time"])
    assert r.exit_code != 0 and "--since" in r.output


def test_feeds_added_from_the_command_line_are_audited(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import json

    from typer.testing import CliRunner

    from monitor.cli import app

    monkeypatch.setenv("MONITOR_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("MONITOR_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    opml = tmp_path / "f.opml"
    opml.write_text('<?xml version="1.0"?><opml version="2.0"><head/><body>'
                    '<outline type="rss" xmlUrl="http://127.0.0.1:9/b.xml"/>'
                    '<outline type="rss" xmlUrl="ftp://127.0.0.1/c.xml"/></body></opml>')
    runner = CliRunner()
    assert runner.invoke(app, ["feeds", "add", "http://127.0.0.1:9/a.xml"]).exit_code == 0
    assert runner.invoke(app, ["feeds", "add", "http://127.0.0.1:9/a.xml"]).exit_code == 0  # already there
    assert runner.invoke(app, ["feeds", "import", str(opml)]).exit_code == 0
    out = runner.invoke(app, ["audit", "list", "--json", "--action", "feed."]).stdout
    rows = [json.loads(x) for x in out.splitlines()]
    assert [(r["action"], r["object_id"], r["actor"], r["detail"]) for r in rows] == [
        ("feed.import", "", "cli", {"added": ["http://127.0.0.1:9/b.xml"], "skipped": 1}),
        ("feed.create", "1", "cli", {"url": "http://127.0.0.1:9/a.xml"}),
    ]
