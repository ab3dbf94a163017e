"""Console benchmark: every page's server time with 20,000 reports on SQLite, against a bare query of its rows.

Run:  .venv/bin/python -m bench.bench_web [--reports 20000] [--repeat 15]

The store is built with bench.bench_store.populate (20,000 reports, 10% corrected, 5% failures, 3% duplicates,
a season of polls) plus a season of digest runs and bench.bench_roster's roster (2,000 entries; the reports
renamed to come from them, one branch in 20 under a spelling the roster lacks: 100 names to confirm). Each page
is requested through Starlette's test client as a signed-in user; the time is the app's own (the Server-Timing
header the console sets: routing, session check, queries, template), median of --repeat runs after two
warm-ups. The clock is 2026-05-30 (mid-season), and 2026-11-30 for /roster (the season's last month: 9 months
x 2,000 entries, every report counted). Each page's floor, measured in the same run, is a
bare SQLAlchemy Core query of the rows the page shows (no count, no objects, no HTML). Goal: every page under
100 ms; exits 1 when one misses it. The 汇总表 download (/export.xlsx, every report) is timed for reference.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from sqlalchemy import Engine, func, insert, select
from starlette.testclient import TestClient

from bench.bench_roster import BRANCHES, rename_reports, roster_entries
from bench.bench_store import SEASON_DAYS, SEASON_START, populate
from core.settings import Settings
from service import accounts
from store import console
from store.db import make_engine, make_session_factory, open_store, upgrade
from store.models import DigestRunRecord, FailureRecord, Message, Report, ReportVersion, RosterEntry
from store.roster import upsert_roster
from web.app import create_app
from web.server import settle

GOAL_MS = 100.0
TZ = ZoneInfo("Asia/Shanghai")
TIMING = re.compile(r"app;dur=([\d.]+)")


def add_digest_runs(engine: Engine) -> None:
    rows = [{"day": (SEASON_START + timedelta(days=d)).date(), "sent_at": SEASON_START + timedelta(days=d + 1),
             "recipients": ["zzc@example.org"], "message_id": f"<d{d}@x>", "mode": "send"}
            for d in range(SEASON_DAYS)]
    with engine.begin() as conn:
        conn.execute(insert(DigestRunRecord), rows)


def floors(engine: Engine) -> dict[str, Callable[[], object]]:
    """A bare query of the rows each other page shows."""
    def run(stmt: Any) -> Callable[[], object]:
        def query() -> object:
            with engine.connect() as conn:
                return conn.execute(stmt).all()
        return query

    failures = select(FailureRecord, Message.sender_name, Message.subject).outerjoin(
        Message, Message.id == FailureRecord.message_id)
    def roster() -> object:  # the entries and the current reports' entry and dates (what the matrix counts)
        current = (Report.id == ReportVersion.report_id) & (ReportVersion.version_no == Report.current_version)
        with engine.connect() as conn:
            return (conn.execute(select(RosterEntry.id, RosterEntry.name, RosterEntry.group_name,
                                        RosterEntry.contact_person, RosterEntry.contact_phone)).all(),
                    conn.execute(select(Report.roster_entry_id, ReportVersion.activity_date,
                                        ReportVersion.received_at).join(Report, current)).all())

    return {
        "roster": roster,
        "report": run(select(ReportVersion).where(ReportVersion.report_id == 1)),
        "failures": run(failures.where(FailureRecord.status == "open").order_by(FailureRecord.id.desc()).limit(50)),
        "failure": run(failures.where(FailureRecord.id == 1)),
        # the 概览 adds up every current report (the season) and lists the newest open items
        "overview": run(select(func.count(ReportVersion.id), func.sum(ReportVersion.headcount))
                        .join(Report, (Report.id == ReportVersion.report_id)
                              & (ReportVersion.version_no == Report.current_version))),
        "digests": run(select(DigestRunRecord).order_by(DigestRunRecord.day.desc()).limit(400)),
        "health": run(select(FailureRecord.id).limit(1)),
    }


def listing_floor(engine: Engine, query: str) -> Callable[[], object]:
    """The bare query of the rows a /reports page shows: the console's own statement for them, run as it is
    (no count, no row objects, no HTML)."""
    params = dict(parse_qsl(query))
    f = console.ReportFilter(month=params.get("month", ""), late=params.get("late") == "1", text=params.get("q", ""),
                             sort=params.get("sort", "received"), descending=params.get("dir", "desc") != "asc",
                             page=int(params.get("page", "1")))
    store = make_session_factory(engine)

    def query_rows() -> object:
        with store() as session:
            _count, rows = console.listing_statements(session, f, TZ)
            return session.connection().execute(rows).all()
    return query_rows


PAGES: tuple[tuple[str, str], ...] = (
    ("/", "overview"),
    ("/reports", "reports"),
    ("/reports?page=400", "reports"),
    ("/reports?sort=org&dir=asc", "reports"),
    ("/reports?sort=activity&dir=asc&page=200", "reports"),
    ("/reports?q=%E7%AC%AC12345", "reports"),
    ("/reports?late=1", "reports"),
    ("/reports?month=2026-05&late=1&sort=headcount", "reports"),
    ("/reports/1", "report"),
    ("/failures", "failures"),
    ("/failures?status=all&page=10", "failures"),
    ("/failures/1", "failure"),
    ("/digests", "digests"),
    ("/healthz", "health"),
    ("/roster", "roster"),
    ("/roster?month=2026-05", "roster"),
)
MID_SEASON = datetime(2026, 5, 30, 4, 0, tzinfo=UTC)  # a busy "today"
SEASON_END = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)  # /roster's widest matrix


def load_roster(engine: Engine) -> int:
    """bench_roster's 2,000-entry roster, the reports renamed to its branches; returns the reports linked."""
    rename_reports(engine)
    with make_session_factory(engine).begin() as session:
        return upsert_roster(session, roster_entries()).relinked


