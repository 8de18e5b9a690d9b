"""List loading: the real OFAC SDN (CSV) and UN SC (XML) lists into SQLite and PostgreSQL.

    .venv/bin/python -m bench.lists_load [--no-pg] [--rounds 1]

For each backend, on a fresh migrated database: parse time (loader only, no database),
the first load (`load_list`: parse + diff + bulk insert in one transaction), and a reload
of the same file (every entity unchanged: only `last_seen` touched). Baseline, side by
side: the same records stored row by row through the ORM (`session.add` of every Entity
and EntityName, one commit), which is what `load_list` replaces. Prints seconds and the
baseline/ours ratio. PostgreSQL needs MONITOR_TEST_PG_ADMIN (default
postgresql://postgres@127.0.0.1:5432/test); a throwaway database is created and dropped.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session  # noqa: E402

from monitor.db import make_engine, session_scope, upgrade  # noqa: E402
from monitor.models import Entity, EntityName, ListVersion  # noqa: E402
from monitor.watchlists.store import load_list, read_records  # noqa: E402

DATA = Path(os.environ.get("MONITOR_SHARED_DATA", ROOT.parent / "shared" / "data"))
LISTS = {
    "us_ofac_sdn (sdn.csv + alt.csv + add.csv)": DATA / "lists" / "us_ofac_sdn" / "sdn.csv",
    "un_sc_sanctions (consolidated.xml)": DATA / "lists" / "un_sc_sanctions" / "consolidated.xml",
}
PG_ADMIN = os.environ.get("MONITOR_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def sqlite_db() -> Iterator[Engine]:
    """A fresh migrated SQLite file."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        upgrade(engine)
        yield engine
        engine.dispose()


@contextmanager
def pg_db() -> Iterator[Engine]:
    """A fresh migrated PostgreSQL database, dropped afterwards."""
    import psycopg

    name = f"bench_lists_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(PG_ADMIN, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0].split("://", 1)[1]
    engine = make_engine(f"postgresql+psycopg://{base}/{name}")
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def timed(fn: Callable[[], object]) -> float:
    """Wall-clock seconds one call takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def cpu_timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU of this process) seconds one call takes; on a shared machine the CPU time is the
    cost of our code, the wall time includes waiting for the cores (and the database server)."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def orm_baseline(engine: Engine, path: Path) -> tuple[float, float]:
    """Parse, then store every entity and name row by row through the ORM (one commit)."""

    def run() -> None:
        fmt, records, _report, _files = read_records(path)
        dataset = "baseline"
        with Session(engine) as session:
            version = ListVersion(dataset=dataset, source=str(path), format=fmt, file_hash="")
            session.add(version)
            session.flush()
            for rec in records:
                eid = f"{dataset}:{rec.source_id}"
                session.add(
                    Entity(
                        id=eid, dataset=dataset, source_id=rec.source_id, schema_=rec.schema, name=rec.name,
                        programs=rec.programs, countries=rec.countries, birth_dates=rec.birth_dates,
                        identifiers=rec.identifiers, addresses=rec.addresses, properties=rec.properties,
                        remarks=rec.remarks, listed_on=rec.listed_on, version_id=version.id,
                        content_hash=rec.content_hash(),
                    )
                )
                session.flush()  # the entity must exist before its names (foreign key)
                for n in rec.names:
                    session.add(EntityName(entity_id=eid, name=n.name, kind=n.kind, weak=n.weak, lang=n.lang))
            session.commit()

    return cpu_timed(run)


def load_once(engine: Engine, path: Path) -> tuple[tuple[float, float], int]:
    """(wall, CPU) seconds for one `load_list` transaction, and the entities it loaded."""
    box: list[int] = []

    def run() -> None:
        with session_scope(engine) as session:
            box.append(load_list(session, path).entities)

    return cpu_timed(run), box[0]


def bench_backend(label: str, db: Callable[[], object]) -> None:
    """Print parse / first load / reload / baseline for each list on one backend."""
    print(f"\n{label}   (seconds: wall / CPU of this process)")
    print(
        f"  {'list':<44} {'entities':>8} {'parse':>13} {'load':>13} {'reload':>13} {'ORM row-by-row':>15} "
        f"{'ratio wall/CPU':>15}"
    )
    for name, path in LISTS.items():
        if not path.exists():
            print(f"  {name}: skipped, {path} not found")
            continue
        with db() as engine:  # type: ignore[attr-defined]
            parse = cpu_timed(lambda p=path: read_records(p))
            load, entities = load_once(engine, path)
            reload, _same = load_once(engine, path)
            baseline = orm_baseline(engine, path)

        def pair(t: tuple[float, float]) -> str:
            return f"{t[0]:6.2f}/{t[1]:6.2f}"

        print(
            f"  {name:<44} {entities:>8} {pair(parse):>13} {pair(load):>13} {pair(reload):>13} "
            f"{pair(baseline):>15} {baseline[0] / load[0]:>6.1f}x/{baseline[1] / load[1]:>5.1f}x"
        )


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = parser.parse_args()
    bench_backend("SQLite (embedded default)", sqlite_db)
    if not args.no_pg:
        bench_backend("PostgreSQL 127.0.0.1", pg_db)


if __name__ == "__main__":
    main()
