"""`poll --once` matches what it stored, in the same process: `alerts list` right after shows
the alerts, with no worker running; its help and its summary line say so."""

from __future__ import annotations

from typer.testing import CliRunner

from monitor.cli import app as cli
from tests.support.cli import jsonl
from tests.support.feed_server import FeedServer, rss

ARMS = ("North Korea is shipping artillery shells and ballistic missiles to Russia for its war in "
        "Ukraine, officials in Seoul said on Monday.")


def test_poll_once_then_alerts_list_shows_alerts(cli_env: CliRunner) -> None:
    runner = cli_env
    with FeedServer() as srv:
        srv.add("/news.xml", rss([
            {"guid": "arms", "title": "Pyongyang ships shells to Moscow", "description": ARMS},
            {"guid": "quiet", "title": "Local bakery wins prize", "description": "The bread was very good."},
        ]))
        assert runner.invoke(cli, ["feeds", "add", srv.url("/news.xml")]).exit_code == 0
        polled = runner.invoke(cli, ["poll", "--once", "--quiet"])
    assert polled.exit_code == 0, polled.output
    assert "2 new article(s)" in polled.output and "matched 2 article(s)" in polled.output
    alerts = jsonl(runner.invoke(cli, ["alerts", "list", "--json"]).output)
    (alert,) = alerts  # one alert for the article, every rule that fired a label
    assert "arms-transfer" in alert["rules"] and alert["title"] == "Pyongyang ships shells to Moscow"
    assert f"{len(alerts)} new alert(s)" in polled.output


def test_poll_help_says_it_matches(cli_env: CliRunner) -> None:
    text = cli_env.invoke(cli, ["poll", "--help"]).output
    assert "match" in text and "alerts list" in text
