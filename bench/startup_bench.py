"""Start-up and command-line throughput of matching, with the compiled index saved under the data dir.

    .venv/bin/python -m bench.startup_bench [--copies 8] [--runs 3]

Loads the real OFAC SDN (CSV) and UN SC (XML) lists into a fresh data dir with `sanctions-monitor
lists load`, then, each as a new process, side by side:

- `sanctions-monitor scan` of one BBC article, `--runs` times: the first run builds the index and
  saves it, the next ones load it; the same with MONITOR_MATCH_CACHE_ENABLED=false (every run
  builds, as before the index was saved);
- a worker's first match after a restart: a new process opens the database, gets the matcher
  (`alerts.matcher_cache.current_matcher`, as the `match` task does) and matches one article;
- `sanctions-monitor scan` of `--copies` copies of the 2,225 BBC articles (one JSON Lines file)
  against a bare word-bounded pyahocorasick scan (keys " alias " of the same normalised aliases over
  " " + normalised text + " ", texts normalised outside the timing) run in this process.

With `--baseline DIR` (another checkout of the project, e.g. `git worktree add /tmp/base main`), the
one-article scan over a saved index and the worker's first match run alternately for that checkout
and this one, each with its own data dir holding the same lists: the side-by-side figures of
docs/performance.md.

Wall seconds depend on what else the machine runs: the load average is printed with the figures,
and CPU seconds (user + system of the child) beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("MONITOR_SHARED_DATA", ROOT.parent / "shared" / "data"))
LISTS = (DATA / "lists" / "us_ofac_sdn" / "sdn.csv", DATA / "lists" / "un_sc_sanctions" / "consolidated.xml")
BBC = DATA / "articles" / "bbc_fulltext_2225.jsonl"
CLI = [sys.executable, "-m", "monitor"]
WORKER_FIRST_MATCH = """
import sys, time
from sqlmodel import Session
from monitor.alerts.matcher_cache import current_matcher
from monitor.cli.common import ready_engine, settings
from monitor.matching.types import ArticleInput
cfg = settings()
with Session(ready_engine(cfg)) as session:
    matcher = current_matcher(session, cfg)
    result = matcher.scan(ArticleInput("x", "Putin and Kim", "Kim Jong Un met Vladimir Putin in Vostochny."))
