"""Entity search (screening as you type) and the entity page."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from monitor.alerts.detail import entity_detail
from monitor.console.charts import bar_chart, weekly_buckets
from monitor.console.session import UserDep
from monitor.console.web import render
from monitor.models import Alert, AlertEntity, Entity, Mention, utcnow
from monitor.settings import Settings
from monitor.watchlists.screen import ScreenError, ScreenResult, check_query, get_screener
from monitor.web.deps import SessionDep, SettingsDep

router = APIRouter()


def screen_name(session: Session, settings: Settings, q: str) -> tuple[ScreenResult | None, str]:
    """Screen a typed name with SCREEN's screener; (result, error message)."""
    if not q.strip():
        return None, ""
    try:
        name = check_query(q)
        return get_screener(session, settings).screen(name, limit=10), ""
    except ScreenError as exc:
        return None, str(exc)


@router.get("/entities")
def search_page(request: Request, session: SessionDep, settings: SettingsDep, user: UserDep) -> Response:
    """The search box; with `q`, the screening results below it (also without JavaScript)."""
    q = (request.query_params.get("q") or "")[:200]
    result, error = screen_name(session, settings, q)
    return render(request, "entities.html", user, section="entities", q=q, result=result, error=error)


@router.get("/entities/search")
def search_fragment(request: Request, session: SessionDep, settings: SettingsDep, user: UserDep) -> Response:
    """Screening results only (htmx swaps them in as the analyst types)."""
    q = (request.query_params.get("q") or "")[:200]
    result, error = screen_name(session, settings, q)
    return render(request, "_screen_results.html", user, q=q, result=result, error=error)


def alert_days(session: Session, entity_id: str, since: date) -> list[date]:
    """Days of the alerts naming this entity since a day (for the timeline)."""
    start = datetime(since.year, since.month, since.day, tzinfo=UTC)
    rows = session.execute(
        select(col(Alert.created_at))
        .join(AlertEntity, col(AlertEntity.alert_id) == col(Alert.id))
        .where(col(AlertEntity.entity_id) == entity_id, col(Alert.created_at) >= start)
    ).scalars()
    return [r.date() for r in rows]


def co_mentioned(session: Session, entity_id: str, limit: int = 10) -> list[tuple[str, str, int]]:
    """(entity id, name, articles) of entities mentioned in the same articles, most frequent first."""
    other = aliased(Mention)
    stmt = (
        select(col(other.entity_id), func.count(func.distinct(other.article_id)).label("n"))
        .select_from(Mention)
        .join(other, col(other.article_id) == col(Mention.article_id))
        .where(col(Mention.entity_id) == entity_id, col(other.entity_id) != entity_id)
        .group_by(other.entity_id)
        .order_by(func.count(func.distinct(other.article_id)).desc())
        .limit(limit)
    )
    rows = session.execute(stmt).all()
    names: dict[str, str] = dict(
        session.execute(select(col(Entity.id), col(Entity.name)).where(col(Entity.id).in_([r[0] for r in rows]))).all()
    )
    return [(str(eid), str(names.get(eid, eid)), int(n)) for eid, n in rows]


@router.get("/entities/{entity_id}")
def entity_page(
    request: Request, session: SessionDep, settings: SettingsDep, user: UserDep, entity_id: str
) -> Response:
    """A listed entity: names, programs, identifiers, list history, alert timeline, co-mentions."""
    data = entity_detail(session, entity_id, limit=20)  # the API's entity view: names, history, latest alerts
    if data is None:
        return render(
            request, "error.html", user, 404, title="Entity not found", message=f"No listed entity {entity_id}."
        )
    entity = data["entity"]
    today = utcnow().date()
    buckets = weekly_buckets(alert_days(session, entity_id, date.fromordinal(today.toordinal() - 7 * 26)), today=today)
    total = sum(n for _, n in buckets)
    chart = bar_chart(buckets, title=f"Alerts naming {entity['name']} per week, last 26 weeks: {total} in all")
    return render(
        request,
        "entity.html",
        user,
        section="entities",
        entity=entity,
        names=data["names"],
        chart=chart,
        total=total,
        recent=data["alerts"]["items"],
        co=co_mentioned(session, entity_id),
        history=list(reversed(data["history"])),
    )
