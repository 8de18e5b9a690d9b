"""Console routes over real HTTP (httpx against uvicorn), no browser: sign-in, session, CSRF, roles."""

from __future__ import annotations

import re

import httpx
from sqlmodel import Session, select

from monitor.models import Alert, AlertReview, KeyValue
from tests.console.conftest import LiveConsole, csrf_of, signed_in_client


def _client(console: LiveConsole) -> httpx.Client:
    return httpx.Client(base_url=console.url, follow_redirects=False, timeout=10)


def test_pages_redirect_to_sign_in_without_a_session(console: LiveConsole) -> None:
    with _client(console) as client:
        for path in ("/", "/alerts/1", "/entities", "/entities/us_ofac_sdn:35173", "/rules", "/feeds",
                     "/audit"):
            resp = client.get(path)
            assert resp.status_code == 303, path
            assert resp.headers["location"].startswith("/signin"), path
        assert client.get("/alerts/1").headers["location"] == "/signin?next=/alerts/1"
        # htmx requests are told to navigate instead of swapping the sign-in page into a fragment
        frag = client.get("/entities/search?q=kim", headers={"HX-Request": "true"})
        assert frag.status_code == 401
        assert frag.headers["HX-Redirect"].startswith("/signin")
        # a forged cookie is no session
        client.cookies.set("smc_session", "InN0b2xlbiI.forged.signature")
        assert client.get("/").status_code == 303


def test_sign_in_sets_a_strict_http_only_cookie_without_the_key(console: LiveConsole) -> None:
    key = console.seeded.analyst_key
    with _client(console) as client:
        page = client.get("/signin?next=/rules")
        token = re.search(r'name="signin_token" value="([^"]+)"', page.text)
        assert token
        resp = client.post("/signin", data={"api_key": key, "signin_token": token.group(1), "next": "/rules"})
        assert resp.status_code == 303
        assert resp.headers["location"] == "/rules"
        cookie = next(h for h in resp.headers.get_list("set-cookie") if h.startswith("smc_session="))
        assert "HttpOnly" in cookie
        assert "samesite=strict" in cookie.lower()
        assert key not in cookie and key[4:20] not in cookie
        assert client.get("/rules").status_code == 200


def test_wrong_key_and_missing_form_token_are_refused(console: LiveConsole) -> None:
    with _client(console) as client:
        page = client.get("/signin")
        token = re.search(r'name="signin_token" value="([^"]+)"', page.text)
        assert token
        wrong = client.post("/signin", data={"api_key": "smk_not-a-key", "signin_token": token.group(1)})
        assert wrong.status_code == 401
        assert "not valid" in wrong.text
        assert "smc_session" not in client.cookies
    with _client(console) as fresh:
        # no pre-session token (a cross-site form post): refused even with a valid key
        resp = fresh.post("/signin", data={"api_key": console.seeded.admin_key, "signin_token": "x"})
        assert resp.status_code == 403
        assert "smc_session" not in fresh.cookies


def test_next_never_leaves_the_site(console: LiveConsole) -> None:
    with _client(console) as client:
        page = client.get("/signin")
        token = re.search(r'name="signin_token" value="([^"]+)"', page.text)
        assert token
        resp = client.post(
            "/signin",
            data={"api_key": console.seeded.reader_key, "signin_token": token.group(1), "next": "//evil.example/x"},
        )
        assert resp.status_code == 303
        assert resp.headers["location"] == "/"


