"""Listed names as other languages write them, and the words around them.

Three things the English matcher cannot do alone, each driven by data in monitor/resources:

- **Renderings** (renderings.yaml): the standard Chinese, Japanese, Korean, Arabic, Persian and
  Cyrillic spellings of listed names and the translated names of listed organisations become
  extra forms of the entity (普京, 김여정, سپاه پاسداران, Revolutionsgarden). Cyrillic renderings
  are indexed by their stems (группа Вагнера -> "grupp vagner"), so that every case form meets
  them after `normalise` strips the ending.
- **Transcriptions** (languages.yaml `transcription`): every name form of a listed person of
  Slavic naming convention is also indexed as German, French, Spanish and Turkish write it
  (SHOIGU -> Schoigu, Choigou, Soygu) and as the article's own transliteration of Cyrillic reads
  it (Yevgeniy -> Evgeniy).
- **Inflection** (languages.yaml `inflection`): an article word that is a name word plus a case
  ending or clitic (Путина, Prigoschins, لحزب) has the ending blanked before the automaton runs,
  but only when what remains is a word of some listed name, so no other word changes. The
  blanked characters stay in the offset map: evidence still shows the word as written.
- **Segmentation** (Chinese): Chinese is matched a character at a time, so a name may be found
  across two words (张时 in 紧张时); a Han-script match counts only where jieba's segmentation
  of the sentence has a word boundary at both of its ends (the renderings are added to jieba's
  dictionary).

Pure: no I/O beyond reading the packaged resources (and jieba's packaged dictionary on the
first Chinese match).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import cache
from typing import Any

from monitor import resources
from monitor.matching.aliasforms import DISTINCT, STRONG, Form, is_person
from monitor.matching.normalise import NormText, is_hangul, normalise_field, normalise_name
from monitor.matching.scriptkeys import script_forms
from monitor.matching.tuning import RENDERING_CONFIDENCE, TRANSCRIPTION_CONFIDENCE
from monitor.matching.types import AliasSpec
from monitor.matching.words import TITLE_WORDS

_TOKEN = re.compile(r"[a-z0-9]+")
_MIN_STEM = 3  # a name word keeps at least this many letters once an ending is cut
_VOWELS = "aeiou"
_CONSONANTS = "bcdfghjklmnpqrstvwxz"
_AFFIXED_SCRIPTS = re.compile("[\u0400-\u04ff\u0600-\u06ff\u0750-\u077f\ufb50-\ufeff]")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")
_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3]")
_jieba_lock = threading.Lock()
_jieba: Any = None
_jieba_words: set[str] = set()  # words already added to the process's segmenter


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u04ff"


def _is_arabic(ch: str) -> bool:
    return "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" or "\ufb50" <= ch <= "\ufeff"


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _folded(items: Iterable[str]) -> tuple[str, ...]:
    """Affixes as the matcher reads them, longest first."""
    out = {normalise_name(str(item)).replace(" ", "") for item in items}
    return tuple(sorted((a for a in out if a), key=len, reverse=True))


class _Rewriter:
    """One language's transcription rules, applied in one pass, longest match first."""

    def __init__(self, rules: dict[str, str]) -> None:
        pieces: list[str] = []
        self.out: list[str] = []
        for source, target in sorted(rules.items(), key=lambda kv: -len(kv[0].strip("^$VC"))):
            core = source.strip("^$")
            start, end = source.startswith("^"), source.endswith("$")
            before = core[0] if core[:1] in ("V", "C") else ""
            after = core[-1] if len(core) > 1 and core[-1:] in ("V", "C") else ""
            core = core[len(before) : len(core) - len(after)]
            target = target.strip("^$")
            target = target[len(before) : len(target) - len(after)] if before or after else target
            cls = {"V": f"[{_VOWELS}]", "C": f"[{_CONSONANTS}]"}
            pattern = (
                ("(?<![a-z])" if start else "")
                + (f"(?<={cls[before]})" if before else "")
                + re.escape(core)
                + (f"(?={cls[after]})" if after else "")
                + ("(?![a-z])" if end else "")
            )
            pieces.append(f"({pattern})")
            self.out.append(target)
        self.regex = re.compile("|".join(pieces)) if pieces else None

    def __call__(self, key: str) -> str:
        if self.regex is None:
            return key
        return self.regex.sub(lambda m: self.out[(m.lastindex or 1) - 1], key)


