"""Helpers for the delivery tests: build articles, alerts and subscriptions in a real store."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from monitor.models import Alert, AlertEntity, Article, Subscription, utcnow
from monitor.notify.filters import severity_rank

_counter = itertools.count(1)


def make_alert(session: Session, *, rule: str = "arms-transfer", severity: str = "high", score: float = 0.9,
               entity_ids: tuple[str, ...] = ("us_ofac_sdn:35173",), category: str = "arms-transfer",
               feed_id: int | None = None, created_at: datetime | None = None, title: str | None = None,
               **extra: Any) -> Alert:
    """An article plus one alert on it, flushed (ids assigned), not committed."""
    n = next(_counter)
    article = Article(title=title or f"North Korea ships shells to Russia #{n}",
                      text="Pyongyang sent artillery shells.", url=f"https://news.example/{n}",
                      dedupe_key=f"k{n}-{utcnow().timestamp()}", content_hash=f"h{n}",
                      feed_id=None)
    session.add(article)
    session.flush()
    alert = Alert(article_id=article.id or 0, feed_id=feed_id, rule_id=rule, category=category, severity=severity,
                  severity_rank=severity_rank(severity), score=score, title=article.title,
                  explanation="arms-transfer language near a listed entity", entity_ids=list(entity_ids),
                  evidence=[{"field": "text", "start": 0, "end": 33, "text": "Pyongyang sent artillery shells."}],
                  created_at=created_at or utcnow(), **extra)
    session.add(alert)
    session.flush()
    for eid in entity_ids:
        session.add(AlertEntity(alert_id=alert.id or 0, entity_id=eid, dataset=eid.split(":", 1)[0]))
    session.flush()
    return alert


def make_subscription(session: Session, **fields: Any) -> Subscription:
    """A subscription with defaults (webhook to a loopback URL), flushed."""
    values: dict[str, Any] = {"channel": "webhook", "target": "http://127.0.0.1:9/hook"}
    values.update(fields)
    sub = Subscription(**values)
    session.add(sub)
    session.flush()
    return sub


def wait_for(pred: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `pred` until it holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
