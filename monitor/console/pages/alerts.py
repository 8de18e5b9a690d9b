"""Alert queue, alert page, review (single and bulk) and suppression."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlmodel import Session, col

from monitor.alerts import review as review_mod
from monitor.alerts import suppression_admin
from monitor.alerts.detail import alert_detail
from monitor.alerts.queries import STATUSES, InvalidCursor, filter_conditions, list_alerts
from monitor.alerts.rule_views import all_rules
from monitor.console.evidence import snippets
from monitor.console.filters import parse_queue_query
from monitor.console.session import UserDep
from monitor.console.web import redirect, render, safe_next
from monitor.models import Alert, Entity, Feed
from monitor.rules.source import active_rules
from monitor.web.deps import SessionDep, SettingsDep

router = APIRouter()

FLASH = {
    "reviewed": "Review recorded.",
    "bulk": "Review recorded for the selected alerts.",
    "suppressed": "Suppression created; alerts it covers are now hidden from the queue.",
    "withdrawn": "Suppression withdrawn.",
}
REASONS = (
    "name clash",
    "not the listed person",
    "not about sanctions",
    "duplicate story",
    "listed party named",
    "arms transfer language",
    "needs senior review",
)


def status_counts(session: Session, flt: Any) -> dict[str, int]:
    """Alerts per review status under this filter (ignoring its own status choice)."""
    conds = filter_conditions(flt.model_copy(update={"statuses": []}))
    rows = session.execute(select(col(Alert.status), func.count()).where(*conds).group_by(Alert.status)).all()
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({str(status): int(n) for status, n in rows})
    return counts


def entity_names(session: Session, ids: set[str]) -> dict[str, str]:
    """Display names of listed entities by id."""
    if not ids:
        return {}
    rows = session.execute(select(col(Entity.id), col(Entity.name)).where(col(Entity.id).in_(ids))).all()
    return {str(i): str(n) for i, n in rows}


@router.get("/")
def queue(request: Request, session: SessionDep, settings: SettingsDep, user: UserDep) -> Response:
    """The alert queue: newest first, filters, counts per status, bulk and keyboard review."""
    query = parse_queue_query(request.query_params)
    try:
        page = list_alerts(session, query.flt, query.cursor, 50)
    except InvalidCursor:
        query.errors["cursor"] = "that page link is no longer valid; showing the newest alerts"
        page = list_alerts(session, query.flt, None, 50)
    names = entity_names(session, {e for a in page.items for e in a.entity_ids})
    feeds = list(session.exec(select(Feed).order_by(col(Feed.title))).scalars())  # type: ignore[call-overload]
    feed_titles = {f.id: f.title or f.url for f in feeds}
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return render(
        request,
        "queue.html",
        user,
        section="alerts",
        flash=FLASH.get(request.query_params.get("done", "")),
        query=query,
        alerts=page.items,
        next_cursor=page.next_cursor,
        counts=status_counts(session, query.flt),
        names=names,
        feeds=feeds,
        feed_titles=feed_titles,
        rules=[r.id for r in all_rules(session, settings)],
        reasons=REASONS,
        statuses=STATUSES,
        here=here,
    )


@router.post("/alerts/review")
def bulk_review(
    session: SessionDep,
    user: UserDep,
    status: Annotated[str, Form()],
    ids: Annotated[list[int] | None, Form()] = None,
    reason: Annotated[str, Form(max_length=200)] = "",
    note: Annotated[str, Form(max_length=10000)] = "",
    back: Annotated[str, Form(max_length=4000)] = "/",
) -> Response:
    """Review one or more alerts at once (keyboard shortcut or bulk bar)."""
    user.require("analyst")
    if not ids:
        return redirect(safe_next(back), error="Select at least one alert first.")
    return _apply_review(session, user, ids, status, reason, note, back, "bulk" if len(ids) > 1 else "reviewed")


@router.post("/alerts/{alert_id}/review")
def review_one(
    session: SessionDep,
    user: UserDep,
    alert_id: int,
    status: Annotated[str, Form()],
    reason: Annotated[str, Form(max_length=200)] = "",
    note: Annotated[str, Form(max_length=10000)] = "",
) -> Response:
    """Review one alert from its page."""
    user.require("analyst")
    return _apply_review(session, user, [alert_id], status, reason, note, f"/alerts/{alert_id}", "reviewed")


def _apply_review(
    session: Session, user: Any, ids: list[int], status: str, reason: str, note: str, back: str, done: str
) -> Response:
    reason = reason.strip()
    target = safe_next(back)
    if not reason:
        return redirect(target, error="A reason is required for every review decision.")
    if status not in STATUSES:
        return redirect(target, error="Unknown status.")
    try:
        for alert_id in dict.fromkeys(ids):
            review_mod.review(session, alert_id, status, actor=user.actor, reason=reason, note=note.strip() or None)
    except review_mod.ReviewError as exc:
        session.rollback()
        return redirect(target, error=str(exc))
    session.commit()  # durable before the browser follows the redirect
    return redirect(_with(target, done=done))


def _with(path: str, **params: str) -> str:
    from urllib.parse import parse_qsl, urlencode, urlsplit

    parts = urlsplit(path)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("done", "error", *params)]
    query.extend(params.items())
    return parts.path + ("?" + urlencode(query) if query else "")


@router.get("/alerts/{alert_id}")
def alert_page(request: Request, session: SessionDep, settings: SettingsDep, user: UserDep, alert_id: int) -> Response:
    """One alert: article, highlighted evidence, score explanation, entities, history, suppression."""
    detail = alert_detail(session, settings, alert_id)
    if detail is None:
        return render(
            request, "error.html", user, 404, title="Alert not found", message=f"There is no alert {alert_id}."
        )
    feed = session.get(Feed, detail.feed_id) if detail.feed_id else None
    entity_ids = list(dict.fromkeys(detail.entity_ids))
    # one box per real-world entity, with the records of the other lists merged into it
    entities: list[tuple[Entity, list[Entity]]] = []
    for group in detail.entities:
        records = [session.get(Entity, rid) for rid in group.referents]
        if records[0] is not None:
            entities.append((records[0], [r for r in records[1:] if r is not None]))
    mentions = [m.model_dump() for m in detail.mentions]
    evidence = snippets([e.model_dump() for e in detail.evidence], mentions, detail.rule.query if detail.rule else None,
                        active_rules(session, settings).vocabularies)
    suppressions = [s for eid in entity_ids for s in suppression_admin.list_suppressions(session, entity_id=eid)]
    return render(
        request,
        "alert.html",
        user,
        section="alerts",
        flash=FLASH.get(request.query_params.get("done", "")),
        alert=detail,
        article=detail.article,
        feed=feed,
        entities=entities,
        evidence=evidence,
        mentions=_distinct_mentions(detail.mentions, entity_ids),
        history=review_mod.history(session, alert_id),
        suppressions=suppressions,
        reasons=REASONS,
        statuses=STATUSES,
    )


def _distinct_mentions(mentions: list[Any], entity_ids: list[str]) -> list[tuple[Any, int]]:
    """One (mention, times seen) per entity and surface form: what a suppression can name."""
    seen: dict[tuple[str, str], list[Any]] = {}
    for m in mentions:
        if m.entity_id in entity_ids:
            seen.setdefault((m.entity_id, m.matched), []).append(m)
    return [(group[0], len(group)) for group in seen.values()]


@router.post("/alerts/{alert_id}/suppress")
def suppress(
    session: SessionDep,
    user: UserDep,
    alert_id: int,
    entity_id: Annotated[str, Form(max_length=200)],
    scope: Annotated[str, Form()],
    reason: Annotated[str, Form(max_length=10000)] = "",
    matched: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Mark this entity mention as a false positive in the chosen scope."""
    user.require("analyst")
    alert = session.get(Alert, alert_id)
    back = f"/alerts/{alert_id}"
    if alert is None:
        return redirect("/", error=f"alert {alert_id} not found")
    try:
        suppression_admin.create_suppression(
            session,
            entity_id=entity_id,
            scope=scope,
            reason=reason,
            actor=user.actor,
            matched=matched or None,
            article_id=alert.article_id,
            feed_id=alert.feed_id,
        )
    except suppression_admin.SuppressionError as exc:
        session.rollback()
        return redirect(back, error=str(exc))
    session.commit()
    return redirect(back, done="suppressed")


@router.post("/suppressions/{suppression_id}/withdraw")
def withdraw(
    session: SessionDep,
    user: UserDep,
    suppression_id: int,
    back: Annotated[str, Form(max_length=4000)] = "/",
) -> Response:
    """Withdraw a suppression."""
    user.require("analyst")
    try:
        suppression_admin.withdraw_suppression(session, suppression_id, actor=user.actor)
    except suppression_admin.SuppressionError as exc:
        session.rollback()
        return redirect(safe_next(back), error=str(exc))
    session.commit()
    return redirect(_with(safe_next(back), done="withdrawn"))
