"""Parsing: every real feed file, JSON Feed, HTML to text, dates in UTC, relative links, bad bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from monitor.feeds.parse import FeedParseError, html_to_text, parse_feed
from tests.conftest import shared_path

MALFORMED = {"feedrs_rss_2.0_invalid_1.xml", "feedreader_AtomSpecialCharacters.xml"}


def test_every_real_feed_parses_or_fails_clearly() -> None:
    folder = shared_path("feeds")
    files = sorted(folder.glob("*.xml")) + sorted((folder / "bbc_snapshots_series").glob("*.xml"))
    assert len(files) >= 40
    total = 0
    for path in files:
        body = path.read_bytes()
        if path.name == "feedrs_rss_2.0_invalid_1.xml":
            with pytest.raises(FeedParseError, match="malformed"):
                parse_feed(body, url="http://127.0.0.1/f.xml", content_type="application/rss+xml")
            continue
        parsed = parse_feed(body, url="http://127.0.0.1/f.xml", content_type="application/rss+xml")
        assert parsed.format.startswith(("rss", "atom")), path.name
        if path.name in MALFORMED:
            assert parsed.warning and "malformed" in parsed.warning
        else:
            assert parsed.warning is None, (path.name, parsed.warning)
        for draft in parsed.drafts:
            assert draft.title or draft.text, path.name
            assert "<p>" not in draft.text and "<a " not in draft.text
            assert draft.published_at is None or draft.published_at.tzinfo == UTC
            assert len(draft.content_hash) == 64
        total += len(parsed.drafts)
    assert total > 1500


def test_latin1_feed_is_decoded() -> None:
    body = shared_path("feeds", "feedrs_rss_2.0_encoding_1.xml").read_bytes()
    parsed = parse_feed(body, url="http://127.0.0.1/f.xml")
    assert "três cores" in parsed.drafts[0].text


def test_wrong_encoding_declaration_is_a_warning_not_garbage() -> None:
    # A Latin-1 file whose header claims UTF-8: feedparser falls back, we say so.
    body = shared_path("feeds", "feedrs_rss_1.0_iso8859.xml").read_bytes()
    body = body.replace(b'encoding="ISO-8859-1"', b'encoding="UTF-8"').replace(b'encoding="iso-8859-1"',
                                                                               b'encoding="UTF-8"')
    parsed = parse_feed(body, url="http://127.0.0.1/f.xml", content_type="application/xml; charset=utf-8")
    assert parsed.warning is not None
    assert parsed.drafts and "Förderung" in parsed.drafts[0].text


def test_relative_links_dates_and_html() -> None:
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T &amp; co</title><link>/</link>
    <description>d</description><ttl>45</ttl>
    <item><guid isPermaLink="false">a1</guid><title>Shells &lt;b&gt;shipped&lt;/b&gt;</title><link>/news/1</link>
    <description>&lt;p&gt;Kim Jong Un&lt;/p&gt;&lt;p&gt;met &amp;amp; talked
    &lt;script&gt;x()&lt;/script&gt;&lt;/p&gt;</description>
    <pubDate>Tue, 12 Sep 2023 10:00:00 +0900</pubDate></item></channel></rss>"""
    parsed = parse_feed(body, url="http://127.0.0.1:9/feeds/world.xml", content_type="application/rss+xml")
    draft = parsed.drafts[0]
    assert draft.url == "http://127.0.0.1:9/news/1"
    assert draft.title == "Shells shipped"
    assert draft.text == "Kim Jong Un\nmet & talked"
    assert draft.published_at == datetime(2023, 9, 12, 1, 0, tzinfo=UTC)
    assert parsed.ttl_minutes == 45
    assert parsed.title == "T & co"