def test_review_without_csrf_token_is_refused_and_changes_nothing(console: LiveConsole) -> None:
    alert_id = console.seeded.other_alert_ids[0]
    with signed_in_client(console, console.seeded.analyst_key) as client:
        resp = client.post(f"/alerts/{alert_id}/review", data={"status": "confirmed", "reason": "test"})
        assert resp.status_code == 403
        assert "CSRF" in resp.text
        wrong = client.post(
            f"/alerts/{alert_id}/review", data={"status": "confirmed", "reason": "test", "csrf_token": "0" * 64}
        )
        assert wrong.status_code == 403
        with Session(console.engine) as session:  # type: ignore[arg-type]
            assert session.get(Alert, alert_id).status == "new"  # type: ignore[union-attr]
        # with the page's token the same request goes through and lands in the audit trail
        token = csrf_of(client.get(f"/alerts/{alert_id}").text)
        ok = client.post(
            f"/alerts/{alert_id}/review",
            data={"status": "confirmed", "reason": "listed party named", "csrf_token": token},
        )
        assert ok.status_code == 303 and "signin" not in ok.headers["location"], ok.headers["location"]
        with Session(console.engine) as session:  # type: ignore[arg-type]
            assert session.get(Alert, alert_id).status == "confirmed"  # type: ignore[union-attr]
            trail = session.exec(select(AlertReview).where(AlertReview.alert_id == alert_id)).all()
            assert [(r.from_status, r.to_status, r.reason) for r in trail] == [
                ("new", "confirmed", "listed party named")
            ]
            assert trail[0].actor.startswith("key:")


def test_a_review_needs_a_reason(console: LiveConsole) -> None:
    alert_id = console.seeded.other_alert_ids[1]
    with signed_in_client(console, console.seeded.analyst_key) as client:
        token = csrf_of(client.get("/").text)
        resp = client.post(
            "/alerts/review", data={"ids": [str(alert_id)], "status": "dismissed", "reason": " ", "csrf_token": token}
        )
        assert resp.status_code == 303
        assert "error" not in resp.headers["location"]  # the message travels in a one-time cookie
        assert "A reason is required" in client.get(resp.headers["location"]).text
        nothing = client.post("/alerts/review", data={"status": "dismissed", "reason": "x", "csrf_token": token})
        assert nothing.status_code == 303
        assert "Select at least one alert" in client.get(nothing.headers["location"]).text
        with Session(console.engine) as session:  # type: ignore[arg-type]
            assert session.get(Alert, alert_id).status == "new"  # type: ignore[union-attr]


def test_reader_key_cannot_review_or_manage(console: LiveConsole) -> None:
    alert_id = console.seeded.other_alert_ids[2]
    with signed_in_client(console, console.seeded.reader_key) as client:
        page = client.get(f"/alerts/{alert_id}")
        assert page.status_code == 200
        token = csrf_of(page.text)
        data = {"status": "dismissed", "reason": "x", "csrf_token": token}
        resp = client.post(f"/alerts/{alert_id}/review", data=data)
        assert resp.status_code == 403
        assert client.post("/feeds", data={"url": "https://example.org/f.xml", "csrf_token": token}).status_code == 403
        with Session(console.engine) as session:  # type: ignore[arg-type]
            assert session.get(Alert, alert_id).status == "new"  # type: ignore[union-attr]


def test_sign_out_ends_the_session_on_the_server(console: LiveConsole) -> None:
    with signed_in_client(console, console.seeded.reader_key) as client:
        cookie = client.cookies["smc_session"]
        token = csrf_of(client.get("/").text)
        assert client.post("/signout", data={"csrf_token": token}).status_code == 303
    with _client(console) as replay:
        replay.cookies.set("smc_session", cookie)
        assert replay.get("/").status_code == 303  # the old cookie no longer opens a session
    with Session(console.engine) as session:  # type: ignore[arg-type]
        keys = session.exec(select(KeyValue.key).where(KeyValue.key.startswith("console_session:"))).all()  # type: ignore[attr-defined]
        assert all(not k.endswith(cookie) for k in keys)


def test_screening_fragment_and_rule_check(console: LiveConsole) -> None:
    with signed_in_client(console, console.seeded.analyst_key) as client:
        frag = client.get("/entities/search", params={"q": "Sergey Shoygu"}, headers={"HX-Request": "true"})
        assert frag.status_code == 200
        assert "us_ofac_sdn:35173" in frag.text
        assert "<html" not in frag.text  # a fragment, not a page
        token = csrf_of(client.get("/rules").text)
        bad = client.post(
            "/rules/check",
            data={"query": 'supply w/5 (arms OR', "csrf_token": token},
            headers={"HX-Request": "true"},
        )
        assert bad.status_code == 200
        assert "line 1, column 20" in bad.text
        good = client.post(
            "/rules/check", data={"query": "supply w/5 arms", "csrf_token": token}, headers={"HX-Request": "true"}
        )
        assert "The query parses" in good.text


