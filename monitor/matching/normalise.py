"""Text normalisation with an offset map back to the original characters.

Every character of a title or text is folded on its own: NFKD, combining marks dropped
(diacritics), case folded, transliterated to ASCII with anyascii (Cyrillic, Greek, Arabic,
...), and anything that is not a letter or digit becomes a space, so "Kim Jong-un",
"KIM, Jong Un" and "Kim Jong Un's" all give the tokens `kim jong un`. Hangul syllables
become one token each, spelled with a loose romanisation key (`korean_key`) that the
alias side uses too, so 김정은 meets "Kim Jong Un".

Speed matters (thousands of articles a second): when every character folds to exactly one
character (ASCII text, and most European text) the normalised string has the same length
as the original and positions map one to one; only texts with expanding or vanishing
characters (Hangul, "ß", decomposed accents) pay for an explicit offset map.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii

from monitor import resources

_ASCII_TABLE = bytes(
    (c if (48 <= c <= 57 or 97 <= c <= 122) else (c + 32 if 65 <= c <= 90 else 32)) for c in range(256)
)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_MULTI_SPACE = re.compile(r"  +")
_CHAR_CACHE: dict[str, str] = {}

# "ng" is a final consonant, not a "g": shielded while g becomes k
_KOREAN_SUBS = tuple((str(old), str(new)) for old, new in resources.load("romanisation")["korean_key"])
_DOUBLE = re.compile(r"([a-z])\1")


def korean_key(syllables: str) -> str:
    """A loose romanisation key shared by Revised and McCune-Reischauer spellings
    ("gim jeong eun" and "kim jong un" both give "kim jong un")."""
    out = syllables.lower()
    for old, new in _KOREAN_SUBS:
        out = out.replace("ng", "\x00").replace(old, new).replace("\x00", "ng") if old == "g" else out.replace(old, new)
    return _DOUBLE.sub(r"\1", out)


def is_hangul(ch: str) -> bool:
    """True for a precomposed Hangul syllable."""
    return "\uac00" <= ch <= "\ud7a3"


def fold_char(ch: str) -> str:
    """The normalised form of one non-ASCII character (cached): ASCII letters, digits, spaces."""
    hit = _CHAR_CACHE.get(ch)
    if hit is not None:
        return hit
    if is_hangul(ch):
        out = " " + korean_key(anyascii(ch)) + " "
    elif unicodedata.combining(ch) or unicodedata.category(ch) == "Cf":
        # invisible format characters (zero-width joiners and spaces, soft hyphens, direction
        # marks) vanish: "Pu\u200dtin" is Putin, and Persian's zero-width non-joiner keeps a
        # word and its suffix together as the word is read
        out = ""
    elif unicodedata.category(ch)[0] in "PSZC":
        # punctuation, symbols, spaces, controls: separators (emoji must not become words)
        out = " "
    else:
        decomposed = unicodedata.normalize("NFKD", ch)
        base = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
        ascii_form = anyascii(base).lower()
        out = "".join(c if ("a" <= c <= "z" or "0" <= c <= "9") else " " for c in ascii_form)
        if unicodedata.category(ch)[0] == "L" and ("\u3040" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"):
            # CJK and kana carry no spaces between words: one token per character.
            out = f" {out.strip()} "
    if len(_CHAR_CACHE) < 200_000:
        _CHAR_CACHE[ch] = out
    return out


@dataclass
class NormText:
    """A field's scan string and the way back to the original characters.

    `norm` is the per-character fold: one entry per original character when `src` is None,
    otherwise `src[i]`/`ends[i]` give the original start/end of normalised character i.
    `padded` is `norm` with every run of spaces collapsed to one and a space added at both
    ends: the string the automaton scans, where keys are framed as " key " so they only match
    whole tokens. Positions in the matcher are positions in `padded`; words between two
    positions are the spaces between them. Runs of spaces are only mapped back when an
    original offset is asked for (most articles need few).
    """

    original: str
    norm: str
    src: list[int] | None
    ends: list[int] | None
    padded: str = "  "
    _run_starts: list[int] | None = None
    _run_removed: list[int] | None = None

    def _runs(self) -> tuple[list[int], list[int]]:
        if self._run_starts is None:
            starts: list[int] = []
            removed: list[int] = []
            total = 0
            for m in _MULTI_SPACE.finditer(self.norm):
                starts.append(m.start() - total)
                total += m.end() - m.start() - 1
                removed.append(total)
            self._run_starts, self._run_removed = starts, removed
        return self._run_starts, self._run_removed  # type: ignore[return-value]

    def _norm_pos(self, pos: int) -> int:
        """Position in `norm` of the (non-space) character at `pos` of `padded`."""
        collapsed = pos - 1
        starts, removed = self._runs()
        i = bisect_right(starts, collapsed) - 1
        return collapsed + (removed[i] if i >= 0 else 0)

    def orig_start(self, pos: int) -> int:
        """Original offset of the character at `pos` of `padded`."""
        npos = self._norm_pos(pos)
        return self.src[npos] if self.src is not None else npos

    def orig_end(self, end: int) -> int:
        """Original end offset (exclusive) of a span of `padded` ending before `end`."""
        npos = self._norm_pos(end - 1)
        return self.ends[npos] if self.ends is not None else npos + 1

    def orig_span(self, start: int, end: int) -> tuple[int, int]:
        """Original (start, end) of the span [start, end) of `padded`."""
        return self.orig_start(start), self.orig_end(end)

    def words_between(self, end: int, start: int) -> int:
        """Word distance from a span ending at `end` to one starting at `start` (1 = adjacent)."""
        return self.padded.count(" ", end, start)

    def token_before(self, start: int, back: int = 1) -> str:
        """The token `back` places before the token that starts at `start` ("" at the start)."""
        pos = start - 1
        for _ in range(back):
            if pos <= 0:
                return ""
            prev = self.padded.rfind(" ", 0, pos)
            if prev < 0:
                return ""
            token, pos = self.padded[prev + 1 : pos], prev
        return token

    def token_after(self, end: int) -> str:
        """The token right after a span ending at `end` ("" at the end)."""
        nxt = self.padded.find(" ", end + 1)
        return self.padded[end + 1 : nxt] if nxt > end + 1 else ""

    def token_end(self, pos: int) -> int:
        """End (exclusive) of the token holding `pos`."""
        return self.padded.find(" ", pos)


@lru_cache(maxsize=65536)
def _contextual(ch: str) -> bool:
    """True for letters of scripts whose transliteration depends on the neighbours
    (Cyrillic, Greek, Arabic, Hebrew...): those are transliterated a word at a time."""
    if ch < "\x80" or is_hangul(ch) or unicodedata.category(ch)[0] != "L":
        return False
    if "\u3040" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff":
        return False
    return not unicodedata.name(ch, "LATIN").startswith("LATIN")


@lru_cache(maxsize=65536)
def _fold_word(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    base = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return "".join(c if ("a" <= c <= "z" or "0" <= c <= "9") else " " for c in anyascii(base).lower())


def _fold_slow(text: str) -> tuple[str, list[int], list[int]]:
    parts: list[str] = []
    src: list[int] = []
    ends: list[int] = []
    i = 0
    size = len(text)
    while i < size:
        ch = text[i]
        if _contextual(ch):
            # a run of such letters (with their combining marks) is one word: "Πούτιν" -> "poutin"
            j = i + 1
            while j < size and (_contextual(text[j]) or unicodedata.combining(text[j])):
                j += 1
            rep = _fold_word(text[i:j])
            if rep:
                parts.append(rep)
                src.extend([i] * len(rep))
                ends.extend([j] * len(rep))
            i = j
            continue
        rep = chr(_ASCII_TABLE[ord(ch)]) if ch < "\x80" else fold_char(ch)
        if not rep:
            # a vanishing mark belongs to the character before it
            if ends and parts and parts[-1] != " ":
                ends[-1] = i + 1
            i += 1
            continue
        parts.append(rep)
        src.extend([i] * len(rep))
        ends.extend([i + 1] * len(rep))
        i += 1
    return "".join(parts), src, ends


def fold(text: str) -> tuple[str, list[int] | None, list[int] | None]:
    """Normalise per character; offsets are None when positions map one to one."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_TABLE).decode("ascii"), None, None
    specials = set(_NON_ASCII.findall(text))
    reps = {ch: fold_char(ch) for ch in specials}
    if all(len(rep) == 1 for rep in reps.values()) and not any(_contextual(ch) for ch in specials):
        for ch, rep in reps.items():
            text = text.replace(ch, rep)
        return text.encode("ascii").translate(_ASCII_TABLE).decode("ascii"), None, None
    norm, src, ends = _fold_slow(text)
    return norm, src, ends


