"""Parse a fetched feed body into article drafts. Pure: no network, no database.

RSS 0.9x/1.0/2.0 and Atom go through feedparser, given the body as a file object
(a bytes body that looks like a path would be opened as a file) with the response's
lower-case content-type and content-location, so it never fetches anything itself
and resolves relative links against the feed's URL. JSON Feed 1.x, which feedparser
does not read, is mapped here. HTML is reduced to plain text for matching; the
original link is kept when it is an http(s) URL (monitor/links.py: a `javascript:` or
`data:` link is dropped, the item kept); dates become timezone-aware UTC.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import feedparser

from monitor.links import web_link

JSON_FEED_PREFIX = "https://jsonfeed.org/version/1"


class FeedParseError(ValueError):
    """The body is not a feed we can read (message shown on the feed)."""


@dataclass(frozen=True)
class ArticleDraft:
    """One feed item ready to be stored."""

    guid: str | None
    url: str | None
    title: str
    summary: str | None
    content: str | None
    text: str
    author: str | None = None
    language: str | None = None
    published_at: datetime | None = None
    content_hash: str = ""


@dataclass
class ParsedFeed:
    """The feed's own fields and its items; `warning` names a recovered problem."""

    format: str
    title: str | None = None
    site_url: str | None = None
    ttl_minutes: int | None = None
    language: str | None = None
    drafts: list[ArticleDraft] = field(default_factory=list)
    warning: str | None = None


# --------------------------------------------------------------------------- HTML -> text

