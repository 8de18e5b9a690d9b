"""Mark spans of a sentence as HTML: entity mentions and rule terms inside evidence text.

Pure: takes text and (start, end, kind, label) spans relative to that text, returns
escaped HTML with `<mark>` around each span. Overlaps are resolved in favour of the
span listed first (callers list entity mentions before rule terms), so the markup stays
well formed.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Span:
    """A span to mark: offsets into the text, a kind (`entity` or `term`) and a tooltip."""

    start: int
    end: int
    kind: str
    label: str = ""


def _non_overlapping(spans: list[Span], length: int) -> list[Span]:
    kept: list[Span] = []
    for span in spans:
        start, end = max(0, span.start), min(length, span.end)
        if start >= end:
            continue
        if any(start < k.end and k.start < end for k in kept):
            continue
        kept.append(Span(start, end, span.kind, span.label))
    return sorted(kept, key=lambda s: s.start)


def highlight(text: str, spans: list[Span]) -> Markup:
    """The text as escaped HTML with every span wrapped in `<mark class="hl-<kind>">`."""
    out: list[str] = []
    pos = 0
    for span in _non_overlapping(spans, len(text)):
        out.append(str(escape(text[pos : span.start])))
        title = f' title="{escape(span.label)}"' if span.label else ""
        kind = "entity" if span.kind == "entity" else "term"
        out.append(f'<mark class="hl-{kind}"{title}>{escape(text[span.start : span.end])}</mark>')
        pos = span.end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))  # noqa: S704 - every piece above is escaped
