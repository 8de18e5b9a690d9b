"""One field of an article (title or text) as the scan sees it: the original text, its normalised
scan string, sentence boundaries and whether it is a Title Case headline."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from monitor.matching.normalise import NormText, sentence_span, sentence_starts
from monitor.matching.tuning import TITLE_CASE_SHARE

FIELDS = ("title", "text")
Occ = tuple[int, int, int]  # (field index, start, end) in the field's padded scan string
WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")


def title_case_run(head: str) -> bool:
    """True when the three longer words before a point in its sentence are all capitalised: a
    title quoted in running text, whose capitals say nothing about names."""
    sentence = re.split(r"[.!?\n]\s", head[-80:])[-1]
    words = [w for w in WORD.findall(sentence) if len(w) > 3][-3:]
    return len(words) == 3 and all(w[0].isupper() for w in words)


@dataclass
class FieldState:
    """A field's text, its normalised form and lazily computed sentence facts."""

    text: str
    nt: NormText
    _starts: list[int] | None = None
    _sent_cache: dict[int, int] = field(default_factory=dict)
    _title_case: bool | None = None

    @property
    def title_case(self) -> bool:
        """True for a headline whose longer words are nearly all capitalised."""
        if self._title_case is None:
            words = [w for w in WORD.findall(self.text) if len(w) > 3]
            self._title_case = len(words) >= 3 and sum(w[0].isupper() for w in words) >= TITLE_CASE_SHARE * len(words)
        return self._title_case

    def running_text(self) -> None:
        """Mark the field as body text: only a headline is written in Title Case."""
        self._title_case = False

    @property
    def sent_starts(self) -> list[int]:
        """Start offsets of the field's sentences in the original text."""
        if self._starts is None:
            self._starts = sentence_starts(self.text)
        return self._starts

    def sentence_of(self, token: int) -> int:
        """The index of the sentence holding a scan-string offset."""
        hit = self._sent_cache.get(token)
        if hit is None:
            hit = bisect_right(self.sent_starts, self.nt.orig_start(token)) - 1
            self._sent_cache[token] = hit
        return hit

    def sentence_bounds(self, index: int) -> tuple[int, int]:
        """(start, end) of a sentence in the original text."""
        starts = self.sent_starts
        return sentence_span(self.text, starts, starts[index])
