"""Any listed name as Arabic, Persian, Chinese, Korean (and Turkish, Russian) news write it.

The renderings table (renderings.yaml) holds the standard spellings of prominent names; every
other listed party is met here, one general key function per script family, never per name:

- **abjad** (Arabic, Persian): an Arabic-script word is keyed by its letters, each read as a
  consonant class (ق and غ are one class, as Qasem and Ghasem are one name), with the long-vowel
  letters و and ی kept and alif, hamza and ayn dropped (رامي مخلوف -> rmY mxlWf). A romanised
  listed name gives the keys it may be written as: a consonant as its class, a vowel as the
  letter Arabic script writes for it or as nothing (Makhluf -> mxlWf or mxlf; i -> Y; final i is
  always Y). The written long vowels are what keeps Hossein from being Hassan.
- **han** (Chinese): a Chinese name is its pinyin syllables (LI Fangwei -> li fang wei); the text
  side reads every Han character as its pinyin already.
- **hangul** (Korean): a Korean name is its syllables under the loose key the text side gives
  Hangul (PAEK Se-Bong -> pek se pong), with South Korea's spelling of a first syllable (리 as 이).
- **phonetic** (Turkish, Russian, Ukrainian articles): a name of Arabic or Persian convention as
  those languages spell it; a capitalised word is its consonant classes with each run of vowels
  one V, a final one dropped as a case ending may be one (Turkish Kasim Suleymani, Касема
  Сулеймани and SOLEIMANI, Qasem: kVsVm sVlVmVn).

Keys are built at index build time from the strong multi-word forms of every entity (full names,
organisation names: never a given name or surname alone) and are marked with the family's sign
(#, @, %, &) so that they never meet ordinary text: at scan time a field written partly in one of
these scripts gets a *view*, the keys of its script words in order, other words as a separator,
which the index's own automaton reads; a hit is a form hit on the words it covers, resolved like
any other (longest span, namesake words, the Chinese segmentation check). Strict by
construction: the whole multi-word name must match, and a key needs at least three syllables
(Han, Hangul), four consonant letters over two words (abjad) or six consonant classes
(phonetic, in capitalised words only). Pure module.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache
from itertools import chain, product
from typing import Any

from anyascii import anyascii

from monitor import resources
from monitor.matching.aliasforms import STRONG, Form
from monitor.matching.index import FORM, KIND_MASK
from monitor.matching.normalise import NormText, is_hangul, korean_key, normalise_name
from monitor.matching.tuning import (
    CONF_LISTED,
    CONF_NEAR,
    MAX_HITS,
    SCRIPT_KEY_CONFIDENCE,
    SCRIPT_KEY_MAX_KEYS,
    SCRIPT_KEY_MAX_SPLITS,
    SCRIPT_KEY_MIN_ABJAD_LETTERS,
    SCRIPT_KEY_MIN_PHONETIC_LETTERS,
    SCRIPT_KEY_MIN_SYLLABLES,
)

ABJAD, HAN, HANGUL, PHONETIC = "#", "@", "%", "&"  # the sign of each family's keys
# a word's letters with the vowel marks, shadda and dagger alif a vocalised text writes on them and
# the joiners inside it, so a marked word is one word (its key drops the marks, as the text side does)
# (and the presentation forms older encoders and PDFs write, each letter in its joined shape: ﻣﺨﻠﻮﻑ)
_ARABIC_WORD = re.compile("[\u0621-\u065f\u0670-\u06d3\u06d5\u200c\u200d\ufb50-\ufdff\ufe70-\ufefc]+")
_SCRIPTS = re.compile("[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufefc\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3]")
_VOWELS = "aeiouy"
_TOKEN = re.compile(r"\S+")
# a word goes on over combining marks (a text in decomposed form, NFD: "Su\u0308leymani"; a Russian
# stress mark), which are no letters to the regex: the key is of the whole word
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|[\u0300-\u036f])*")


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _is_arabic(ch: str) -> bool:
    return "\u0600" <= ch <= "\u06ff" or "\ufb50" <= ch <= "\ufdff" or "\ufe70" <= ch <= "\ufefc"


@cache
def _abjad_tables() -> tuple[dict[str, str], tuple[tuple[str, str], ...], frozenset[str]]:
    letters = {str(k): str(v) for k, v in resources.mapping("scripts", "abjad_letters").items()}
    romanised = resources.mapping("scripts", "abjad_romanised")
    ordered = tuple(sorted(((str(k), str(v)) for k, v in romanised.items()), key=lambda kv: -len(kv[0])))
    return letters, ordered, resources.words("scripts", "abjad_articles")


@cache
def _script_articles() -> tuple[str, ...]:
    return tuple(sorted(resources.words("scripts", "abjad_script_articles"), key=len, reverse=True))


def _squeeze(key: str) -> str:
    """Doubled letters as one (Arabic script writes a doubled consonant once), a final h dropped
    (the silent he and ta marbuta: Zadeh, Hamza)."""
    out = re.sub(r"(.)\1+", r"\1", key)
    return out[:-1] if len(out) >= 3 and out.endswith("h") else out


def abjad_word_key(word: str) -> str:
    """The key of one Arabic-script word (the article al- cut off)."""
    letters = _abjad_tables()[0]
    word = word.replace("\u200c", "")
    if not word.isascii() and any(ch >= "\ufb50" for ch in word):
        word = unicodedata.normalize("NFKC", word)  # presentation forms: the letters they show
    article = next((a for a in _script_articles() if word.startswith(a)), "")
    if article and len(word) >= len(article) + 2:
        word = word[len(article) :]
    return _squeeze("".join(letters.get(ch, "") for ch in word))


def _vowel_options(run: str, first: bool, last: bool) -> tuple[str, ...]:
    """What Arabic script may write for a romanised vowel run: nothing, W or Y."""
    if first:
        return ("",)  # a word's first vowel sits on alif or ayn, both dropped
    if any(c in run for c in "iy") or "ee" in run:
        return ("Y",) if last or len(run) > 1 else ("Y", "")
    if "u" in run or "oo" in run:
        return ("W",) if last or len(run) > 1 else ("W", "")
    if "o" in run:
        return ("W", "") if not last else ("W",)
    return ("",)  # a, e: fatha, kasra, alif (dropped on the text side too)


@lru_cache(maxsize=100_000)
def abjad_romanised_keys(token: str) -> tuple[str, ...]:
    """The keys a romanised name word may have in Arabic script (Makhluf: mxlWf, mxlf)."""
    _, ordered, _ = _abjad_tables()
    pieces: list[tuple[str, ...]] = []
    i, n = 0, len(token)
    while i < n:
        ch = token[i]
        if ch in _VOWELS and not (ch == "y" and (i == 0 or (i + 1 < n and token[i + 1] in "aeiou"))):
            j = i
            while j < n and token[j] in _VOWELS and not (token[j] == "y" and j + 1 < n and token[j + 1] in "aeiou"):
                j += 1
            pieces.append(_vowel_options(token[i:j], i == 0, j == n))
            i = j
            continue
        if ch == "y":
            pieces.append(("Y",))
            i += 1
            continue
        for latin, cls in ordered:
            if token.startswith(latin, i):
                pieces.append((cls,))
                i += len(latin)
                break
        else:
            return ()  # a digit or a letter no table knows: no key
    keys = dict.fromkeys(_squeeze("".join(p)) for p in _capped_product(pieces))
    return tuple(k for k in keys if k)


def _capped_product(pieces: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for combo in product(*pieces):
        out.append(combo)
        if len(out) >= SCRIPT_KEY_MAX_KEYS:
            break
    return out


@cache
def _phonetic_tables() -> tuple[tuple[str, str], ...]:
    table = resources.mapping("scripts", "phonetic_letters")
    return tuple(sorted(((str(k), str(v)) for k, v in table.items()), key=lambda kv: -len(kv[0])))


@cache
def _phonetic_languages() -> frozenset[str]:
    return resources.words("scripts", "phonetic_languages")


@lru_cache(maxsize=100_000)
def phonetic_key(token: str) -> str:
    """A folded Latin word as its consonant classes with every run of vowels one V, a final one
    dropped (qasem, Turkish kasim and Russian kasema: kVsVm; soleimani and suleymani: sVlVmVn)."""
    ordered = _phonetic_tables()
    out: list[str] = []
    i, n = 0, len(token)
    while i < n:
        ch = token[i]
        if ch in _VOWELS and not (ch == "y" and i == 0 and n > 1 and token[1] in "aeiou"):
            if not out or out[-1] != "V":
                out.append("V")
            i += 1
            continue
        for latin, cls in ordered:
            if token.startswith(latin, i):
                if not out or out[-1] != cls:
                    out.append(cls)
                i += len(latin)
                break
        else:
            return ""  # a digit or a letter no table knows
    key = "".join(out)
    key = key[:-1] if key.endswith("Vh") else key  # a final silent h (Zadeh, Zade)
    # a final vowel dropped: a Russian or Ukrainian case ending is one (Касема, Зарифа, Сулеймани)
    return key[:-1] if key.endswith("V") else key


def _phonetic_keys(tokens: list[str]) -> list[str]:
    keys = [phonetic_key(t) for t in tokens if t not in _abjad_tables()[2]]
    consonants = [sum(c != "V" for c in k) for k in keys]
    if len(keys) < 2 or min(consonants) < 1 or sum(consonants) < SCRIPT_KEY_MIN_PHONETIC_LETTERS:
        return []
    return [" ".join(PHONETIC + k for k in keys)]


@cache
def _syllables(family: str) -> frozenset[str]:
    """Every syllable the text side can give a character of the script: the pinyin anyascii
    gives each Han character, the key `korean_key` gives each Hangul syllable."""
    if family == HAN:
        chars = (chr(c) for c in range(0x4E00, 0xA000))
        found = (anyascii(ch).lower() for ch in chars)
    else:
        found = (korean_key(anyascii(chr(c))) for c in range(0xAC00, 0xD7A4))
    # a syllable has a vowel (anyascii reads the interjection 嗯 as "ng")
    return frozenset(s for s in found if s.isalpha() and any(v in s for v in "aeiouv"))


@cache
def _longest(family: str) -> int:
    return max(map(len, _syllables(family)))


@lru_cache(maxsize=100_000)
def syllable_splits(token: str, family: str) -> tuple[tuple[str, ...], ...]:
    """The readings of a romanised word as syllables of the family (fangwei: fang wei)."""
    known, longest, n = _syllables(family), _longest(family), len(token)
    # the piece sizes at each letter that still reach the end of the word, worked out from the end, so
    # the search never follows a split that fails later ('anananan...q' would take 2**n steps) and
    # needs no recursion as deep as the word is long
    sizes: list[tuple[int, ...]] = [()] * (n + 1)
    reaches = [False] * n + [True]
    for at in range(n - 1, -1, -1):
        sizes[at] = tuple(size for size in range(min(longest, n - at), 0, -1)
                          if reaches[at + size] and token[at : at + size] in known)
        reaches[at] = bool(sizes[at])
    out: list[tuple[str, ...]] = []
    # depth first, longer pieces first; a reading so far is a chain (piece, rest) until it is complete
    stack: list[tuple[int, Any]] = [(0, None)]
    while stack and len(out) < SCRIPT_KEY_MAX_SPLITS:
        at, chain_ = stack.pop()
        if at == n:
            pieces: list[str] = []
            while chain_ is not None:
                pieces.append(chain_[0])
                chain_ = chain_[1]
            out.append(tuple(reversed(pieces)))
            continue
        stack.extend((at + size, (token[at : at + size], chain_)) for size in reversed(sizes[at]))
    return tuple(out)


@cache
def _initial_sound() -> dict[str, str]:
    return {str(k): str(v) for k, v in resources.mapping("scripts", "hangul_initial_sound").items()}


def _syllable_keys(tokens: list[str], family: str) -> list[str]:
    per_token: list[list[str]] = []
    for token in tokens:
        word = korean_key(token) if family == HANGUL else token
        splits = syllable_splits(word, family)
        if not splits:
            return []
        options = [" ".join(s) for s in splits]
        if family == HANGUL:
            south = _initial_sound()
            options += [" ".join([south[s[0]], *s[1:]]) for s in splits if s[0] in south]
        per_token.append(options)
    keys = []
    for combo in product(*per_token):
        syllables = " ".join(combo).split()
        if len(syllables) >= SCRIPT_KEY_MIN_SYLLABLES:
            keys.append(" ".join(family + s for s in syllables))
        if len(keys) >= SCRIPT_KEY_MAX_KEYS:
            break
    return keys


def _abjad_keys(tokens: list[str]) -> list[str]:
    articles = _abjad_tables()[2]
    words = [t for t in tokens if t not in articles]
    if len(words) < 2:
        return []
    keys: list[str] = []
    # a compound given name is often written as one word (Amir Ali: امیرعلی)
    for parts in (words, [words[0] + words[1], *words[2:]]) if len(words) >= 3 else (words,):
        keys += _abjad_combos([abjad_romanised_keys(w) for w in parts])
    return keys


def _abjad_combos(per_word: list[tuple[str, ...]]) -> list[str]:
    if not all(per_word):
        return []
    keys = []
    for combo in product(*per_word):
        consonants = sum(c not in "WY" for k in combo for c in k)
        if all(len(k) >= 2 for k in combo) and consonants >= SCRIPT_KEY_MIN_ABJAD_LETTERS:
            keys.append(" ".join(ABJAD + k for k in combo))
        if len(keys) >= SCRIPT_KEY_MAX_KEYS:
            break
    return keys


@cache
def _family_rules() -> dict[str, tuple[tuple[str, ...], frozenset[str]]]:
    signs = {"abjad": ABJAD, "han": HAN, "hangul": HANGUL, "phonetic": PHONETIC}
    return {signs[str(name)]: (tuple(rule.get("cultures") or ()), frozenset(rule.get("countries") or ()))
            for name, rule in resources.mapping("scripts", "families").items()}


def families(countries: Iterable[str], programs: Iterable[str]) -> list[str]:
    """The script families whose keys a list entry's names get (scripts.yaml `families`)."""
    return list(_families(tuple(countries), tuple(programs)))


