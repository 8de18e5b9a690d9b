"""The CLI commands of this stage (same JSON fields as the API) and the demo feed served by the API."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from typer.testing import CliRunner

from monitor.api.app import create_app
from monitor.cli import app as cli
from monitor.db import session_scope
from monitor.feeds.demo import DEMO_FEED_FILE, install_demo
from monitor.feeds.poll import poll_feed
from monitor.schemas import ArticlePublic, FeedPublic
from monitor.settings import SEEDS_DIR
from tests.support.cli import jsonl
from tests.support.feed_server import FeedServer, rss


def test_feeds_poll_articles_commands(cli_env: CliRunner) -> None:
    runner = cli_env
    with FeedServer() as srv:
        srv.add("/a.xml", rss([{"guid": f"a{i}", "title": f"A{i}", "description": "x"} for i in range(3)]))
        srv.add("/b.xml", status=500)
        assert runner.invoke(cli, ["feeds", "add", srv.url("/a.xml")]).exit_code == 0
        assert runner.invoke(cli, ["feeds", "add", srv.url("/b.xml")]).exit_code == 0
        again = runner.invoke(cli, ["feeds", "add", srv.url("/a.xml")])
        assert again.exit_code == 0 and "already subscribed" in again.output
        bad = runner.invoke(cli, ["feeds", "add", "ftp://example.org/x"])
        assert bad.exit_code != 0 and "http" in bad.output
        polled = runner.invoke(cli, ["poll", "--once"])
        assert polled.exit_code == 0, polled.output
        assert "3 new article(s)" in polled.output and "1 error(s)" in polled.output
        assert "HTTP 500" in polled.output
        # Nothing is due any more: --once polls nothing, --all polls both again.
        assert "polled 0 feed(s)" in runner.invoke(cli, ["poll", "--once"]).output
        assert "polled 2 feed(s): 0 new" in runner.invoke(cli, ["poll", "--once", "--all"]).output
    feeds = jsonl(runner.invoke(cli, ["feeds", "list", "--json"]).output)
    assert [set(f) for f in feeds] == [set(FeedPublic.model_fields)] * 2
    assert feeds[1]["last_error"].startswith("HTTP 500") and feeds[1]["consecutive_errors"] == 2
    articles = jsonl(runner.invoke(cli, ["articles", "list", "--json", "--limit", "2"]).output)
    assert len(articles) == 2 and set(articles[0]) == set(ArticlePublic.model_fields)
    assert len(jsonl(runner.invoke(cli, ["articles", "list", "--json"]).output)) == 3
    imported = runner.invoke(cli, ["feeds", "import", str(SEEDS_DIR / "feeds.opml")])
    assert imported.exit_code == 0 and "imported" in imported.output
    assert "error" in runner.invoke(cli, ["feeds", "import", str(DEMO_FEED_FILE)]).output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_feed_served_by_the_api_and_stored(make_settings, sqlite_engine) -> None:
    settings = make_settings(demo=True, database_url=str(sqlite_engine.url))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        api_base = f"http://127.0.0.1:{port}"
        with session_scope(sqlite_engine) as s:
            lines = install_demo(s, settings, api_base)
            assert install_demo(s, settings, api_base)[0].startswith("demo feed already subscribed")
        assert lines[0] == f"demo feed subscribed: {api_base}/demo/feed.xml"
        # and a few real feeds in other languages from the starter OPML (subscribed once)
        assert [line.split(": ")[0] for line in lines[1:]] == ["real feed in another language subscribed"] * 3
        assert "bbci.co.uk/russian" in lines[1]
        with session_scope(sqlite_engine) as s:
            result = poll_feed(s, 1, settings)
        assert result.status == "ok" and len(result.new_ids) == 8, result.error
    finally:
        server.should_exit = True
        thread.join(10)
    # Without MONITOR_DEMO the route does not exist.
    from fastapi.testclient import TestClient

    assert TestClient(create_app(make_settings())).get("/demo/feed.xml").status_code == 404


def test_demo_install_warns_when_the_guard_would_refuse(make_settings, sqlite_engine) -> None:
    with session_scope(sqlite_engine) as s:
        lines = install_demo(s, make_settings(allowed_networks=[]), "http://127.0.0.1:8000")
    assert "MONITOR_ALLOWED_NETWORKS" in lines[-1]