def timed_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def server_ms(client: TestClient, path: str, repeat: int) -> float:
    runs = []
    for i in range(repeat + 2):
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
        found = TIMING.search(response.headers.get("server-timing", ""))
        if found and i >= 2:
            runs.append(float(found.group(1)))
    return statistics.median(runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    accounts.use_hasher(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))  # sign-in is not measured
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), timezone="Asia/Shanghai", season="03-11")  # the reports' months
        url = settings.effective_database_url
        engine = make_engine(url)
        upgrade(engine)
        started = time.perf_counter()
        populate(engine, args.reports)
        add_digest_runs(engine)
        linked = load_roster(engine)
        print(f"[sqlite] {args.reports} reports (+10% versions, 5% failures, 3% duplicates, polls, "
              f"{SEASON_DAYS} digests, a roster of {BRANCHES} with {linked} reports linked) built in "
              f"{time.perf_counter() - started:.1f} s")
        store = open_store(url)
        with store.begin() as session:
            accounts.add_user(session, "bench", "bench password", "staff", "bench")
        app = create_app(settings, store)
        settle()  # as the server does once the console is built
        clock = [SEASON_END]  # signed in then: the session lasts past both clocks
        app.state.console.now = lambda: clock[0]
        client = TestClient(app, follow_redirects=False)
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token
        client.post("/login", data={"username": "bench", "password": "bench password", "csrf_token": token[1]})
        floor_ms = {name: timed_ms(fn, args.repeat) for name, fn in floors(engine).items()}
        for path, floor_name in PAGES:
            clock[0] = SEASON_END if floor_name == "roster" else MID_SEASON
            ms = server_ms(client, path, args.repeat)
            if floor_name == "reports":
                floor = timed_ms(listing_floor(engine, urlsplit(path).query), args.repeat)
            else:
                floor = floor_ms[floor_name]
            verdict = "OK" if ms < GOAL_MS else "TOO SLOW"
            ok &= ms < GOAL_MS
            print(f"[sqlite] {path:<45} {ms:6.1f} ms = {ms / floor:5.1f}x its bare query ({floor:.1f} ms)  "
                  f"{verdict} (goal {GOAL_MS:.0f} ms)")
        start = time.perf_counter()
        response = client.get("/export.xlsx")
        print(f"[sqlite] /export.xlsx (the 汇总表 of all {args.reports} reports, a download, not a page): "
              f"{(time.perf_counter() - start) * 1000:.0f} ms, {len(response.content) / 1024:.0f} KB")
        engine.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
