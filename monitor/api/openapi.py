"""The OpenAPI document, with each operation's required role (`x-required-role`) read from its dependencies.

The role is derived from the `require_role` dependencies actually attached to the route
(router-level and route-level), so the document and the tests cannot drift from the code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from monitor.keys import ROLE_RANK


def _roles_in(dependant: Dependant) -> Iterator[str]:
    for dep in dependant.dependencies:
        name = getattr(dep.call, "__name__", "")
        if name.startswith("require_") and name[len("require_") :] in ROLE_RANK:
            yield name[len("require_") :]
        yield from _roles_in(dep)


def _role_of_depends(depends: Any) -> str | None:
    name = getattr(getattr(depends, "dependency", None), "__name__", "")
    role = name[len("require_") :] if name.startswith("require_") else ""
    return role if role in ROLE_RANK else None


def route_roles(
    routes: Any, prefix: str = "", inherited: tuple[str, ...] = ()
) -> Iterator[tuple[str, str, str | None]]:
    """(method, path, strongest required role or None) for every API route, following included routers."""
    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:  # FastAPI's lazily included router
            ctx = route.include_context
            extra = tuple(r for r in (_role_of_depends(d) for d in ctx.dependencies) if r)
            yield from route_roles(original.routes, prefix + ctx.prefix, inherited + extra)
            continue
        if not isinstance(route, APIRoute):
            continue
        roles = set(inherited) | set(_roles_in(route.dependant))
        roles |= {r for r in (_role_of_depends(d) for d in route.dependencies) if r}
        strongest = max(roles, key=ROLE_RANK.__getitem__) if roles else None
        for method in sorted(route.methods or ()):
            yield method.lower(), prefix + route.path_format, strongest


_ERROR_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _document_errors(schema: dict[str, Any]) -> None:
    """Every operation with a body may answer 400 (not JSON) and 413 (too large); every path 405."""
    from monitor.api.errors import BODY_ERROR_RESPONSES

    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                for status, description in BODY_ERROR_RESPONSES.items():
                    responses.setdefault(status, {"description": description, "content": _ERROR_REF})
            responses.setdefault(
                "405",
                {
                    "description": "method not allowed on this path; the Allow header lists the methods that are",
                    "headers": {"Allow": {"schema": {"type": "string"}, "description": "e.g. GET, POST"}},
                    "content": _ERROR_REF,
                },
            )


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the OpenAPI document gives the path a request named (HEAD with GET), or []."""
    table: list[tuple[re.Pattern[str], list[str]]] | None = getattr(app.state, "allowed_methods", None)
    if table is None:
        table = []
        # Literal paths first: /alerts/export is not /alerts/{alert_id}.
        for template, item in sorted(app.openapi().get("paths", {}).items(), key=lambda kv: kv[0].count("{")):
            regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
            methods = [m.upper() for m in _METHODS if m in item]
            if "GET" in methods and "HEAD" not in methods:
                methods.append("HEAD")
            table.append((re.compile(f"^{regex}$"), methods))
        app.state.allowed_methods = table
    for pattern, methods in table:
        if pattern.match(path):
            return methods
    return []


def install_openapi(app: FastAPI) -> None:
    """Make /openapi.json carry `x-required-role` on every operation that needs a key, and its error answers."""

    def _openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        for method, path, role in route_roles(app.routes):
            operation = schema.get("paths", {}).get(path, {}).get(method)
            if operation is not None and role:
                operation["x-required-role"] = role
                operation["description"] = (operation.get("description") or "") + f"\n\nRequired role: `{role}`."
        _document_errors(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = _openapi  # type: ignore[method-assign]