_BLOCK = {
    "p", "div", "br", "li", "ul", "ol", "tr", "td", "th", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "section", "article", "header", "footer", "figure", "figcaption", "dd", "dt", "hr",
}
_SKIP = {"script", "style", "noscript", "template", "head", "title"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_NEWLINES = re.compile(r"\s*\n\s*")


def html_to_text(html: str | None) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, paragraphs kept as lines."""
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        text = html
    else:
        parser = _TextExtractor()
        parser.feed(html)
        parser.close()
        text = "".join(parser.parts)
    text = _SPACES.sub(" ", text.replace("\x00", ""))  # PostgreSQL text cannot hold NUL
    return _NEWLINES.sub("\n", text).strip()


def content_hash(title: str, text: str) -> str:
    """SHA-256 of an item's title and plain text: the last-resort dedupe key and the edit detector."""
    return hashlib.sha256(f"{title.strip()}\n{text.strip()}".encode()).hexdigest()


def _utc(parsed: Any) -> datetime | None:
    # feedparser's *_parsed values are struct_time in UTC.
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (OverflowError, ValueError, TypeError):
        return None


MAX_TITLE = 2000  # characters of an item title kept
MAX_ITEMS = 10_000  # items in one feed document


def _clip(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    value = value.replace("\x00", "").strip()
    return value[:limit] if value else None


# UTF-8 read as Windows-1252 or Latin-1 by the publisher ("ÐœÐ¾ÑÐºÐ²Ðµ", "dÃ©flagration"): a lead
# byte of a two- or three-byte sequence shown as its Latin-1 letter, then a continuation byte
_MOJIBAKE = re.compile("[\u00c2-\u00df\u00e2][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
                       "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]")


def _unmangled(text: str) -> str:
    """Text in composed form (NFC), with mojibake repaired by ftfy when it shows."""
    if not text or not _MOJIBAKE.search(text):
        # a publisher writing decomposed letters (NFD: "Bag\u0306dat", "Сергеи\u0306") gets them
        # composed, so the matcher's word walks and the dedupe hash see one form of each letter
        return text if text.isascii() or unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)
    import ftfy

    return str(ftfy.fix_text(text, normalization="NFC"))


def _make_draft(
    *, guid: str | None, url: str | None, title_html: str, summary_html: str | None, content_html: str | None,
    author: str | None, language: str | None, published: datetime | None,
) -> ArticleDraft:
    # A title is a line: a hostile 1 MB one is clipped (found by tests/hostile).
    title = _unmangled(html_to_text(title_html))[:MAX_TITLE]
    summary = _unmangled(html_to_text(summary_html)) or None
    content_text = _unmangled(html_to_text(content_html)) if content_html else ""
    # Match the longest plain text we have: full content when present, else the summary.
    text = content_text if len(content_text) >= len(summary or "") else (summary or "")
    if not title and not text:
        title = url or guid or ""
    return ArticleDraft(
        guid=_clip(guid, 2048),
        url=_clip(web_link(url), 2048),
        title=title,
        summary=summary,
        content=(content_html or "").replace("\x00", "") or None,
        text=text,
        author=_clip(author, 512),
        language=_clip(language, 32),
        published_at=published,
        content_hash=content_hash(title, text),
    )


# --------------------------------------------------------------------------- JSON Feed


def _looks_like_json(body: bytes, content_type: str) -> bool:
    # The body decides; the Content-Type only when the body does not (servers mislabel feeds).
    first = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if first in (b"{", b"<"):
        return first == b"{"
    return "json" in content_type


def _json_date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return _utc(feedparser._parse_date(value))  # type: ignore[attr-defined]
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _json_author(item: dict[str, Any], feed: dict[str, Any]) -> str | None:
    for holder in (item, feed):
        authors = holder.get("authors")
        if isinstance(authors, list) and authors and isinstance(authors[0], dict):
            return str(authors[0].get("name") or "") or None
        author = holder.get("author")
        if isinstance(author, dict) and author.get("name"):
            return str(author["name"])
    return None


def parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    """Map a JSON Feed 1.0/1.1 document to drafts."""
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedParseError(f"not a feed: invalid JSON ({exc})") from exc
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith(JSON_FEED_PREFIX):
        raise FeedParseError("not a feed: JSON without a JSON Feed version (https://jsonfeed.org/version/1.x)")
    base = doc.get("feed_url") if isinstance(doc.get("feed_url"), str) else url
    home = doc.get("home_page_url") if isinstance(doc.get("home_page_url"), str) else None
    language = doc.get("language") if isinstance(doc.get("language"), str) else None
    items = doc.get("items")
    if not isinstance(items, list):
        raise FeedParseError("JSON Feed without an items list")
    drafts = []
    for item in items:
        if not isinstance(item, dict):
            continue
        link = item.get("url") or item.get("external_url")
        link = urljoin(home or base or url, link) if isinstance(link, str) and link else None
        item_id = item.get("id")
        drafts.append(
            _make_draft(
                guid=str(item_id) if item_id not in (None, "") else None,
                url=link,
                title_html=str(item.get("title") or ""),
                summary_html=str(item["summary"]) if item.get("summary") else None,
                content_html=str(item.get("content_html") or item.get("content_text") or "") or None,
                author=_json_author(item, doc),
                language=item.get("language") if isinstance(item.get("language"), str) else language,
                published=_json_date(item.get("date_published") or item.get("date_modified")),
            )
        )
    return ParsedFeed(format="json" + str(doc["version"]).rsplit("/", 1)[-1].replace(".", ""),
                      title=str(doc.get("title") or "") or None, site_url=web_link(home), language=language,
                      drafts=drafts)


# --------------------------------------------------------------------------- RSS / Atom


def _entry_content(entry: Any) -> str | None:
    contents = entry.get("content") or []
    best = ""
    for part in contents:
        value = part.get("value") or ""
        if len(value) > len(best):
            best = value
    return best or None


def _bozo_message(exc: Exception | None) -> str:
    if exc is None:
        return "unknown problem"
    name = exc.__class__.__name__
    text = str(exc).strip()
    return f"{name}: {text}" if text else name


def parse_feed(body: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse a feed body (RSS, Atom or JSON Feed); raise FeedParseError when it is not a feed."""
    ctype = (content_type or "").lower()
    if not body or not body.strip():
        raise FeedParseError("empty body: the server sent no content")
    if _looks_like_json(body, ctype):
        return parse_json_feed(body, url)
    # feedparser needs about a minute per 100,000 items on one core: refuse such a document
    # up front (a cheap byte count) instead of holding a worker (found by tests/hostile).
    items = body.count(b"<item") + body.count(b"<entry")
    if items > MAX_ITEMS:
        raise FeedParseError(f"too many items: about {items} in one document (at most {MAX_ITEMS})")
    headers = {"content-location": url}
    if ctype:
        headers["content-type"] = ctype
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers, resolve_relative_uris=True,
                              sanitize_html=True)
    version = parsed.get("version") or ""
    entries = parsed.get("entries") or []
    bozo = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not version and not entries:
        head = body.lstrip()[:200].lower()
        if b"<html" in head or b"<!doctype html" in head or "html" in ctype:
            raise FeedParseError(f"not a feed: got an HTML page (content-type {ctype or 'unknown'})")
        if not body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            raise FeedParseError(f"not a feed: the body is neither XML nor JSON (content-type {ctype or 'unknown'})")
        if bozo is not None:
            raise FeedParseError(f"malformed feed: {_bozo_message(bozo)}")
        raise FeedParseError("not a feed: no RSS, Atom or JSON Feed document found")
    if bozo is not None and not entries:
        raise FeedParseError(f"malformed feed: {_bozo_message(bozo)}")
    warning = None
    # A wrong Content-Type on a well-formed feed is common and harmless: not worth a warning.
    if bozo is not None and not isinstance(bozo, feedparser.NonXMLContentType):
        if isinstance(bozo, feedparser.CharacterEncodingOverride | feedparser.CharacterEncodingUnknown):
            warning = f"wrong encoding declaration, read as {parsed.get('encoding')}: {_bozo_message(bozo)}"
        else:
            warning = f"malformed feed, {len(entries)} item(s) recovered: {_bozo_message(bozo)}"
    feed = parsed.feed
    feed_lang = feed.get("language")
    site = feed.get("link")
    drafts = []
    for entry in entries:
        link = entry.get("link")
        link = urljoin(url, link) if link else None
        summary = entry.get("summary")
        content = _entry_content(entry)
        if content and summary and html_to_text(content) == html_to_text(summary):
            content = None
        drafts.append(
            _make_draft(
                guid=entry.get("id") or None,
                url=link,
                title_html=entry.get("title") or "",
                summary_html=summary,
                content_html=content,
                author=entry.get("author"),
                language=entry.get("language") or feed_lang,
                published=_utc(entry.get("published_parsed") or entry.get("updated_parsed")),
            )
        )
    ttl = feed.get("ttl")
    return ParsedFeed(
        format=version or "unknown",
        title=html_to_text(feed.get("title")) or None,
        site_url=web_link(urljoin(url, site)) if site else None,
        ttl_minutes=int(ttl) if isinstance(ttl, str) and ttl.strip().isdigit() else None,
        language=feed_lang,
        drafts=drafts,
        warning=warning,
    )
