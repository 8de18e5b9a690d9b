"""Does an alert pass a subscription's filter? Pure: no database, no I/O.

Filters are checked per label (each rule that fired on the article): the alert passes when
one label not suppressed passes them all, so a subscription gets exactly the articles it got
when every rule was an alert of its own.

Every filter that is set must hold (AND across filters); inside one list filter any
value may match (OR within the list). An empty list or None means "no restriction".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from monitor.alertlabels import active, labels_of, rank
from monitor.matching.types import SEVERITY_RANK
from monitor.models import Alert, Subscription


def severity_rank(severity: str | None) -> int:
    """Rank of a severity name (low=1 ... critical=4); unknown or None is 0."""
    return SEVERITY_RANK.get((severity or "").strip().lower(), 0)


def dataset_of(entity_id: str) -> str:
    """The dataset part of an entity id `<dataset>:<source id>`."""
    return entity_id.split(":", 1)[0] if ":" in entity_id else ""


def alert_matches(
    subscription: Subscription,
    alert: Alert,
    entity_datasets: Iterable[str] = (),
    labels: Iterable[dict[str, Any]] | None = None,
) -> bool:
    """True when one of the alert's labels (or of `labels`, e.g. the ones just added) passes every
    filter set on `subscription`: a rule, category, severity, score, entity or dataset filter holds
    for one rule that fired, as it did when each rule was an alert of its own."""
    if subscription.feed_ids and alert.feed_id not in subscription.feed_ids:
        return False
    candidates = labels_of(alert) if labels is None else list(labels)
    shown = active(candidates) or ([] if labels is not None else candidates)
    return any(_label_matches(subscription, lab, entity_datasets) for lab in shown)


def _label_matches(subscription: Subscription, label: dict[str, Any], entity_datasets: Iterable[str]) -> bool:
    entity_ids = label.get("entity_ids") or []
    if subscription.rules and label["rule_id"] not in subscription.rules:
        return False
    if subscription.categories and label.get("category") not in subscription.categories:
        return False
    if subscription.min_severity and rank(label) < severity_rank(subscription.min_severity):
        return False
    if subscription.min_score is not None and float(label.get("score") or 0.0) < subscription.min_score:
        return False
    if subscription.entity_ids and not set(subscription.entity_ids) & set(entity_ids):
        return False
    if subscription.datasets:
        datasets = {dataset_of(e) for e in entity_ids}
        if any(":" not in e for e in entity_ids):  # ids not of the `<dataset>:<id>` form: ask the links
            datasets |= set(entity_datasets)
        if not set(subscription.datasets) & datasets:
            return False
    return True
