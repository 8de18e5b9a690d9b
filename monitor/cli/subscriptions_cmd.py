"""`subscriptions add|list|set|pause|resume|delete|rotate-secret|deliveries|redeliver`, `digest --date D [--send]`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer
from pydantic import ValidationError

from monitor.cli.common import dumps, fail, print_jsonl, ready_engine, settings
from monitor.db import session_scope

subs_app = typer.Typer(help="Who receives alerts: webhooks, e-mail, chat (apprise); daily digests.",
                       no_args_is_help=True)


def _validation_message(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'subscription'}: {e['msg']}" for e in exc.errors())


@subs_app.command("add")
def add(
    webhook: Annotated[str | None, typer.Option("--webhook", help="webhook URL (Standard Webhooks, signed)")] = None,
    email_: Annotated[str | None, typer.Option("--email", help="e-mail address")] = None,
    apprise_: Annotated[str | None, typer.Option("--apprise", help="apprise URL: slack://, tgram://, matrix://, ...")]
    = None,
    rule: Annotated[list[str] | None, typer.Option("--rule", help="only alerts of this rule (repeatable)")] = None,
    category: Annotated[list[str] | None, typer.Option("--category", help="only this rule category (repeatable)")]
    = None,
    min_severity: Annotated[str | None, typer.Option("--min-severity", help="low, medium, high or critical")] = None,
    min_score: Annotated[float | None, typer.Option("--min-score", help="only alerts scoring at least this")] = None,
    entity: Annotated[list[str] | None, typer.Option("--entity", help="only alerts naming this entity id")] = None,
    dataset: Annotated[list[str] | None, typer.Option("--dataset", help="only alerts naming an entity of it")] = None,
    feed: Annotated[list[int] | None, typer.Option("--feed", help="only alerts from this feed id")] = None,
    digest_time: Annotated[str | None, typer.Option("--digest-time", help="HH:MM: also send a daily digest")] = None,
    timezone: Annotated[str, typer.Option("--timezone", help="IANA time zone of --digest-time")] = "UTC",
    digest_only: Annotated[bool, typer.Option("--digest-only", help="no real-time messages, only the digest")]
    = False,
    name: Annotated[str, typer.Option("--name", help="a label for lists and the digest")] = "",
    per: Annotated[str, typer.Option("--per", help="article: a message per alert; story: one per story, "
                                     "then updates as it grows")] = "article",
    story_update_minutes: Annotated[int, typer.Option("--story-update-minutes",
                                                      help="with --per story: at most one update per N minutes")]
    = 60,
) -> None:
    """Subscribe a destination; prints {"id": ..., "secret": "whsec_..."} (the secret once, webhooks only)."""
    from monitor.notify.subscriptions import SubscriptionCreate, SubscriptionError, create_subscription

    given = [(c, t) for c, t in (("webhook", webhook), ("email", email_), ("apprise", apprise_)) if t]
    if len(given) != 1:
        fail("give exactly one of --webhook URL, --email ADDRESS, --apprise URL", code=2)
    channel, target = given[0]
    try:
        data = SubscriptionCreate(
            channel=channel, target=target or "", name=name, rules=rule or [], categories=category or [],
            min_severity=min_severity, min_score=min_score, entity_ids=entity or [], datasets=dataset or [],
            feed_ids=feed or [], realtime=not digest_only, digest=bool(digest_time) or digest_only,
            digest_time=digest_time, timezone=timezone, deliver_per=per,  # type: ignore[arg-type]
            story_update_minutes=story_update_minutes,
        )
    except ValidationError as exc:
        fail(_validation_message(exc), code=2)
    cfg = settings()
    with session_scope(ready_engine(cfg)) as session:
        try:
            sub, secret = create_subscription(session, cfg, data, actor="cli")
        except SubscriptionError as exc:
            fail(str(exc), code=2)
        out: dict[str, object] = {"id": sub.id}
        if secret:
            out["secret"] = secret
    if secret:
        typer.echo("store the secret now; it is not shown again", err=True)
    typer.echo(dumps(out))


@subs_app.command("list")
def list_(json_: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False) -> None:
    """List subscriptions (never their secrets)."""
    from monitor.notify.subscriptions import SubscriptionPublic, list_subscriptions

    with session_scope(ready_engine(settings())) as session:
        rows = [SubscriptionPublic.of(s).model_dump(mode="json") for s in list_subscriptions(session)]
    if json_:
        print_jsonl(rows)
        return
    for r in rows:
        state = "active" if r["active"] else "paused"
        when = f" digest {r['digest_time']} {r['timezone']}" if r["digest"] else ""
        when = (f" per story (updates every {r['story_update_minutes']} min)" if r["deliver_per"] == "story"
                else "") + when
        filt = f" rules={','.join(r['rules'])}" if r["rules"] else ""
        typer.echo(f"{r['id']:>4}  {r['channel']:<8} {state:<7} {r['status']:<9} {r['target']}{filt}{when}")


@subs_app.command("set")
def set_(
    sub_id: Annotated[int, typer.Argument(help="subscription id")],
    per: Annotated[str | None, typer.Option("--per", help="article or story")] = None,
    story_update_minutes: Annotated[int | None, typer.Option("--story-update-minutes",
                                                             help="per story: at most one update per N minutes")]
    = None,
    name: Annotated[str | None, typer.Option("--name", help="a label for lists and the digest")] = None,
) -> None:
    """Change how a subscription is delivered (per article or per story, the update interval) or its name."""
    from monitor.notify.subscriptions import (
        SubscriptionError,
        SubscriptionPublic,
        SubscriptionUpdate,
        update_subscription,
    )

    given = {"deliver_per": per, "story_update_minutes": story_update_minutes, "name": name}
    try:
        changes = SubscriptionUpdate.model_validate({k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        fail(_validation_message(exc), code=2)
    cfg = settings()
    with session_scope(ready_engine(cfg)) as session:
        try:
            sub = update_subscription(session, sub_id, changes, actor="cli", settings=cfg)
        except (SubscriptionError, ValidationError) as exc:
            fail(str(exc), code=2)
        typer.echo(dumps(SubscriptionPublic.of(sub).model_dump(mode="json")))


def _one(action: str, sub_id: int) -> None:
    from monitor.notify.subscriptions import (
        SubscriptionError,
        SubscriptionPublic,
        delete_subscription,
        set_active,
    )

    with session_scope(ready_engine(settings())) as session:
        try:
            if action == "delete":
                delete_subscription(session, sub_id)
                typer.echo(dumps({"id": sub_id, "deleted": True}))
                return
            sub = set_active(session, sub_id, action == "resume")
        except SubscriptionError as exc:
            fail(str(exc))
        typer.echo(dumps(SubscriptionPublic.of(sub).model_dump(mode="json")))


@subs_app.command("pause")
def pause(sub_id: Annotated[int, typer.Argument(help="subscription id")]) -> None:
    """Stop sending (alerts raised meanwhile wait in the outbox)."""
    _one("pause", sub_id)


@subs_app.command("resume")
def resume(sub_id: Annotated[int, typer.Argument(help="subscription id")]) -> None:
    """Start sending again (also re-enables a failing or disabled subscription)."""
    _one("resume", sub_id)


@subs_app.command("delete")
def delete(sub_id: Annotated[int, typer.Argument(help="subscription id")]) -> None:
    """Delete a subscription and its outbox."""
    _one("delete", sub_id)


@subs_app.command("test")
def test_send(sub_id: Annotated[int, typer.Argument(help="subscription id")]) -> None:
    """Send a test message to the subscription now; prints the outcome as JSON (exit 1 when it failed)."""
    from monitor.notify.subscriptions import SubscriptionError
    from monitor.notify.testsend import send_test

    cfg = settings()
    with session_scope(ready_engine(cfg)) as session:
        try:
            result = send_test(session, cfg, sub_id)
        except SubscriptionError as exc:
            fail(str(exc))
    typer.echo(dumps({"id": sub_id, "ok": result.ok, "status_code": result.status_code, "error": result.error}))
    if not result.ok:
        raise typer.Exit(1)


@subs_app.command("rotate-secret")
def rotate(
    sub_id: Annotated[int, typer.Argument(help="webhook subscription id")],
    overlap_hours: Annotated[float | None, typer.Option("--overlap-hours", help="old secret still signs this long")]
    = None,
) -> None:
    """Issue a new webhook secret; both are sent during the overlap. Prints {"id", "secret"}."""
    from monitor.notify.subscriptions import SubscriptionError, rotate_secret

    cfg = settings()
    with session_scope(ready_engine(cfg)) as session:
        try:
            secret = rotate_secret(session, cfg, sub_id, overlap_hours=overlap_hours)
        except SubscriptionError as exc:
            fail(str(exc))
    typer.echo(dumps({"id": sub_id, "secret": secret}))


@subs_app.command("redeliver")
def redeliver_cmd(
    delivery: Annotated[int | None, typer.Option("--delivery", help="one delivery id")] = None,
    since: Annotated[datetime | None, typer.Option("--since", help="start of a time range (UTC)")] = None,
    until: Annotated[datetime | None, typer.Option("--until", help="end of the range (default now)")] = None,
    subscription: Annotated[int | None, typer.Option("--subscription", help="only this subscription")] = None,
    failed_only: Annotated[bool, typer.Option("--failed-only", help="only deliveries that failed")] = False,
) -> None:
    """Send deliveries again (same webhook-id): one by id, or every one created in a time range."""
    from monitor.models import utcnow
    from monitor.notify.deliver import redeliver, redeliver_range

    if (delivery is None) == (since is None):
        fail("give --delivery ID or --since TIME", code=2)
    with session_scope(ready_engine(settings())) as session:
        if delivery is not None:
            try:
                redeliver(session, delivery)
            except LookupError as exc:
                fail(str(exc))
            ids = [delivery]
        else:
            assert since is not None
            start = since if since.tzinfo else since.replace(tzinfo=utcnow().tzinfo)
            end = until or utcnow()
            end = end if end.tzinfo else end.replace(tzinfo=utcnow().tzinfo)
            ids = redeliver_range(session, start, end, subscription_id=subscription, only_failed=failed_only)
    typer.echo(dumps({"redelivering": ids}))


def digest(
    date_: Annotated[str, typer.Option("--date", help="local date YYYY-MM-DD (or 'today')")] = "today",
    send: Annotated[bool, typer.Option("--send", help="send it (once per subscription and date)")] = False,
    subscription: Annotated[int | None, typer.Option("--subscription", help="only this subscription")] = None,
    json_: Annotated[bool, typer.Option("--json", help="print the digest as JSON")] = False,
) -> None:
    """Show the daily digest of each digest subscription for a date, or send it with --send."""
    from monitor.models import utcnow
    from monitor.notify.digest import (
        build_digest,
        digest_json,
        digest_subscriptions,
        local_today,
        render_digest,
        run_digest,
    )

    cfg = settings()
    with session_scope(ready_engine(cfg)) as session:
        subs = digest_subscriptions(session, subscription)
        if subscription is not None and not subs:
            fail(f"subscription {subscription} not found")
        if not subs:
            typer.echo("no subscription wants a digest (add one with --digest-time HH:MM)", err=True)
        for sub in subs:
            try:
                day = local_today(sub, utcnow()) if date_ == "today" else date.fromisoformat(date_)
            except ValueError:
                fail(f"--date must be YYYY-MM-DD or 'today', not {date_!r}", code=2)
            if send:
                row = run_digest(session, cfg, sub, day)
                if row is None:
                    typer.echo(dumps({"subscription": sub.id, "date": day, "status": "already claimed"}))
                else:
                    typer.echo(dumps({"subscription": sub.id, "date": day, "status": row.status,
                                      "alerts": row.alert_count, "error": row.error}))
                continue
            content = build_digest(session, cfg, sub, day)
            if json_:
                typer.echo(dumps(digest_json(content)))
            else:
                text, _ = render_digest(content, cfg)
                typer.echo(f"== subscription {sub.id} ({sub.channel}) {day.isoformat()}: {content.subject}")
                typer.echo(text)


def register(app: typer.Typer) -> None:
    """Add the `subscriptions` group and the `digest` command to the main app."""
    app.add_typer(subs_app, name="subscriptions")
    app.command("digest")(digest)
