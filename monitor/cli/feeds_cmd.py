"""`feeds add|import|list`, `poll --once [--all]`, `articles list`."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from monitor.cli.common import fail, print_jsonl, ready_engine, settings
from monitor.db import session_scope
from monitor.feeds.manage import FeedUrlError, import_feeds, list_articles, list_feeds, subscribe
from monitor.feeds.opml import OpmlError, read_opml
from monitor.schemas import ArticlePublic, FeedPublic

feeds_app = typer.Typer(help="Subscribe to news feeds and list them.", no_args_is_help=True)
articles_app = typer.Typer(help="Stored articles.", no_args_is_help=True)


@feeds_app.command("add")
def feeds_add(
    url: str = typer.Argument(..., help="Feed URL (RSS, Atom or JSON Feed)"),
    title: str = typer.Option(None, help="Title to show until the feed provides one"),
) -> None:
    """Subscribe to a feed; it is polled on the next beat tick or `poll --once`."""
    engine = ready_engine()
    try:
        with session_scope(engine) as session:
            feed, created = subscribe(session, url, title)
            line = f"{'added' if created else 'already subscribed'}: feed {feed.id} {feed.url}"
    except FeedUrlError as exc:
        fail(str(exc))
    typer.echo(line)


@feeds_app.command("import")
def feeds_import(path: Path = typer.Argument(..., help="OPML file", exists=True, dir_okay=False)) -> None:
    """Subscribe to every feed of an OPML file."""
    engine = ready_engine()
    try:
        with session_scope(engine) as session:
            result = import_feeds(session, read_opml(path.read_bytes()))
    except OpmlError as exc:
        fail(f"{path}: {exc}")
    for url, reason in result.invalid:
        typer.echo(f"skipped {url}: {reason}", err=True)
    typer.echo(f"imported {len(result.added)} new feed(s), {len(result.existing)} already subscribed, "
               f"{len(result.invalid)} skipped")


@feeds_app.command("list")
def feeds_list(as_json: bool = typer.Option(False, "--json", help="One JSON object per line")) -> None:
    """List subscribed feeds with their polling state."""
    engine = ready_engine()
    with session_scope(engine) as session:
        feeds = [FeedPublic.model_validate(f) for f in list_feeds(session)]
    if as_json:
        print_jsonl(f.model_dump(mode="json") for f in feeds)
        return
    for f in feeds:
        state = f"ERROR x{f.consecutive_errors}: {f.last_error}" if f.last_error else "ok"
        if f.quiet:
            state += " (quiet)"
        nxt = f.next_poll_at.isoformat(timespec="seconds") if f.next_poll_at else "-"
        typer.echo(f"{f.id:>5}  {f.url}  [{f.title or '-'}]  next {nxt}  {state}")


MATCH_BATCH = 200  # articles matched per transaction by `poll`


def _poll_round(all_feeds: bool, threads: int, quiet: bool) -> str:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from monitor.feeds.poll import PollResult, all_feed_ids, due_feeds, poll_many
    from monitor.pipeline.match import match_articles

    cfg = settings()
    engine = ready_engine(cfg)
    with session_scope(engine) as session:
        ids = all_feed_ids(session) if all_feeds else due_feeds(session, cfg, limit=1_000_000)
    counts = {"new": 0, "updated": 0, "errors": 0}
    stored: list[int] = []
    console = Console(stderr=True)
    with Progress(TextColumn("polling"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, disable=quiet or not ids, transient=False) as progress:
        task = progress.add_task("poll", total=len(ids))

        def _done(result: PollResult) -> None:
            counts["new"] += len(result.new_ids)
            counts["updated"] += len(result.updated_ids)
            stored.extend([*result.new_ids, *result.updated_ids])
            if result.status == "error":
                counts["errors"] += 1
                console.print(f"feed {result.feed_id}: {result.error}", markup=False, highlight=False)
            progress.advance(task)

        poll_many(engine, cfg, ids, threads=threads, on_done=_done)
    line = (f"polled {len(ids)} feed(s): {counts['new']} new article(s), {counts['updated']} updated, "
            f"{counts['errors']} error(s)")
    if not stored:
        return line
    # Match here what was stored, as a worker would, so `alerts list` shows the alerts at once.
    if not quiet:
        console.print(f"matching {len(stored)} article(s) ...", highlight=False)
    matched = alerts = deliveries = 0
    for start in range(0, len(stored), MATCH_BATCH):
        with session_scope(engine) as session:
            summary = match_articles(session, cfg, stored[start:start + MATCH_BATCH])
        matched, alerts = matched + summary.matched, alerts + summary.alerts
        deliveries += len(summary.delivery_ids)
    line += f"; matched {matched} article(s): {alerts} new alert(s)"
    if deliveries:
        line += f", {deliveries} notification(s) queued (a running worker sends them)"
    return line


def poll(
    once: bool = typer.Option(False, "--once", help="Poll once and return (otherwise every minute until Ctrl-C)"),
    all_feeds: bool = typer.Option(False, "--all", help="Poll every feed now, due or not"),
    threads: int = typer.Option(8, min=1, max=64, help="Feeds polled at the same time"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar"),
) -> None:
    """Poll due feeds (or all with --all) in this process, store new articles and match them.

    New and changed articles are matched here, before the command returns, so `alerts list`
    shows their alerts right after; notifications for them are queued in the database and
    sent by a running worker (`up`).
    """
    while True:
        typer.echo(_poll_round(all_feeds, threads, quiet))
        if once:
            return
        time.sleep(60)


@articles_app.command("list")
def articles_list(
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line"),
    limit: int = typer.Option(50, min=1, help="Most recent N articles"),
    feed: int = typer.Option(None, help="Only this feed's articles"),
) -> None:
    """List the most recently stored articles."""
    engine = ready_engine()
    with session_scope(engine) as session:
        articles = [ArticlePublic.model_validate(a) for a in list_articles(session, limit=limit, feed_id=feed)]
    if as_json:
        print_jsonl(a.model_dump(mode="json") for a in articles)
        return
    for a in articles:
        when = (a.published_at or a.fetched_at).isoformat(timespec="minutes")
        typer.echo(f"{a.id:>6}  {when}  {a.title}  {a.url or ''}")


def register(app: typer.Typer) -> None:
    """Add `feeds`, `poll` and `articles` to the main app."""
    app.add_typer(feeds_app, name="feeds")
    app.add_typer(articles_app, name="articles")
    app.command("poll")(poll)
