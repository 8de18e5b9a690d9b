"""Chat and push channels through apprise (Slack, Teams, Telegram, Matrix, ...).

One Apprise object per destination, so one failing service never hides another's
result; every host the destination names is checked by the SSRF guard again right before
use (monitor/notify/apprise_guard.py), and redirects are not followed.
"""

from __future__ import annotations

import logging
import time

from monitor import netguard
from monitor.notify.apprise_guard import AppriseTargetError, asset, check_apprise_url
from monitor.notify.email import header_text
from monitor.notify.webhook import SendResult
from monitor.settings import Settings


def send_apprise(settings: Settings, url: str, title: str, body: str, body_format: str = "markdown") -> SendResult:
    """Notify one apprise destination; failures are reported, not raised."""
    import apprise

    started = time.perf_counter()
    try:
        check_apprise_url(url, settings)
    except AppriseTargetError as exc:
        return SendResult(False, error=str(exc), duration_ms=(time.perf_counter() - started) * 1000)
    notifier = apprise.Apprise(asset=asset())
    if not notifier.add(url):
        return SendResult(False, error="apprise does not understand this URL")
    # apprise logs the reason of a failure; capture it for the attempt row.
    # The table check above covers the hosts apprise is known to use; the connection guard
    # covers whatever it connects to anyway (a DNS answer that changed, a host we missed).
    with apprise.LogCapture(level=logging.WARNING) as captured, netguard.guard_connections(settings):
        ok = notifier.notify(body=body, title=header_text(title), body_format=body_format)
        log_text = captured.getvalue() if hasattr(captured, "getvalue") else ""
    duration = (time.perf_counter() - started) * 1000
    if ok:
        return SendResult(True, duration_ms=duration)
    return SendResult(False, error=(log_text.strip()[-1000:] or "apprise notification failed"), duration_ms=duration)
