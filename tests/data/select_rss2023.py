"""Pick the items of the labelled RSS 2023 set reproducibly (fixed seed, three strata).

Run: .venv/bin/python tests/data/select_rss2023.py > /tmp/rss2023_selection.jsonl
The output has the cleaned title/description of every picked item; the labels are then
written by hand into tests/data/labels_rss2023.jsonl (see tests/data/README.md).
"""

from __future__ import annotations

import html
import json
import random
import re
import sys
from pathlib import Path

SEED = 20230
DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "articles"
HITS = "rss_items_2023_watchlist_hits.jsonl"
BACKGROUND = "rss_items_2023_background_sample20k.jsonl"
# Stratum sizes: random watch-list hits, watch-list hits with military vocabulary
# (so that the arms-transfer rule has enough positives to measure), random background.
N_HITS, N_MILITARY, N_BACKGROUND = 250, 60, 60
MAX_DESCRIPTION = 1200
MILITARY = re.compile(
    r"\b(weapon|arms\b|ammunition|munition|shell|drone|missile|tank|artillery|military aid|"
    r"rocket|howitzer|fighter jet|f-16|himars|patriot|tanker|shadow fleet|evasion|front compan)",
    re.I,
)
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


def read(name: str) -> list[dict[str, str]]:
    """Read one item file, cleaned, first occurrence of each link only."""
    seen: set[str] = set()
    items = []
    with (DATA / name).open(encoding="utf-8") as fh:
        for line in fh:
            raw = json.loads(line)
            link = raw.get("link") or ""
            if not link or link in seen:
                continue
            seen.add(link)
            items.append(
                {
                    "link": link,
                    "title": clean(raw.get("title")),
                    "description": clean(raw.get("description")),
                    "source": name.split("_")[3],
                }
            )
    return items


def main() -> None:
    """Print the selection as JSON Lines."""
    rng = random.Random(SEED)
    hits = read(HITS)
    picked = rng.sample(hits, N_HITS)
    links = {i["link"] for i in picked}
    military = [i for i in hits if i["link"] not in links and MILITARY.search(i["title"] + " " + i["description"])]
    picked += [dict(i, source="military") for i in rng.sample(military, N_MILITARY)]
    picked += rng.sample(read(BACKGROUND), N_BACKGROUND)
    for item in picked:
        sys.stdout.write(json.dumps(item, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