def test_bulk_review_applies_to_every_selected_alert(console: LiveConsole) -> None:
    ids = console.seeded.other_alert_ids[1:]
    with signed_in_client(console, console.seeded.analyst_key) as client:
        before = client.get("/")
        token = csrf_of(before.text)
        escalated = int(re.search(r'id="count-escalated">(\d+)<', before.text).group(1))  # type: ignore[union-attr]
        resp = client.post(
            "/alerts/review",
            data={"ids": [str(i) for i in ids], "status": "escalated", "reason": "needs senior review",
                  "csrf_token": token, "back": "/?status=new"},
        )
        assert resp.status_code == 303
        assert resp.headers["location"] == "/?status=new&done=bulk"
        page = client.get("/?status=escalated")
        assert all(f'data-id="{i}"' in page.text for i in ids)
        after = int(re.search(r'id="count-escalated">(\d+)<', page.text).group(1))  # type: ignore[union-attr]
        assert after == escalated + len(ids)
    with Session(console.engine) as session:  # type: ignore[arg-type]
        for alert_id in ids:
            assert session.get(Alert, alert_id).status == "escalated"  # type: ignore[union-attr]
        # put them back for the other tests
        from monitor.alerts.review import review

        for alert_id in ids:
            review(session, alert_id, "new", actor="tests", reason="reset")
        session.commit()


def test_feeds_add_pause_resume_and_opml_import(console: LiveConsole) -> None:
    from monitor.models import Feed

    opml = b"""<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>
      <outline text="Wire A" type="rss" xmlUrl="http://127.0.0.1:9/a.xml"/>
      <outline text="Bad" type="rss" xmlUrl="ftp://127.0.0.1/b.xml"/>
    </body></opml>"""
    with signed_in_client(console, console.seeded.admin_key) as client:
        token = csrf_of(client.get("/feeds").text)
        bad = client.post("/feeds", data={"url": "file:///etc/passwd", "csrf_token": token})
        assert bad.status_code == 303
        assert "must start with http" in client.get(bad.headers["location"]).text
        assert "must start with http" not in client.get("/feeds").text  # shown once
        # text in the URL is never shown as a message
        assert "Call 555" not in client.get("/feeds", params={"error": "Call 555", "done": "Call 555"}).text
        assert "Call 555" not in client.get("/", params={"error": "Call 555"}).text
        new = {"url": "http://127.0.0.1:9/new.xml", "title": "New wire", "csrf_token": token}
        added = client.post("/feeds", data=new)
        assert added.status_code == 303
        with Session(console.engine) as session:  # type: ignore[arg-type]
            feed = session.exec(select(Feed).where(Feed.url == "http://127.0.0.1:9/new.xml")).one()
        assert client.post(f"/feeds/{feed.id}/pause", data={"csrf_token": token}).status_code == 303
        with Session(console.engine) as session:  # type: ignore[arg-type]
            assert session.get(Feed, feed.id).enabled is False  # type: ignore[union-attr]
        assert "paused" in client.get("/feeds").text
        client.post(f"/feeds/{feed.id}/pause", data={"csrf_token": token, "resume": "1"})
        with Session(console.engine) as session:  # type: ignore[arg-type]
            assert session.get(Feed, feed.id).enabled is True  # type: ignore[union-attr]
        # the API's address check applies: only 127.0.0.1 is allowed in these settings, so 127.0.0.2 is refused
        internal = client.post("/feeds", data={"url": "http://127.0.0.2/feed.xml", "csrf_token": token})
        assert "refused to connect to 127.0.0.2" in client.get(internal.headers["location"]).text
        with Session(console.engine) as session:  # type: ignore[arg-type]
            assert session.exec(select(Feed).where(Feed.url == "http://127.0.0.2/feed.xml")).first() is None
        imported = client.post(
            "/feeds/import", data={"csrf_token": token}, files={"opml": ("feeds.opml", opml, "text/xml")}
        )
        assert imported.status_code == 303
        message = client.get(imported.headers["location"]).text
        assert "1 added" in message and "1 skipped" in message and "ftp://" in message
        # multipart forms are CSRF-checked too
        no_token = client.post("/feeds/import", files={"opml": ("feeds.opml", opml, "text/xml")})
        assert no_token.status_code == 403


