"""The hostile-feed corpus: documents written here (large ones generated), and a drip server.

Every entry is something a feed on the internet can send on purpose or by accident. The
test serves each from 127.0.0.1 and polls it; none may run unbounded, eat unbounded
memory, leak a local file, or touch another feed.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
from xml.sax.saxutils import escape


def _rss(items: str, doctype: str = "", encoding: str = "utf-8") -> bytes:
    head = f'<?xml version="1.0" encoding="{encoding}"?>{doctype}<rss version="2.0"><channel><title>Hostile</title>'
    return (head + "<link>http://127.0.0.1/</link><description>x</description>" + items
            + "</channel></rss>").encode(encoding, errors="surrogateescape")


def _item(guid: str, title: str, description: str = "text") -> str:
    return (f"<item><guid>{escape(guid)}</guid><title>{escape(title)}</title>"
            f"<description>{escape(description)}</description></item>")


def billion_laughs() -> bytes:
    """Ten levels of ten entity references: 10^9 'lol's if expanded."""
    ents = ['<!ENTITY lol "lol">']
    for i in range(1, 10):
        prev = "lol" if i == 1 else f"lol{i - 1}"
        ents.append(f'<!ENTITY lol{i} "' + f"&{prev};" * 10 + '">')
    doctype = "<!DOCTYPE rss [" + "".join(ents) + "]>"
    return _rss("<item><guid>bl</guid><title>&lol9;</title><description>x</description></item>", doctype)


def quadratic_blowup() -> bytes:
    """One 100 kB entity referenced 20,000 times (2 GB if expanded; no nesting to detect)."""
    doctype = '<!DOCTYPE rss [<!ENTITY a "' + "a" * 100_000 + '">]>'
    return _rss("<item><guid>qb</guid><title>q</title><description>" + "&a;" * 20_000
                + "</description></item>", doctype)


def xxe(path: str = "/etc/passwd") -> bytes:
    """External entities pointing at a local file (and a parameter entity)."""
    doctype = (f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{path}">'
               f'<!ENTITY % pe SYSTEM "file://{path}"> %pe;]>')
    return _rss("<item><guid>xxe</guid><title>leak &xxe;</title><description>&xxe;</description></item>", doctype)


def gzip_bomb(size: int = 200 * 1024 * 1024) -> bytes:
    """A valid feed start followed by `size` bytes of spaces, gzip-compressed (about 200 kB)."""
    head = _rss(_item("gz", "gzip bomb")).replace(b"</channel></rss>", b"")
    comp = gzip.compress(head, compresslevel=9)
    # build the body in slices so the test itself does not hold 200 MB
    import zlib

    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [c.compress(head)]
    block = b" " * (1024 * 1024)
    for _ in range(size // len(block)):
        parts.append(c.compress(block))
    parts.append(c.flush())
    del comp
    return b"".join(parts)


def many_items(n: int = 100_000) -> bytes:
    """A well-formed feed with `n` items."""
    return _rss("".join(_item(f"i{i}", f"Item {i}", "x") for i in range(n)))


def huge_titles(n: int = 3, size: int = 1024 * 1024) -> bytes:
    """Items whose titles (and descriptions) are 1 MB each."""
    return _rss("".join(_item(f"t{i}", f"{i} " + "T" * size, f"{i} " + "D" * size) for i in range(n)))


def invalid_utf8() -> bytes:
    """Declared UTF-8; contains Latin-1 bytes, broken sequences, overlongs and a lone surrogate."""
    good = _rss(_item("u1", "Caf\u00e9 ok") + _item("u2", "PLACEHOLDER2") + _item("u3", "PLACEHOLDER3"))
    return (good.replace(b"PLACEHOLDER2", b"Caf\xe9 latin1 \xff\xfe")
            .replace(b"PLACEHOLDER3", b"over\xc0\xaflong \xed\xa0\x80 surrogate \xe2\x82"))


def mixed_encodings() -> bytes:
    """Declared ISO-8859-1 with UTF-8, Windows-1252 and Shift-JIS fragments in one document."""
    body = _rss(_item("m1", "PLACEHOLDER1") + _item("m2", "PLACEHOLDER2"), encoding="iso-8859-1")
    return (body.replace(b"PLACEHOLDER1", "Gr\u00fc\u00dfe".encode() + b" \x93smart\x94")
            .replace(b"PLACEHOLDER2", "\u65e5\u672c".encode("shift_jis") + " \u00e9t\u00e9".encode("latin-1")))


def nul_bytes() -> bytes:
    """NUL bytes raw and as character references in titles and text."""
    return _rss(_item("n1", "NUL_RAW", "text") + "<item><guid>n2</guid><title>ref &#0; here</title>"
                "<description>a&#x0;b</description></item>").replace(b"NUL_RAW", b"nul\x00raw\x00")


def script_html() -> bytes:
    """HTML with scripts, handlers and javascript: links in the description and content."""
    html = ('<p>Arms news</p><script>alert("pwned")</script><img src=x onerror="alert(2)">'
            '<a href="javascript:alert(3)">click</a><iframe src="http://127.0.0.1/"></iframe>'
            '<style>body{display:none}</style>')
    return _rss(_item("s1", '<script>alert("title")</script>Headline', html))


def endless_stream_head() -> bytes:
    """The start of a feed that an endless chunked body follows."""
    return _rss(_item("e1", "endless")).replace(b"</channel></rss>", b"")


class DripServer:
    """Answers 200 with headers at once, then one byte of a feed per second, forever."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def url(self) -> str:
        """Where it listens."""
        return f"http://127.0.0.1:{self.port}/drip.xml"

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 100000\r\n\r\n")
            body = _rss(_item("d", "drip"))
            i = 0
            while not self.stopped.is_set():
                conn.sendall(body[i % len(body):i % len(body) + 1])
                i += 1
                time.sleep(1.0)
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self) -> None:
        """Stop serving."""
        self.stopped.set()
        self.sock.close()
