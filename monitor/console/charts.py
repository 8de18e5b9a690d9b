"""A small server-side SVG bar chart: alerts per week, for the entity page's timeline.

Pure and dependency-free: counts in, an accessible `<svg>` (role="img", a title, and a
text summary) out, so the page needs no chart library and works without JavaScript.
"""

from __future__ import annotations

from datetime import date, timedelta

from markupsafe import Markup, escape


def weekly_buckets(days: list[date], *, weeks: int = 26, today: date | None = None) -> list[tuple[date, int]]:
    """Count `days` into the last `weeks` weeks (each bucket starts on a Monday), oldest first."""
    today = today or date.today()
    first = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    counts = [0] * weeks
    for day in days:
        index = (day - first).days // 7
        if 0 <= index < weeks:
            counts[index] += 1
    return [(first + timedelta(weeks=i), counts[i]) for i in range(weeks)]


def bar_chart(buckets: list[tuple[date, int]], *, title: str, width: int = 560, height: int = 120) -> Markup:
    """An SVG bar chart of (week start, count) buckets with a title and per-bar tooltips."""
    top = max((count for _, count in buckets), default=0) or 1
    n = max(len(buckets), 1)
    gap = 2
    bar_w = max((width - 40) / n - gap, 1)
    base = height - 20
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="chart-title" preserveAspectRatio="xMinYMin meet">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<line x1="30" y1="{base}" x2="{width}" y2="{base}" class="axis"/>',
        f'<text x="0" y="14" class="tick">{top}</text><text x="0" y="{base}" class="tick">0</text>',
    ]
    for i, (start, count) in enumerate(buckets):
        h = (base - 10) * count / top
        x = 32 + i * (bar_w + gap)
        label = f"week of {start.isoformat()}: {count} alert{'s' if count != 1 else ''}"
        parts.append(
            f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" class="bar">'
            f"<title>{escape(label)}</title></rect>"
        )
    if buckets:
        parts.append(f'<text x="32" y="{height - 4}" class="tick">{buckets[0][0].isoformat()}</text>')
        parts.append(
            f'<text x="{width}" y="{height - 4}" class="tick" text-anchor="end">{buckets[-1][0].isoformat()}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - numbers and escaped text only
