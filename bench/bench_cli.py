"""Benchmark the read commands' start-to-answer time on SQLite with 20,000 reports, against Python's own start.

Each of `intake reports`, `intake failures` and `intake status --no-mailbox` runs as a fresh process (as staff
run it) on a store of 20,000 reports built once with bench.bench_store.populate, and on an empty store. The floor,
measured in the same run and interleaved with the commands so that they share the machine's load, is
`python -c "import sqlite3"`. For reference the bench also times `python -c "import sqlalchemy.orm"`, the import
of the store's query module, which every read command needs (that part is the store's, not the CLI's), and
`intake config`, which opens no store (the CLI's own start).

Goal: every read command under 0.3 s. Prints the median of --repeat runs, the ratio to the floor and a verdict;
exits 1 when a command misses the goal.

Run: .venv/bin/python -m bench.bench_cli [--reports 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_store import populate
from store.db import make_engine, upgrade

GOAL_S = 0.3
REPO = Path(__file__).resolve().parent.parent
COMMANDS: tuple[tuple[str, ...], ...] = (("reports",), ("failures",), ("status", "--no-mailbox"))


def build_store(path: Path, n_reports: int) -> str:
    """A SQLite store at path with n_reports reports (and their versions, failures, duplicates, polls)."""
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    if n_reports:
        populate(engine, n_reports)
    engine.dispose()
    return url


def run_once(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.decode(errors='replace')}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        stores = {"empty": build_store(work / "empty.sqlite3", 0),
                  f"{args.reports} reports": build_store(work / "full.sqlite3", args.reports)}
        print(f"built the stores in {time.perf_counter() - t0:.1f} s")
        base_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "INTAKE_DATA_DIR": str(work / "var"),
                    "PYTHONPATH": str(REPO)}
        probes: list[tuple[str, list[str], dict[str, str]]] = [
            ("floor: python -c 'import sqlite3'", [py, "-c", "import sqlite3"], base_env),
            ("ref: python -c 'import sqlalchemy.orm'", [py, "-c", "import sqlalchemy.orm"], base_env),
            ("ref: python -c 'import store.queries'", [py, "-c", "import store.queries"], base_env),
            ("ref: intake config (no store)", [py, "-m", "cli", "config"], base_env),
        ]
        for label, url in stores.items():
            env = base_env | {"INTAKE_DATABASE_URL": url}
            probes += [(f"intake {' '.join(c)}  [{label}]", [py, "-m", "cli", *c], env) for c in COMMANDS]
        for _name, cmd, env in probes:  # warm the caches (bytecode, page cache) once
            run_once(cmd, env, work)
        times: dict[str, list[float]] = {name: [] for name, _cmd, _env in probes}
        for _ in range(args.repeat):  # interleaved: every probe sees the same moments of the machine's load
            for name, cmd, env in probes:
                times[name].append(run_once(cmd, env, work))
    medians = {name: statistics.median(runs) for name, runs in times.items()}
    floor = medians["floor: python -c 'import sqlite3'"]
    store_import = medians["ref: python -c 'import store.queries'"]
    ok = True
    for name, secs in medians.items():
        verdict = ""
        if name.startswith("intake"):
            verdict = (f"  {'OK' if secs < GOAL_S else 'TOO SLOW'} (goal {GOAL_S} s; "
                       f"{(secs - store_import) * 1000:+.0f} ms beyond importing the store)")
            ok &= secs < GOAL_S
        print(f"{name:<48} {secs * 1000:7.0f} ms = {secs / floor:5.1f}x floor{verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
