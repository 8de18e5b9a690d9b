"""Names written in an abjad (Arabic, Persian, Hebrew script): vowels mostly unwritten, so such a
name is compared with a romanised one by its consonants. Pure module."""

from __future__ import annotations

import re
from functools import lru_cache

from monitor import resources
from monitor.watchlists.nametokens import DOUBLES, MAX_NAME_CHARS

_ABJAD = re.compile("[\u0590-\u05ff\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN_VOWELS = str.maketrans("pvzq", "bfsk", "aeiouyw")
_ABJAD_VOWELS = str.maketrans("pvzq", "bfsk", "wy")
# The long vowel alif written out ("qany" for qaani) is a vowel a romanised name may not show.
_ABJAD_ALL_VOWELS = str.maketrans("pvzq", "bfsk", "wyaeiou")
# w and y starting a name are the consonants waw and ya (Walid, Yusuf; not Assaf, Asma).
_SEMIVOWELS = ("w", "y")
# a final h after these letters ends a digraph (sh, kh, gh, zh, dh, th, ch): a consonant, never
# the silent he a Persian name may end with
_DIGRAPH_FIRST = frozenset("skgzdtc")
#: First elements of compound names (Abd al-Malik, Abd Allah) that Arabic script writes apart
#: and romanised names write as one (Abdulmalik, Abdullah): screening joins them to the next part.
BOUND_FIRST = resources.words("romanisation", "abjad_bound_first")


def _key(base: str, table: dict[int, int | None]) -> str:
    """Consonants of `base`: a starting w or y kept (a consonant there), doubles folded."""
    head = base[0] if base[:1] in _SEMIVOWELS else ""
    return DOUBLES.sub(r"\1", head + base[len(head) :].translate(table))


@lru_cache(maxsize=50_000)
def skeletons(token: str, abjad: bool) -> tuple[str, ...]:
    """The consonant keys of a part, the way Arabic and Hebrew write a name ('mohammed' and 'mhmd'
    -> 'mhmd'); screening retrieves abjad-script queries by them."""
    if not abjad:
        # a romanised name ending in i or y ends in the letter ya (Ahmadi, Houthi: not Ahmad)
        key = _key(token, _LATIN_VOWELS)
        if len(token) > 2 and token[-1] in "iy" and not key.endswith("y"):
            key += "y"
        return (key,)
    keys: list[str] = []
    # "dh" is how anyascii writes the letters Persian names romanise as "z" (zal, za: Zarif), "w"
    # the letter Persian names romanise as "v" (Javad)
    for base in dict.fromkeys((token, token.replace("dh", "z"), token.replace("w", "v"))):
        # a final ya is the ya a romanised -i is (Ahmadi), or a long vowel a romanisation writes as
        # a or not at all (Persian Musa): both ways
        ends = ((base[:-1], "y"), (base[:-1], "")) if base.endswith("y") and len(base) >= 2 else ((base, ""),)
        for body, tail in ends:
            for table in (_ABJAD_VOWELS, _ABJAD_ALL_VOWELS):
                key = _key(body, table)
                # a final h may be a silent he (Persian "Khamene-i"); three consonants must be left
                silent = key.endswith("h") and len(key) >= 4 and body[-2:-1] not in _DIGRAPH_FIRST
                for form in (key + tail, key[:-1] + tail) if silent else (key + tail,):
                    keys.append(form)
                    if form.startswith("l") and len(form) >= 3:  # maybe the article al- written onto the name
                        keys.append(form[1:])
    return tuple(dict.fromkeys(k for k in keys if k))


def is_abjad(text: str) -> bool:
    """True when the text is written (partly) in Arabic or Hebrew script."""
    return not text.isascii() and _ABJAD.search(text[:MAX_NAME_CHARS]) is not None
