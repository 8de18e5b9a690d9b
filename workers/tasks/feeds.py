"""Thin Celery tasks for feed polling: open a session, call one monitor function, queue the next step.

`poll_due_feeds` (beat, every minute) hands each due feed to `poll_feed`; each poll
queues `monitor.match_article` by name for every new or edited article. Safe to run
twice at once for one feed: the poll takes a lease and the store's unique key holds.
"""

from __future__ import annotations

from functools import cache

import httpx

from workers import context
from workers.celery_app import app


@cache
def _client() -> httpx.Client:
    # One pooled, guarded client per worker process (created after the fork).
    from monitor.feeds.fetch import make_client

    return make_client(context.settings())


@app.task(name="monitor.poll_due_feeds", ignore_result=True)
def poll_due_feeds() -> int:
    """Beat: queue a poll for every feed whose next poll time has come."""
    from monitor.feeds.poll import due_feeds

    with context.session() as session:
        ids = due_feeds(session, context.settings(), claim=True)
    for feed_id in ids:
        app.send_task("monitor.poll_feed", args=[feed_id])
    return len(ids)


@app.task(name="monitor.poll_feed", ignore_result=True)
def poll_feed(feed_id: int) -> dict[str, object]:
    """Poll one feed now; queue matching for every new or changed article."""
    from monitor.feeds.poll import poll_feed as poll

    with context.session() as session:
        result = poll(session, int(feed_id), context.settings(), client=_client())
    for article_id in [*result.new_ids, *result.updated_ids]:
        app.send_task("monitor.match_article", args=[article_id])
    return {"feed_id": result.feed_id, "status": result.status, "new": len(result.new_ids),
            "updated": len(result.updated_ids), "error": result.error}
