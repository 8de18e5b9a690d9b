"""A real webhook endpoint on 127.0.0.1 for the tests: verifies Standard Webhooks
signatures with the `standardwebhooks` package, can fail its first N calls, and
records what it received."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    """One request as the receiver saw it."""

    webhook_id: str
    status: int
    verified: bool
    payload: dict[str, Any] | None
    headers: dict[str, str]
    at: float


@dataclass
class Receiver:
    """Configuration and log of the endpoint (mutable from the test while it runs)."""

    secrets: list[str] = field(default_factory=list)
    fail_first: int = 0
    fail_status: int = 503
    fail_headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    delay: float = 0.0
    calls: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0
    on_request: Any = None

    @property
    def url(self) -> str:
        """Where to POST."""
        return f"http://127.0.0.1:{self.port}/hook"

    def accepted(self) -> list[Received]:
        """Requests answered 2xx with a valid signature."""
        return [c for c in self.calls if c.verified and 200 <= c.status < 300]


def _handler(rx: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            verified, payload = False, None
            if not rx.secrets:  # an unsigned endpoint (apprise's json:// plugin): accept any JSON
                verified, payload = True, json.loads(body or b"null")
            for secret in rx.secrets:
                try:
                    payload = Webhook(secret).verify(body, headers)
                    verified = True
                    break
                except WebhookVerificationError:
                    continue
            if rx.on_request is not None:
                rx.on_request(headers)
            if rx.delay:
                time.sleep(rx.delay)
            with rx.lock:
                failing = rx.fail_first > 0
                if failing:
                    rx.fail_first -= 1
                status = rx.fail_status if failing else (rx.status if verified else 401)
                rx.calls.append(Received(headers.get("webhook-id", ""), status, verified, payload, headers,
                                         time.time()))
            self.send_response(status)
            for k, v in (rx.fail_headers if failing else {}).items():
                self.send_header(k, v)
            out = json.dumps({"ok": 200 <= status < 300}).encode()
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    return Handler


class ReceiverServer:
    """Context manager running a Receiver on an ephemeral loopback port."""

    def __init__(self, rx: Receiver | None = None) -> None:
        self.rx = rx or Receiver()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.rx))
        self.server.daemon_threads = True
        self.rx.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self.rx

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
