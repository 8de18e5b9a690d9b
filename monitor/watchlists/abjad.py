"""Names written in an abjad (Arabic, Persian, Hebrew script): vowels mostly unwritten, so such a
name is compared with a romanised one by its consonants. Pure module."""

from __future__ import annotations

import re
from functools import lru_cache

from monitor.watchlists.nametokens import DOUBLES, MAX_NAME_CHARS

_ABJAD = re.compile("[\u0590-\u05ff\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN_VOWELS = str.maketrans("pvzq", "bfsk", "aeiouyw")
_ABJAD_VOWELS = str.maketrans("pvzq", "bfsk", "wy")
# The long vowel alif written out ("qany" for qaani) is a vowel a romanised name may not show.
_ABJAD_ALL_VOWELS = str.maketrans("pvzq", "bfsk", "wyaeiou")


@lru_cache(maxsize=50_000)
def skeletons(token: str, abjad: bool) -> tuple[str, ...]:
    """The consonant keys of a part, the way Arabic and Hebrew write a name ('mohammed' and 'mhmd'
    -> 'mhmd'); screening retrieves abjad-script queries by them."""
    if not abjad:
        return (DOUBLES.sub(r"\1", token.translate(_LATIN_VOWELS)),)
    keys: list[str] = []
    # "dh" is how anyascii writes the letters Persian names romanise as "z" (zal, za: Zarif), "w"
    # the letter Persian names romanise as "v" (Javad)
    for base in dict.fromkeys((token, token.replace("dh", "z"), token.replace("w", "v"))):
        for table in (_ABJAD_VOWELS, _ABJAD_ALL_VOWELS):
            key = DOUBLES.sub(r"\1", base.translate(table))
            # a final h may be a silent he (Persian "Khamene-i"); three consonants must be left
            for form in (key, key[:-1]) if key.endswith("h") and len(key) >= 4 else (key,):
                keys.append(form)
                if form.startswith("l") and len(form) >= 3:  # maybe the article al- written onto the name
                    keys.append(form[1:])
    return tuple(dict.fromkeys(k for k in keys if k))


def is_abjad(text: str) -> bool:
    """True when the text is written (partly) in Arabic or Hebrew script."""
    return not text.isascii() and _ABJAD.search(text[:MAX_NAME_CHARS]) is not None
