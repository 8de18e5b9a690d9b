"""Refuse request bodies over `settings.api_max_body_bytes` with 413, before anything parses them.

A declared Content-Length over the limit is answered at once, before the route (or its
authentication) runs. A body without one (chunked transfer) is counted as it is read; the
read that crosses the limit raises, so the parser never sees more than the limit and the
client gets the same 413.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    """Raised from `receive` when the body grows past the limit (FastAPI re-raises HTTPExceptions)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


class BodyLimitMiddleware:
    """ASGI middleware: 413 for bodies over `max_bytes` (declared or counted).

    `allowances` raises the limit for named paths whose own cap is larger (an OPML upload may
    be 2 MiB); the route checks that cap itself.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, allowances: dict[str, int] | None = None) -> None:
        self.app = app
        self.default = max_bytes
        self.allowances = allowances or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = max(self.default, self.allowances.get(scope.get("path", ""), 0))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _answer_413(send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            # Raised where no exception handler turned it into a response (a form read
            # by a middleware, say): answer here unless a response is already under way.
            if started:
                raise
            await _answer_413(send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or []:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _answer_413(send: Send, limit: int) -> None:
    body = json.dumps(
        {"error": {"code": "too_large", "message": f"request body larger than {limit} bytes", "details": None}}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
