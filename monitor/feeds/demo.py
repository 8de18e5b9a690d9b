"""The demo feed: a small RSS file written for this project (seeds/demo/feed.xml), served by
the API at /demo/feed.xml when MONITOR_DEMO is on and subscribed on first start by `up --demo`,
with a few real news feeds in other languages from the starter OPML (seeds/feeds.opml, its
"Other languages" section), which the poller reaches when the machine is online."""

from __future__ import annotations

from sqlmodel import Session

from monitor.feeds.manage import subscribe
from monitor.feeds.opml import OpmlError, OpmlFeed, read_opml
from monitor.netguard import BlockedAddressError, check_url
from monitor.settings import SEEDS_DIR, Settings

DEMO_FEED_FILE = SEEDS_DIR / "demo" / "feed.xml"
STARTER_OPML = SEEDS_DIR / "feeds.opml"
DEMO_LANGUAGE_FEEDS = 3  # the first feeds of the OPML's "Other languages" section
DEMO_FEED_PATH = "/demo/feed.xml"


def demo_feed_url(api_base: str) -> str:
    """Where the API serves the demo feed."""
    return api_base.rstrip("/") + DEMO_FEED_PATH


def install_demo(session: Session, settings: Settings, api_base: str) -> list[str]:
    """Subscribe to the demo feed served by this API (idempotent); return lines to show."""
    url = demo_feed_url(api_base)
    _, created = subscribe(session, url, title="Demo feed (sanctions-monitor)", actor="startup")
    lines = [f"demo feed {'subscribed' if created else 'already subscribed'}: {url}"]
    for feed in language_feeds():
        _, added = subscribe(session, feed.url, title=feed.title, actor="startup")
        if added:
            lines.append(f"real feed in another language subscribed: {feed.title} ({feed.url})")
    try:
        check_url(url, settings)
    except BlockedAddressError as exc:
        lines.append(f"note: the poller will refuse the demo feed ({exc}); "
                     "set MONITOR_ALLOWED_NETWORKS=127.0.0.1/32 to let it through")
    return lines


def language_feeds() -> list[OpmlFeed]:
    """The first real feeds of the starter OPML's "Other languages" section."""
    try:
        feeds = read_opml(STARTER_OPML.read_bytes())
    except (OSError, OpmlError):
        return []
    return [f for f in feeds if any(t.startswith("Other languages") for t in f.tags)][:DEMO_LANGUAGE_FEEDS]