print(len(result.entities), file=sys.stderr)
"""


def run(cmd: list[str], env: dict[str, str], stdin: Path | None = None, cwd: Path = ROOT) -> tuple[float, float, bytes]:
    """Wall and CPU seconds of a child process run in `cwd` (first on its import path), and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with (stdin.open("rb") if stdin else open(os.devnull, "rb")) as fh:
        done = subprocess.run(cmd, env=env, stdin=fh, capture_output=True, check=False, cwd=cwd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def side_by_side(baseline: Path, tmp: Path, one: Path, runs: int) -> None:
    """One-article scan and worker's first match, the baseline checkout and this one alternately."""
    sides = {"baseline": baseline.resolve(), "this tree": ROOT}
    envs = {}
    for label, root in sides.items():
        env = {**os.environ, "MONITOR_DATA_DIR": str(tmp / f"var-{label.replace(' ', '-')}"), "PYTHONPATH": str(root)}
        env.pop("MONITOR_DATABASE_URL", None)
        run([*CLI, "lists", "load", *map(str, LISTS)], env, cwd=root)
        run([*CLI, "scan", str(one)], env, cwd=root)  # builds and saves the index
        envs[label] = env
    figures: dict[tuple[str, str], list[float]] = {}
    for _ in range(runs):
        for label, env in envs.items():
            root = sides[label]
            figures.setdefault((label, "scan"), []).append(run([*CLI, "scan", str(one)], env, cwd=root)[1])
            figures.setdefault((label, "worker"), []).append(
                run([sys.executable, "-c", WORKER_FIRST_MATCH], env, cwd=root)[1])
    print(f"\nside by side, alternating, CPU s (load average {os.getloadavg()[0]:.1f}); baseline = {baseline}")
    for what, target in (("scan", "one-article scan over the saved index (target < 1.5 s)"),
                         ("worker", "worker's first match after a restart (target < 2 s)")):
        print(f"  {target}:")
        for label in sides:
            values = figures[(label, what)]
            print(f"    {label:9}: " + ", ".join(f"{v:.2f}" for v in values) + f" (mean {statistics.mean(values):.2f})")


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=8, help="copies of the BBC articles for the throughput run")
    parser.add_argument("--runs", type=int, default=3, help="scans of one article (the first builds)")
    parser.add_argument("--baseline", type=Path, help="another checkout: only the side-by-side start-up figures")
    args = parser.parse_args()
    if not all(p.exists() for p in (*LISTS, BBC)):
        print(f"real data not available under {DATA}: nothing to measure")
        return
    with tempfile.TemporaryDirectory(prefix="startup-bench-") as tmp:
        env = {**os.environ, "MONITOR_DATA_DIR": str(Path(tmp) / "var"), "PYTHONPATH": str(ROOT)}
        env.pop("MONITOR_DATABASE_URL", None)
        articles = [json.loads(line) for line in BBC.open(encoding="utf-8") if line.strip()]
        one = Path(tmp) / "one.jsonl"
        one.write_text(json.dumps(articles[0]) + "\n", encoding="utf-8")
        if args.baseline:
            side_by_side(args.baseline, Path(tmp), one, args.runs)
            return
        wall, _cpu, _out = run([*CLI, "lists", "load", *map(str, LISTS)], env)
        print(f"lists loaded (OFAC SDN + UN SC) in {wall:.1f} s")
        print(f"\nscan of one article, each run a new process (load average {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} cores): wall s / CPU s")
        for label, extra in (("index saved", {}), ("index built every run", {"MONITOR_MATCH_CACHE_ENABLED": "false"})):
            if extra:
                for path in (Path(tmp) / "var" / "cache").glob("match-index-*"):
                    path.unlink()
            figures = [run([*CLI, "scan", str(one)], {**env, **extra}) for _ in range(args.runs)]
            print(f"  {label:22}: " + ", ".join(f"run {i + 1} {w:.2f} / {c:.2f}" for i, (w, c, _o) in
                                                 enumerate(figures)))
        run([*CLI, "scan", str(one)], env)  # the saved index back in place
        wall, cpu, _out = run([sys.executable, "-c", WORKER_FIRST_MATCH], env)
        print(f"  worker's first match after a restart: {wall:.2f} / {cpu:.2f} (target < 2 s)")

        many = Path(tmp) / "many.jsonl"
        with many.open("w", encoding="utf-8") as fh:
            for copy in range(args.copies):
                for art in articles:
                    fh.write(json.dumps({**art, "id": f"{art['id']}#{copy}"}) + "\n")
        count = len(articles) * args.copies
        wall, cpu, out = run([*CLI, "scan", str(many)], env)
        lines = out.count(b"\n")
        sys.path.insert(0, str(ROOT))
        from bench.match_bench import time_bare
        from monitor.matching.types import ArticleInput
        from monitor.watchlists.listfile import alias_specs_from_file

        aliases = [spec for p in LISTS for spec in alias_specs_from_file(p)]
        inputs = [ArticleInput(str(a["id"]), str(a.get("title", "")), str(a.get("text", "")))
                  for a in articles] * args.copies
        bare, bare_cpu = time_bare(aliases, inputs, 3, whole_words=True)
        print(f"\nscan of {count} articles ({args.copies} x the BBC texts) through the command line "
              f"(load average {os.getloadavg()[0]:.1f}):")
        print(f"  sanctions-monitor scan : {count / wall:8.0f} articles/s wall ({wall:.1f} s, {cpu:.1f} CPU s, "
              f"{lines} output lines; whole command: start-up, reading, matching, JSON out)")
        print(f"  bare word-bounded scan : {bare:8.0f} articles/s wall, {bare_cpu:8.0f} per CPU second (the same "
              f"{len(aliases)} aliases, in this process)")
        print(f"  ratio                  : {count / wall / bare:8.2f} wall, {count / cpu / bare_cpu:.2f} per CPU s "
              "(target >= 0.30)")


if __name__ == "__main__":
    main()
