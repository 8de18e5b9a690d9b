"""The API answers as its OpenAPI document says: 400 for a body that is not JSON, 405 with an Allow
header naming every documented method, and the time and cursor formats stated in the schema."""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import Api

METHODS = ("get", "put", "post", "delete", "patch")


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _other_path_takes(schema: dict, path: str, method: str) -> bool:
    concrete = _concrete(path) if "{" in path else path
    for other, item in schema["paths"].items():
        if other != path and method in item:
            pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(other)) + "$"
            if re.match(pattern, concrete):
                return True
    return False


def test_malformed_json_is_a_documented_400(module_api: Api) -> None:
    api = module_api
    schema = api.client.get("/openapi.json").json()
    with_body = [(m, p) for p, item in schema["paths"].items() for m, op in item.items()
                 if isinstance(op, dict) and "requestBody" in op]
    assert len(with_body) >= 8
    for method, path in with_body:
        responses = schema["paths"][path][method]["responses"]
        assert {"400", "413"} <= set(responses), (method, path)
    for body in (b'{"channel": "email",', b"not json", b"{'single': 'quotes'}"):
        r = api.client.post("/api/v1/subscriptions", content=body,
                            headers={**api.h(), "Content-Type": "application/json"})
        assert r.status_code == 400, r.text
        err = r.json()["error"]
        assert err["code"] == "invalid_json" and err["details"][0]["field"] == "body"
        assert "not valid JSON" in err["message"]
    # well-formed JSON that breaks a rule stays a 422
    r = api.client.post("/api/v1/subscriptions", json={"channel": "pigeon", "target": "x"}, headers=api.h())
    assert r.status_code == 422


def test_wrong_methods_and_options_get_405_with_every_documented_method(module_api: Api) -> None:
    api = module_api
    schema = api.client.get("/openapi.json").json()
    checked = 0
    for path, item in schema["paths"].items():
        documented = {m.upper() for m in item if m in METHODS}
        expected = documented | ({"HEAD"} if "GET" in documented else set())
        for method in [m.upper() for m in METHODS if m not in item] + ["OPTIONS"]:
            if _other_path_takes(schema, path, method.lower()):
                continue  # DELETE /feeds/export.opml is DELETE /feeds/{feed_id} with a bad id: a 422
            r = api.client.request(method, _concrete(path), headers=api.h())
            assert r.status_code == 405, (method, path, r.status_code)
            assert set(r.headers["allow"].split(", ")) == expected, (method, path, r.headers["allow"])
            assert r.json()["error"]["code"] == "method_not_allowed"
            assert "405" in item[next(iter(m for m in item if m in METHODS))]["responses"]
            checked += 1
    assert checked > 40


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("since=7d", 200),
        ("since=2026-01-01", 200),
        ("since=2026-01-01T10:00:00.123%2B02:00", 200),
        ("until=2026-01-01T10:00Z", 200),
        ("since=yesterday", 422),  # not a shape the schema allows
        ("since=2026-02-30", 422),  # the right shape, but no such day
        ("cursor=abc%21", 422),  # a cursor is URL-safe base64
    ],
)
def test_time_and_cursor_formats_are_in_the_schema_and_enforced(module_api: Api, query: str, status: int) -> None:
    api = module_api
    operation = api.client.get("/openapi.json").json()["paths"]["/api/v1/alerts"]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    for name in ("since", "until", "cursor"):
        assert "pattern" in params[name]["schema"]["anyOf"][0], name
    assert api.client.get(f"/api/v1/alerts?{query}", headers=api.h()).status_code == status
    assert api.client.get(f"/api/v1/audit?{query}", headers=api.h()).status_code == status
