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
from monitor.matching.normalise import NormText, normalise_field, normalise_name
from monitor.matching.types import AliasSpec
from monitor.matching.words import TITLE_WORDS

_TOKEN = re.compile(r"[a-z0-9]+")
_MIN_STEM = 3  # a name word keeps at least this many letters once an ending is cut
_VOWELS = "aeiou"
_CONSONANTS = "bcdfghjklmnpqrstvwxz"
# a derived spelling is less sure than a listed one (and, below the index's typo threshold, gets
# no one-letter variants of its own)
_TRANSCRIPTION_CONFIDENCE = 0.8
_RENDERING_CONFIDENCE = 0.84
_AFFIXED_SCRIPTS = re.compile("[\u0400-\u04ff\u0600-\u06ff\u0750-\u077f\ufb50-\ufeff]")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")
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


@cache
def _rewriters() -> dict[str, _Rewriter]:
    rules = resources.mapping("languages", "transcription")
    return {lang: _Rewriter({str(k): str(v) for k, v in (table or {}).items()}) for lang, table in rules.items()}


@cache
def _inflection() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], dict[str, tuple[str, ...]]]:
    table = resources.mapping("languages", "inflection")
    latin = {str(lang): _folded(sfx) for lang, sfx in (table.get("latin_suffixes") or {}).items()}
    return (_folded(table["cyrillic_suffixes"]), _folded(table["arabic_prefixes"]),
            _folded(table["arabic_suffixes"]), latin)


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
        self.tokens: set[str] = set(TITLE_WORDS) | set(tokens)
        self.han_words: set[str] = set(han_words)  # Han-script renderings and aliases, for jieba
        # Cyrillic renderings as written (their words may be inflected: "gruppa vagnera"), kept
        # out of `tokens` so that they never stop an ending from being cut
        self._as_written: set[str] = set()

    # ------------------------------------------------------------------ build

    def forms(self, specs: list[AliasSpec], base: list[Form]) -> list[Form]:
        """The entity's forms plus its renderings and transcriptions; records their words."""
        out = list(base)
        if specs and is_person(specs[0].schema) and resources.in_culture(
                "slavic", specs[0].countries, specs[0].programs):
            have = {f.key for f in base}
            for form in base:
                for rewrite in _rewriters().values():
                    key = rewrite(form.key)
                    if key not in have:
                        have.add(key)
                        out.append(Form(key, form.kind, form.confidence * _TRANSCRIPTION_CONFIDENCE,
                                        form.short_of, form.proper))
        if specs:
            out.extend(self._rendering_forms(specs[0].entity_id, {f.key for f in out}))
            for spec in specs:
                if any(_is_han(ch) for ch in spec.alias):
                    self.han_words.add("".join(ch for ch in spec.alias if _is_han(ch)))
        for form in out:
            if form.key not in self._as_written:
                self.tokens.update(form.key.split())
        return out

    def _rendering_forms(self, entity_id: str, have: set[str]) -> list[Form]:
        out = []
        for _lang, name in renderings().get(entity_id, ()):
            keys = [normalise_name(name)]
            if any(_is_cyrillic(ch) for ch in name):
                # the stems meet every case form; the name as written meets it where one of its
                # words is also another name's word (and so is never cut)
                stems = " ".join(cyrillic_stem(t) for t in keys[0].split())
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
                    out.append(Form(key, STRONG if " " in key else DISTINCT, _RENDERING_CONFIDENCE))
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
        for m in _TOKEN.finditer(nt.norm):
            word = m.group()
            if word in tokens or len(word) <= _MIN_STEM:
                continue
            first = original[src[m.start()] if src is not None else m.start()]
            cut: tuple[int, int] | None = None  # characters to blank, relative to the word
            if _is_cyrillic(first):
                cut = self._cut_suffix(word, cyr_suffixes)
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
        for suffix in suffixes:
            if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM and word[: -len(suffix)] in self.tokens:
                return len(word) - len(suffix), len(word)
        return None

    def _cut_prefix(self, word: str, prefixes: tuple[str, ...]) -> tuple[int, int] | None:
        for prefix in prefixes:
            if word.startswith(prefix) and len(word) - len(prefix) >= _MIN_STEM and word[len(prefix):] in self.tokens:
                return 0, len(prefix)
        return None

    def segment_filter(self, fields: list[Any], form_hits: dict[tuple[int, int, int], list[int]]) -> None:
        """Drop name matches in Chinese text that start or end inside a word (in place)."""
        han = [fs is not None and not fs.nt.original.isascii() and bool(_HAN.search(fs.nt.original)) for fs in fields]
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
