"""`entities links|merge|split|withdraw|resolve`: one real-world entity across lists, judged by analysts."""

from __future__ import annotations

from typing import Annotated

import typer

from monitor.cli.common import cli_actor, dumps, fail, ready_engine, settings
from monitor.db import session_scope

entities_app = typer.Typer(help="Records of several lists merged into one entity: see why, merge, part.",
                           no_args_is_help=True)


@entities_app.command("links")
def links(
    entity_id: Annotated[str, typer.Argument(help="A record id, `<dataset>:<id>`")],
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object")] = False,
) -> None:
    """The entity this record belongs to: its record on every list and why they are one."""
    from monitor.watchlists.links import LinkError, entity_links

    with session_scope(ready_engine(settings())) as session:
        try:
            merged = entity_links(session, entity_id)
        except LinkError as exc:
            fail(str(exc))
    if json_out:
        typer.echo(dumps({"entity_id": merged.entity_id, "referents": merged.referents, "records": merged.records,
                          "links": merged.links}))
        return
    typer.echo(f"{entity_id}: {len(merged.records)} record(s)")
    for rec in merged.records:
        typer.echo(f"  {rec['id']}  {rec['name']}  [{', '.join(rec['programs'])}]")
    for link in merged.links:
        pair = f"{link['left_id']} ~ {link['right_id']}"
        typer.echo(f"  {link['judgement']:9s} {link['source']:15s} {pair}: {link['reason']}")


def _judge(a: str, b: str, judgement: str, reason: str) -> None:
    from monitor.watchlists.links import LinkError, judge, link_public

    with session_scope(ready_engine(settings())) as session:
        try:
            row = judge(session, a, b, judgement, reason, cli_actor())
        except LinkError as exc:
            fail(str(exc))
        typer.echo(dumps(link_public(row)))


@entities_app.command("merge")
def merge(
    entity_id: Annotated[str, typer.Argument(help="One record id")],
    other: Annotated[str, typer.Argument(help="The other record id")],
    reason: Annotated[str, typer.Option("--reason", help="Why they are one entity (for the audit trail)")],
) -> None:
    """Judge two records one entity (audited; `withdraw` takes it back)."""
    _judge(entity_id, other, "same", reason)


@entities_app.command("split")
def split(
    entity_id: Annotated[str, typer.Argument(help="One record id")],
    other: Annotated[str, typer.Argument(help="The other record id")],
    reason: Annotated[str, typer.Option("--reason", help="Why they are two entities (for the audit trail)")],
) -> None:
    """Judge two records two entities, whatever the lists' links say (audited)."""
    _judge(entity_id, other, "different", reason)


@entities_app.command("withdraw")
def withdraw(
    entity_id: Annotated[str, typer.Argument(help="One record id")],
    other: Annotated[str, typer.Argument(help="The other record id")],
) -> None:
    """Withdraw the analyst judgement on two records (the links derived from the lists apply again)."""
    from monitor.watchlists.links import LinkError, link_public
    from monitor.watchlists.links import withdraw as withdraw_link

    with session_scope(ready_engine(settings())) as session:
        try:
            row = withdraw_link(session, entity_id, other, cli_actor())
        except LinkError as exc:
            fail(str(exc))
        typer.echo(dumps(link_public(row)))


@entities_app.command("resolve")
def resolve() -> None:
    """Derive the links between lists again (done after every list load) and print what was found."""
    from monitor.watchlists.links import refresh_links

    with session_scope(ready_engine(settings())) as session:
        report = refresh_links(session, cli_actor())
        typer.echo(dumps(report.summary()))


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.add_typer(entities_app, name="entities")
