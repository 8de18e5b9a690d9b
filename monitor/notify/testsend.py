"""Send one test message to a subscription now, over its channel, and say what happened.

The message is marked as a test (`type: subscription.test` for webhooks, `[TEST]` in the
subject otherwise) and goes through the same senders, SSRF guards and signing as alerts, but
no delivery row is made: nothing is retried and no alert is involved. The attempt and its
outcome are written to the audit log.
"""

from __future__ import annotations

import json
import time
import uuid

from sqlmodel import Session

from monitor.models import AuditEvent, utcnow
from monitor.notify import apprise_channel, email
from monitor.notify.subscriptions import get_subscription, signing_secrets
from monitor.notify.webhook import SendResult, send_webhook, webhook_client
from monitor.settings import Settings

TEST_TEXT = (
    "This is a test message from sanctions-monitor: subscription {id} ({name}) reaches this destination. "
    "Alerts will arrive here as they are raised."
)


def send_test(session: Session, settings: Settings, sub_id: int, *, actor: str = "cli") -> SendResult:
    """Send a test message to subscription `sub_id` now; never raises for a failed send."""
    sub = get_subscription(session, sub_id)
    started = time.perf_counter()
    text = TEST_TEXT.format(id=sub.id, name=sub.name or sub.channel)
    msg_id = f"msg_test_{uuid.uuid4().hex}"
    try:
        if sub.channel == "webhook":
            now = utcnow()
            body = {"type": "subscription.test", "timestamp": now.isoformat(), "subscription_id": sub.id,
                    "data": {"message": text}}
            raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            with webhook_client(settings) as client:
                result = send_webhook(client, sub.target, msg_id, raw, signing_secrets(sub, settings),
                                      int(now.timestamp()), total_timeout=settings.webhook_timeout)
        elif sub.channel == "email":
            msg = email.build_message(settings, sub.target, "[TEST] sanctions-monitor subscription", text,
                                      f"<p>{text}</p>", msg_id)
            result = email.send_email(settings, msg)
        elif sub.channel == "apprise":
            result = apprise_channel.send_apprise(settings, sub.target, "[TEST] sanctions-monitor", text,
                                                  body_format="text")
        else:
            result = SendResult(False, error=f"unknown channel {sub.channel!r}")
    except Exception as exc:  # whatever went wrong is the answer to show the user
        result = SendResult.of_exception(exc, started)
    session.add(AuditEvent(actor=actor, action="subscription.test", object_type="subscription",
                           object_id=str(sub.id), detail={"ok": result.ok, "status_code": result.status_code,
                                                          "error": (result.error or "")[:500] or None}))
    session.flush()
    return result