# naming convention (programmes.yaml) -> the table of languages.yaml that writes its names
_TABLES = {"slavic": "transcription", "arabic": "transcription_arabic"}


@cache
def _rewriters(culture: str = "slavic") -> dict[str, _Rewriter]:
    rules = resources.mapping("languages", _TABLES[culture])
    return {lang: _Rewriter({str(k): str(v) for k, v in (table or {}).items()}) for lang, table in rules.items()}


def transcriptions(key: str) -> set[str]:
    """A folded name as each language's transcription rules write it (kadyrov: kadyrow, kadirov;
    assad: asad)."""
    return {rewrite(key) for culture in _TABLES for rewrite in _rewriters(culture).values()} - {key}


@cache
def _inflection() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], dict[str, tuple[str, ...]]]:
    table = resources.mapping("languages", "inflection")
    latin = {str(lang): _folded(sfx) for lang, sfx in (table.get("latin_suffixes") or {}).items()}
    return (_folded(table["cyrillic_suffixes"]), _folded(table["arabic_prefixes"]),
            _folded(table["arabic_suffixes"]), latin)


@cache
def _cyrillic_endings() -> dict[str, str]:
    """Case ending -> dictionary ending, as the matcher reads them; only pairs whose dictionary
    ending is no longer than the case ending (the word is rewritten in place: evidence offsets
    stay)."""
    pairs = resources.mapping("languages", "inflection").get("cyrillic_endings") or {}
    folded = {(normalise_name(str(k)).replace(" ", ""), normalise_name("ь" + str(v)).replace(" ", "").lstrip("'"))
              for k, v in pairs.items()}
    return dict(sorted(((k, v) for k, v in folded if k and len(v) <= len(k)), key=lambda kv: -len(kv[0])))


@cache
def _surname_endings() -> tuple[str, ...]:
    """The endings of Slavic surnames in the nominative, as the matcher reads them."""
    return _folded(resources.mapping("languages", "inflection").get("cyrillic_surname_endings") or ())


@cache
def _by_length(affixes: tuple[str, ...]) -> tuple[tuple[int, ...], frozenset[str]]:
    """The lengths of a set of endings, longest first, and the set."""
    return tuple(sorted({len(a) for a in affixes}, reverse=True)), frozenset(affixes)


@cache
def renderings() -> dict[str, list[tuple[str, str]]]:
    """Entity id -> [(language, rendering)] from renderings.yaml."""
    out: dict[str, list[tuple[str, str]]] = {}
    for entity_id, entry in resources.mapping("renderings", "entities").items():
        for lang, names in entry.items():
            if lang in ("name", "source"):
                continue
            out.setdefault(str(entity_id), []).extend((str(lang), str(n)) for n in names)
    return out


def cyrillic_stem(token: str) -> str:
    """A folded Cyrillic word without its case ending ("gruppa" -> "grupp"), or the word."""
    for suffix in _inflection()[0]:
        if token.endswith(suffix) and len(token) - len(suffix) >= _MIN_STEM:
            return token[: -len(suffix)]
    return token


