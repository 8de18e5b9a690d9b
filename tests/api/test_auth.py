"""Every route refuses a missing key, a wrong key and a too-weak role; parametrised over the app's routes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from monitor.api.app import create_app
from monitor.api.openapi import route_roles
from monitor.db import session_scope
from monitor.keys import ROLES, create_key, ensure_admin_key, revoke_key
from monitor.models import ApiKey, AuditEvent, utcnow
from monitor.settings import Settings
from tests.api.conftest import Api

OPEN = {"/healthz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def _operations() -> list[tuple[str, str, str | None]]:
    app = create_app(Settings(_env_file=None, data_dir="/nonexistent-test-dir", log_json=False))  # type: ignore[call-arg]
    return sorted(set(route_roles(app.routes)))


# The API proper: everything under /api/ (the browser console's HTML pages sign in with a key separately).
OPERATIONS = [op for op in _operations() if op[1].startswith("/api/") or op[1] in OPEN]
PROTECTED = [op for op in OPERATIONS if op[1] not in OPEN]


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "999999", path)  # an id that does not exist: no side effects


def test_every_route_but_health_and_metrics_needs_a_role(sqlite_api: Api) -> None:
    missing = [(m, p) for m, p, role in OPERATIONS if role is None and p not in OPEN]
    assert missing == []
    assert len(PROTECTED) >= 20
    document = sqlite_api.client.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if path not in OPEN:
                assert operation.get("x-required-role") in ROLES, (method, path)
                assert operation.get("security"), (method, path)


@pytest.mark.parametrize(("method", "path", "role"), PROTECTED, ids=[f"{m} {p}" for m, p, _ in PROTECTED])
def test_route_refuses_missing_wrong_and_weak_keys(module_api: Api, method: str, path: str, role: str) -> None:
    client = module_api.client
    url = _url(path)
    r = client.request(method, url)
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.json()["error"]["code"] == "unauthorized"
    r = client.request(method, url, headers={"Authorization": "Bearer smk_not-a-real-key-at-all-000000000000"})
    assert r.status_code == 401, r.text
    assert "www-authenticate" in r.headers
    r = client.request(method, url, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert r.status_code == 401, r.text
    weaker = ROLES[: ROLES.index(role)]
    for weak in weaker:
        r = client.request(method, url, headers=module_api.h(weak))
        assert r.status_code == 403, (weak, r.text)
        assert r.json()["error"]["details"]["needed"] == role
    if path.endswith("/stream"):
        return  # an endless stream; the admitted case is tested through uvicorn in test_server.py
    r = client.request(method, url, headers=module_api.h(role), json={})
    assert r.status_code not in (401, 403), r.text


def test_key_revoked_elsewhere_stops_working_after_the_cache_time(sqlite_api: Api) -> None:
    h = sqlite_api.h("reader")
    settings = sqlite_api.app.state.settings
    assert settings.api_key_cache_seconds == 5.0
    assert sqlite_api.client.get("/api/v1/alerts", headers=h).status_code == 200
    with session_scope(sqlite_api.engine) as s:  # as `keys revoke` in another process would
        row = s.query(ApiKey).filter(ApiKey.role == "reader").one()
        revoke_key(s, row.id, actor="test")
    # Still remembered by this process for up to api_key_cache_seconds ...
    assert sqlite_api.client.get("/api/v1/alerts", headers=h).status_code == 200
    # ... and refused once the entry expires (simulated by shortening the cache time).
    settings.api_key_cache_seconds = 0
    cache = sqlite_api.app.state.key_cache
    for digest, (_, key) in list(cache.items()):
        cache[digest] = (0.0, key)
    assert sqlite_api.client.get("/api/v1/alerts", headers=h).status_code == 401


def test_unknown_keys_are_never_cached(sqlite_api: Api) -> None:
    bad = {"Authorization": "Bearer smk_unknown-key-000000000000000000000000"}
    for _ in range(2):
        assert sqlite_api.client.get("/api/v1/alerts", headers=bad).status_code == 401
    assert all(key.role in ROLES for _, key in sqlite_api.app.state.key_cache.values())
    assert len(sqlite_api.app.state.key_cache) == 0


def test_keys_are_stored_hashed_and_use_is_recorded(sqlite_api: Api) -> None:
    sqlite_api.client.get("/api/v1/alerts", headers=sqlite_api.h("reader"))
    with session_scope(sqlite_api.engine) as s:
        rows = s.query(ApiKey).all()
        assert all(r.key_hash not in sqlite_api.keys.values() for r in rows)
        assert all(len(r.key_hash) == 64 for r in rows)
        reader = next(r for r in rows if r.role == "reader")
        assert reader.last_used_at is not None and utcnow() - reader.last_used_at < timedelta(minutes=1)
        assert s.query(AuditEvent).filter(AuditEvent.action == "key.create").count() == 3


def test_admin_creates_and_revokes_keys_over_the_api(api: Api) -> None:
    c = api.client
    r = c.post("/api/v1/keys", json={"role": "analyst", "name": "ci"}, headers=api.h("admin"))
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["role"] == "analyst" and new["key"].startswith("smk_")
    h = {"Authorization": f"Bearer {new['key']}"}
    assert c.get("/api/v1/alerts", headers=h).status_code == 200
    listed = c.get("/api/v1/keys", headers=api.h("admin")).json()
    assert {k["id"] for k in listed} >= {new["id"]} and all("key" not in k and "key_hash" not in k for k in listed)
    assert c.delete(f"/api/v1/keys/{new['id']}", headers=api.h("admin")).json()["revoked_at"]
    assert c.get("/api/v1/alerts", headers=h).status_code == 401
    assert c.delete("/api/v1/keys/999999", headers=api.h("admin")).status_code == 404
    r = c.post("/api/v1/keys", json={"role": "root"}, headers=api.h("admin"))
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "body.role"


def test_ensure_admin_key_only_on_first_start(sqlite_engine) -> None:  # type: ignore[no-untyped-def]
    with session_scope(sqlite_engine) as s:
        create_key(s, "reader", "made before the first start")
        first = ensure_admin_key(s)
    assert first and first.startswith("smk_")
    with session_scope(sqlite_engine) as s:
        admin = s.query(ApiKey).filter(ApiKey.role == "admin").one()
        revoke_key(s, admin.id, actor="test")
    with session_scope(sqlite_engine) as s:
        assert ensure_admin_key(s) is None  # not again, even with the first admin key revoked
        assert s.query(ApiKey).filter(ApiKey.role == "admin").count() == 1


def test_no_first_start_key_when_an_admin_exists(sqlite_engine) -> None:  # type: ignore[no-untyped-def]
    with session_scope(sqlite_engine) as s:
        create_key(s, "admin", "made by hand")
        assert ensure_admin_key(s) is None
        assert s.query(ApiKey).count() == 1


def test_create_key_rejects_unknown_role(sqlite_engine) -> None:  # type: ignore[no-untyped-def]
    with session_scope(sqlite_engine) as s, pytest.raises(ValueError, match="unknown role"):
        create_key(s, "owner")