@lru_cache(maxsize=10_000)
def _families(countries: tuple[str, ...], programs: tuple[str, ...]) -> tuple[str, ...]:
    codes = set(countries) | {c for p in programs if (c := resources.programme_country(p))}
    return tuple(sign for sign, (cultures, places) in _family_rules().items()
                 if codes & places or any(resources.in_culture(c, countries, programs) for c in cultures))


def script_forms(forms: list[Form], countries: Iterable[str] = (), programs: Iterable[str] = (),
                 person: bool = True) -> list[Form]:
    """Forms keyed for each script family of the entry from its strong multi-word forms as
    listed (Chinese and Korean ones also reordered; not the crossed or derived ones); abjad keys
    for people only (an organisation's listed name is mostly a translation: Islamic State)."""
    signs = [s for s in families(countries, programs) if person or s not in (ABJAD, PHONETIC)]
    out: list[Form] = []
    have: set[str] = set()
    if not signs:
        return out
    for form in forms:
        if form.kind != STRONG or form.proper or form.confidence < CONF_NEAR or " " not in form.key:
            continue
        tokens = form.key.split()
        # a Chinese or Korean name is written family name first: the reordered form is the one
        listed = form.confidence >= CONF_LISTED
        keys = [*(_abjad_keys(tokens) if ABJAD in signs and listed else ()),
                *(_phonetic_keys(tokens) if PHONETIC in signs and listed else ()),
                *(_syllable_keys(tokens, HAN) if HAN in signs else ()),
                *(_syllable_keys(tokens, HANGUL) if HANGUL in signs else ())]
        for key in keys:
            if key not in have:
                have.add(key)
                out.append(Form(key, STRONG, form.confidence * SCRIPT_KEY_CONFIDENCE))
    return out


