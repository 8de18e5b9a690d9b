"""Thin Celery tasks for delivery and the digest: open a session, call one monitor function.

Retries are not Celery retries: a failed attempt writes its next time into the
delivery row and the `monitor.deliver_due` sweep picks it up, so nothing depends on
a countdown surviving in the broker.
"""

from __future__ import annotations

from functools import cache

import httpx

from workers import context
from workers.celery_app import app


@cache
def _client() -> httpx.Client:
    """One SSRF-guarded webhook client per worker process (kept-alive connections, one TLS context)."""
    from monitor.notify.webhook import webhook_client

    return webhook_client(context.settings())


@app.task(name="monitor.deliver", ignore_result=True)
def deliver(delivery_id: int) -> str:
    """Send one delivery now (and its subscription's next ones in order)."""
    from monitor.notify.deliver import deliver_one

    with context.session() as session:
        return deliver_one(session, int(delivery_id), context.settings(), _client()).result


@app.task(name="monitor.deliver_due", ignore_result=True)
def deliver_due(limit: int = 500) -> int:
    """Beat: make the story updates whose interval ended, claim due deliveries (those, retries, dead
    senders' rows) and queue a send for each."""
    from monitor.notify.deliver import claim_due
    from monitor.notify.story_outbox import release_due_updates

    with context.session() as session:
        release_due_updates(session)
        ids = claim_due(session, limit)
    for delivery_id in ids:
        app.send_task("monitor.deliver", args=[delivery_id])
    return len(ids)


@app.task(name="monitor.digest_tick", ignore_result=True)
def digest_tick() -> int:
    """Beat: send every digest whose local time has come today (each claimed once in the DB)."""
    from monitor.notify.digest import digest_tick as tick

    with context.session() as session:
        return len(tick(session, context.settings()))
