"""The language of an article (ISO 639-1), detected from its text; a feed's declaration is a hint.

Script first, because it is certain and free: Hangul is Korean, kana Japanese, Han without kana
Chinese; Arabic script is Persian or Arabic by the letters only one of them uses, Cyrillic
Ukrainian or Russian likewise (languages.yaml `script_letters`). Everything else (Latin script,
other Cyrillic languages, a tie) goes to py3langid, whose model ships inside the package (no
download at run time), limited to languages that have an ISO 639-1 code and run on the first
characters only. A declared language (`<language>` of an RSS channel, `xml:lang`) is used when
the text is too short to tell or the model is unsure, never over a clear detection: feeds
declare wrongly (a Chinese feed declared `en`) or not at all.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

from monitor import resources
from monitor.matching import langmodel
from monitor.matching.tuning import LANGUAGE_SURE

_SAMPLE = 400  # characters read for a decision: the title and the start of the text suffice
_MIN_LETTERS = 12  # below this many letters the text cannot be told apart: the declaration wins
_DECLARED = re.compile(r"^([a-zA-Z]{2})(?:[-_][A-Za-z0-9]+)*$")
_lock = threading.Lock()


@cache
def _script_letters() -> dict[str, frozenset[str]]:
    return {lang: frozenset(str(chars)) for lang, chars in resources.mapping("languages", "script_letters").items()}


@cache
def supported() -> tuple[str, ...]:
    """Languages the service reads with their own renderings and vocabularies."""
    return resources.ordered("languages", "supported")


@cache
def language_names() -> dict[str, str]:
    """Supported language code -> its name in English, in the order of `supported()`."""
    names = resources.mapping("languages", "names")
    return {code: str(names.get(code, code)) for code in supported()}


_identifier: Any = None
_model_folder: Path | None = None


def keep_model_in(folder: Path | None) -> None:
    """Keep the model uncompressed in this cache folder (loads in a tenth of the time; None: don't)."""
    global _model_folder
    _model_folder = folder


def _model() -> Any:
    """py3langid's identifier with normalised probabilities, two-letter languages only (loaded once)."""
    global _identifier
    with _lock:
        if _identifier is None:
            _identifier = langmodel.identifier(_model_folder)
    return _identifier


def declared_language(value: str | None) -> str | None:
    """A feed's declared language as ISO 639-1 ("en-GB" -> "en"), or None when not one."""
    if not value:
        return None
    m = _DECLARED.match(value.strip())
    return m.group(1).lower() if m else None


_SCRIPTS = {  # the script ranges counted apart (disjoint); every other letter counts as "other"
    "hangul": "\uac00-\ud7a3\u1100-\u11ff",
    "kana": "\u3040-\u30ff",
    "han": "\u4e00-\u9fff\u3400-\u4dbf",
    "arabic": "\u0600-\u06ff\u0750-\u077f",
    "cyrillic": "\u0400-\u04ff",
}
_SCRIPT_RES = {name: re.compile(f"[{chars}]") for name, chars in _SCRIPTS.items()}
_OTHER_NON_ASCII = re.compile(f"[^\\x00-\\x7f{''.join(_SCRIPTS.values())}]")
_NON_ASCII = re.compile("[^\\x00-\\x7f]")
_ASCII_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@cache
def _letter_res() -> dict[str, re.Pattern[str] | None]:
    """Per language, a pattern of the non-ASCII letters only it uses (None: it has none)."""
    out: dict[str, re.Pattern[str] | None] = {}
    for lang, chars in _script_letters().items():
        own = "".join(re.escape(ch) for ch in sorted(chars) if ch >= "\x80")
        out[lang] = re.compile(f"[{own}]") if own else None
    return out


def _by_script(sample: str) -> tuple[str | None, int]:
    """(language decided by script or None, number of letters)."""
    # Counted by regular expressions and a bytes translation (C loops) rather than a Python loop
    # over every character: ASCII letters are the bytes A-Z and a-z of the UTF-8 encoding (no
    # multi-byte sequence holds an ASCII byte); the script patterns run over the non-ASCII
    # characters only, and only those outside the counted scripts are asked whether they are letters.
    encoded = sample.encode("utf-8", "surrogatepass")
    ascii_letters = len(encoded) - len(encoded.translate(None, _ASCII_LETTERS))
    if len(encoded) == len(sample):  # all ASCII: no script but "other", nothing to decide
        return None, ascii_letters
    wide = "".join(_NON_ASCII.findall(sample))  # a few characters in English text
    counts = {name: len(pattern.findall(wide)) for name, pattern in _SCRIPT_RES.items()}
    counts["other"] = ascii_letters + sum(
        1 for ch in _OTHER_NON_ASCII.findall(wide) if unicodedata.category(ch).startswith("L"))
    marks = {lang: len(pattern.findall(wide)) if pattern is not None else 0
             for lang, pattern in _letter_res().items()}
    total = sum(counts.values())
    if not total:
        return None, 0
    main = max(counts, key=lambda k: counts[k])
    if counts[main] * 2 < total:
        return None, total  # no script is most of the text: let the model weigh it
    if main == "hangul":
        return "ko", total
    if main == "kana" or (main == "han" and counts["kana"] * 20 >= counts["han"]):
        return "ja", total
    if main == "han":
        return "zh", total
    if main == "arabic":
        if marks.get("fa", 0) > marks.get("ar", 0):
            return "fa", total
        if marks.get("ar", 0) > marks.get("fa", 0):
            return "ar", total
        return None, total
    if main == "cyrillic":
        if marks.get("uk", 0) and not marks.get("ru", 0):
            return "uk", total
        if marks.get("ru", 0) and not marks.get("uk", 0):
            return "ru", total
    return None, total


def detect_language(title: str, text: str, declared: str | None = None) -> str | None:
    """ISO 639-1 code of the article's language, or None when there is no text and no declaration."""
    hint = declared_language(declared)
    sample = f"{title or ''}\n{text or ''}"[:_SAMPLE]
    by_script, letters = _by_script(sample)
    if by_script:
        return by_script
    if letters < _MIN_LETTERS and (hint or not letters):
        return hint
    lang, prob = _model().classify(sample)
    if hint and prob < LANGUAGE_SURE:
        return hint
    return str(lang)
