"""/demo/feed.xml: the project's own demo feed, served by the API when MONITOR_DEMO is on,
so `make run` shows the whole pipeline without the internet."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from monitor.feeds.demo import DEMO_FEED_FILE

router = APIRouter(tags=["demo"], include_in_schema=False)


@router.get("/demo/feed.xml")
def demo_feed() -> FileResponse:
    """The demo RSS feed (with ETag and Last-Modified, so conditional GET works)."""
    return FileResponse(DEMO_FEED_FILE, media_type="application/rss+xml")
