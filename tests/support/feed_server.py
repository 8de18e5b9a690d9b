"""A real HTTP server on 127.0.0.1 for feed tests, benchmarks and other engineers' tests.

Serves registered routes (bytes or files) with ETag and Last-Modified and answers
conditional requests with 304 for real. Faults are programmable per path: any status
code (with headers such as Retry-After), a slow answer, redirects (including loops),
a huge or endless body, a gzip-encoded body. Every request is logged (path and the
conditional headers) so tests can assert what the client sent.

    with FeedServer() as srv:
        srv.add_file("/bbc.xml", path)
        url = srv.url("/bbc.xml")
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Route:
    """What one path answers."""

    body: bytes = b""
    content_type: str = "application/rss+xml"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = True
    last_modified: bool = True
    modified_at: float = field(default_factory=time.time)
    delay: float = 0.0
    gzip: bool = False
    redirect_to: str | None = None
    stream_bytes: int = 0  # > 0: send this many filler bytes after the body, in chunks

    @property
    def etag_value(self) -> str:
        """Strong ETag of the body."""
        return '"' + hashlib.sha256(self.body).hexdigest()[:20] + '"'


@dataclass
class Hit:
    """One request the server received."""

    path: str
    if_none_match: str | None
    if_modified_since: str | None
    user_agent: str | None
    status: int


class FeedServer:
    """Threading HTTP server on 127.0.0.1 (an ephemeral port) with programmable routes."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server._handle(self)

            def do_HEAD(self) -> None:
                server._handle(self)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # clients that hang up early (caps, timeouts) are expected here

        self.httpd = Server((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.host = host
        self.port = self.httpd.server_address[1]
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ set-up

    def url(self, path: str) -> str:
        """Absolute URL of a path on this server."""
        return f"http://{self.host}:{self.port}{path}"

    def add(self, path: str, body: bytes = b"", **kwargs: Any) -> Route:
        """Serve `body` at `path` (keyword arguments are Route fields)."""
        route = Route(body=body, **kwargs)
        with self._lock:
            self.routes[path] = route
        return route

    def add_file(self, path: str, file: Path, **kwargs: Any) -> Route:
        """Serve a file's bytes at `path`, its mtime as Last-Modified."""
        kwargs.setdefault("modified_at", file.stat().st_mtime)
        return self.add(path, file.read_bytes(), **kwargs)

    def replace(self, path: str, body: bytes, **kwargs: Any) -> Route:
        """Change what a path serves (a new version of the feed: new ETag, later Last-Modified)."""
        old = self.routes.get(path)
        modified = max(time.time(), (old.modified_at + 1) if old else 0)
        kwargs.setdefault("modified_at", modified)
        if old is not None:
            kwargs.setdefault("content_type", old.content_type)
        return self.add(path, body, **kwargs)

    def hits_for(self, path: str) -> list[Hit]:
        """Requests received for one path."""
        with self._lock:
            return [h for h in self.hits if h.path == path]

    # ------------------------------------------------------------------ serving

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        path = req.path.split("?", 1)[0]
        with self._lock:
            route = self.routes.get(path)
        inm = req.headers.get("If-None-Match")
        ims = req.headers.get("If-Modified-Since")
        # Logged before answering, so a client that got its answer always finds the hit.
        hit = Hit(path, inm, ims, req.headers.get("User-Agent"), 0)
        with self._lock:
            self.hits.append(hit)
        req._hit = hit  # type: ignore[attr-defined]  # _send records the status before answering
        self._answer(req, route, inm, ims)

    def _answer(self, req: BaseHTTPRequestHandler, route: Route | None, inm: str | None, ims: str | None) -> int:
        if route is None:
            return self._send(req, 404, b"not found", {"Content-Type": "text/plain"})
        if route.delay:
            time.sleep(route.delay)
        headers = {"Content-Type": route.content_type, **route.headers}
        if route.redirect_to is not None:
            headers["Location"] = route.redirect_to
            return self._send(req, route.status if route.status in (301, 302, 303, 307, 308) else 302, b"", headers)
        if route.status != 200:
            return self._send(req, route.status, b"error page", {**headers, "Content-Type": "text/html"})
        lm = email.utils.formatdate(route.modified_at, usegmt=True)
        if route.etag:
            headers["ETag"] = route.etag_value
        if route.last_modified:
            headers["Last-Modified"] = lm
        if route.etag and inm is not None:
            if inm == route.etag_value:
                return self._send(req, 304, b"", {k: v for k, v in headers.items() if k != "Content-Type"})
        elif route.last_modified and ims is not None:
            since = email.utils.parsedate_to_datetime(ims).timestamp()
            if int(route.modified_at) <= since:
                return self._send(req, 304, b"", {k: v for k, v in headers.items() if k != "Content-Type"})
        body = route.body
        if route.gzip:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        if route.stream_bytes:
            return self._stream(req, body, route.stream_bytes, headers)
        return self._send(req, 200, body, headers)

    def _send(self, req: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]) -> int:
        req._hit.status = status  # type: ignore[attr-defined]
        try:
            req.send_response(status)
            for key, value in headers.items():
                req.send_header(key, value)
            req.send_header("Content-Length", str(len(body) if status != 304 else 0))
            req.end_headers()
            if req.command != "HEAD" and status != 304:
                req.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return status

    def _stream(self, req: BaseHTTPRequestHandler, body: bytes, extra: int, headers: dict[str, str]) -> int:
        # Chunked, no Content-Length: the client must count the bytes itself.
        req._hit.status = 200  # type: ignore[attr-defined]
        try:
            req.send_response(200)
            for key, value in headers.items():
                req.send_header(key, value)
            req.send_header("Transfer-Encoding", "chunked")
            req.end_headers()
            filler = b"<!-- " + b"x" * 65_000 + b" -->\n"
            for chunk in self._chunks(body, filler, extra):
                req.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            req.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        return 200

    @staticmethod
    def _chunks(body: bytes, filler: bytes, extra: int) -> Iterator[bytes]:
        yield body
        sent = 0
        while sent < extra:
            yield filler
            sent += len(filler)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FeedServer:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), name="feed-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def rss(items: list[dict[str, str]], title: str = "Test feed", link: str = "http://127.0.0.1/",
        ttl: int | None = None) -> bytes:
    """A small RSS 2.0 document; each item dict may have guid, title, link, description, pubDate."""
    from xml.sax.saxutils import escape

    parts = [f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
             f"<link>{escape(link)}</link><description>test</description>"]
    if ttl is not None:
        parts.append(f"<ttl>{ttl}</ttl>")
    for item in items:
        parts.append("<item>")
        for tag in ("guid", "title", "link", "description", "pubDate"):
            if tag in item:
                parts.append(f"<{tag}>{escape(item[tag])}</{tag}>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode()
