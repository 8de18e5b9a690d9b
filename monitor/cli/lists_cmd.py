"""`lists load`, `lists update`, `lists status`: the sanctions lists and watch lists."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from monitor.cli.common import dumps, fail, ready_engine, settings
from monitor.db import session_scope
from monitor.watchlists.loaders import FORMATS, ListFormatError

lists_app = typer.Typer(
    help="Sanctions lists and watch lists: load files, download updates, show status.", no_args_is_help=True
)


@lists_app.command("load")
def load(
    paths: Annotated[
        list[Path], typer.Argument(help="List files (for OFAC CSV: sdn.csv, with alt.csv/add.csv beside it)")
    ],
    fmt: Annotated[str, typer.Option("--format", help=f"One of: {', '.join(FORMATS)}")] = "auto",
    dataset: Annotated[str | None, typer.Option("--dataset", help="Dataset name (default: the format's own)")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON summary per file")] = False,
) -> None:
    """Load list files, each as a new version of its dataset (all or nothing per file)."""
    from monitor.watchlists.store import load_list, summarise

    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")
    cfg = settings()
    engine = ready_engine(cfg)
    failed = 0
    for path in paths:
        try:
            with session_scope(engine) as session:
                version = load_list(session, path, fmt=fmt, dataset=dataset)
        except (ListFormatError, ValueError, OSError) as exc:
            typer.echo(f"error: {exc} (nothing loaded from this file; the previous version stays)", err=True)
            failed += 1
            continue
        summary = summarise(version)
        if json_out:
            typer.echo(dumps(summary))
        else:
            typer.echo(
                f"{summary['dataset']}: version {summary['version_id']}, {summary['entities']} entities "
                f"(+{summary['added']} added, {summary['changed']} changed, -{summary['removed']} removed, "
                f"{summary['skipped']} skipped) from {path}"
            )
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.add_typer(lists_app, name="lists")
