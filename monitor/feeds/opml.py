"""OPML subscription lists: read with listparser (always given bytes, so it never fetches)."""

from __future__ import annotations

from dataclasses import dataclass, field

import listparser

MAX_OPML_BYTES = 2 * 1024 * 1024  # an OPML upload larger than this is refused (API and console alike)


class OpmlError(ValueError):
    """The file is not a readable OPML subscription list."""


@dataclass(frozen=True)
class OpmlFeed:
    """One feed entry of an OPML file."""

    url: str
    title: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)


def read_opml(data: bytes) -> list[OpmlFeed]:
    """The feeds an OPML document lists (in file order, duplicates removed)."""
    if not data.strip():
        raise OpmlError("empty OPML file")
    parsed = listparser.parse(bytes(data))
    if parsed.get("bozo") and not parsed.get("feeds"):
        raise OpmlError(f"not a readable OPML file: {parsed.get('bozo_exception')}")
    if not parsed.get("version") and not parsed.get("feeds"):
        raise OpmlError("not an OPML subscription list (no <opml> document with feed outlines)")
    feeds: list[OpmlFeed] = []
    seen: set[str] = set()
    for item in parsed.get("feeds", []):
        url = str(item.get("url") or "").strip()
        if not url or url in seen:
            continue
        seen.add(url)
        feeds.append(OpmlFeed(url=url, title=(item.get("title") or None), tags=tuple(item.get("tags") or ())))
    return feeds
