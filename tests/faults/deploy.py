"""A real deployment on this machine for the fault scenarios, and the counts that judge it.

`Deployment` runs the API (uvicorn), Celery workers, beat process(es) against a PostgreSQL
database and a Redis broker, with a feed server and a webhook receiver on 127.0.0.1. Faults
are injected from the test (SIGKILL a worker, stop Redis or PostgreSQL, take the receiver
down, start a second beat, change rules). `settle()` then lets the system recover the way
production would, except that time is fast-forwarded in the database: leases, dispatch
holds, retry times and the sweep's age cut-off are moved into the past, and the beat's
sweeps are sent at once, instead of waiting minutes of wall clock. Nothing is repaired by
hand: every row is finished by the service's own tasks.

`verify()` counts articles, alerts and deliveries against an oracle: the articles the
feeds served (known by construction), the alerts the matcher gives for them (computed
in-process on the same store), one delivery per alert, and the webhook-ids the receiver
accepted.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from monitor.alerts.matcher_cache import current_matcher
from monitor.alerts.store import article_input
from monitor.matching.engine import Matcher
from monitor.models import Alert, AlertLabel, Article, Delivery, Feed
from monitor.settings import Settings
from tests.notify.receiver import Receiver
from tests.support.celery_worker import ROOT, CeleryWorker, settings_env
from tests.support.feed_server import FeedServer, rss

# Leases, dispatch holds, the match sweep's age and retry delays are all shorter than this.
FAST_FORWARD = timedelta(minutes=11)

MATCHING = [
    ("North Korea ships artillery shells to Russia #{n}",
     "North Korea has supplied artillery shells and missiles to Russia, officials said (report {n})."),
    ("Tanker in ship-to-ship transfer #{n}",
     "A shadow fleet tanker carried out a ship-to-ship transfer of oil using a front company (case {n})."),
    ("Drones delivered to Moscow #{n}",
     "Iran delivered attack drones and ammunition to Russia's army, according to shipping records ({n})."),
]
NEUTRAL = [
    ("Local bakery wins award #{n}", "The bakery on the high street won a prize for its bread ({n})."),
    ("Council approves new cycle lane #{n}", "Councillors voted to build a cycle lane by the river (item {n})."),
]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(pred: Callable[[], bool], timeout: float, what: str, interval: float = 0.2) -> None:
    """Poll `pred` until it holds, or fail naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if pred():
                return
        except Exception:  # a service that is down while we wait is the point of these tests
            pass
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def feed_items(feed_no: int, count: int, start: int = 0, *, marker: str = "") -> list[dict[str, str]]:
    """`count` RSS items for one feed, every third one on sanctions-risk language."""
    items = []
    for i in range(start, start + count):
        n = f"{feed_no}-{i}"
        pool = MATCHING if i % 3 == 0 else NEUTRAL
        title, body = pool[(i // 3) % len(pool)]
        items.append({"guid": f"urn:fault:{feed_no}:{i}", "title": title.format(n=n),
                      "link": f"http://127.0.0.1/a/{feed_no}/{i}",
                      "description": body.format(n=n) + (f" {marker}" if marker else "")})
    return items


# ---------------------------------------------------------------------------- services of our own


class OwnRedis:
    """A throwaway redis-server on a free port (never the machine's shared 6379)."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Broker URL."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (or restart) on the same port, with no persistence: a restart loses every queued task."""
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._ping, 20, "redis-server to answer")

    def _ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    def stop(self) -> None:
        """SIGKILL: the broker dies with whatever it held."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


class OwnPostgres:
    """A throwaway PostgreSQL cluster (initdb into a temp dir, pg_ctl on a free port)."""

    def __init__(self, workdir: Path) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        if not bins:
            raise RuntimeError("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
        self.bin = bins[-1].parent
        self.port = free_port()
        self.workdir = workdir
        self.data = workdir / "pgdata"
        self.sock = workdir / "pgsock"
        self.log = workdir / "pg.log"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, timeout=120)

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the `monitor` database."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/monitor"

    def init(self) -> None:
        """initdb, start, create the database."""
        self.sock.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres")
            shutil.chown(self.sock, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")
        self.start()
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE monitor")

    def start(self) -> None:
        """pg_ctl start on our port, waiting until it accepts connections."""
        opts = f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.log), "-w", "start")

    def crash(self) -> None:
        """Immediate shutdown: every connection is cut, as when the server dies."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)

    def destroy(self) -> None:
        """Stop and delete the cluster."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)


# ---------------------------------------------------------------------------- the deployment


class Proc:
    """A subprocess of ours (beat or the API) with its log."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], logdir: Path) -> None:
        self.name = name
        self.log = logdir / f"{name}.log"
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
        full_env.update(env)
        full_env["PYTHONPATH"] = str(ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(cmd, env=full_env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)

    def text(self) -> str:
        """Its output so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        """Still running."""
        return self.proc.poll() is None

    def stop(self) -> None:
        """SIGTERM, then SIGKILL."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@dataclass
class KillRecord:
    """One SIGKILL and the tasks the victim had started and not finished."""

    worker: str
    in_flight: list[str]


@dataclass
class Deployment:
    """API + workers + beat(s) over one database and one broker, with a feed server and a receiver."""

    settings: Settings
    engine: Engine
    feeds: FeedServer
    receiver: Receiver
    workdir: Path
    workers: int = 2
    beats: int = 1
    api: bool = True
    worker_procs: list[CeleryWorker] = field(default_factory=list)
    beat_procs: list[Proc] = field(default_factory=list)
    api_proc: Proc | None = None
    api_url: str = ""
    kills: list[KillRecord] = field(default_factory=list)
    restarting: set[int] = field(default_factory=set)
    restarts: list[threading.Thread] = field(default_factory=list)
    dead_logs: list[str] = field(default_factory=list)
    _generation: int = 0

    @property
    def env(self) -> dict[str, str]:
        """Environment of every process (same store, broker and queue)."""
        env = settings_env(self.settings)
        env["MONITOR_WEBHOOK_TIMEOUT"] = str(self.settings.webhook_timeout)
        env["MONITOR_FETCH_TIMEOUT"] = str(self.settings.fetch_timeout)
        return env

    def start(self) -> Deployment:
        """Start the workers, beat(s) and the API."""
        for i in range(self.workers):
            self.worker_procs.append(self._new_worker(i))
        for i in range(self.beats):
            self.start_beat(i)
        if self.api:
            port = free_port()
            self.api_url = f"http://127.0.0.1:{port}"
            self.api_proc = Proc("api", [sys.executable, "-m", "uvicorn", "monitor.api.app:create_app", "--factory",
                                         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                                 self.env, self.workdir)
            wait_until(lambda: httpx.get(f"{self.api_url}/healthz", timeout=2).status_code < 600, 60,
                       "the API to answer /healthz\n" + self.api_proc.text())
        return self

    def _new_worker(self, slot: int) -> CeleryWorker:
        self._generation += 1
        return CeleryWorker(self.env, name=f"w{slot}g{self._generation}", concurrency=2, pool="threads").start()

    def start_beat(self, i: int) -> Proc:
        """One more beat process (its own schedule file)."""
        proc = Proc(f"beat{i}", [sys.executable, "-m", "celery", "-A", "workers.celery_app", "beat", "--loglevel=INFO",
                                 "--schedule", str(self.workdir / f"beat-schedule-{i}-{uuid.uuid4().hex[:4]}")],
                    self.env, self.workdir)
        self.beat_procs.append(proc)
        return proc

    def kill_worker(self, slot: int) -> KillRecord:
        """SIGKILL one worker (recording what it had in flight); a fresh one starts in its place
        in the background (the other worker keeps going meanwhile)."""
        victim = self.worker_procs[slot]
        in_flight = in_flight_tasks(victim.log_text())
        victim.kill()
        record = KillRecord(victim.name, in_flight)
        self.kills.append(record)
        self.dead_logs.append(victim.log_text()[-2000:])
        victim.__exit__()
        self.restarting.add(slot)

        def restart() -> None:
            try:
                self.worker_procs[slot] = self._new_worker(slot)
            finally:
                self.restarting.discard(slot)

        thread = threading.Thread(target=restart, daemon=True)
        thread.start()
        self.restarts.append(thread)
        return record

    def ready_slots(self) -> list[int]:
        """Workers running (not being restarted)."""
        return [i for i in range(len(self.worker_procs)) if i not in self.restarting]

    def wait_restarts(self, timeout: float = 120.0) -> None:
        """Wait until every replacement worker is up."""
        for thread in self.restarts:
            thread.join(timeout)

    def celery(self):  # type: ignore[no-untyped-def]
        """A Celery app that sends to this deployment's queue."""
        from workers.celery_app import make_celery

        return make_celery(self.settings)

    def send(self, name: str, *args: object) -> None:
        """Queue a task by name (as beat or a task would)."""
        app = self.celery()
        try:
            app.send_task(name, args=list(args))
        finally:
            app.close()

    def logs(self) -> str:
        """Every process's log, for a failure message."""
        parts = [f"== {w.name}\n{w.log_text()[-3000:]}" for w in self.worker_procs]
        parts += [f"== {p.name}\n{p.text()[-1500:]}" for p in self.beat_procs]
        if self.api_proc is not None:
            parts.append(f"== api\n{self.api_proc.text()[-1500:]}")
        return "\n".join(parts)

    def stop(self) -> None:
        """Stop everything we started."""
        self.wait_restarts()
        for w in self.worker_procs:
            try:
                w.stop(grace=10)
            finally:
                w.__exit__()
        for p in self.beat_procs:
            p.stop()
        if self.api_proc is not None:
            self.api_proc.stop()

    # ------------------------------------------------------------------ recovery

    def fast_forward(self) -> None:
        """Move every time the service waits on into the past (instead of waiting minutes)."""
        shift = FAST_FORWARD
        with self.engine.begin() as conn:
            conn.execute(text("UPDATE feed SET lease_until = lease_until - :d WHERE lease_until IS NOT NULL"),
                         {"d": shift})
            conn.execute(text("UPDATE feed SET next_poll_at = next_poll_at - :d"), {"d": shift})
            conn.execute(text("UPDATE article SET fetched_at = fetched_at - :d WHERE matched_at IS NULL"),
                         {"d": shift})
            conn.execute(text("UPDATE delivery SET lease_until = lease_until - :d WHERE lease_until IS NOT NULL"),
                         {"d": shift})
            conn.execute(text("UPDATE delivery SET next_attempt_at = next_attempt_at - :d "
                              "WHERE status = 'pending' AND next_attempt_at IS NOT NULL"), {"d": shift})

    def sweeps(self) -> None:
        """What beat sends on its ticks."""
        app = self.celery()
        try:
            for name in ("monitor.poll_due_feeds", "monitor.match_sweep", "monitor.deliver_due"):
                app.send_task(name)
        finally:
            app.close()

    def settle(self, expected_articles: int, timeout: float = 120.0) -> int:
        """Recover until every article is stored and matched and every delivery delivered; rounds used."""
        self.wait_restarts()
        start = time.monotonic()
        # `timeout` is the time allowed without progress: a busy machine delivers slower, but a
        # stall (a lost task, a lease never released) stops every count; 3 x timeout caps it all.
        deadline, cap = start + timeout, start + 3 * timeout
        rounds = 0
        last: tuple[int, ...] | None = None
        while time.monotonic() < min(deadline, cap):
            time.sleep(1.5)
            try:
                state = progress(self.engine, self.receiver)
            except Exception:  # the database may still be coming back
                continue
            if state_done(state, expected_articles):
                return rounds
            if state == last:  # quiet: whatever is left waits on a lease or a lost task
                rounds += 1
                self.fast_forward()
                self.sweeps()
            else:
                deadline = max(deadline, time.monotonic() + min(timeout, 60.0))
            last = state
        waited = time.monotonic() - start
        raise AssertionError(f"not settled after {waited:.0f} s: {progress(self.engine, self.receiver)} "
                             f"(expected {expected_articles} articles)\n{self.logs()}")


def in_flight_tasks(log: str) -> list[str]:
    """Task names a worker had received and not finished, from its log."""
    started: dict[str, str] = {}
    for line in log.splitlines():
        if "Task monitor." not in line:
            continue
        part = line.split("Task ", 1)[1]
        name, _, rest = part.partition("[")
        task_id = rest.split("]", 1)[0]
        if " received" in line:
            started[task_id] = name.strip()
        elif " succeeded" in line or " raised" in line or " failed" in line:
            started.pop(task_id, None)
    return sorted(started.values())


def progress(engine: Engine, receiver: Receiver) -> tuple[int, ...]:
    """(articles, unmatched, leased feeds, alerts, deliveries, undelivered, accepted webhook-ids)."""
    with Session(engine) as s:
        articles = s.execute(select(func.count()).select_from(Article)).scalar_one()
        unmatched = s.execute(select(func.count()).select_from(Article)
                              .where(col(Article.matched_at).is_(None))).scalar_one()
        leased = s.execute(select(func.count()).select_from(Feed)
                           .where(col(Feed.lease_until).is_not(None))).scalar_one()
        unpolled = s.execute(select(func.count()).select_from(Feed)
                             .where(col(Feed.last_success_at).is_(None))).scalar_one()
        alerts = s.execute(select(func.count()).select_from(Alert)).scalar_one()
        deliveries = s.execute(select(func.count()).select_from(Delivery)).scalar_one()
        undelivered = s.execute(select(func.count()).select_from(Delivery)
                                .where(col(Delivery.status) != "delivered")).scalar_one()
    accepted = len({c.webhook_id for c in receiver.accepted()})
    return (int(articles), int(unmatched), int(leased) + int(unpolled), int(alerts), int(deliveries),
            int(undelivered), accepted)


def state_done(state: tuple[int, ...], expected_articles: int) -> bool:
    """Everything stored, matched, delivered and received."""
    articles, unmatched, busy, _alerts, deliveries, undelivered, accepted = state
    return (articles >= expected_articles and unmatched == 0 and busy == 0 and undelivered == 0
            and accepted >= deliveries)


# ---------------------------------------------------------------------------- the verdict


@dataclass
class Verdict:
    """Counts after a scenario, against what should be there."""

    articles: int
    expected_articles: int
    alerts: int  # labels: (article, rule) pairs
    alert_rows: int  # alerts: one per article
    expected_alerts: int
    allowed_alerts: int
    lost_alerts: int
    unexpected_alerts: int
    duplicate_alerts: int
    deliveries: int
    lost_deliveries: int
    duplicate_deliveries_same_id: int
    duplicate_articles: int
    bad_signatures: int

    def as_dict(self) -> dict[str, int]:
        """Plain dict for the report."""
        return dict(self.__dict__)

    @property
    def lost(self) -> int:
        """Everything that went missing."""
        return (self.expected_articles - min(self.articles, self.expected_articles)) + self.lost_alerts \
            + self.lost_deliveries

    def check(self) -> None:
        """Assert nothing lost, nothing duplicated beyond what Standard Webhooks allows."""
        assert self.articles == self.expected_articles, self
        assert self.duplicate_articles == 0, self
        assert self.lost_alerts == 0 and self.unexpected_alerts == 0 and self.duplicate_alerts == 0, self
        # with a mid-run change, alerts of the new rules on already-matched articles may be added
        assert self.allowed_alerts >= self.alerts >= self.expected_alerts > 0, self
        assert self.deliveries == self.alert_rows, self  # one delivery per (alert, subscription)
        assert self.lost_deliveries == 0, self
        assert self.bad_signatures == 0, self


def verify(engine: Engine, settings: Settings, receiver: Receiver, expected_articles: int, *,
           before: Matcher | None = None, changed_at_article: int | None = None) -> Verdict:
    """Compare the store and the receiver with the oracle.

    With `before` (the matcher in force before a rules or list change) an article may carry
    either the old matcher's alerts or the new one's (it was matched before or after the
    change, or re-screened); articles with an id above `changed_at_article` were stored after
    the change and must carry exactly the new matcher's alerts.
    """
    with Session(engine) as s:
        matcher = current_matcher(s, settings)
        articles = list(s.execute(select(Article)).scalars())
        # one alert per article; each rule that fired on it is a label (the oracle counts labels)
        alert_rows = s.execute(
            select(Alert.article_id, AlertLabel.rule_id, AlertLabel.suppressed)
            .join(AlertLabel, AlertLabel.alert_id == Alert.id)
        ).all()
        alert_count = s.execute(select(func.count()).select_from(Alert)).scalar_one()
        deliveries = list(s.execute(select(Delivery)).scalars())
        keys = [(a.feed_id, a.dedupe_key) for a in articles]
    actual: Counter[tuple[int, str]] = Counter((int(r[0]), str(r[1])) for r in alert_rows)
    expected: set[tuple[int, str]] = set()
    allowed: set[tuple[int, str]] = set()
    for art in articles:
        assert art.id is not None
        new = {(art.id, a.rule) for a in matcher.scan(article_input(art)).alerts}
        if before is None or (changed_at_article is not None and art.id > changed_at_article):
            expected |= new
            allowed |= new
        else:
            old = {(art.id, a.rule) for a in before.scan(article_input(art)).alerts}
            expected |= old  # whatever matched it, the old rules' alerts must be there
            allowed |= old | new
    lost = len(expected - set(actual))
    unexpected = len(set(actual) - allowed)
    dup_alerts = sum(n - 1 for n in actual.values() if n > 1)
    by_id = Counter(c.webhook_id for c in receiver.accepted()
                    if not str((c.payload or {}).get("type", "")).startswith("digest."))
    message_ids = {d.message_id for d in deliveries}
    lost_deliveries = len(message_ids - set(by_id))
    # A repeat is only allowed as the same message: same webhook-id, same type and data (the
    # envelope's timestamp is the send time, re-signed on every attempt as the spec says).
    payloads: dict[str, Any] = {}
    bad = 0
    # A delivery armed again when its alert got a label (alert.updated) carries a new webhook-id;
    # the message it replaced was real, so an id gone from the table is fine for such an alert.
    updated = {((c.payload or {}).get("data") or {}).get("id") for c in receiver.accepted()
               if (c.payload or {}).get("type") == "alert.updated"}
    for c in receiver.accepted():
        if str((c.payload or {}).get("type", "")).startswith("digest."):
            continue  # digests are claimed per (subscription, date), counted by their scenario
        body = {k: v for k, v in (c.payload or {}).items() if k != "timestamp"}
        replaced = c.webhook_id not in message_ids and (body.get("data") or {}).get("id") in updated
        if (c.webhook_id not in message_ids and not replaced) or payloads.setdefault(c.webhook_id, body) != body:
            bad += 1
    bad += sum(1 for c in receiver.calls if not c.verified)
    return Verdict(
        articles=len(articles), expected_articles=expected_articles,
        alerts=sum(actual.values()), alert_rows=int(alert_count), expected_alerts=len(expected),
        allowed_alerts=len(allowed),
        lost_alerts=lost, unexpected_alerts=unexpected, duplicate_alerts=dup_alerts,
        deliveries=len(deliveries), lost_deliveries=lost_deliveries,
        duplicate_deliveries_same_id=sum(n - 1 for n in by_id.values() if n > 1),
        duplicate_articles=len(keys) - len(set(keys)), bad_signatures=bad,
    )


STAGES = (
    {"monitor.poll_feed", "monitor.poll_due_feeds"},
    {"monitor.match_article", "monitor.match_sweep"},
    {"monitor.deliver", "monitor.deliver_due"},
)


def kill_during(dep: Deployment, tasks: set[str], timeout: float) -> bool:
    """SIGKILL the first running worker seen with one of `tasks` in flight; False if none in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for slot in dep.ready_slots():
            if tasks & set(in_flight_tasks(dep.worker_procs[slot].log_text())):
                dep.kill_worker(slot)
                return True
        time.sleep(0.01)
    return False


def random_kills(dep: Deployment, count: int, *, rng: random.Random, gap: tuple[float, float] = (0.3, 2.0)) -> int:
    """SIGKILL a worker `count` times at random moments, aiming in turn at one in the middle of
    polling, matching and delivering (a random running worker when no such moment comes)."""
    done = 0
    for i in range(count):
        time.sleep(rng.uniform(*gap))
        wait_until(lambda: bool(dep.ready_slots()), 120, "a worker to be running")
        if not kill_during(dep, STAGES[i % len(STAGES)], timeout=3.0):
            dep.kill_worker(rng.choice(dep.ready_slots()))
        done += 1
    return done


def tmpdir(prefix: str) -> Path:
    """A scratch directory (removed by the caller)."""
    return Path(tempfile.mkdtemp(prefix=prefix))


def serve_feeds(srv: FeedServer, feeds: int, items: int, *, delay: float = 0.0) -> list[str]:
    """Register `feeds` RSS feeds of `items` items each; their URLs."""
    urls = []
    for f in range(feeds):
        srv.add(f"/feed{f}.xml", rss(feed_items(f, items), title=f"Fault feed {f}"), delay=delay)
        urls.append(srv.url(f"/feed{f}.xml"))
    return urls
