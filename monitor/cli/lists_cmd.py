"""`lists load`, `lists update`, `lists status`: the sanctions lists and watch lists."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.cli.common import cli_actor, dumps, fail, print_jsonl, ready_engine, settings
from monitor.db import session_scope
from monitor.settings import Settings
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
    rescreen: Annotated[
        bool, typer.Option("--rescreen/--no-rescreen", help="Re-screen recent articles for added names")
    ] = True,
) -> None:
    """Load list files, each as a new version of its dataset (all or nothing per file).

    A file identical to the dataset's active version makes no new version. Every load is
    written to the audit log (`audit list --action list.`)."""
    from monitor.watchlists.store import load_file, summarise

    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")
    cfg = settings()
    engine = ready_engine(cfg)
    failed = 0
    actor = cli_actor()
    for path in _without_companions(paths):
        try:
            with session_scope(engine) as session:
                loaded = load_file(session, path, fmt=fmt, dataset=dataset, actor=actor)
        except (ListFormatError, ValueError, OSError) as exc:
            typer.echo(f"error: {exc} (nothing loaded from this file; the previous version stays)", err=True)
            failed += 1
            continue
        version = loaded.version
        summary = summarise(version)
        summary["new_version"] = loaded.new
        if not loaded.new:
            if json_out:
                typer.echo(dumps(summary))
            else:
                typer.echo(
                    f"{summary['dataset']}: unchanged, {path} is identical to the active version "
                    f"{summary['version']} ({summary['entities']} entities); no new version made"
                )
            continue
        if rescreen and version.id is not None:
            summary["rescreen"] = _rescreen(engine, cfg, version.id)
        if json_out:
            typer.echo(dumps(summary))
        else:
            typer.echo(
                f"{summary['dataset']}: version {summary['version']}, {summary['entities']} entities "
                f"(+{summary['added']} added, {summary['changed']} changed, -{summary['removed']} removed, "
                f"{summary['skipped']} skipped) from {path}"
            )
            for line in _skip_lines(version.skipped_detail, version.skipped):
                typer.echo(f"  {line}")
            if summary.get("rescreen"):
                typer.echo(f"  {summary['rescreen']}")
    if failed:
        raise typer.Exit(1)


def _without_companions(paths: list[Path]) -> list[Path]:
    """Drop alt.csv / add.csv given next to their sdn.csv: they are read with it."""
    names = {p.resolve() for p in paths}
    out = []
    for path in paths:
        name = path.name.lower()
        main = None
        if name in ("alt.csv", "add.csv"):
            main = path.with_name("sdn.csv")
        elif name in ("cons_alt.csv", "cons_add.csv"):
            main = path.with_name("cons_prim.csv")
        if main is not None and main.resolve() in names:
            continue
        out.append(path)
    return out


def _skip_lines(detail: list[dict[str, object]], total: int, show: int = 3) -> list[str]:
    """The first few skip reasons, for the human-readable summary."""
    lines = []
    for item in detail[:show]:
        where = f"line {item['line']}: " if item.get("line") else ""
        lines.append(f"skipped {where}{item['reason']}")
    if total > show and lines:
        lines.append(f"... and {total - show} more skipped (--json shows the first 20)")
    return lines


def _rescreen(engine: Engine, cfg: Settings, version_id: int) -> str | None:
    """Re-screen in this process (the alerts' deliveries go out with the next delivery sweep)."""
    from monitor.pipeline.rescreen import rescreen_version

    try:
        with session_scope(engine) as session:
            result = rescreen_version(session, cfg, version_id)
    except ImportError as exc:  # the matcher is not installed in this build
        return f"re-screening skipped: {exc}"
    return result.summary() if result.articles_scanned else None


@lists_app.command("update")
def update(
    datasets: Annotated[
        list[str] | None, typer.Argument(help="Datasets to update (default: MONITOR_LISTS_DATASETS)")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Download and reload even if unchanged")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON result per dataset")] = False,
) -> None:
    """Download the official list files over HTTPS and load the ones that changed."""
    from monitor.watchlists.update import update_lists

    cfg = settings()
    engine = ready_engine(cfg)
    with Session(engine, expire_on_commit=False) as session:
        results = update_lists(session, cfg, datasets or None, force=force, actor=cli_actor())
    for result in results:
        if json_out:
            typer.echo(dumps(asdict(result)))
        else:
            stream_err = result.status == "failed"
            typer.echo(f"{result.dataset}: {result.status}: {result.message}", err=stream_err)
    if any(r.status == "failed" for r in results):
        raise typer.Exit(1)


@lists_app.command("status")
def status(
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object per dataset")] = False,
) -> None:
    """Loaded datasets: active version, entity and name counts, age."""
    from monitor.watchlists.status import list_status

    engine = ready_engine(settings())
    with Session(engine) as session:
        rows = list_status(session)
    if json_out:
        print_jsonl(rows)
        return
    if not rows:
        typer.echo("no lists loaded yet: run `sanctions-monitor lists load PATH` or `lists update`")
        return
    typer.echo(f"{'dataset':<20} {'version':>7} {'entities':>9} {'names':>8} {'removed':>8}  {'age':<12} source")
    for row in rows:
        typer.echo(
            f"{row['dataset']:<20} {row['version'] or '-':>7} {row['entities']:>9} {row['names']:>8} "
            f"{row['removed']:>8}  {row['age'] or '-':<12} {row['source'] or ''}"
        )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.add_typer(lists_app, name="lists")