def _view(nt: NormText) -> tuple[str, list[tuple[int, int]]]:
    """The keys of a field's script words in order (other words: a separator) and the padded
    span of each view word."""
    padded, original = nt.padded, nt.original
    words = [(m.start(), m.end(), abjad_word_key(m.group())) for m in _ARABIC_WORD.finditer(original)]
    w = 0
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    current = -1  # the Arabic word the last view word came from
    for m in _TOKEN.finditer(padded):
        o0 = nt.orig_start(m.start())
        ch = original[o0]
        if _is_arabic(ch):
            while w < len(words) and words[w][1] <= o0:
                w += 1
            if w < len(words) and words[w][0] <= o0:
                if current == w:
                    spans[-1] = (spans[-1][0], m.end())
                    continue
                current = w
                parts.append(ABJAD + words[w][2] if words[w][2] else "|")
                spans.append((m.start(), m.end()))
                continue
        current = -1
        if _is_han(ch):
            parts.append(HAN + m.group())
        elif is_hangul(ch):
            parts.append(HANGUL + m.group())
        else:
            parts.append("|")
        spans.append((m.start(), m.end()))
    return " " + " ".join(parts) + " ", spans


def _phonetic_view(original: str) -> tuple[str, list[tuple[int, int]]]:
    """The phonetic keys of a field's capitalised words in order (other words: a separator) and
    the original span of each view word."""
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    for m in _WORD.finditer(original):
        word = m.group()
        key = phonetic_key(normalise_name(word)) if word[0].isupper() else ""
        parts.append(PHONETIC + key if key else "|")
        spans.append((m.start(), m.end()))
    return " " + " ".join(parts) + " ", spans


