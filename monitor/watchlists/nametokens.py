"""A name as comparable tokens: any script transliterated to Latin, split into parts, numbers set
apart, and a phonetic key that ignores common transliteration differences (used by `namematch`
and the screening index)."""

from __future__ import annotations

import re
from functools import lru_cache

from anyascii import anyascii

from monitor import resources

#: Longer inputs are cut here: no real name is longer, and it bounds the cost per pair.
MAX_NAME_CHARS = 300
PERSON = "person"
ORG = "org"

_NUMBER_WORDS: dict[str, int] = {str(k): int(v) for k, v in resources.mapping("words", "number_words").items()}
_ROMAN = {r: i + 1 for i, r in enumerate(resources.ordered("words", "roman_numerals"))}
_ORDINAL = re.compile(r"^(\d+)(st|nd|rd|th)$")
_INITIALISM = re.compile(r"\b(?:[a-z]\.){2,}(?:[a-z]\b)?")
_SPLIT = re.compile(r"[^a-z0-9]+")
_DIGITS_LETTERS = re.compile(r"(?<=[0-9])(?=[a-z])(?!(?:st|nd|rd|th)\b)|(?<=[a-z])(?=[0-9])")
_HAS_DIGIT = re.compile(r"[0-9]")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z][a-z])")

# Phonetic folding: spellings that transliteration systems and languages swap freely.
# Longest spellings first (plain str.replace is much faster than a regex callback), then
# single letters, then doubled letters folded.
_PHONETIC_PAIRS = tuple(resources.mapping("romanisation", "phonetic_pairs").items())
_PHONETIC_SOUNDS = dict(_PHONETIC_PAIRS)
_PHONETIC_SPELLINGS = re.compile("|".join(sorted(_PHONETIC_SOUNDS, key=lambda k: (-len(k), k))))


def _phonetic_sound(match: re.Match[str]) -> str:
    return _PHONETIC_SOUNDS[match.group(0)]


_BEFORE_CONSONANT = {str(k): str(v) for k, v in resources.mapping("romanisation", "phonetic_before_consonant").items()}
_BEFORE_CONSONANT_SPELLINGS = re.compile(
    "(?:" + "|".join(sorted(_BEFORE_CONSONANT, key=len, reverse=True)) + ")(?![aeiouwy])"
)
_HARD_C = re.compile(r"c(?=[aou])")
_SILENT_H = re.compile(r"h(?![aeiou])")
_PHONETIC_LETTERS = str.maketrans("qgzcwyj", "kkssvii")
DOUBLES = re.compile(r"(.)\1+")
_ABJAD_LETTERS = {str(k): str(v) for k, v in resources.mapping("romanisation", "abjad_letters").items()}

def _syllable(code: int) -> bool:
    """Hangul syllables, kana and Han characters."""
    return 0xAC00 <= code <= 0xD7A3 or 0x3040 <= code <= 0x30FF or 0x3400 <= code <= 0x9FFF


def transliterate(text: str) -> str:
    """Latin letters for any script; each CJK/Hangul/kana character becomes a part of its own."""
    if text.isascii():
        return text
    out: list[str] = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
            continue
        code = ord(ch)
        latin = _ABJAD_LETTERS.get(ch) or anyascii(ch)
        # Syllabic scripts: one character is one syllable, and names are written without spaces.
        if _syllable(code):
            out.append(f" {latin} ")
        else:
            out.append(latin)
    return "".join(out)


def syllabic_script(text: str) -> bool:
    """True when the text holds Hangul, kana or Han characters (one character, one syllable)."""
    return not text.isascii() and any(_syllable(ord(ch)) for ch in text[:MAX_NAME_CHARS])


_KOREAN_SURNAME = {
    str(spelling): str(group[0])
    for group in resources.load("person_names")["korean_surname_spellings"]
    for spelling in group
}


@lru_cache(maxsize=100_000)
def phonetic(token: str) -> str:
    """Fold a Latin part to a key that ignores common transliteration differences."""
    if token in _KOREAN_SURNAME:  # Choe and Choi are one family name
        return _KOREAN_SURNAME[token]
    key = "s" + token[1:] if token.startswith("x") else token
    key = _BEFORE_CONSONANT_SPELLINGS.sub(lambda m: _BEFORE_CONSONANT[m.group(0)], key)
    key = _PHONETIC_SPELLINGS.sub(_phonetic_sound, key)
    if "c" in key:
        key = _HARD_C.sub("k", key)
    if "h" in key:
        key = _SILENT_H.sub("", key)
    key = DOUBLES.sub(r"\1", key.translate(_PHONETIC_LETTERS))
    return key or token


def tokens(text: str) -> list[str]:
    """A name's words in Latin letters, lower case: camel case, initialisms and digits split apart."""
    latin = transliterate(text[:MAX_NAME_CHARS])
    if not (latin.isupper() or latin.islower()):  # "McKesson", "PricewaterhouseCoopers"
        latin = _CAMEL.sub(" ", latin)
    latin = latin.lower()
    if "&" in latin:
        latin = latin.replace("&", " and ")
    latin = latin.replace("'", "").replace("`", "").replace("\u2019", "")
    if "." in latin:
        latin = _INITIALISM.sub(lambda m: m.group(0).replace(".", ""), latin)
    if _HAS_DIGIT.search(latin):
        latin = _DIGITS_LETTERS.sub(" ", latin)
    return [t for t in _SPLIT.split(latin) if t]


def numbers(tokens: list[str], kind: str) -> tuple[list[str], list[str]]:
    """Split off numbers (digits, number words, ordinals, Roman numerals for organisations)."""
    words: list[str] = []
    numbers: list[str] = []
    pending: int | None = None  # "forty" waiting for a unit ("forty four", "forty 4")
    for tok in tokens:
        value: int | None = None
        if tok.isdigit():
            value = int(tok)
        elif (m := _ORDINAL.match(tok)) is not None:
            value = int(m.group(1))
        elif tok in _NUMBER_WORDS:
            value = _NUMBER_WORDS[tok]
        elif kind == ORG and tok in _ROMAN and (len(tok) > 1 or tok in {"v", "x"}):
            value = _ROMAN[tok]
        if value is None:
            if pending is not None:
                numbers.append(str(pending))
                pending = None
            words.append(tok)
            continue
        if pending is not None and pending % 10 == 0 and 20 <= pending <= 90 and 0 < value < 10:
            numbers.append(str(pending + value))
            pending = None
        else:
            if pending is not None:
                numbers.append(str(pending))
            pending = value
    if pending is not None:
        numbers.append(str(pending))
    return words, numbers
