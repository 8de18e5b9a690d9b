"""`keys create|list|revoke`: API keys with roles (the plain key is printed once, as the last line)."""

from __future__ import annotations

from typing import Annotated

import typer

from monitor.cli.common import dumps, fail, print_jsonl, ready_engine, settings
from monitor.db import session_scope
from monitor.keys import ROLES, KeyError_, create_key, list_keys, revoke_key

keys_app = typer.Typer(help="API keys: create (printed once), list, revoke.", no_args_is_help=True)


def key_public(row: object) -> dict[str, object]:
    """The safe fields of a key row (never the hash)."""
    return {
        name: getattr(row, name)
        for name in ("id", "name", "prefix", "role", "created_at", "last_used_at", "revoked_at")
    }


@keys_app.command("create")
def create(
    role: Annotated[str, typer.Option("--role", help="admin, analyst or reader")],
    name: Annotated[str, typer.Option("--name", help="who or what uses the key")] = "",
) -> None:
    """Create an API key; the key is printed once, on the last line."""
    if role not in ROLES:
        fail(f"--role must be one of {', '.join(ROLES)}, not {role!r}", code=2)
    with session_scope(ready_engine(settings())) as session:
        plain = create_key(session, role, name)
    typer.echo(f"created {role} key{f' {name!r}' if name else ''}; store it now, it is not shown again:", err=True)
    typer.echo(plain)


@keys_app.command("list")
def list_(json_: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False) -> None:
    """List API keys (prefix, role, last use; never the key)."""
    with session_scope(ready_engine(settings())) as session:
        rows = [key_public(r) for r in list_keys(session)]
    if json_:
        print_jsonl(rows)
        return
    for r in rows:
        state = "revoked" if r["revoked_at"] else "active"
        typer.echo(f"{r['id']:>4}  {r['role']:<8} {r['prefix']}…  {state:<8} {r['name']}")


@keys_app.command("revoke")
def revoke(key_id: Annotated[int, typer.Argument(help="key id from `keys list`")]) -> None:
    """Revoke a key: it stops working at once."""
    with session_scope(ready_engine(settings())) as session:
        try:
            row = revoke_key(session, key_id)
        except KeyError_ as exc:
            fail(str(exc))
        typer.echo(dumps(key_public(row)))


def register(app: typer.Typer) -> None:
    """Add the `keys` group to the main app."""
    app.add_typer(keys_app, name="keys")
