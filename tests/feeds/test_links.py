"""Only http(s) article links are links: `javascript:`, `data:`, `vbscript:` and other schemes
(however disguised) are not stored, and never become an href in an e-mail."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.db import session_scope
from monitor.feeds.parse import parse_feed
from monitor.links import web_link
from monitor.models import Article
from monitor.notify.deliver import deliver_one
from monitor.notify.outbox import enqueue_for_alert
from monitor.notify.subscriptions import SubscriptionCreate, create_subscription
from tests.notify.conftest import make_alert
from tests.notify.smtp import SmtpServer

HOSTILE = [
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(1)",
    "  javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "ftp://files.example/a",
]
GOOD = ["https://news.example/a?b=1", "http://news.example/b", "/relative/c"]


def _rss(links: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Item {i}</title><link>{link.replace('&', '&amp;')}</link>"
        f"<description>text {i}</description></item>"
        for i, link in enumerate(links)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


def _json_feed(links: list[str]) -> bytes:
    items = [{"id": str(i), "title": f"Item {i}", "content_text": f"text {i}", "url": link}
             for i, link in enumerate(links)]
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": items}).encode()


@pytest.mark.parametrize("make", [_rss, _json_feed], ids=["rss", "json"])
def test_only_http_links_are_stored(make) -> None:
    parsed = parse_feed(make([*HOSTILE, *GOOD]), url="https://feeds.example/feed.xml")
    urls = [d.url for d in parsed.drafts]
    assert len(urls) == len(HOSTILE) + len(GOOD)  # every item kept, with its title and text
    assert urls[: len(HOSTILE)] == [None] * len(HOSTILE)
    assert urls[len(HOSTILE):] == [
        "https://news.example/a?b=1", "http://news.example/b", "https://feeds.example/relative/c"
    ]


@pytest.mark.parametrize("link", [*HOSTILE, "http:///no-host", "https://news.example/\x00a", "http://[::1"])
def test_web_link_refuses(link: str) -> None:
    assert web_link(link) is None


def test_a_stored_javascript_link_never_reaches_an_email_href(sqlite_engine: Engine, make_settings) -> None:
    with SmtpServer() as smtp:
        settings = make_settings(smtp_port=smtp.port)
        with session_scope(sqlite_engine) as s:
            create_subscription(s, settings, SubscriptionCreate(channel="email", target="analyst@example.org"))
            alert = make_alert(s)
            article = s.get(Article, alert.article_id)
            assert article is not None
            article.url = "javascript:alert(document.cookie)"  # a row stored before links were checked
            s.add(article)
            (d,) = enqueue_for_alert(s, alert)
        with Session(sqlite_engine, expire_on_commit=False) as s:
            assert deliver_one(s, d.id, settings).result == "delivered"
    (msg,) = smtp.messages
    html = msg.get_body(preferencelist=("html",)).get_content()
    text = msg.get_body(preferencelist=("plain",)).get_content()
    assert "javascript" not in html.lower() and "javascript" not in text.lower()
    assert 'href="' in html  # the review link is still there
