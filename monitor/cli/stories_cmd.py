"""`stories group PATH...`: offline story grouping of an archive, with the service's algorithm.

Input as `scan` reads it (JSON Lines with `id`, `title`, `text`, `url`, `source`, `published`; `.txt`
files; feed files). Output: one `{"id", "story"}` object per input article, in input order, plus
`follows` (the story a follow-up follows) where there is one. The archive is grouped as if its articles
had arrived in publication order. An input that cannot be read gives an object with `error` and no
story, and a non-zero exit at the end, so nothing is silently lost.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from monitor.cli.common import dumps
from monitor.cli.rules_cmd import InputError, read_inputs
from monitor.grouping.grouper import StoryArticle, group_archive


def group(
    paths: list[Path] = typer.Argument(..., help="JSON Lines, .txt or feed files, folders; - for stdin"),
) -> None:
    """Group articles into stories: one {"id", "story"} per input article, in input order."""
    items = list(read_inputs(paths))
    articles = [StoryArticle(id=i.id, title=i.title, text=i.text, source=i.source or "", published=i.published,
                             url=i.url or "")
                for i in items if not isinstance(i, InputError)]
    placed = iter(group_archive(articles))
    errors = 0
    for item in items:
        if isinstance(item, InputError):
            errors += 1
            typer.echo(f"error: {item.ident}: {item.message}", err=True)
            obj: dict[str, Any] = {"id": item.ident, "story": None, "error": item.message}
        else:
            found = next(placed)
            obj = {"id": found.article_id, "story": found.story}
            if found.follows:
                obj["follows"] = found.follows
        sys.stdout.write(dumps(obj) + "\n")
    sys.stdout.flush()
    if errors:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the `stories` command group."""
    stories = typer.Typer(help="Stories: articles of one event across outlets.", no_args_is_help=True)
    stories.command("group")(group)
    app.add_typer(stories, name="stories")
