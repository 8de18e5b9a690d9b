"""The 2023 RSS items of ../shared/data/articles, read and cleaned exactly as when the labelled set was picked.

Used by the selection scripts of tests/data, by bench/quality.py (the labelled items' text) and by
scripts/derive_prominence.py (the counts behind monitor/resources/prominence.yaml).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "articles"
HITS = "rss_items_2023_watchlist_hits.jsonl"
BACKGROUND = "rss_items_2023_background_sample20k.jsonl"
MAX_DESCRIPTION = 1200
TAG = re.compile(r"<[^>]+>")
SPACE = re.compile(r"\s+")


def clean(text: str | None) -> str:
    """Strip HTML tags and entities and collapse whitespace, as a feed parser would."""
    text = html.unescape(TAG.sub(" ", text or ""))
    text = SPACE.sub(" ", text).strip()
    if len(text) > MAX_DESCRIPTION:
        cut = text.rfind(" ", 0, MAX_DESCRIPTION)
        text = text[: cut if cut > 0 else MAX_DESCRIPTION]
    return text


def first_items(name: str, data: Path = DATA) -> Iterator[dict[str, Any]]:
    """The raw items of one file, first occurrence of each link only (items with no link skipped)."""
    seen: set[str] = set()
    with (data / name).open(encoding="utf-8") as fh:
        for line in fh:
            raw = json.loads(line)
            link = raw.get("link") or ""
            if link and link not in seen:
                seen.add(link)
                yield raw


def read(name: str, data: Path = DATA) -> list[dict[str, str]]:
    """Read one item file, cleaned, first occurrence of each link only."""
    return [
        {
            "link": raw["link"],
            "title": clean(raw.get("title")),
            "description": clean(raw.get("description")),
            "source": name.split("_")[3],
        }
        for raw in first_items(name, data)
    ]