def test_suppress_a_mention_from_the_alert_page_and_withdraw_it(console: LiveConsole) -> None:
    import pytest

    pytest.importorskip("monitor.alerts.suppressions", reason="ENGINE's suppression lookup has not landed")
    from monitor.models import AlertEntity, Article, Mention

    with Session(console.engine) as session:  # type: ignore[arg-type]
        text = "Putin, a pianist from Ohio, played Rachmaninov."
        article = Article(title="Concert review", text=text, dedupe_key="console-supp", content_hash="supp")
        session.add(article)
        session.flush()
        assert article.id is not None
        session.add(Mention(article_id=article.id, entity_id="us_ofac_sdn:35096", matched="Putin", field="text",
                            start=0, end=5))
        alert = Alert(article_id=article.id, rule_id="named-officials", category="named-officials",
                      severity="low", severity_rank=1, score=0.3, title="Concert review",
                      entity_ids=["us_ofac_sdn:35096"], evidence=[{"field": "text", "start": 0, "end": len(text),
                                                                    "text": text}])
        session.add(alert)
        session.flush()
        assert alert.id is not None
        session.add(AlertEntity(alert_id=alert.id, entity_id="us_ofac_sdn:35096", dataset="us_ofac_sdn"))
        session.commit()
        alert_id = alert.id
    with signed_in_client(console, console.seeded.analyst_key) as client:
        page = client.get(f"/alerts/{alert_id}")
        assert "“Putin” is not PUTIN, Vladimir Vladimirovich" in page.text
        token = csrf_of(page.text)
        resp = client.post(
            f"/alerts/{alert_id}/suppress",
            data={"entity_id": "us_ofac_sdn:35096", "matched": "Putin", "scope": "article",
                  "reason": "a pianist, not the president", "csrf_token": token},
        )
        assert resp.status_code == 303 and "done=suppressed" in resp.headers["location"]
        with Session(console.engine) as session:  # type: ignore[arg-type]
            assert session.get(Alert, alert_id).suppressed is True  # type: ignore[union-attr]
        assert f'data-id="{alert_id}"' not in client.get("/").text
        assert f'data-id="{alert_id}"' in client.get("/?suppressed=only").text
        page = client.get(f"/alerts/{alert_id}")
        withdraw = re.search(r'action="(/suppressions/\d+/withdraw)"', page.text)
        assert withdraw
        client.post(withdraw.group(1), data={"csrf_token": token, "back": f"/alerts/{alert_id}"})
        with Session(console.engine) as session:  # type: ignore[arg-type]
            assert session.get(Alert, alert_id).suppressed is False  # type: ignore[union-attr]
            session.delete(session.get(Alert, alert_id))
            session.commit()


def test_rules_save_needs_admin_and_file_rules_are_read_only(console: LiveConsole) -> None:
    from monitor.models import Rule

    form = {"rule_id": "drone-exports", "title": "Drone exports", "category": "arms-transfer",
            "severity": "medium", "query": "drone* w/5 (export* OR deliver*)", "enabled": "on"}
    with signed_in_client(console, console.seeded.analyst_key) as client:
        token = csrf_of(client.get("/rules").text)
        assert client.post("/rules/save", data={**form, "csrf_token": token}).status_code == 403
    with signed_in_client(console, console.seeded.admin_key) as client:
        token = csrf_of(client.get("/rules").text)
        broken = client.post("/rules/save", data={**form, "query": "drone* w/5 (", "csrf_token": token})
        assert broken.status_code == 422 and "line 1, column 13" in broken.text
        file_rule = client.post("/rules/save", data={**form, "rule_id": "sanctioned-entity", "csrf_token": token})
        assert file_rule.status_code == 409 and "already exists" in file_rule.text
        saved = client.post("/rules/save", data={**form, "csrf_token": token})
        assert saved.status_code == 303
        assert 'id="rule-drone-exports"' in client.get(saved.headers["location"]).text
        with Session(console.engine) as session:  # type: ignore[arg-type]
            row = session.get(Rule, "drone-exports")
            assert row is not None and row.query == form["query"]
            session.delete(row)
            session.commit()