def normalise_field(text: str) -> NormText:
    """Normalise one title or text for scanning."""
    norm, src, ends = fold(text)
    # one space between tokens and one at each end: keys are " key ", matching whole tokens
    collapsed = _MULTI_SPACE.sub(" ", norm)
    return NormText(original=text, norm=norm, src=src, ends=ends, padded=f" {collapsed} ")


def normalise_name(name: str) -> str:
    """A name or phrase as space-separated normalised tokens ("KIM, Jong-Un" -> "kim jong un")."""
    return " ".join(fold(name)[0].split())


# --------------------------------------------------------------------------- sentences

# Chinese and Japanese end a sentence with a full-width mark and no space after it
_SENT_END = re.compile(r"[.!?…]+[\"'\u201d\u2019)\]]*\s+|[\u3002\uff01\uff1f]+[\u201d\u300d\u300f\uff09]*\s*|\n\s*")
_ABBREV = resources.words("words", "abbreviations")


def sentence_starts(text: str) -> list[int]:
    """Start offsets of the sentences of a text (first is always 0)."""
    starts = [0]
    for m in _SENT_END.finditer(text):
        end = m.end()
        if end >= len(text):
            break
        mark = m.group()
        if mark[0] in ".!?…" and "\n" not in mark:
            nxt = text[end]
            if not (nxt.isupper() or nxt.isdigit() or nxt in "\"'\u201c\u2018(["):
                continue
            if mark[0] == ".":
                word_start = text.rfind(" ", 0, m.start()) + 1
                word = text[word_start : m.start()].lower().lstrip("(\"'\u201c\u2018")
                if word in _ABBREV or (len(word) == 1 and word.isalpha()):
                    continue
        starts.append(end)
    return starts


def sentence_span(text: str, starts: list[int], pos: int) -> tuple[int, int]:
    """The (start, end) of the sentence holding `pos`, trailing space trimmed."""
    idx = bisect_right(starts, pos) - 1
    start = starts[idx]
    end = starts[idx + 1] if idx + 1 < len(starts) else len(text)
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
