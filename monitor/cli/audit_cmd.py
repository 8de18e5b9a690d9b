"""`audit list [--json]`: the administrative audit log (keys, rules, feeds, suppressions, subscriptions)."""

from __future__ import annotations

import typer
from sqlmodel import Session

from monitor.cli.alerts_cmd import parse_since
from monitor.cli.common import print_jsonl, ready_engine, settings


def audit_list(
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line (the API's fields)"),
    object_type: str | None = typer.Option(None, "--object-type", help="api_key, rule, feed, suppression, ..."),
    object_id: str | None = typer.Option(None, "--object-id", help="The object's id"),
    actor: str | None = typer.Option(None, "--actor", help="Who: key:<id>, cli, poller, startup"),
    action: str | None = typer.Option(None, "--action", help="Exact (feed.moved) or a prefix ending in a dot (feed.)"),
    since: str | None = typer.Option(None, "--since", help="Only events since, e.g. 7d, 12h, or an ISO date"),
    limit: int = typer.Option(100, "--limit", min=1, max=10000, help="At most this many events"),
) -> None:
    """List administrative changes, newest first."""
    from monitor.audit import AuditFilter, list_audit
    from monitor.schemas import AuditEventPublic

    flt = AuditFilter(object_type=object_type, object_id=object_id, actor=actor, action=action,
                      since=parse_since(since))
    events: list[AuditEventPublic] = []
    cursor = None
    with Session(ready_engine(settings())) as session:
        while len(events) < limit:
            page, cursor = list_audit(session, flt, cursor, min(500, limit - len(events)))
            events += [AuditEventPublic.model_validate(e) for e in page]
            if cursor is None:
                break
    if as_json:
        print_jsonl(e.model_dump(mode="json") for e in events)
        return
    if not events:
        typer.echo("no audit events")
        return
    for e in events:
        detail = ", ".join(f"{k}={v}" for k, v in e.detail.items())
        typer.echo(f"{e.id:>6}  {e.at.isoformat()[:19]}  {e.actor:<28} {e.action:<22} "
                   f"{e.object_type}:{e.object_id}  {detail[:80]}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    audit_app = typer.Typer(help="The audit log of administrative changes.", no_args_is_help=True)
    audit_app.command("list")(audit_list)
    app.add_typer(audit_app, name="audit")
