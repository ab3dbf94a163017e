"""Roster benchmark: 20,000 reports from 2,000 branches against a roster of 2,000 entries, on SQLite and PostgreSQL.

Run:  .venv/bin/python -m bench.bench_roster                 (both backends)
      .venv/bin/python -m bench.bench_roster --backend sqlite --reports 5000

The reports are bench_store's, renamed so that they come from BRANCHES branches, one in UNMATCHED_EVERY written
in a spelling the roster lacks (its own unmatched name). Timed (median of 3), each with its ratio to a floor
measured in the same run (a plain scan of report_versions): importing the roster (every report re-linked), the
season's coverage, one month's missing entries, the unmatched names with their candidates, and the digest's
roster facts. Also the writers' rate with the roster loaded against the rate without one (match_entry per form).
Exits 1 if a query takes 2 s or more.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
import time
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, text, update

from bench.bench_store import SEASON_DAYS, SEASON_START, TZ, _form, populate, run_on_backends, timed
from ingest.model import Attachment
from store.coverage import coverage, missing, roster_facts, unmatched
from store.db import make_engine, make_session_factory, upgrade
from store.dedup import record_attachment, record_form
from store.messages import record_message
from store.models import ReportVersion
from store.records import MessageIn, RosterEntryIn
from store.roster import upsert_roster

BRANCHES = 2_000
UNMATCHED_EVERY = 20  # every 20th branch writes its name in a way the roster does not know
SEASON = (3, 9)  # bench_store's reports run from March for 180 days
LIMIT_S = 2.0


def branch_name(i: int) -> str:
    return f"苏州市第{i}离退休干部党支部"


def roster_entries() -> list[RosterEntryIn]:
    return [RosterEntryIn(name=f"中共{branch_name(i)}", group=f"第{i % 12}片区", contact_person="联系人",
                          contact_phone=f"139{i:08d}", emails=(f"b{i}@example.cn",), aliases=())
            for i in range(BRANCHES)]


def writers_rate(factory: Any, n: int, first_uid: int) -> float:
    """Messages per second through record_message + record_attachment + record_form (one commit each), each form
    from one of the roster's branches (a new activity: matched by name when the roster is loaded)."""
    start = time.perf_counter()
    for k in range(n):
        i = first_uid + k
        when = SEASON_START + timedelta(days=k % SEASON_DAYS)
        raw = f"Subject: w{i}\r\nMessage-ID: <w{i}@x>\r\n\r\n{i}".encode()
        data = f"PK writer {i}".encode() * 40
        form = dataclasses.replace(_form(i), org_name=branch_name(k * 7 % BRANCHES))
        with factory() as s:
            m = record_message(s, MessageIn("szlgbjdjc@163.com", "INBOX", 2, i, f"<w{i}@x>", "w@x", "", f"w{i}",
                                            None, when, raw))
            a = record_attachment(s, m.message_pk, Attachment(f"{i}.docx", "application/octet-stream", data,
                                                              hashlib.sha256(data).hexdigest()), "docx")
            record_form(s, m.message_pk, a.attachment_pk, form, False)
            s.commit()
    return n / (time.perf_counter() - start)


def rename_reports(engine: Any) -> None:
    """Every report's versions name one of BRANCHES branches; one branch in UNMATCHED_EVERY in its own spelling."""
    with engine.begin() as conn:
        rows = conn.execute(select(ReportVersion.id, ReportVersion.report_id)).all()
        changes = []
        for version_id, report_id in rows:
            branch = report_id % BRANCHES
            name = branch_name(branch) if branch % UNMATCHED_EVERY else f"第{branch}老干部支部"
            changes.append({"vid": version_id, "name": name})
        stmt = update(ReportVersion).where(ReportVersion.id == text(":vid")).values(org_name=text(":name"))
        conn.execute(stmt, changes)


def bench(url: str, label: str, n_reports: int, n_writes: int) -> bool:
    engine = make_engine(url)
    upgrade(engine)
    populate(engine, n_reports)
    rename_reports(engine)
    factory = make_session_factory(engine)
    no_roster_rate = writers_rate(factory, n_writes, 20_000_000) if n_writes else 0.0
    with factory() as s:
        floor = timed(lambda: s.execute(select(ReportVersion.id, ReportVersion.org_name, ReportVersion.activity_date,
                                               ReportVersion.received_at)).all())
    start = time.perf_counter()
    with factory.begin() as s:
        change = upsert_roster(s, roster_entries())
    import_s = time.perf_counter() - start
    day = date(2026, 6, 20)
    results: list[tuple[str, float]] = [(f"import {BRANCHES} entries, {change.relinked} reports linked", import_s)]
    with factory() as s:
        table = coverage(s, 2026, SEASON, today=day, tz=TZ)
        results.append((f"coverage: {len(table.rows)} entries x {len(table.months)} months",
                        timed(lambda: coverage(s, 2026, SEASON, today=day, tz=TZ))))
        gone = missing(s, 2026, 6, tz=TZ)
        results.append((f"missing 2026-06: {len(gone)} entries", timed(lambda: missing(s, 2026, 6, tz=TZ))))
        names = unmatched(s)
        results.append((f"unmatched: {len(names)} names with candidates", timed(lambda: unmatched(s), repeat=1)))
        results.append(("roster_facts (digest)", timed(lambda: roster_facts(s, day, SEASON, TZ), repeat=1)))
    rate = writers_rate(factory, n_writes, 30_000_000) if n_writes else 0.0
    engine.dispose()
    ok = True
    print(f"[{label}] floor (scan of report_versions): {floor * 1000:.1f} ms")
    for name, secs in results:
        verdict = "OK" if secs < LIMIT_S else "TOO SLOW"
        ok &= secs < LIMIT_S
        print(f"[{label}] {name}: {secs * 1000:.0f} ms = {secs / floor:.1f}x floor  ({verdict}, limit {LIMIT_S} s)")
    if n_writes:
        print(f"[{label}] writers: {rate:.0f} messages/s with the roster, {no_roster_rate:.0f} without "
              f"({rate / no_roster_rate:.2f}x)")
    return ok


def main(argv: list[str] | None = None) -> int:
    return run_on_backends(bench, __doc__.splitlines()[0] if __doc__ else None, argv)


if __name__ == "__main__":
    sys.exit(main())
