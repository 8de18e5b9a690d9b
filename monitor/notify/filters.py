"""Does an alert pass a subscription's filter? Pure: no database, no I/O.

Every filter that is set must hold (AND across filters); inside one list filter any
value may match (OR within the list). An empty list or None means "no restriction".
"""

from __future__ import annotations

from collections.abc import Iterable

from monitor.models import Alert, Subscription

SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}


def severity_rank(severity: str | None) -> int:
    """Rank of a severity name (low=1 ... critical=4); unknown or None is 0."""
    return SEVERITY_RANK.get((severity or "").strip().lower(), 0)


def dataset_of(entity_id: str) -> str:
    """The dataset part of an entity id `<dataset>:<source id>`."""
    return entity_id.split(":", 1)[0] if ":" in entity_id else ""


def alert_matches(subscription: Subscription, alert: Alert, entity_datasets: Iterable[str] = ()) -> bool:
    """True when `alert` passes every filter set on `subscription`."""
    if subscription.rules and alert.rule_id not in subscription.rules:
        return False
    if subscription.categories and alert.category not in subscription.categories:
        return False
    if subscription.min_severity and alert.severity_rank < severity_rank(subscription.min_severity):
        return False
    if subscription.min_score is not None and alert.score < subscription.min_score:
        return False
    if subscription.entity_ids and not set(subscription.entity_ids) & set(alert.entity_ids or ()):
        return False
    if subscription.datasets:
        datasets = set(entity_datasets) | {dataset_of(e) for e in alert.entity_ids or ()}
        if not set(subscription.datasets) & datasets:
            return False
    return not (subscription.feed_ids and alert.feed_id not in subscription.feed_ids)
