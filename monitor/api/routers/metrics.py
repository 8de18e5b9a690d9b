"""/metrics in Prometheus text format, computed from the database at scrape time.

Feeds are polled and alerts raised by other processes (Celery workers), so in-process
counters would only see the API's share; the store is the one place that knows the totals.
Each scrape runs a handful of aggregate queries over indexed columns.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.models import AlertLabel, Article, Delivery, DeliveryAttempt, Feed, Heartbeat, Suppression, utcnow

router = APIRouter(tags=["operations"])
_LATENCY_SAMPLE = 2000


def _quantiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    values = sorted(values)
    pick = lambda q: values[min(len(values) - 1, int(q * (len(values) - 1) + 0.5))]  # noqa: E731
    return {"0.5": pick(0.5), "0.95": pick(0.95), "0.99": pick(0.99)}


class StoreCollector:
    """Gauges read from the database on every scrape."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        """Yield the metric families (prometheus_client calls this on each scrape)."""
        now = utcnow()
        hour_ago = now - timedelta(hours=1)
        with Session(self.engine) as s:
            feeds = GaugeMetricFamily("monitor_feeds", "Feeds by state", labels=["state"])
            total = s.exec(select(func.count()).select_from(Feed)).one()
            paused = s.exec(select(func.count()).where(col(Feed.enabled).is_(False))).one()
            failing = s.exec(select(func.count()).where(col(Feed.consecutive_errors) > 0)).one()
            quiet = s.exec(select(func.count()).where(col(Feed.quiet).is_(True))).one()
            for state, value in (("all", total), ("paused", paused), ("failing", failing), ("quiet", quiet)):
                feeds.add_metric([state], value)
            yield feeds
            yield GaugeMetricFamily(
                "monitor_feeds_polled_last_hour",
                "Feeds polled in the last hour",
                value=s.exec(select(func.count()).where(col(Feed.last_polled_at) >= hour_ago)).one(),
            )
            yield GaugeMetricFamily(
                "monitor_feed_fetch_errors_last_hour",
                "Feeds whose last fetch error was in the last hour",
                value=s.exec(select(func.count()).where(col(Feed.last_error_at) >= hour_ago)).one(),
            )
            yield GaugeMetricFamily(
                "monitor_articles_stored",
                "Articles in the store",
                value=s.exec(select(func.count()).select_from(Article)).one(),
            )
            yield GaugeMetricFamily(
                "monitor_articles_unmatched",
                "Articles the matcher has not read yet",
                value=s.exec(select(func.count()).where(col(Article.matched_at).is_(None))).one(),
            )
            alerts = GaugeMetricFamily("monitor_alerts", "Alerts carrying each rule's label", labels=["rule"])
            by_rule = select(AlertLabel.rule_id, func.count()).group_by(col(AlertLabel.rule_id))
            for rule, n in s.exec(by_rule).all():
                alerts.add_metric([rule], n)
            yield alerts
            deliveries = GaugeMetricFamily("monitor_deliveries", "Deliveries by status", labels=["status"])
            for status, n in s.exec(select(Delivery.status, func.count()).group_by(col(Delivery.status))).all():
                deliveries.add_metric([status], n)
            yield deliveries
            yield GaugeMetricFamily(
                "monitor_suppressions_active",
                "Suppressions in force",
                value=s.exec(select(func.count()).where(col(Suppression.withdrawn_at).is_(None))).one(),
            )
            yield from self._latency(s)
            beats = GaugeMetricFamily(
                "monitor_heartbeat_age_seconds", "Seconds since each worker/beat last reported", labels=["name", "kind"]
            )
            for beat in s.exec(select(Heartbeat)).all():
                beats.add_metric([beat.name, beat.kind], max(0.0, (now - beat.at).total_seconds()))
            yield beats

    def _latency(self, s: Session) -> Iterator[Metric]:
        latency = GaugeMetricFamily(
            "monitor_task_latency_seconds",
            "Recent task latency: match = fetched to matched; deliver = one delivery attempt",
            labels=["stage", "quantile"],
        )
        matched = s.exec(
            select(Article.fetched_at, Article.matched_at)
            .where(col(Article.matched_at).is_not(None))
            .order_by(col(Article.id).desc())
            .limit(_LATENCY_SAMPLE)
        ).all()
        match_secs = [max(0.0, (m - f).total_seconds()) for f, m in matched if m is not None]
        attempts = s.exec(
            select(DeliveryAttempt.duration_ms).order_by(col(DeliveryAttempt.id).desc()).limit(_LATENCY_SAMPLE)
        ).all()
        for stage, values in (("match", match_secs), ("deliver", [ms / 1000 for ms in attempts])):
            for q, v in _quantiles(values).items():
                latency.add_metric([stage, q], v)
        yield latency


def _registry(request: Request) -> CollectorRegistry:
    state: Any = request.app.state
    registry = getattr(state, "metrics_registry", None)
    if registry is None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(StoreCollector(state.engine))  # type: ignore[arg-type]
        state.metrics_registry = registry
    return registry


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Prometheus text"}},
    summary="Prometheus metrics",
)
def metrics(request: Request) -> Response:
    """Feeds polled, fetch errors, articles stored, alerts by rule, deliveries, task latency, heartbeats."""
    return Response(generate_latest(_registry(request)), media_type=CONTENT_TYPE_LATEST)
