"""The console's pure helpers: highlighting, rule-term spans, the SVG chart, the queue filter form."""

from __future__ import annotations

from datetime import UTC, date, datetime

from starlette.datastructures import QueryParams

from monitor.console.charts import bar_chart, weekly_buckets
from monitor.console.evidence import snippets, term_spans
from monitor.console.filters import parse_queue_query
from monitor.console.highlight import Span, highlight
from monitor.console.web import safe_next, safe_url

# The typographic apostrophe is the seed story's own.
SENTENCE = (
    "Russia\u2019s Defense Minister, Sergei Shoigu, had attempted to persuade Pyongyang to supply artillery ammunition."
)


def test_highlight_escapes_text_and_resolves_overlaps() -> None:
    html = str(highlight("<b>Kim</b> & Putin", [Span(3, 6, "entity", 'KIM "Jong Un"'), Span(4, 8, "term")]))
    assert html == '&lt;b&gt;<mark class="hl-entity" title="KIM &#34;Jong Un&#34;">Kim</mark>&lt;/b&gt; &amp; Putin'
    # spans past the end are clipped, empty ones dropped
    assert str(highlight("abc", [Span(1, 99, "term"), Span(2, 2, "entity")])) == 'a<mark class="hl-term">bc</mark>'


def test_term_spans_follow_the_matchers_normalisation_and_skip_not() -> None:
    spans = term_spans('(supply OR sell*) w/8 "artillery ammunition" NOT drill*', SENTENCE, "text")
    found = {SENTENCE[s:e] for s, e, _ in spans}
    assert found == {"supply", "artillery ammunition"}
    assert term_spans("ammun* AND title:Pyongyang", SENTENCE, "text") == [
        (SENTENCE.index("ammunition"), SENTENCE.index("ammunition") + len("ammunition"), "ammun*")
    ]
    assert term_spans("supply w/5 (arms OR", SENTENCE, "text") == []  # a broken query marks nothing


def test_snippets_mark_mentions_only_where_the_offsets_still_fit() -> None:
    offset = 100
    start = SENTENCE.index("Sergei Shoigu")
    good = {"entity_id": "us_ofac_sdn:35173", "entity_name": "SHOIGU, Sergei", "matched": "Sergei Shoigu",
            "field": "text", "start": offset + start, "end": offset + start + 13}
    stale = {**good, "start": offset + 2, "end": offset + 15}  # points at other words
    ev = [{"field": "text", "start": offset, "end": offset + len(SENTENCE), "text": SENTENCE}]
    [snip] = snippets(ev, [good, stale], "supply")
    html = str(snip.html)
    assert html.count("hl-entity") == 1 and "Sergei Shoigu</mark>" in html
    assert snip.entities == ["SHOIGU, Sergei"] and snip.terms == ["supply"]


def test_weekly_buckets_and_chart() -> None:
    today = date(2026, 11, 25)  # a Wednesday
    buckets = weekly_buckets([date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 16), date(2020, 1, 1)],
                             weeks=4, today=today)
    assert [b[0] for b in buckets] == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)]
    assert [b[1] for b in buckets] == [0, 0, 1, 2]
    svg = str(bar_chart(buckets, title="Alerts <per> week"))
    assert svg.count("<rect") == 4 and "Alerts &lt;per&gt; week" in svg and 'role="img"' in svg
    assert "week of 2026-11-23: 2 alerts" in svg


def test_queue_form_becomes_the_shared_alert_filter() -> None:
    query = parse_queue_query(QueryParams(
        "rule=arms-transfer&min_severity=high&min_score=0.5&status=new&entity_id=us_ofac_sdn:35173"
        "&feed_id=3&since=2026-11-01&until=2026-11-02&q=ammunition&suppressed=include&cursor="
    ))
    flt = query.flt
    assert not query.errors
    assert flt.rules == ["arms-transfer"] and flt.min_severity == "high" and flt.min_score == 0.5
    assert flt.statuses == ["new"] and flt.entity_ids == ["us_ofac_sdn:35173"] and flt.feed_ids == [3]
    assert flt.since == datetime(2026, 11, 1, tzinfo=UTC)
    assert flt.until == datetime(2026, 11, 3, tzinfo=UTC)  # the "to" day is included
    assert flt.q == "ammunition" and flt.suppressed == "include" and query.cursor is None
    assert query.params(status="dismissed")["status"] == "dismissed"

    bad = parse_queue_query(QueryParams("min_score=2&since=yesterday&status=closed&feed_id=x"))
    assert set(bad.errors) == {"min_score", "since", "status", "feed_id"}
    assert bad.flt.min_score is None and bad.flt.statuses == []
    empty = parse_queue_query(QueryParams("rule=&min_score=&since="))
    assert empty.flt.rules == [] and not empty.errors


def test_redirect_targets_and_links_stay_safe() -> None:
    assert safe_next("/alerts/3?x=1") == "/alerts/3?x=1"
    for hostile in ("//evil.example", "https://evil.example", "/\\evil.example", "", None, "javascript:alert(1)"):
        assert safe_next(hostile) == "/"
    assert safe_url("https://www.bbc.co.uk/news") == "https://www.bbc.co.uk/news"
    assert safe_url("javascript:alert(1)") == "" and safe_url(" JAVASCRIPT:x") == "" and safe_url(None) == ""