def test_every_shipped_rule_opens_backtests_and_copies_on_the_page(console: LiveConsole) -> None:
    import html

    from monitor.models import Rule

    shipped = ("sanctioned-entity", "named-officials", "arms-transfer", "sanctions-evasion", "proliferation")
    with signed_in_client(console, console.seeded.admin_key) as client:
        page = client.get("/rules").text
        token = csrf_of(page)
        assert 'id="vocab-weapons"' in page  # the vocabularies are listed with their terms
        for rule_id in shipped:
            opened = client.get(f"/rules?rule={rule_id}")
            assert opened.status_code == 200 and "query-check-ok" in opened.text, rule_id
            query = html.unescape(opened.text.split('name="query"', 1)[1].split(">", 1)[1].split("</textarea>")[0])
            form = {"rule_id": f"copy-{rule_id}", "title": f"Copy of {rule_id}", "category": "sanctions",
                    "severity": "medium", "query": query, "enabled": "on", "csrf_token": token}
            tested = client.post("/rules/backtest", data=form, headers={"HX-Request": "true"})
            assert tested.status_code == 200 and "backtest-result" in tested.text, (rule_id, tested.text[:300])
            assert client.post("/rules/save", data=form).status_code == 303, rule_id
        # an over-long or unknown-vocabulary query is refused on the page, with where and why
        long = client.post("/rules/check", data={"query": "a OR " * 5000 + "b", "csrf_token": token},
                           headers={"HX-Request": "true"})
        assert long.status_code == 200 and "at most 20000 characters" in long.text
        unknown = client.post("/rules/backtest", data={**form, "query": "supply pre/3 @weapns"})
        assert "unknown vocabulary" in unknown.text and "query-error" in unknown.text
    with Session(console.engine) as session:  # type: ignore[arg-type]
        for rule_id in shipped:
            row = session.get(Rule, f"copy-{rule_id}")
            assert row is not None
            session.delete(row)
        session.commit()


def test_queue_pages_with_the_shared_cursor(console: LiveConsole) -> None:
    from datetime import timedelta

    from monitor.models import Article, utcnow

    with Session(console.engine) as session:  # type: ignore[arg-type]
        now = utcnow()
        article_ids = []
        for i in range(55):  # one alert per article
            article = Article(title=f"Paging {i}", text="Paging.", dedupe_key=f"console-paging-{i}",
                              content_hash="paging")
            session.add(article)
            session.flush()
            assert article.id is not None
            article_ids.append(article.id)
            session.add(Alert(article_id=article.id, rule_id=f"paging-{i:02d}", category="sanctions", severity="low",
                              severity_rank=1, score=0.1, title=f"paging alert {i:02d}",
                              created_at=now - timedelta(days=400, minutes=i)))
        session.commit()
    try:
        with signed_in_client(console, console.seeded.reader_key) as client:
            until = (now - timedelta(days=300)).date().isoformat()
            first = client.get("/", params={"q": "paging alert", "until": until})
            titles = re.findall(r"paging alert (\d\d)", first.text)
            assert titles == [f"{i:02d}" for i in range(50)]  # newest first, 50 a page
            older = re.search(r'href="(/\?[^"]*cursor=[^"]+)" rel="next"', first.text)
            assert older and "Newest alerts" not in first.text
            second = client.get(older.group(1).replace("&amp;", "&"))
            assert re.findall(r"paging alert (\d\d)", second.text) == [f"{i:02d}" for i in range(50, 55)]
            assert "Newest alerts" in second.text and 'rel="next"' not in second.text
            broken = client.get("/", params={"cursor": "not-a-cursor"})
            assert broken.status_code == 200 and "no longer valid" in broken.text
    finally:
        with Session(console.engine) as session:  # type: ignore[arg-type]
            for article_id in article_ids:
                session.delete(session.get(Article, article_id))
            session.commit()


