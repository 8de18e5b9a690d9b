"""The console's backtest under a tight budget and deadline: a refusal and a partial result are both
said on the page (over real HTTP against uvicorn)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest

from tests.console.conftest import LiveConsole, csrf_of, serve_console, signed_in_client


@pytest.fixture(scope="module")
def tight_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveConsole]:
    """The seeded console with a 2,000 article-clause budget and a deadline no scan meets."""
    with serve_console(tmp_path_factory.mktemp("tight"), backtest_max_cost=2000, backtest_timeout=1e-6) as live:
        yield live


def _draft(csrf: str, query: str) -> dict[str, str]:
    return {"csrf_token": csrf, "rule_id": "draft-limits", "title": "Draft", "category": "sanctions",
            "severity": "low", "query": query, "enabled": "on"}


def test_backtest_over_budget_is_refused_on_the_page(tight_console: LiveConsole) -> None:
    with signed_in_client(tight_console, tight_console.seeded.analyst_key) as client:
        csrf = csrf_of(client.get("/rules").text)
        chain = " w/5 ".join(f"w{i}" for i in range(11))  # 10 proximity clauses + 1, x 500 articles
        page = client.post("/rules/backtest", data=_draft(csrf, chain))
        assert page.status_code == 422
        error = re.search(r'id="backtest-error">([^<]+)<', page.text)
        assert error and "backtest too costly" in html.unescape(error.group(1)), page.text[-3000:]
        fragment = client.post("/rules/backtest", data=_draft(csrf, chain), headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and 'id="backtest-error"' in fragment.text  # htmx swaps it in


def test_backtest_reaching_the_deadline_shows_a_partial_result(tight_console: LiveConsole) -> None:
    with signed_in_client(tight_console, tight_console.seeded.analyst_key) as client:
        csrf = csrf_of(client.get("/rules").text)
        page = client.post("/rules/backtest", data=_draft(csrf, "Shoigu OR Kim OR Putin"))
        assert page.status_code == 200
        partial = re.search(r'id="backtest-partial">([^<]+)<', page.text)
        assert partial, page.text[-3000:]
        assert "deadline" in partial.group(1) and "after 1 of 500 articles" in partial.group(1)
