"""What kind of article an item is: an event report, or commentary that discusses an event.

Commentary (opinion, analysis, explainer, feature, profile, obituary, podcast) is told apart by cues its
outlet declares: the section in its link, its headline's opening, a signed or first-person description
(story_cues.yaml), or a headline that opens like an explainer or reports a reaction (generic_titles.yaml).
Pure: no I/O beyond the packaged data files.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from urllib.parse import urlsplit

import yaml

# quoted speech is someone else's words: "we", "I" inside it say nothing of the piece's kind; an
# opening quotation that is never closed (a cut description) runs to the end
_QUOTED = re.compile(
    r"\u201c[^\u201d]*(?:\u201d|$)|\"[^\"]*(?:\"|$)|\u2018[^\u2019]*(?:\u2019(?!\w)|$)|(?<!\w)'[^']*'(?!\w)"
)


@cache
def _data() -> dict:
    text = resources.files("monitor.grouping").joinpath("story_cues.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


@cache
def _sections() -> frozenset[str]:
    return frozenset(_data()["url_sections"].split())


@cache
def _slug_words() -> frozenset[str]:
    return frozenset(_data()["url_slug_words"].split())


@cache
def _title_patterns() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in _data()["title_patterns"])


@cache
def _text_pattern() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in _data()["text_patterns"]), re.IGNORECASE)


@cache
def _boilerplate() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in _data()["boilerplate"]), re.IGNORECASE)


@cache
def _background() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in _data()["background_clauses"]), re.IGNORECASE)


def split_background(title: str) -> tuple[str, str]:
    """A headline's main clause and its background clause ("X as Y" -> X, Y); Y is empty without one."""
    found = _background().search(title)
    if found is None or found.start() == 0:
        return title, ""
    return title[: found.start()], title[found.end():]


def url_is_commentary(url: str) -> bool:
    """True when the link's path names a commentary section or its slug names the piece's kind."""
    if not url:
        return False
    parts = [p for p in urlsplit(url).path.lower().split("/") if p]
    if not parts:
        return False
    if any(p in _sections() for p in parts[:-1]):
        return True
    return any(w in _slug_words() for w in re.split(r"[-_.]", parts[-1]))


def title_is_commentary(title: str) -> bool:
    """True when the headline opens like a column or an analysis ("Analysis: ...", "NAME SURNAME: ...")."""
    return any(p.search(title) for p in _title_patterns())


def text_is_commentary(text: str) -> bool:
    """True when the description is signed or written in the first person (outside quoted speech)."""
    if not text:
        return False
    promo = _boilerplate().search(text)
    if promo is not None:
        text = text[: promo.start()]
    return bool(_text_pattern().search(_QUOTED.sub(" ", text)))


def is_commentary_piece(title: str, text: str, url: str) -> bool:
    """True when any declared cue (link, headline, description) marks the article as commentary."""
    return url_is_commentary(url) or title_is_commentary(title) or text_is_commentary(text)
