"""End-to-end: Playwright drives Debian's Chromium against the console served by uvicorn.

Install the browser with `apt-get install -y chromium` (never `playwright install`); the
tests skip with that reason when /usr/bin/chromium is absent. Each test saves a
screenshot under artifacts/console/ for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from monitor.models import AlertReview
from tests.console.conftest import ARTIFACTS, CHROMIUM, LiveConsole

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Chromium not installed: apt-get update && apt-get install -y chromium"
)
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright (dev extra) not installed")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the module (a new context, so new cookies, per test)."""
    with playwright_api.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh 1280 px wide page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


def shot(page: Any, name: str) -> None:
    """Save a full-page screenshot to artifacts/console/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, console: LiveConsole, key: str, path: str = "/") -> None:
    """Go to a page, land on the sign-in form, sign in, come back."""
    page.goto(console.url + path)
    assert "/signin" in page.url
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(console.url + path.split("?")[0])))


def test_sign_in_and_filter_the_queue(page: Any, console: LiveConsole) -> None:
    page.goto(console.url + "/")
    assert "/signin" in page.url
    page.get_by_label("API key").fill("smk_wrong")
    page.get_by_role("button", name="Sign in").click()
    assert "not valid" in page.locator("#signin-error").inner_text()
    sign_in(page, console, console.seeded.analyst_key)
    rows = page.locator("tr.alert-row")
    assert rows.count() >= 4  # other tests may add alerts to the shared store
    # newest first: the seed story's alert was raised last, one row with every rule that fired as a label
    assert "Kim Jong Un" in rows.first.inner_text()
    story = page.locator(f'tr.alert-row[data-id="{console.seeded.story_alert_id}"]')
    assert story.count() == 1
    chips = story.locator(".label-chip").all_inner_texts()
    assert {"arms-transfer", "sanctioned-entity"} <= set(chips) and len(chips) == len(set(chips))
    assert page.locator("#count-new").inner_text().strip().isdigit()
    page.locator("summary", has_text="Filters").click()
    page.get_by_label("Rule").select_option("arms-transfer")
    page.get_by_label("Score at least").fill("0.6")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"rule=arms-transfer"))
    assert rows.count() == 1
    assert "arms-transfer" in rows.first.inner_text()
    shot(page, "queue-filtered")
    page.get_by_label("Rule").select_option("")
    page.get_by_label("Score at least").fill("")
    page.get_by_label("Severity at least").select_option("medium")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"min_severity=medium"))
    severities = page.locator("tr.alert-row .sev").all_inner_texts()
    assert len(severities) >= 2  # the seed story (high or above) and one evasion alert (medium)
    assert all(s.strip().lower() in ("medium", "high", "critical") for s in severities), severities


def test_seed_story_alert_highlights_shoigu_and_the_ammunition_sentence(page: Any, console: LiveConsole) -> None:
    sign_in(page, console, console.seeded.reader_key, f"/alerts/{console.seeded.story_alert_id}")
    evidence = page.locator("blockquote.evidence", has_text="artillery ammunition")
    assert evidence.count() == 1
    assert "supply artillery ammunition to Russia" in evidence.inner_text()
    entity = evidence.locator("mark.hl-entity")
    assert entity.count() >= 1
    assert entity.first.inner_text() == "Sergei Shoigu"
    terms = [t.strip().lower() for t in evidence.locator("mark.hl-term").all_inner_texts()]
    assert "artillery ammunition" in terms or "ammunition" in terms
    shoigu = page.locator(".entity-box", has_text="SHOIGU, Sergei Kuzhugetovich")
    assert shoigu.count() == 1 and "RUSSIA-EO14024" in shoigu.inner_text()
    # one alert, every rule with its own explanation
    boxes = page.locator(".label-box")
    assert boxes.count() >= 2
    assert page.locator('.label-box[data-rule="arms-transfer"] .explanation').inner_text().strip()
    assert page.locator('.label-box[data-rule="sanctioned-entity"] .explanation').inner_text().strip()
    shot(page, "alert-seed-story")


def test_dismiss_with_a_reason_from_the_keyboard_and_see_it_in_history(page: Any, console: LiveConsole) -> None:
    alert_id = console.seeded.story_alert_id
    sign_in(page, console, console.seeded.analyst_key)
    row = page.locator(f'tr.alert-row[data-id="{alert_id}"]')
    row.focus()
    page.keyboard.press("d")
    dialog = page.locator("#review-dialog")
    assert dialog.is_visible()
    assert "Dismiss" in page.locator("#review-title").inner_text()
    page.get_by_label("Reason (required)").fill("name clash: another Kim")
    page.get_by_label("Note").fill("checked against the article's context")
    shot(page, "queue-review-dialog")
    page.locator("#review-submit").click()
    page.wait_for_url(re.compile(r"done=reviewed"))
    assert "Review recorded" in page.locator(".flash").inner_text()
    page.goto(f"{console.url}/alerts/{alert_id}")
    history = page.locator("#history").inner_text()
    assert "dismissed" in history and "name clash: another Kim" in history
    # on the alert's own page: e picks "escalated" and moves to the reason
    page.keyboard.press("e")
    assert page.locator('form.review-form input[value="escalated"]').is_checked()
    page.keyboard.type("senior review of the Kim mentions")
    page.get_by_role("button", name="Record decision").click()
    page.wait_for_url(re.compile(r"done=reviewed"))
    history = page.locator("#history").inner_text()
    assert "escalated" in history and "senior review of the Kim mentions" in history
    shot(page, "alert-history")
    with Session(console.engine) as session:  # type: ignore[arg-type]
        trail = session.exec(select(AlertReview).where(AlertReview.alert_id == alert_id)).all()
        assert [(r.from_status, r.to_status, r.reason) for r in trail][-2:] == [
            ("new", "dismissed", "name clash: another Kim"),
            ("dismissed", "escalated", "senior review of the Kim mentions"),
        ]


def test_screen_a_name_as_you_type_and_open_the_entity(page: Any, console: LiveConsole) -> None:
    sign_in(page, console, console.seeded.reader_key, "/entities")
    page.get_by_label("Name of a person, company or vessel").press_sequentially("Sergey Shoygu", delay=20)
    result = page.locator("#screen-results a", has_text="SHOIGU, Sergei Kuzhugetovich")
    result.wait_for()
    assert "match" in page.locator("#screen-results li").first.inner_text()
    assert "/entities" in page.url and "q=" not in page.url  # results came in without a page load
    shot(page, "entity-screening")
    result.click()
    page.wait_for_url(re.compile(r"/entities/us_ofac_sdn(:|%3A)35173"))
    assert page.locator("h1").inner_text() == "SHOIGU, Sergei Kuzhugetovich"
    assert "SHOYGU, Sergey Kuzhugetovich" in page.locator("#names").inner_text()
    assert "RUSSIA-EO14024" in page.content()
    assert page.locator("svg.chart rect.bar").count() == 26
    co = page.locator("#co-h + ul").inner_text()
    assert "KIM, Jong Un" in co and "PUTIN, Vladimir Vladimirovich" in co
    shot(page, "entity-page")


def test_rule_editor_shows_the_syntax_error_at_its_position(page: Any, console: LiveConsole) -> None:
    sign_in(page, console, console.seeded.admin_key, "/rules")
    table = page.locator("#rules-table").inner_text()
    assert "arms-transfer" in table
    assert page.locator("#rule-arms-transfer td").nth(4).inner_text().strip() == "1"  # 1 hit in the last 7 days
    query = page.get_by_label("Query", exact=True)
    query.fill('"artillery ammunition" w/5 (supply OR')
    error = page.locator("#query-status #query-error")
    error.wait_for()
    text = error.inner_text()
    assert "line 1, column 38" in text
    assert "^ here" in text
    shot(page, "rule-syntax-error")
    query.fill('"artillery ammunition" w/5 supply')
    page.locator("#query-check-ok").wait_for()


def test_backtest_a_valid_rule_before_saving(page: Any, console: LiveConsole) -> None:
    sign_in(page, console, console.seeded.analyst_key, "/rules")
    page.get_by_label("Id (a-z, 0-9, -)").fill("ammo-for-russia")
    page.get_by_label("Title").fill("Ammunition for Russia")
    page.get_by_label("Query", exact=True).fill('(supply OR sell*) w/8 "artillery ammunition"')
    page.get_by_role("button", name="Backtest").click()
    result = page.locator("#backtest-result")
    result.wait_for()
    text = result.inner_text()
    assert re.search(r"\b1 hit in the \d+ newest", text), text
    assert "Kim Jong Un to visit Russia" in text
    assert "Nothing was saved" in text
    shot(page, "rule-backtest")
    from monitor.models import Rule

    with Session(console.engine) as session:  # type: ignore[arg-type]
        assert session.get(Rule, "ammo-for-russia") is None  # the backtest stored nothing


def test_feeds_page_shows_state_and_the_queue_fits_a_phone(browser: Any, console: LiveConsole) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, console, console.seeded.admin_key, "/feeds")
        table = page.locator("#feeds-table").inner_text()
        assert "Regional wire (seed)" in table and "quiet" in table and "3 in a row" in table
        for path, name in (
            ("/feeds", "feeds-phone"),
            ("/", "queue-phone"),
            (f"/alerts/{console.seeded.story_alert_id}", "alert-phone"),
            ("/entities/us_ofac_sdn:35173", "entity-phone"),
            ("/rules", "rules-phone"),
            ("/audit", "audit-phone"),
        ):
            page.goto(console.url + path)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{path} is {overflow}px wider than a phone screen"
            shot(page, name)
        page.goto(console.url + "/")
        assert page.locator("tr.alert-row").count() >= 1
    finally:
        context.close()


AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"  # axe-core 4.14.1 (MPL-2.0), from npm


@pytest.mark.slow
def test_pages_pass_the_axe_accessibility_checks(browser: Any, console: LiveConsole) -> None:
    # bypass_csp only lets the test inject axe; the pages themselves run under their CSP.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(console.url + "/signin")
        pages = [
            "/signin",
            "/",
            f"/alerts/{console.seeded.story_alert_id}",
            "/entities?q=Sergey+Shoygu",
            "/entities/us_ofac_sdn:35173",
            "/rules?rule=arms-transfer",
            "/feeds",
            "/subscriptions",
            "/audit",
            "/no-such-page",
        ]
        problems: list[str] = []
        for path in pages:
            if path != "/signin" and "/signin" in page.url:
                page.get_by_label("API key").fill(console.seeded.admin_key)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_url(re.compile(r"/$"))
            page.goto(console.url + path)
            page.add_script_tag(path=str(AXE))
            result = page.evaluate(
                "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})"
            )
            assert len(result["passes"]) > 10, f"axe did not run on {path}"
            for violation in result["violations"]:
                if violation["impact"] in ("serious", "critical", "moderate"):
                    targets = [n["target"] for n in violation["nodes"][:3]]
                    problems.append(f"{path}: {violation['id']} ({violation['impact']}) {targets}")
        assert not problems, "\n".join(problems)
    finally:
        context.close()


def test_add_a_webhook_subscription_and_see_its_secret_once(page: Any, console: LiveConsole) -> None:
    from tests.notify.receiver import ReceiverServer

    with ReceiverServer() as rx:
        sign_in(page, console, console.seeded.admin_key, "/subscriptions")
        page.get_by_label("Channel").select_option("webhook")
        page.get_by_label("Target: webhook URL, e-mail address or apprise URL").fill(rx.url)
        page.get_by_label("Name (optional)").fill("browser hook")
        page.get_by_role("button", name="Add subscription").click()
        secret = page.locator("#secret-value")
        assert secret.input_value().startswith("whsec_")
        row = page.locator("#subs-table tr", has_text="browser hook")
        assert row.count() == 1
        shot(page, "subscription-added")
        rx.secrets.append(secret.input_value())  # the receiver now checks signatures with the secret shown
        row.get_by_role("button", name="Send test").click()
        assert "delivered" in page.locator("p.flash").inner_text()
        assert page.locator("#secret-value").count() == 0  # shown once
        (call,) = rx.accepted()
        assert call.payload is not None and call.payload["type"] == "subscription.test"


def test_a_failed_htmx_request_is_shown_on_the_page(page: Any, console: LiveConsole) -> None:
    sign_in(page, console, console.seeded.analyst_key, "/rules")
    errors = page.locator("#request-error")
    assert errors.is_hidden()
    # A draft larger than the API's body limit: the server answers 413 to the htmx request.
    page.locator("#rule-query").fill("drones OR " * 120_000)
    page.locator("#backtest-button").click()
    errors.wait_for(state="visible")
    text = errors.inner_text()
    assert "HTTP 413" in text and "larger than" in text, text
    # Without a server answer at all (the connection fails), the page says that too.
    page.route("**/rules/backtest", lambda route: route.abort())
    page.locator("#rule-query").fill("drones")
    page.locator("#backtest-button").click()
    page.locator("#request-error", has_text="could not reach the server").wait_for(state="visible")


def test_pages_send_a_strict_content_security_policy(page: Any, console: LiveConsole) -> None:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    response = page.goto(console.url + "/signin")
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    sign_in(page, console, console.seeded.analyst_key, "/entities")
    page.get_by_label("Name of a person, company or vessel").press_sequentially("Kim Jong Un", delay=10)
    page.locator("#screen-results a", has_text="KIM, Jong Un").wait_for()  # htmx works under the policy
    assert not [e for e in errors if "Content Security Policy" in e], errors
