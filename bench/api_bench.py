"""API benchmark: GET /alerts on 1,000,000 alerts in PostgreSQL, and the entity page.

What it does (all traffic on loopback):
1. Builds (or reuses) its own database `monitor_bench_api` with N alerts generated in SQL
   (generate_series): 50 feeds, N/5 articles over 365 days, five alerts per article from
   ten rules and four severities, 1% of alerts naming one entity (10,000 at N = 1M), 30%
   naming one of 5,000 others, 2% suppressed. Statistics are refreshed with ANALYZE.
2. Prints EXPLAIN (ANALYZE, BUFFERS) for the typical query and the entity query, as the
   API issues them (compiled from `monitor.alerts.queries`).
3. Starts uvicorn (`monitor.api.app:create_app`, 2 workers, uvloop, httptools, as docker-compose
   runs it) in its own processes and drives it from a second process, wrk, with 32 connections:
   GET /api/v1/alerts with rule + severity + last 7 days, 50 per page. Reports p50/p95/p99 and
   requests/s.
4. Entity page: sequential requests for the entity with 10,000 alerts (the alert list
   filtered by entity, and SCREEN's /entities/{id} page when present), p50/p95.
5. Baseline side by side: the same load with the composite index
   ix_alert_rule_sev_created dropped (the planner falls back to ix_alert_created), then
   the index is rebuilt; the ratio is printed.

Run: .venv/bin/python bench/api_bench.py [--alerts 1000000] [--rebuild] [--duration 20]
Needs PostgreSQL on 127.0.0.1 (MONITOR_TEST_PG_ADMIN) and wrk (apt-get install -y wrk).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.alerts.queries import AlertFilter, alerts_query, filter_conditions  # noqa: E402
from monitor.db import make_engine, session_scope, upgrade  # noqa: E402
from monitor.keys import create_key  # noqa: E402

ADMIN_URL = os.environ.get("MONITOR_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")
DB_NAME = "monitor_bench_api"
HOT_ENTITY = "us_ofac_sdn:35173"
COLD_ENTITY = "un_sc_sanctions:KPi.033"  # 2,000 alerts, all in the oldest tenth of the year
RULES = [
    ("arms-transfer", "arms-transfer"),
    ("sanctioned-entity", "sanctions"),
    ("named-officials", "named-officials"),
    ("sanctions-evasion", "sanctions-evasion"),
    ("proliferation", "proliferation"),
    ("drone-exports", "arms-transfer"),
    ("shadow-fleet", "sanctions-evasion"),
    ("dual-use", "sanctions-evasion"),
    ("dprk-arms", "arms-transfer"),
    ("wagner", "named-officials"),
]
SEVERITIES = ["low", "medium", "high", "critical"]

WRK_LUA = """
wrk.headers["Authorization"] = "Bearer %s"
done = function(summary, latency, requests)
  local out = string.format(
    '{"requests": %%d, "errors": %%d, "non2xx": %%d, "duration_us": %%d, "p50_us": %%d, "p95_us": %%d, "p99_us": %%d}',
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99))
  io.stderr:write("WRKJSON " .. out .. "\\n")
