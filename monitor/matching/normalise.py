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
from dataclasses import dataclass, field
from itertools import accumulate

from anyascii import anyascii

from monitor.matching.words import word_set

_ASCII_TABLE = bytes(
    (c if (48 <= c <= 57 or 97 <= c <= 122) else (c + 32 if 65 <= c <= 90 else 32)) for c in range(256)
)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_TOKEN = re.compile(r"\S+")
_CHAR_CACHE: dict[str, str] = {}

_KOREAN_SUBS = (("ch", "j"), ("eo", "o"), ("eu", "u"), ("ae", "e"), ("wo", "o"), ("ui", "i"),
                ("g", "k"), ("b", "p"), ("d", "t"), ("r", "l"))
_DOUBLE = re.compile(r"([a-z])\1")


def korean_key(syllables: str) -> str:
    """A loose romanisation key shared by Revised and McCune-Reischauer spellings
    ("gim jeong eun" and "kim jong un" both give "kim jong un")."""
    out = syllables.lower()
    for old, new in _KOREAN_SUBS:
        out = out.replace(old, new)
    return _DOUBLE.sub(r"\1", out)


def _is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3"


def fold_char(ch: str) -> str:
    """The normalised form of one non-ASCII character (cached): ASCII letters, digits, spaces."""
    hit = _CHAR_CACHE.get(ch)
    if hit is not None:
        return hit
    if _is_hangul(ch):
        out = " " + korean_key(anyascii(ch)) + " "
    elif unicodedata.combining(ch):
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
    """A field's normalised token string and the way back to the original characters.

    `norm` has one entry per character of the original when `src` is None; otherwise
    `src[i]`/`ends[i]` give the original start/end of normalised character i. `tokens`
    joined by single spaces is `tstr`, the string the automaton scans.
    """

    original: str
    norm: str
    src: list[int] | None
    ends: list[int] | None
    tstr: str = ""
    tokens: list[str] = field(default_factory=list)
    _tstarts: list[int] | None = None
    _nstarts: list[int] | None = None

    @property
    def tstarts(self) -> list[int]:
        """Start of every token in `tstr`."""
        if self._tstarts is None:
            acc = list(accumulate((len(t) + 1 for t in self.tokens), initial=0))
            acc.pop()
            self._tstarts = acc
        return self._tstarts

    @property
    def nstarts(self) -> list[int]:
        """Start of every token in `norm`."""
        if self._nstarts is None:
            self._nstarts = [m.start() for m in _TOKEN.finditer(self.norm)]
        return self._nstarts

    def token_at(self, tpos: int) -> int:
        """Index of the token that holds position `tpos` of `tstr`."""
        return bisect_right(self.tstarts, tpos) - 1

    def orig_start(self, token: int) -> int:
        """Original start offset of a token."""
        npos = self.nstarts[token]
        return self.src[npos] if self.src is not None else npos

    def orig_end(self, token: int) -> int:
        """Original end offset (exclusive) of a token."""
        npos = self.nstarts[token] + len(self.tokens[token]) - 1
        return self.ends[npos] if self.ends is not None else npos + 1

    def orig_span(self, first: int, last: int) -> tuple[int, int]:
        """Original (start, end) of tokens first..last inclusive."""
        return self.orig_start(first), self.orig_end(last)


def _fold_slow(text: str) -> tuple[str, list[int], list[int]]:
    parts: list[str] = []
    src: list[int] = []
    ends: list[int] = []
    for i, ch in enumerate(text):
        rep = chr(_ASCII_TABLE[ord(ch)]) if ch < "\x80" else fold_char(ch)
        if not rep:
            # a vanishing mark belongs to the character before it
            if ends and parts and parts[-1] != " ":
                ends[-1] = i + 1
            continue
        parts.append(rep)
        src.extend([i] * len(rep))
        ends.extend([i + 1] * len(rep))
    return "".join(parts), src, ends


def fold(text: str) -> tuple[str, list[int] | None, list[int] | None]:
    """Normalise per character; offsets are None when positions map one to one."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_TABLE).decode("ascii"), None, None
    specials = set(_NON_ASCII.findall(text))
    reps = {ch: fold_char(ch) for ch in specials}
    if all(len(rep) == 1 for rep in reps.values()):
        for ch, rep in reps.items():
            text = text.replace(ch, rep)
        return text.encode("ascii").translate(_ASCII_TABLE).decode("ascii"), None, None
    norm, src, ends = _fold_slow(text)
    return norm, src, ends


def normalise_field(text: str) -> NormText:
    """Normalise one title or text for scanning."""
    norm, src, ends = fold(text)
    tokens = norm.split()
    return NormText(original=text, norm=norm, src=src, ends=ends, tstr=" ".join(tokens), tokens=tokens)


def normalise_name(name: str) -> str:
    """A name or phrase as space-separated normalised tokens ("KIM, Jong-Un" -> "kim jong un")."""
    return " ".join(fold(name)[0].split())


# --------------------------------------------------------------------------- sentences

_SENT_END = re.compile(r"[.!?…]+[\"'\u201d\u2019)\]]*\s+|\n\s*")
_ABBREV = word_set(
    """
    mr mrs ms dr st prof gen col lt sgt capt cmdr adm gov sen rep jr sr inc ltd co corp no vs etc jan feb mar
    apr jun jul aug sep sept oct nov dec u.s u.k u.n e.g i.e
    """
)


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
