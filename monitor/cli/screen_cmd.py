"""`screen NAME... [--file F] [--json]`: is this name on a loaded list?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from monitor.cli.common import dumps, fail, ready_engine, settings
from monitor.db import session_scope


def _read_names(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="latin-1")
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    return [line.strip() for line in text.splitlines() if line.strip()]


def screen(
    names: Annotated[list[str] | None, typer.Argument(help="Names to screen (quote names with spaces)")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Text file with one name per line")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object per name")] = False,
    schema: Annotated[str | None, typer.Option(help="person, organization, vessel or aircraft")] = None,
    birth_year: Annotated[int | None, typer.Option("--birth-year", help="Raises matches born that year")] = None,
    country: Annotated[str | None, typer.Option(help="ISO 3166 code or country name")] = None,
    dataset: Annotated[list[str] | None, typer.Option("--dataset", help="Only these datasets (repeatable)")] = None,
    threshold: Annotated[float | None, typer.Option(min=0.0, max=1.0, help="Decision threshold")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="Candidates per name")] = 10,
) -> None:
    """Screen names against the loaded lists: candidates best first, `match` at the threshold."""
    from monitor.watchlists.screen import ScreenError, get_screener

    queries = list(names or [])
    if file is not None:
        queries.extend(_read_names(file))
    if not queries:
        fail("give at least one name, or --file with one name per line")
    cfg = settings()
    engine = ready_engine(cfg)
    errors = 0
    with session_scope(engine) as session:
        screener = get_screener(session, cfg)
    if not screener.index.size:
        typer.echo("warning: no lists loaded (run `sanctions-monitor lists load PATH`)", err=True)
    cut = screener.threshold if threshold is None else threshold
    for query in queries:
        try:
            result = screener.screen(
                query, schema=schema, birth_year=birth_year, country=country, datasets=dataset,
                threshold=threshold, limit=limit,
            )  # fmt: skip
        except ScreenError as exc:
            errors += 1
            # Still one object per name, in order, so a batch never loses its place.
            if json_out:
                typer.echo(dumps({"query": query, "threshold": cut, "matches": [], "error": str(exc)}))
            else:
                typer.echo(f"error: {query[:80]!r}: {exc}", err=True)
            continue
        if json_out:
            typer.echo(dumps(result.to_json()))
            continue
        typer.echo(f"{query}  (threshold {result.threshold})")
        if not result.matches:
            typer.echo("  no candidates")
        for m in result.matches:
            flag = "MATCH" if m.match else "near "
            typer.echo(f"  {flag} {m.score:.2f}  {m.entity_id}  {m.name}  [alias: {m.matched_alias}]")
            typer.echo(f"         {m.explanation}")
    if errors:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.command("screen")(screen)
