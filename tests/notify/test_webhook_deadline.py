"""A webhook endpoint that trickles its answer cannot hold a delivery: the send has one
deadline for connect, headers and body (MONITOR_WEBHOOK_TIMEOUT), as feed fetches do."""

from __future__ import annotations

import time

from monitor.notify.webhook import send_webhook, webhook_client
from tests.feeds.test_fetch_deadline import Trickler


def test_a_trickling_endpoint_is_cut_off_at_the_deadline(make_settings) -> None:
    settings = make_settings(allowed_networks=["127.0.0.1/32"], webhook_timeout=1.5)
    with Trickler(0.25) as srv, webhook_client(settings) as client:
        started = time.monotonic()
        result = send_webhook(client, f"http://127.0.0.1:{srv.port}/hook", "msg_1", b"{}", ["whsec_" + "A" * 32],
                              total_timeout=settings.webhook_timeout)
        elapsed = time.monotonic() - started
    assert not result.ok
    # Without the deadline each byte resets httpx's read timeout and the answer takes ~19 s.
    assert elapsed < 8.0, elapsed
