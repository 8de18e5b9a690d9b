"""/healthz: database and broker reachability, and the workers' heartbeats."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlmodel import Session, select

from monitor.models import Heartbeat, utcnow
from monitor.schemas import HealthPublic
from monitor.settings import Settings
from monitor.web.deps import SessionDep, SettingsDep

router = APIRouter(tags=["operations"])
# Workers beat every ~30 s; three missed beats means the worker is gone or stuck.
STALE_AFTER = timedelta(seconds=120)


def rules_check(session: Session, settings: Settings) -> str:
    """`ok`, or which rules are left out as invalid or failed while matching (the others still run)."""
    from monitor.rules.failures import current_failures
    from monitor.rules.source import active_rules

    try:
        active = active_rules(session, settings)
        failures = current_failures(session, active.rules)
    except Exception as exc:  # a broken rule folder is reported, not a 500
        return f"error: rules not readable ({exc.__class__.__name__})"
    problems = [f"{f.rule} failed on {f.count} article(s): {f.error[:200]}" for f in failures]
    if active.errors:
        problems.append(f"{len(active.errors)} invalid rule(s) or vocabularies left out: {str(active.errors[0])[:200]}")
    return "ok" if not problems else "error: " + "; ".join(problems)


@router.get(
    "/healthz",
    response_model=HealthPublic,
    responses={503: {"model": HealthPublic, "description": "database or broker unreachable"}},
)
def healthz(session: SessionDep, settings: SettingsDep) -> JSONResponse:
    """Report whether the database and broker answer and whether a worker is alive.

    503 when the database or the broker is down; a missing or stale worker heartbeat
    is reported as `degraded` with 200, since the API itself can still serve reads.
    """
    checks: dict[str, str] = {}
    beats: dict[str, str] = {}
    try:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc.__class__.__name__}"
    from kombu import Connection

    try:
        with Connection(settings.effective_broker_url, connect_timeout=2) as conn:
            if settings.broker_url:
                conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as exc:
        checks["broker"] = f"error: {exc.__class__.__name__}"
    if checks["database"] == "ok":
        now = utcnow()
        rows = session.exec(select(Heartbeat)).all()
        beats = {f"{b.kind}:{b.name}": b.at.isoformat() for b in rows}
        workers = [b for b in rows if b.kind == "worker"]
        if not workers:
            checks["worker"] = "missing: no worker heartbeat yet"
        else:
            age = min((now - b.at).total_seconds() for b in workers)
            checks["worker"] = "ok" if age <= STALE_AFTER.total_seconds() else f"stale: last beat {int(age)} s ago"
        checks["rules"] = rules_check(session, settings)
    hard_down = checks["database"] != "ok" or checks["broker"] != "ok"
    status = "down" if hard_down else ("ok" if all(v == "ok" for v in checks.values()) else "degraded")
    return JSONResponse(
        {"status": status, "checks": checks, "heartbeats": beats}, status_code=503 if hard_down else 200
    )