def test_audit_page_shows_changes_to_admins_only(console: LiveConsole) -> None:
    from monitor.models import AuditEvent

    with Session(console.engine) as session:  # type: ignore[arg-type]
        for i in range(55):  # more than a page
            session.add(AuditEvent(actor="cli", action="rule.update", object_type="rule", object_id=f"audit-r{i}",
                                   detail={"enabled": False, "note": "<script>x</script>"}))
        session.add(AuditEvent(actor="poller", action="feed.moved", object_type="feed", object_id="77",
                               detail={"from": "http://127.0.0.1:9/old.xml", "to": "http://127.0.0.1:9/new.xml"}))
        session.commit()
    with signed_in_client(console, console.seeded.analyst_key) as client:
        assert client.get("/audit").status_code == 403
        assert 'href="/audit"' not in client.get("/").text  # not offered in the menu either
    with signed_in_client(console, console.seeded.admin_key) as client:
        assert 'href="/audit"' in client.get("/").text
        page = client.get("/audit")
        assert page.status_code == 200
        assert "feed.moved" in page.text and "http://127.0.0.1:9/new.xml" in page.text
        assert "<script>x</script>" not in page.text and "&lt;script&gt;" in page.text  # escaped
        moved = client.get("/audit", params={"action": "feed.", "actor": "poller"}).text
        assert "feed.moved" in moved and "audit-r" not in moved
        first = client.get("/audit", params={"object_type": "rule", "action": "rule.update"}).text
        assert "audit-r54" in first and "audit-r4<" not in first
        older = re.search(r'href="/audit\?([^"]+)" rel="next"', first)
        assert older, "no link to the older changes"
        second = client.get("/audit?" + older.group(1).replace("&amp;", "&")).text
        assert "audit-r4<" in second and "audit-r54" not in second and "feed.moved" not in second
        assert "not one returned" in client.get("/audit", params={"cursor": "bogus"}).text


def test_alert_page_shows_one_entity_with_its_records_on_other_lists(console: LiveConsole) -> None:
    from monitor.models import Article, Entity, ListVersion

    sdn, un = "us_ofac_sdn:35096", "un_sc_sanctions:TEST.1"
    with Session(console.engine) as session:  # type: ignore[arg-type]
        version = ListVersion(dataset="un_sc_sanctions", source="tests", format="un-xml", file_hash="console-un")
        session.add(version)
        session.flush()
        session.add(Entity(id=un, dataset="un_sc_sanctions", source_id="TEST.1", schema_="person",
                           name="VLADIMIR PUTIN (UN TEST RECORD)", version_id=version.id))  # fmt: skip
        article = Article(title="Summit", text="Putin met envoys.", dedupe_key="console-merged", content_hash="merged")
        session.add(article)
        session.flush()
        assert article.id is not None
        alert = Alert(article_id=article.id, rule_id="named-officials", category="named-officials", severity="low",
                      severity_rank=1, score=0.3, title="Summit", entity_ids=[sdn, un], evidence=[])  # fmt: skip
        session.add(alert)
        session.commit()
        alert_id = alert.id
    with httpx.Client(base_url=console.url, timeout=10) as api:
        r = api.post(f"/api/v1/entities/{sdn}/links", headers={"Authorization": f"Bearer {console.seeded.analyst_key}"},
                     json={"other": un, "judgement": "same", "reason": "one man on two lists"})  # fmt: skip
        assert r.status_code == 201, r.text
    with signed_in_client(console, console.seeded.reader_key) as client:
        page = client.get(f"/alerts/{alert_id}").text
    assert "The same entity on other lists" in page
    assert page.count('class="entity-box"') == 1  # the two records the alert names are one entity
    assert "VLADIMIR PUTIN (UN TEST RECORD)" in page and "un_sc_sanctions" in page
