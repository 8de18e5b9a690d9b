"""One error type for the API, rendered as `{"error": {"code", "message", "details"}}`.

Every failure path (our own ApiError, FastAPI's HTTPException, request validation, and any
unexpected exception) goes through these handlers so clients see one shape. Validation
errors name the offending field (`query.severity`) in both the message and the details.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("monitor.api")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


class ErrorBody(BaseModel):
    """What went wrong: a stable machine code, a human message, and optional details."""

    code: str = Field(description="stable machine-readable code, e.g. not_found, validation_error")
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    """Every error response of the API."""

    error: ErrorBody


class ApiError(Exception):
    """Raise anywhere in a handler to answer with this status and JSON error body."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        code: str | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code or _CODES.get(status_code, "error")
        self.message = message
        self.details = details
        self.headers = headers


def not_found(what: str, ident: object) -> ApiError:
    """A 404 ApiError for an object that does not exist."""
    return ApiError(404, f"{what} {ident} not found", details={"type": what, "id": str(ident)})


def validation_error(field: str, message: str, **extra: Any) -> ApiError:
    """A 422 ApiError naming the field (e.g. `body.query`)."""
    return ApiError(422, f"{field}: {message}", details=[{"field": field, "message": message, **extra}])


def error_json(
    status_code: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The JSON response for an error."""
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(body, status_code=status_code, headers=headers)


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_json(exc.status_code, exc.code, exc.message, exc.details, exc.headers)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else _CODES.get(exc.status_code, "error")
    details = None if isinstance(exc.detail, str) else exc.detail
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == 405:
        # Starlette's Allow names the methods of the first route that matched the path only;
        # the answer must name every method the OpenAPI document gives this path.
        from monitor.api.openapi import allowed_methods

        allowed = allowed_methods(request.app, request.url.path)
        if allowed:
            headers = {**(headers or {}), "Allow": ", ".join(allowed)}
            message = f"{request.method} is not allowed here; allowed: {', '.join(allowed)}"
    return error_json(exc.status_code, _CODES.get(exc.status_code, "error"), message, details, headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if errors and all(err.get("type") == "json_invalid" for err in errors):
        # The body is not JSON at all: a malformed request (400), not a value that fails a rule (422).
        err = errors[0]
        reason = (err.get("ctx") or {}).get("error") or err.get("msg", "invalid JSON")
        loc = err.get("loc", ())
        where = f" at character {loc[1]}" if len(loc) > 1 and isinstance(loc[1], int) else ""
        return error_json(400, "invalid_json", f"the request body is not valid JSON: {reason}{where}",
                          [{"field": "body", "message": f"{reason}{where}", "type": "json_invalid"}])
    details = []
    for err in errors:
        field = _field_name(err.get("loc", ()))
        details.append({"field": field, "message": err.get("msg", "invalid"), "type": err.get("type", "")})
    fields = ", ".join(dict.fromkeys(d["field"] for d in details)) or "request"
    first = details[0]["message"] if details else "invalid request"
    return error_json(422, "validation_error", f"invalid {fields}: {first}", details)


async def _out_of_range(request: Request, exc: Exception) -> JSONResponse:
    # A number or text the database cannot hold (an id beyond 32 bits, say) came from the
    # request: the client's mistake, answered as such, never a 500.
    log.info(
        "value out of range for the database on %s %s: %s", request.method, request.url.path, exc.__class__.__name__
    )
    return error_json(422, "invalid_value", "a value in the request is out of range for this field")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_json(500, "internal_error", "internal server error")


def install_error_handlers(app: FastAPI) -> None:
    """Route every error through the JSON error body."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DataError, _out_of_range)
    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(Exception, _unexpected)


# Added by monitor.api.openapi to every operation that takes a request body.
BODY_ERROR_RESPONSES: dict[str, str] = {
    "400": "the request body is not valid JSON (code invalid_json)",
    "413": "the request body is larger than MONITOR_API_MAX_BODY_BYTES (code too_large)",
}

# Declared on routes so the OpenAPI document lists the error shape for the common statuses.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "missing or wrong API key"},
    403: {"model": ErrorResponse, "description": "the key's role is too weak"},
    404: {"model": ErrorResponse, "description": "no such object"},
    409: {"model": ErrorResponse, "description": "conflicts with an existing object or a read-only one"},
    422: {"model": ErrorResponse, "description": "invalid parameter (the field is named)"},
}