class LanguageSupport:
    """The matcher's knowledge of other languages: extra forms at build, text passes at scan."""

    def __init__(self, tokens: Iterable[str] = (), han_words: Iterable[str] = ()) -> None:
        # every word of every indexed name form, and the titles that support a bare surname
        # (президента -> президент): the words an ending may be cut back to
        self.tokens: set[str] = set(tokens)  # one copy (a million names have a million words)
        self.tokens.update(TITLE_WORDS)
        self.han_words: set[str] = set(han_words)  # Han-script renderings and aliases, for jieba
        # Cyrillic renderings as written (their words may be inflected: "gruppa vagnera"), kept
        # out of `tokens` so that they never stop an ending from being cut
        self._as_written: set[str] = set()
        # a transcribed key -> the key it was written from (kalaschnikow -> kalashnikov): a surname
        # English uses as a word stays one in every spelling
        self.source_of: dict[str, str] = {}

    # ------------------------------------------------------------------ build

    def forms(self, specs: list[AliasSpec], base: list[Form]) -> list[Form]:
        """The entity's forms plus its renderings and transcriptions; records their words."""
        out = list(base)
        cultures = [c for c in _TABLES if specs and is_person(specs[0].schema)
                    and resources.in_culture(c, specs[0].countries, specs[0].programs)]
        have = {f.key for f in base}
        for culture in cultures[:1]:
            for form in base:
                for rewrite in _rewriters(culture).values():
                    key = rewrite(form.key)
                    if key not in have:
                        have.add(key)
                        self.source_of.setdefault(key, form.key)
                        out.append(Form(key, form.kind, form.confidence * TRANSCRIPTION_CONFIDENCE,
                                        form.short_of, form.proper))
        if specs:
            out.extend(self._rendering_forms(specs[0].entity_id, {f.key for f in out}, is_person(specs[0].schema)))
            for spec in specs:
                if any(_is_han(ch) for ch in spec.alias):
                    self.han_words.add("".join(ch for ch in spec.alias if _is_han(ch)))
        for form in out:
            if form.key not in self._as_written:
                self.tokens.update(form.key.split())
        if specs:  # any listed name as Arabic, Chinese and Korean script write it
            out.extend(script_forms(base, specs[0].countries, specs[0].programs, is_person(specs[0].schema)))
        return out

    def place_keys(self, name: str) -> list[str]:
        """A country's name as the index keys it (Россия also by its stem, so России and
        Россию meet it); its words become words an ending may be cut back to (Russlands)."""
        key = normalise_name(name)
        if not key:
            return []
        keys = [key]
        self.tokens.update(key.split())
        if any(_is_cyrillic(ch) for ch in name):
            stems = " ".join(cyrillic_stem(t) for t in key.split())
            if stems != key:
                keys.append(stems)
                self.tokens.update(stems.split())
        return keys

    def _rendering_forms(self, entity_id: str, have: set[str], person: bool = True) -> list[Form]:
        out = []
        for _lang, name in renderings().get(entity_id, ()):
            keys = [normalise_name(name)]
            if any(_is_cyrillic(ch) for ch in name):
                # the stems meet every case form; the name as written meets it where one of its
                # words is also another name's word (and so is never cut)
                # a surname keeps its nominative ending (Патрушев), as the text's word does
                stems = " ".join(t if t.endswith(_surname_endings()) else cyrillic_stem(t) for t in keys[0].split())
                if stems != keys[0]:
                    self._as_written.add(keys[0])
                    keys.append(stems)
            if any(_is_han(ch) for ch in name):
                self.han_words.add("".join(ch for ch in name if _is_han(ch)))
            for key in keys:
                if key and key not in have:
                    # a key the lists already give (Лукашенко is LUKASHENKO) keeps the lists' own
                    # standing: a surname several listed people share still needs support
                    have.add(key)
                    # an organisation's rendered name is its name (Hamas in Cyrillic); a person's one word is
                    # a bare surname
                    out.append(Form(key, STRONG if " " in key or not person else DISTINCT, RENDERING_CONFIDENCE))
        return out

    # ------------------------------------------------------------------ scan

    def normalise(self, raw: str, language: str | None) -> NormText:
        """The field normalised for scanning, endings of inflected name words blanked."""
        nt = normalise_field(raw)
        latin = _inflection()[3].get(language or "", ())
        if not latin and (raw.isascii() or not _AFFIXED_SCRIPTS.search(raw)):
            return nt  # English (and every text with no Cyrillic or Arabic letter) costs one search
        cyr_suffixes, ar_prefixes, ar_suffixes, _ = _inflection()
        tokens = self.tokens
        chars: list[str] | None = None
        original, src = nt.original, nt.src
        name_before = False  # the word before is a name word as written ("Полина Пригожина")
        for m in _TOKEN.finditer(nt.norm):
            word = m.group()
            as_is, name_before = name_before, word in tokens and word not in TITLE_WORDS
            if len(word) <= _MIN_STEM:
                continue
            first = original[src[m.start()] if src is not None else m.start()]
            # a name word that is also a case form of another (Лаврова: LAVROVA, and the
            # genitive of LAVROV) is read as the case form, the commoner in news, unless a name
            # word in the nominative precedes it (Мария Лаврова)
            if word in tokens and (as_is or not _is_cyrillic(first)):
                continue
            cut: tuple[int, int] | None = None  # characters to blank, relative to the word
            if _is_cyrillic(first):
                # an ending that replaces the dictionary one (Сергея: Сергей) first, so that a
                # shorter word it also ends ("serg") does not take it
                swap = None if word in tokens else self._swap_ending(word)
                if swap is not None:
                    if chars is None:
                        chars = list(nt.norm)
                    at = m.start() + swap[0]
                    chars[at : at + len(swap[1])] = swap[1]
                    cut = swap[0] + len(swap[1]), len(word)
                else:
                    cut = self._cut_suffix(word, cyr_suffixes)
                    if cut is not None and word in tokens and word[cut[0]:] in _surname_endings():
                        # a listed surname as written is that name, not another's genitive plural
                        # (Калашников is KALASHNIKOV, not "of the Kalashniks")
                        cut = None
                    if cut is not None:
                        name_before = False
                    elif word in tokens:
                        continue
            elif _is_arabic(first):
                cut = self._cut_prefix(word, ar_prefixes) or self._cut_suffix(word, ar_suffixes)
            elif latin and first.isalpha():
                cut = self._cut_suffix(word, latin)
            if cut is None:
                continue
            if chars is None:
                chars = list(nt.norm)
            for i in range(m.start() + cut[0], m.start() + cut[1]):
                chars[i] = " "
        if chars is None:
            return nt
        norm = "".join(chars)
        collapsed = re.sub(r"  +", " ", norm)
        return NormText(original=nt.original, norm=norm, src=nt.src, ends=nt.ends, padded=f" {collapsed} ")

    def _cut_suffix(self, word: str, suffixes: tuple[str, ...]) -> tuple[int, int] | None:
        # one set lookup per ending length, longest first, instead of a test per ending
        table = _by_length(suffixes)
        for size in table[0]:
            if len(word) - size >= _MIN_STEM and word[-size:] in table[1] and word[:-size] in self.tokens:
                return len(word) - size, len(word)
        return None

    def _swap_ending(self, word: str) -> tuple[int, str] | None:
        """Where a case ending starts and the dictionary ending that replaces it (Сергея ->
        Сергей), when that gives a word of a listed name."""
        endings = _cyrillic_endings()
        for size in _by_length(tuple(endings))[0]:
            base = endings.get(word[-size:]) if len(word) - size >= _MIN_STEM else None
            if base is not None and word[:-size] + base in self.tokens:
                return len(word) - size, base
        return None

    def _cut_prefix(self, word: str, prefixes: tuple[str, ...]) -> tuple[int, int] | None:
        # as _cut_suffix: one set lookup per prefix length, longest first
        table = _by_length(prefixes)
        for size in table[0]:
            if len(word) - size >= _MIN_STEM and word[:size] in table[1] and word[size:] in self.tokens:
                return 0, size
        return None

    def segment_filter(self, fields: list[Any], form_hits: dict[tuple[int, int, int], list[int]]) -> None:
        """Drop name matches in Chinese text that start or end inside a word, and in Korean text
        that start inside a word (벨라루스 holds no 루스; particles follow a name: 김정은이), in place."""
        cjk = [fs is not None and not fs.nt.original.isascii() and bool(_CJK.search(fs.nt.original)) for fs in fields]
        if not any(cjk):
            return
        for occ in list(form_hits):
            fs = fields[occ[0]]
            if fs is not None and cjk[occ[0]]:
                start = fs.nt.orig_span(occ[1], occ[2])[0]
                if start and is_hangul(fs.nt.original[start]) and is_hangul(fs.nt.original[start - 1]):
                    del form_hits[occ]
        han = [c and bool(_HAN.search(fs.nt.original)) for c, fs in zip(cjk, fields, strict=True)]
        if not any(han):
            return
        bounds: dict[int, set[int]] = {}  # per field: the word boundaries of its segmentation
        for occ in list(form_hits):
            fs = fields[occ[0]]
            if fs is None or not han[occ[0]]:
                continue
            start, end = fs.nt.orig_span(occ[1], occ[2])
            text = fs.nt.original
            if not (_is_han(text[start]) and _is_han(text[end - 1])):
                continue
            if occ[0] not in bounds:
                bounds[occ[0]] = self._boundaries(text)
            if start not in bounds[occ[0]] or end not in bounds[occ[0]]:
                del form_hits[occ]

    def _boundaries(self, text: str) -> set[int]:
        """Offsets where jieba's segmentation of the text puts a word boundary (segmented once)."""
        out = {0}
        pos = 0
        for word in self._segmenter().cut(text, HMM=False):
            pos += len(word)
            out.add(pos)
        return out

    def _segmenter(self) -> Any:
        global _jieba
        with _jieba_lock:
            if _jieba is None:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)
                _jieba = jieba.Tokenizer()
            for word in self.han_words - _jieba_words:
                _jieba.add_word(word, freq=10_000)
                _jieba_words.add(word)
        return _jieba