end
"""


def db_url(name: str) -> str:
    """SQLAlchemy URL of a database on the admin server."""
    base = ADMIN_URL.rsplit("/", 1)[0].split("://", 1)[1]
    return f"postgresql+psycopg://{base}/{name}"


def admin() -> psycopg.Connection[Any]:
    """Autocommit connection to the admin database."""
    return psycopg.connect(ADMIN_URL, autocommit=True)


def build(n_alerts: int, rebuild: bool) -> None:
    """Create and fill the bench database unless it already holds n_alerts alerts."""
    with admin() as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone()
        if exists and not rebuild:
            try:
                with psycopg.connect(db_url(DB_NAME).replace("+psycopg", ""), autocommit=True) as db:
                    row = db.execute("SELECT count(*) FROM alert").fetchone()
                    have = row[0] if row else 0
                if have == n_alerts:
                    print(f"reusing {DB_NAME}: {have:,} alerts")
                    return
            except psycopg.Error:
                pass
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    engine = make_engine(db_url(DB_NAME))
    upgrade(engine)
    engine.dispose()
    n_articles = n_alerts // 5
    rules = "ARRAY[" + ",".join(f"'{r}'" for r, _ in RULES) + "]"
    cats = "ARRAY[" + ",".join(f"'{c}'" for _, c in RULES) + "]"
    sevs = "ARRAY[" + ",".join(f"'{s}'" for s in SEVERITIES) + "]"
    started = time.perf_counter()
    with psycopg.connect(db_url(DB_NAME).replace("+psycopg", ""), autocommit=True) as db:
        db.execute("SET synchronous_commit = off")
        db.execute(
            """INSERT INTO feed (url, title, enabled, created_at, next_poll_at, consecutive_errors, quiet)
               SELECT 'http://127.0.0.1:9/feed' || g || '.xml', 'Feed ' || g, true, now(), now(), 0, false
               FROM generate_series(1, 50) g"""
        )
        db.execute(
            "INSERT INTO entity (id, dataset, source_id, schema, name, programs, countries, birth_dates, identifiers,"
            " addresses, properties, first_seen, last_seen, content_hash) VALUES"
            " (%s, 'us_ofac_sdn', '35173', 'Person', 'SHOIGU, Sergei Kuzhugetovich',"
            " '[\"RUSSIA-EO14024\"]', '[\"ru\"]', '[]', '[]', '[]', '{}', now(), now(), '')",
            (HOT_ENTITY,),
        )
        db.execute(
            """INSERT INTO entity (id, dataset, source_id, schema, name, programs, countries, birth_dates,
                   identifiers, addresses, properties, first_seen, last_seen, content_hash)
               SELECT 'us_ofac_sdn:' || g, 'us_ofac_sdn', g::text, 'Person', 'PERSON ' || g, '[]', '[]', '[]',
                      '[]', '[]', '{}', now(), now(), ''
               FROM generate_series(1, 5000) g"""
        )
        db.execute(
            f"""INSERT INTO article (feed_id, title, text, url, fetched_at, published_at, dedupe_key, content_hash,
                   matched_at)
               SELECT 1 + (g % 50), 'Report ' || g || ': shipments of artillery shells and drones',
                      repeat('Officials said the shipment of artillery shells continued. ', 12),
                      'http://127.0.0.1:9/a/' || g, ts, ts, 'k' || g, md5(g::text), ts
               FROM generate_series(1, {n_articles}) g,
                    LATERAL (SELECT now() - ({n_articles} - g) * (interval '365 days' / {n_articles}) AS ts) t"""
        )
        db.execute(
            f"""INSERT INTO alert (article_id, feed_id, rule_id, category, severity, severity_rank, score, title,
                   explanation, entity_ids, evidence, status, suppressed, rescreened, created_at, updated_at)
               SELECT a.id, a.feed_id,
                      ({rules})[1 + ((a.id + k * 2) % 10)],
                      ({cats})[1 + ((a.id + k * 2) % 10)],
                      ({sevs})[1 + ((a.id * 31 + k * 17) % 4)],
                      1 + ((a.id * 31 + k * 17) % 4),
                      ((a.id * 7 + k * 13) % 100) / 100.0,
                      a.title,
                      'Rule fired on "artillery shells" near a listed party in the text.',
                      CASE WHEN (a.id * 5 + k) % 100 = 0 THEN json_build_array('{HOT_ENTITY}')
                           WHEN (a.id * 5 + k) % 100 = 1 AND a.id < {n_articles // 10}
                           THEN json_build_array('{COLD_ENTITY}')
                           WHEN (a.id * 5 + k) % 10 < 3
                           THEN json_build_array('us_ofac_sdn:' || (1 + (a.id * 13 + k * 7) % 5000))
                           ELSE '[]'::json END,
                      json_build_array(json_build_object('field', 'text', 'start', 20, 'end', 140,
                          'text', 'Officials said the shipment of artillery shells continued to Russia via '
                                  || 'the port of Rajin, according to satellite images.')),
                      CASE WHEN (a.id + k) % 50 = 0 THEN 'confirmed' WHEN (a.id + k) % 50 = 1 THEN 'dismissed'
                           ELSE 'new' END,
                      (a.id * 3 + k) % 50 = 7,
                      false,
                      a.fetched_at + k * interval '1 second',
                      a.fetched_at + k * interval '1 second'
               FROM article a, generate_series(0, 4) k"""
        )
        db.execute(
            """INSERT INTO alert_entity (alert_id, entity_id, dataset, created_at)
               SELECT id, e, split_part(e, ':', 1), created_at FROM alert, json_array_elements_text(entity_ids) e"""
        )
        db.execute("VACUUM ANALYZE")
        counts = db.execute(
            "SELECT (SELECT count(*) FROM alert), (SELECT count(*) FROM alert_entity),"
            " (SELECT count(*) FROM alert_entity WHERE entity_id = %s)",
            (HOT_ENTITY,),
        ).fetchone()
    assert counts is not None
    print(
        f"built {DB_NAME}: {counts[0]:,} alerts, {counts[1]:,} alert-entity links, {counts[2]:,} alerts naming "
        f"{HOT_ENTITY} in {time.perf_counter() - started:.0f} s"
    )


def since_iso() -> str:
    """Seven days before the newest alert (data may have been built some time ago)."""
    with psycopg.connect(db_url(DB_NAME).replace("+psycopg", "")) as db:
        row = db.execute("SELECT max(created_at) FROM alert").fetchone()
    assert row is not None and row[0] is not None
    return (row[0] - timedelta(days=7)).isoformat().replace("+00:00", "Z")


def exists_form(flt: AlertFilter) -> Any:
    """The entity query as first written (EXISTS on alert_entity, plan left to PostgreSQL): the baseline."""
    from sqlmodel import col, select

    from monitor.models import Alert

    return select(Alert).where(*filter_conditions(flt)).order_by(col(Alert.created_at).desc(), col(Alert.id).desc())


def explain(label: str, flt: AlertFilter, stmt: Any = None) -> float:
    """Print the plan of the API's query for this filter; return the execution time in ms."""
    engine = make_engine(db_url(DB_NAME))
    stmt = (stmt if stmt is not None else alerts_query(flt)).limit(51)
    sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
    engine.dispose()
    with psycopg.connect(db_url(DB_NAME).replace("+psycopg", "")) as db:
        db.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")  # warm the cache first
        rows = db.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}").fetchall()
    plan = [r[0] for r in rows]
    print(f"\n-- EXPLAIN {label}")
    for line in plan:
        print("   " + line)
    last = next((x for x in reversed(plan) if x.startswith("Execution Time")), "Execution Time: 0 ms")
    return float(last.split(":")[1].split()[0])


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(workers: int, data_dir: str) -> tuple[subprocess.Popen[bytes], str]:
    """uvicorn serving the app on loopback in its own process(es)."""
    port = free_port()
    env = {
        **os.environ,
        "MONITOR_DATABASE_URL": db_url(DB_NAME),
        "MONITOR_BROKER_URL": "redis://127.0.0.1:6379/15",
        "MONITOR_DATA_DIR": data_dir,
        "MONITOR_LOG_JSON": "false",
    }
    cmd = [
        sys.executable, "-m", "uvicorn", "monitor.api.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--loop", "uvloop", "--http", "httptools", "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, cwd=str(ROOT))
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/openapi.json", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("uvicorn did not start")


def _tree(pid: int) -> list[int]:
    """pid and its descendants (uvicorn's master and its worker processes)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by pid and its descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def wrk(url: str, key: str, duration: int, connections: int) -> dict[str, float]:
    """Run wrk against url; returns requests/s and latency percentiles in ms."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_LUA % key)
        script = f.name
    try:
        res = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "5s", "-s", script, url],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        os.unlink(script)
    line = next(x for x in res.stderr.splitlines() if x.startswith("WRKJSON "))
    data = json.loads(line[len("WRKJSON ") :])
    secs = data["duration_us"] / 1e6
    return {
        "rps": data["requests"] / secs,
        "p50_ms": data["p50_us"] / 1000,
        "p95_ms": data["p95_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "requests": data["requests"],
        "errors": data["errors"] + data["non2xx"],
    }


def sequential(client: httpx.Client, url: str, n: int) -> dict[str, float]:
    """p50/p95 of n sequential requests (one client, keep-alive)."""
    times = []
    for _ in range(n):
        t = time.perf_counter()
        r = client.get(url)
        times.append((time.perf_counter() - t) * 1000)
        r.raise_for_status()
    times.sort()
    return {"p50_ms": statistics.median(times), "p95_ms": times[int(0.95 * (len(times) - 1))], "n": n}


def main() -> None:
    """Build, explain, load-test, report."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--alerts", type=int, default=1_000_000)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--duration", type=int, default=20, help="seconds of wrk per run")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get install -y wrk")

    build(args.alerts, args.rebuild)
    engine = make_engine(db_url(DB_NAME))
    with session_scope(engine) as s:
        key = create_key(s, "reader", "api-bench")
    engine.dispose()
    since = since_iso()
    typical = AlertFilter.model_validate({"rules": ["arms-transfer"], "severities": ["high"], "since": since})
    entity = AlertFilter(entity_ids=[HOT_ENTITY])
    explain_typical = explain("typical: rule + severity + last 7 days", typical)
    explain_entity = explain(f"entity page: {HOT_ENTITY}", entity)
    cold = AlertFilter(entity_ids=[COLD_ENTITY])
    entity_plans = {
        "hot": (
            explain_entity,
            explain(f"baseline entity page (EXISTS form): {HOT_ENTITY}", entity, exists_form(entity)),
        ),
        "cold": (
            explain(f"entity page: {COLD_ENTITY} (old alerts)", cold),
            explain(f"baseline entity page (EXISTS form): {COLD_ENTITY}", cold, exists_form(cold)),
        ),
    }

    list_url = f"/api/v1/alerts?rule=arms-transfer&severity=high&since={since}&limit=50"
    data_dir = tempfile.mkdtemp(prefix="api-bench-")
    proc, base = start_server(args.workers, data_dir)
    results: dict[str, Any] = {}
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=10) as client:
            first = client.get(list_url)
            first.raise_for_status()
            results["page_items"] = len(first.json()["items"])
            sequential(client, list_url, 50)  # warm-up
            results["typical_seq"] = sequential(client, list_url, 200)
            ent_url = f"/api/v1/alerts?entity_id={HOT_ENTITY}&limit=50"
            results["entity_alerts"] = sequential(client, ent_url, 100)
            page = client.get(f"/api/v1/entities/{HOT_ENTITY}")
            if page.status_code == 200:
                results["entity_page"] = sequential(client, f"/api/v1/entities/{HOT_ENTITY}", 100)
        cpu_before = cpu_seconds(proc.pid)
        results["load"] = wrk(base + list_url, key, args.duration, args.connections)
        results["load"]["server_cpu_ms"] = (cpu_seconds(proc.pid) - cpu_before) * 1000 / results["load"]["requests"]
        results["loadavg"] = os.getloadavg()
        if not args.no_baseline:
            with psycopg.connect(db_url(DB_NAME).replace("+psycopg", ""), autocommit=True) as db:
                db.execute("DROP INDEX IF EXISTS ix_alert_rule_sev_created")
            try:
                results["baseline_explain_ms"] = explain("baseline (no ix_alert_rule_sev_created)", typical)
                results["baseline_load"] = wrk(base + list_url, key, args.duration, args.connections)
            finally:
                with psycopg.connect(db_url(DB_NAME).replace("+psycopg", ""), autocommit=True) as db:
                    db.execute(
                        "CREATE INDEX IF NOT EXISTS ix_alert_rule_sev_created"
                        " ON alert (rule_id, severity, created_at, id)"
                    )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)

    load = results["load"]
    print("\n== API benchmark ==")
    print(f"alerts: {args.alerts:,}; page of {results['page_items']} items; uvicorn workers: {args.workers}; "
          f"wrk -t2 -c{args.connections} -d{args.duration}s")  # fmt: skip
    print(f"load average during the run: {' '.join(f'{x:.1f}' for x in results['loadavg'])} (2 cores)")
    print(
        f"API server CPU per request (uvicorn processes, /proc): {load['server_cpu_ms']:.2f} ms "
        f"-> at most {2000 / load['server_cpu_ms']:.0f} req/s if it had both cores to itself"
    )
    print(f"typical query, DB execution (EXPLAIN ANALYZE): {explain_typical:.2f} ms")
    print(f"entity query,  DB execution (EXPLAIN ANALYZE): {explain_entity:.2f} ms")
    seq = results["typical_seq"]
    print(f"GET /alerts typical, sequential: p50 {seq['p50_ms']:.1f} ms, p95 {seq['p95_ms']:.1f} ms")
    print(
        f"GET /alerts typical, {args.connections} clients: {load['rps']:.0f} req/s, p50 {load['p50_ms']:.1f} ms, "
        f"p95 {load['p95_ms']:.1f} ms, p99 {load['p99_ms']:.1f} ms, errors {load['errors']} "
        f"[target p95 < 50 ms: {'PASS' if load['p95_ms'] < 50 else 'FAIL'}; "
        f">= 500 req/s: {'PASS' if load['rps'] >= 500 else 'FAIL'}]"
    )
    ent = results["entity_alerts"]
    print(f"GET /alerts?entity_id={HOT_ENTITY} (10k alerts): p50 {ent['p50_ms']:.1f} ms, p95 {ent['p95_ms']:.1f} ms "
          f"[target < 100 ms: {'PASS' if ent['p95_ms'] < 100 else 'FAIL'}]")  # fmt: skip
    for name, (ours, base_ms) in entity_plans.items():
        ident = HOT_ENTITY if name == "hot" else COLD_ENTITY
        print(
            f"entity query {ident} ({name}), DB: link-table keyset {ours:.2f} ms vs EXISTS form {base_ms:.2f} ms "
            f"(x{base_ms / max(ours, 1e-9):.0f})"
        )
    if "entity_page" in results:
        ep = results["entity_page"]
        print(f"GET /entities/{HOT_ENTITY}: p50 {ep['p50_ms']:.1f} ms, p95 {ep['p95_ms']:.1f} ms "
              f"[target < 100 ms: {'PASS' if ep['p95_ms'] < 100 else 'FAIL'}]")  # fmt: skip
    if "baseline_load" in results:
        b = results["baseline_load"]
        print(
            f"baseline without ix_alert_rule_sev_created: DB {results['baseline_explain_ms']:.2f} ms, "
            f"{b['rps']:.0f} req/s, p95 {b['p95_ms']:.1f} ms"
        )
        print(
            f"ratio (indexed / baseline): throughput x{load['rps'] / max(b['rps'], 1e-9):.2f}, "
            f"p95 x{load['p95_ms'] / max(b['p95_ms'], 1e-9):.2f}, "
            f"DB time x{explain_typical / max(results['baseline_explain_ms'], 1e-9):.2f}"
        )


if __name__ == "__main__":
    main()
