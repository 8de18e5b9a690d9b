"""Links taken from feeds: only absolute http(s) URLs count as links.

A feed can carry `javascript:`, `data:`, `vbscript:`, `file:` or any other scheme in an
item's link, disguised with case, leading blanks or embedded tabs (which browsers and
`urlsplit` ignore). Such a value is not stored as the article's link and never becomes
an `href` in a message; the article keeps its title and text.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
WEB_SCHEMES = ("http", "https")


def web_link(url: str | None) -> str | None:
    """`url` (trimmed) when it is an absolute http(s) URL with a host, else None."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[::1" and other malformed URLs
        return None
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname or _CONTROL.search(url):
        return None
    return url
