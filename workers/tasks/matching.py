"""Thin Celery tasks for matching: open a session, call one monitor function, queue deliveries.

`match_article` runs right after a poll stores an article; `match_sweep` (beat) catches any
article whose task was lost. Both are idempotent: alerts are unique per (article, rule).
Deliveries are queued by id after the transaction commits.
"""

from __future__ import annotations

from workers import context
from workers.celery_app import app


@app.task(name="monitor.match_article", ignore_result=True)
def match_article(article_id: int) -> int:
    """Match one stored article; queue `monitor.deliver` for every delivery created."""
    from monitor.pipeline.match import match_article_id

    with context.session() as session:
        delivery_ids = match_article_id(session, context.settings(), int(article_id))
    for delivery_id in delivery_ids:
        app.send_task("monitor.deliver", args=[delivery_id])
    return len(delivery_ids)


@app.task(name="monitor.match_sweep", ignore_result=True)
def match_sweep() -> int:
    """Beat: match articles still unmatched two minutes after they were stored."""
    from monitor.pipeline.match import match_unmatched

    with context.session() as session:
        matched, delivery_ids = match_unmatched(session, context.settings())
    for delivery_id in delivery_ids:
        app.send_task("monitor.deliver", args=[delivery_id])
    return matched
