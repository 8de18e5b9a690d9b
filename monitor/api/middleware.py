"""Request ids, structured JSON access logs, and CORS (off unless `settings.cors_origins`)."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("monitor.api.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# The current request's id, so every log line written while serving it can carry it.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


class RequestIdFilter(logging.Filter):
    """Stamp records with the id of the request being served (when there is one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add `request_id` unless the record already has one."""
        if not hasattr(record, "request_id"):
            rid = request_id_var.get()
            if rid is not None:
                record.request_id = rid
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per log line, with the request id when the record carries one."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as JSON."""
        data: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in ("request_id", "method", "path", "status", "duration_ms", "client"):
            if hasattr(record, key):
                data[key] = getattr(record, key)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


class RequestIdMiddleware:
    """Give each request an id (the client's X-Request-ID when it is sane), echo it, log the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        started_response = False

        async def _send(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                started_response = True
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, _send)
        except Exception:
            # Answer here rather than in Starlette's outermost error middleware, so the 500
            # still carries the request id (header and log line) and the JSON error body.
            if started_response:
                raise
            logging.getLogger("monitor.api").exception(
                "unhandled error on %s %s", scope.get("method"), scope.get("path"), extra={"request_id": request_id}
            )
            body = b'{"error":{"code":"internal_error","message":"internal server error","details":null}}'
            await _send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
                }
            )
            await _send({"type": "http.response.body", "body": body})
        finally:
            request_id_var.reset(token)
            if log.isEnabledFor(logging.INFO):
                client = scope.get("client")
                log.info(
                    "request",
                    extra={
                        "request_id": request_id,
                        "method": scope.get("method"),
                        "path": scope.get("path"),
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        "client": client[0] if client else None,
                    },
                )


def configure_json_logging(level: int = logging.INFO) -> None:
    """Send the monitor's logs to stderr as JSON lines, unless the process already set up logging.

    When the root logger has handlers (a host application, or pytest's log capture), they are
    left to receive the records as configured; otherwise the `monitor` loggers get one JSON
    handler (added once, however many apps are created).
    """
    root = logging.getLogger()
    logger = logging.getLogger("monitor")
    if root.handlers or any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False


def install_middleware(app: FastAPI) -> None:
    """Add request ids + access logs, and CORS only when origins are configured."""
    settings = app.state.settings
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
        )
    app.add_middleware(RequestIdMiddleware)