def _padded_span(nt: NormText, o0: int, o1: int) -> tuple[int, int] | None:
    """The padded span of the tokens from original offset o0 to o1."""
    first = None
    for m in _TOKEN.finditer(nt.padded):
        start = nt.orig_start(m.start())
        if start < o0:
            continue
        if start >= o1:
            break
        if first is None:
            first = m.start()
        end = m.end()
    return None if first is None else (first, end)


def _read(index: Any, view: str) -> list[tuple[int, int, int]]:
    """(first view word, last view word, form id) of every form key in a view."""
    starts = {}
    pos = 1
    for i, part in enumerate(view[1:-1].split(" ")):
        starts[pos] = i
        pos += len(part) + 1
    words = len(starts)
    out: list[tuple[int, int, int]] = []
    klen, owners, multi = index.klen, index.owners, index.multi
    hits = index.automaton.iter(view)
    if index.words:  # past a list size the alias keys are in the word table (indexbuild)
        hits = chain(hits, index.words.hits(view))
    for end, kid in hits:
        first = starts.get(end - klen[kid] + 2)
        if first is None:
            continue
        after = starts.get(end + 1)
        last = after - 1 if after is not None else words - 1
        own = owners[kid]
        out.extend((first, last, code >> 3) for code in ((own,) if own >= 0 else multi[kid])
                   if code & KIND_MASK == FORM)
    return out


def script_hits(index: Any, fields: list[Any], form_hits: dict[tuple[int, int, int], list[int]],
                language: str | None = None) -> None:
    """Add to `form_hits` the script-keyed forms found in the fields written in these scripts
    (and, in the languages of scripts.yaml `phonetic_languages`, the phonetic ones)."""
    phonetic = language in _phonetic_languages()
    for fi, fs in enumerate(fields):
        if fs is None:
            continue
        hits: list[tuple[int, int, int]] = []
        if not fs.nt.original.isascii() and _SCRIPTS.search(fs.nt.original):
            view, spans = _view(fs.nt)
            hits = [(spans[a][0], spans[b][1], fid) for a, b, fid in _read(index, view)]
        if phonetic:
            view, ospans = _phonetic_view(fs.nt.original)
            for a, b, fid in _read(index, view):
                span = _padded_span(fs.nt, ospans[a][0], ospans[b][1])
                if span is not None:
                    hits.append((*span, fid))
        for t0, t1, fid in hits:
            if len(form_hits) >= MAX_HITS:  # the scan's own cap: one name repeated a megabyte long stays cheap
                return
            found = form_hits.setdefault((fi, t0, t1), [])
            if fid not in found:
                found.append(fid)
