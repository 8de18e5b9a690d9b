"""/healthz: database and broker reachability."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from monitor.api.deps import SessionDep, SettingsDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz(session: SessionDep, settings: SettingsDep) -> JSONResponse:
    """Report whether the database and broker answer."""
    checks: dict[str, str] = {}
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
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ok" if ok else "degraded", "checks": checks}, status_code=200 if ok else 503)
