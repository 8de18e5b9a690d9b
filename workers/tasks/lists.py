"""Thin Celery tasks for the sanctions lists: the daily download and re-screening.

`refresh_lists` (beat, daily) does nothing unless `settings.lists_update_enabled`; it
runs `lists update` and queues `monitor.rescreen(version_id)` for every new version
that added entities or names. `rescreen` raises the alerts recent articles would have
raised with them and queues a delivery for each new alert's subscriptions.
"""

from __future__ import annotations

from workers import context
from workers.celery_app import app


@app.task(name="monitor.refresh_lists", ignore_result=True)
def refresh_lists() -> dict[str, object]:
    """Beat: download the official lists (when enabled) and queue re-screening of new versions."""
    from monitor.pipeline.rescreen import needs_rescreen
    from monitor.watchlists.update import update_lists

    settings = context.settings()
    if not settings.lists_update_enabled:
        return {"enabled": False}
    with context.session() as session:
        results = update_lists(session, settings)
        to_rescreen = [r.version_id for r in results if r.version_id and needs_rescreen(session, r.version_id)]
    for version_id in to_rescreen:
        app.send_task("monitor.rescreen", args=[version_id])
    return {"enabled": True, "results": {r.dataset: r.status for r in results}, "rescreen": to_rescreen}


@app.task(name="monitor.rescreen", ignore_result=True)
def rescreen(version_id: int) -> dict[str, object]:
    """Re-screen recent articles for what one list version added; queue the new deliveries."""
    from monitor.pipeline.rescreen import rescreen_version

    with context.session() as session:
        result = rescreen_version(session, context.settings(), int(version_id))
    for delivery_id in result.delivery_ids:
        app.send_task("monitor.deliver", args=[delivery_id])
    return {"version_id": result.version_id, "scanned": result.articles_scanned, "alerts": len(result.alert_ids)}