def test_atom_content_preferred_over_summary() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://127.0.0.1/a/">
    <title>A</title><id>urn:x</id><updated>2024-01-01T00:00:00Z</updated>
    <entry><id>urn:1</id><title>One</title><link href="item/1"/><updated>2024-01-02T03:04:05+02:00</updated>
    <summary>Short.</summary><content type="html">&lt;p&gt;Long text about artillery shells.&lt;/p&gt;</content></entry>
    </feed>"""
    draft = parse_feed(body, url="http://127.0.0.1/a/feed", content_type="application/atom+xml").drafts[0]
    assert draft.url == "http://127.0.0.1/a/item/1"
    assert draft.text == "Long text about artillery shells."
    assert draft.summary == "Short."
    assert draft.published_at == datetime(2024, 1, 2, 1, 4, 5, tzinfo=UTC)


def test_json_feed() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON news",
        "home_page_url": "http://127.0.0.1/",
        "items": [
            {"id": "1", "url": "/story/1", "title": "Shoigu in Pyongyang",
             "content_html": "<p>Sergei Shoigu visited.</p>", "date_published": "2023-07-26T10:00:00+03:00",
             "authors": [{"name": "Desk"}]},
            {"id": 2, "content_text": "Plain text only.", "summary": "S"},
        ],
    }
    parsed = parse_feed(json.dumps(doc).encode(), url="http://127.0.0.1/feed.json",
                        content_type="application/feed+json")
    assert parsed.format == "json11"
    first, second = parsed.drafts
    assert first.url == "http://127.0.0.1/story/1"
    assert first.text == "Sergei Shoigu visited."
    assert first.published_at == datetime(2023, 7, 26, 7, 0, tzinfo=UTC)
    assert first.author == "Desk"
    assert second.guid == "2" and second.text == "Plain text only."
    with pytest.raises(FeedParseError, match="JSON Feed version"):
        parse_feed(b'{"items": []}', url="http://127.0.0.1/x.json", content_type="application/json")
    with pytest.raises(FeedParseError, match="invalid JSON"):
        parse_feed(b'{"version": ', url="http://127.0.0.1/x.json", content_type="application/json")


@pytest.mark.parametrize(
    ("body", "ctype", "message"),
    [
        (b"", "application/rss+xml", "empty body"),
        (b"   \n", "application/rss+xml", "empty body"),
        (b"<!DOCTYPE html><html><head><title>Hi</title></head><body><p>Not a feed</p></body></html>",
         "text/html; charset=utf-8", "HTML page"),
        (b"just some words", "text/plain", "not a feed"),
    ],
)
def test_not_a_feed(body: bytes, ctype: str, message: str) -> None:
    with pytest.raises(FeedParseError, match=message):
        parse_feed(body, url="http://127.0.0.1/f", content_type=ctype)


def test_body_that_looks_like_a_path_is_not_opened() -> None:
    with pytest.raises(FeedParseError):
        parse_feed(b"/etc/passwd", url="http://127.0.0.1/f", content_type="application/xml")


def test_html_to_text() -> None:
    assert html_to_text("<div>a<br/>b</div><style>p{}</style>&eacute;&#233; x") == "a\nb\néé x"
    assert html_to_text(None) == ""


def test_mislabelled_content_type_does_not_matter() -> None:
    rss_body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><guid>1</guid>' \
               b"<title>One</title></item></channel></rss>"
    assert len(parse_feed(rss_body, url="http://127.0.0.1/f", content_type="application/json").drafts) == 1
    json_body = b'{"version": "https://jsonfeed.org/version/1", "items": [{"id": "1", "content_text": "x"}]}'
    assert parse_feed(json_body, url="http://127.0.0.1/f", content_type="text/html").format == "json1"


def test_decomposed_text_is_composed() -> None:
    # a feed in decomposed form (NFD) is stored composed (NFC): one form of each letter for the
    # matcher and the dedupe hash; a composed or ASCII text is kept as it is
    import unicodedata

    title, text = "Süleymani Bağdat'ta", "Годовщина гибели Касема Сулеймани. Plain."
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [
        {"id": "1", "title": unicodedata.normalize("NFD", title), "content_text": unicodedata.normalize("NFD", text)},
        {"id": "2", "title": title, "content_text": "ASCII only."}]}
    drafts = parse_feed(json.dumps(doc).encode(), url="http://127.0.0.1/feed.json",
                        content_type="application/feed+json").drafts
    assert (drafts[0].title, drafts[0].text) == (title, text)
    assert (drafts[1].title, drafts[1].text) == (title, "ASCII only.")
