"""`subscriptions ...` and `digest --date D [--send]` through the real CLI (embedded store)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from monitor.cli import app as cli
from monitor.db import make_engine, session_scope
from monitor.notify.subscriptions import SubscriptionPublic
from tests.notify.conftest import make_alert
from tests.notify.smtp import SmtpServer
from tests.support.cli import embedded_cli, jsonl


@pytest.fixture
def runner(tmp_path, monkeypatch) -> CliRunner:
    return embedded_cli(tmp_path, monkeypatch)


def test_subscriptions_commands(runner: CliRunner) -> None:
    r = runner.invoke(cli, ["subscriptions", "add", "--webhook", "http://127.0.0.1:9/hook", "--rule", "arms-transfer"])
    assert r.exit_code == 0, r.output
    out = jsonl(r.stdout)[-1]
    assert out["id"] == 1 and out["secret"].startswith("whsec_")
    r = runner.invoke(cli, ["subscriptions", "add", "--email", "a@example.org", "--digest-time", "07:30",
                            "--timezone", "Europe/London", "--min-severity", "high"])
    assert r.exit_code == 0 and jsonl(r.stdout)[-1] == {"id": 2}
    refused = runner.invoke(cli, ["subscriptions", "add", "--webhook", "http://127.0.0.2:9/hook"])
    assert refused.exit_code == 2 and "127.0.0.2" in refused.output
    bad = runner.invoke(cli, ["subscriptions", "add", "--email", "a@example.org", "--digest-time", "7h"])
    assert bad.exit_code == 2 and "HH:MM" in bad.output
    both = runner.invoke(cli, ["subscriptions", "add", "--email", "a@example.org", "--webhook", "http://127.0.0.1/"])
    assert both.exit_code == 2
    rows = jsonl(runner.invoke(cli, ["subscriptions", "list", "--json"]).stdout)
    assert [set(r) for r in rows] == [set(SubscriptionPublic.model_fields)] * 2
    assert rows[1]["digest"] is True and rows[1]["timezone"] == "Europe/London"
    assert jsonl(runner.invoke(cli, ["subscriptions", "pause", "1"]).stdout)[-1]["active"] is False
    assert jsonl(runner.invoke(cli, ["subscriptions", "resume", "1"]).stdout)[-1]["active"] is True
    rot = jsonl(runner.invoke(cli, ["subscriptions", "rotate-secret", "1"]).stdout)[-1]
    assert rot["secret"].startswith("whsec_") and rot["secret"] != out["secret"]
    assert runner.invoke(cli, ["subscriptions", "rotate-secret", "2"]).exit_code != 0  # e-mail has no secret
    assert runner.invoke(cli, ["subscriptions", "delete", "1"]).exit_code == 0
    assert [r["id"] for r in jsonl(runner.invoke(cli, ["subscriptions", "list", "--json"]).stdout)] == [2]
    assert runner.invoke(cli, ["subscriptions", "delete", "1"]).exit_code != 0


def test_subscriptions_delivered_per_story(runner: CliRunner) -> None:
    r = runner.invoke(cli, ["subscriptions", "add", "--email", "a@example.org", "--per", "story",
                            "--story-update-minutes", "30"])
    assert r.exit_code == 0, r.output
    sid = jsonl(r.stdout)[-1]["id"]
    (row,) = jsonl(runner.invoke(cli, ["subscriptions", "list", "--json"]).stdout)
    assert (row["deliver_per"], row["story_update_minutes"]) == ("story", 30)
    assert "per story (updates every 30 min)" in runner.invoke(cli, ["subscriptions", "list"]).stdout
    r = runner.invoke(cli, ["subscriptions", "set", str(sid), "--per", "article"])
    assert r.exit_code == 0 and jsonl(r.stdout)[-1]["deliver_per"] == "article"
    bad = runner.invoke(cli, ["subscriptions", "set", str(sid), "--per", "outlet"])
    assert bad.exit_code == 2 and "deliver_per" in bad.output
    bad = runner.invoke(cli, ["subscriptions", "add", "--email", "a@example.org", "--story-update-minutes", "-5"])
    assert bad.exit_code == 2 and "story_update_minutes" in bad.output
    assert runner.invoke(cli, ["subscriptions", "set", "999", "--per", "story"]).exit_code == 2


def test_digest_command_shows_and_sends_once(runner: CliRunner, tmp_path, monkeypatch) -> None:
    with SmtpServer() as smtp:
        monkeypatch.setenv("MONITOR_SMTP_PORT", str(smtp.port))
        r = runner.invoke(cli, ["subscriptions", "add", "--email", "c@example.org", "--digest-time", "00:00",
                                "--digest-only"])
        assert r.exit_code == 0, r.output
        engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'monitor.db'}")
        with session_scope(engine) as s:
            make_alert(s, title="Frigate sold to Myanmar junta")
        today = datetime.now(UTC).date().isoformat()
        shown = runner.invoke(cli, ["digest", "--date", today])
        assert shown.exit_code == 0 and "Frigate sold to Myanmar junta" in shown.stdout
        assert smtp.messages == []  # showing sends nothing
        sent = jsonl(runner.invoke(cli, ["digest", "--date", today, "--send"]).stdout)
        assert sent[-1]["status"] == "sent" and sent[-1]["alerts"] == 1
        again = jsonl(runner.invoke(cli, ["digest", "--date", today, "--send"]).stdout)
        assert again[-1]["status"] == "already claimed"
        assert len(smtp.messages) == 1 and "Frigate" in smtp.messages[0].get_body(("plain",)).get_content()
        # after sending, the date's digest still shows what was sent
        assert "Frigate sold to Myanmar junta" in runner.invoke(cli, ["digest", "--date", today]).stdout
        engine.dispose()
