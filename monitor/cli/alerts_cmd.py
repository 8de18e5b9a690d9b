"""`alerts list [--json] [--rule R] [--since 7d]`: stored alerts, newest first."""

from __future__ import annotations

from datetime import datetime

import typer
from sqlmodel import Session

from monitor.cli.common import fail, print_jsonl, ready_engine, settings
from monitor.modelbase import time_ago
from monitor.models import as_utc


def parse_since(value: str | None) -> datetime | None:
    """`7d`, `12h`, `30m`, `2w` (ago) or an ISO 8601 date/time; None when not given."""
    if not value:
        return None
    ago = time_ago(value)
    if ago is not None:
        return ago
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError as exc:  # not ISO 8601, or outside years 1-9999 once in UTC
        fail(f"--since: expected a duration like 7d, 12h, 30m, 2w or an ISO date, got {value!r} ({exc})")


def alerts_list(
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line (the API's fields)"),
    rule: list[str] = typer.Option([], "--rule", help="Only alerts where this rule fired (repeatable)"),
    since: str | None = typer.Option(None, "--since", help="Only alerts created since, e.g. 7d, 12h"),
    limit: int = typer.Option(100, "--limit", min=1, max=10000, help="At most this many alerts"),
    include_suppressed: bool = typer.Option(False, "--include-suppressed", help="Also suppressed alerts"),
) -> None:
    """List stored alerts, newest first."""
    from monitor.alerts.queries import AlertFilter, iter_alerts
    from monitor.schemas import AlertPublic

    flt = AlertFilter(since=parse_since(since), rules=rule,  # type: ignore[call-arg]
                      suppressed="include" if include_suppressed else "exclude")
    engine = ready_engine(settings())
    with Session(engine) as session:
        rows = []
        for alert in iter_alerts(session, flt, batch=min(limit, 500)):
            rows.append(AlertPublic.model_validate(alert).model_dump(mode="json"))
            if len(rows) >= limit:
                break
    if as_json:
        print_jsonl(rows)
        return
    if not rows:
        typer.echo("no alerts")
        return
    for row in rows:
        entities = ",".join(row["entity_ids"][:3]) + ("..." if len(row["entity_ids"]) > 3 else "")
        rules = ",".join(row["rules"] or [row["rule_id"]])
        typer.echo(f"{row['id']:>6}  {row['created_at'][:19]}  {rules:<18} {row['severity']:<8} "
                   f"{row['score']:.2f}  {row['title'][:70]}  {entities}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    alerts_app = typer.Typer(help="Stored alerts.", no_args_is_help=True)
    alerts_app.command("list")(alerts_list)
    app.add_typer(alerts_app, name="alerts")

