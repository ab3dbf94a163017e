"""Store benchmark: 20,000 reports, then one day's digest facts and the season totals, on SQLite and PostgreSQL.

Run:  .venv/bin/python -m bench.bench_store                 (both backends, 20,000 reports)
      .venv/bin/python -m bench.bench_store --backend sqlite --reports 5000

Rows are bulk-inserted (the shape the writers produce: a raw blob, a message, an attachment, a report and its
versions, some duplicates, failures and polls); a sample also goes through the real writers to show their rate.
Each query is timed (median of 3) and printed with its ratio to a floor measured in the same run: a plain
scan of report_versions. Exits 1 if a query takes 1 s or more.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from ingest.model import Attachment
from parsers.model import ParsedForm
from store.db import make_engine, make_session_factory, upgrade
from store.dedup import form_fingerprint, record_attachment, record_form
from store.messages import record_message
from store.models import (
    AttachmentRow,
    Blob,
    Duplicate,
    FailureRecord,
    Message,
    PollRun,
    Report,
    ReportVersion,
)
from store.queries import digest_facts, season_totals
from store.records import MessageIn

TZ = ZoneInfo("Asia/Shanghai")
SEASON_START = datetime(2026, 3, 1, 9, 0, tzinfo=TZ)
SEASON_DAYS = 180
LIMIT_S = 1.0
BATCH = 2000


def _form(i: int, version: int = 1) -> ParsedForm:
    return ParsedForm(
        org_name=f"苏州市第{i}离退休干部党支部", headcount=8 + i % 40 + version,
        headcount_text=f"{8 + i % 40 + version}人",
        agenda=("重温入党誓词", f"学习专题{i % 17}", "交流发言"),
        summary=f"第{i}个支部组织老同志开展“助力火红年代”主题党日活动，参观学习并座谈交流。" * 3,
        contact_person="联系人", contact_phone=f"139{i:08d}",
        activity_date=(SEASON_START + timedelta(days=i % SEASON_DAYS)).date() - timedelta(days=2 + i % 10),
    )


def populate(engine: Any, n_reports: int) -> None:
    """Bulk-insert n_reports reports (10% with a second version), 5% failures, 3% duplicates, polls."""
    per_day = max(1, n_reports // SEASON_DAYS)
    blobs, messages, attachments, reports, versions, failures, duplicates = [], [], [], [], [], [], []
    msg_id = att_id = ver_id = 0
    now = datetime.now(UTC)

    def add_message(i: int, when: datetime, subject: str) -> tuple[int, int]:
        nonlocal msg_id, att_id
        msg_id += 1
        att_id += 1
        raw = f"From: b{i}@example.cn\r\nSubject: {subject}\r\nMessage-ID: <{msg_id}@x>\r\n\r\n{i}".encode()
        file = f"PK docx {msg_id}".encode() * 40
        for data in (raw, file):
            blobs.append({"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "data": data,
                          "created_at": now})
        messages.append({"id": msg_id, "account": "szlgbjdjc@163.com", "folder": "INBOX", "uidvalidity": 1,
                         "uid": msg_id, "message_id": f"<{msg_id}@x>", "sender_address": f"b{i}@example.cn",
                         "sender_name": f"支部{i}", "subject": subject, "sent_at": when, "received_at": when,
                         "raw_sha256": hashlib.sha256(raw).hexdigest(), "raw_size": len(raw), "correction": False,
                         "outcome": "report", "outcome_reason": "", "duplicate_of_id": None, "recorded_at": now})
        attachments.append({"id": att_id, "message_id": msg_id, "filename": f"情况表{i}.docx",
                            "content_type": "application/octet-stream", "detected_format": "docx",
                            "size": len(file), "sha256": hashlib.sha256(file).hexdigest(), "origin": "part 2",
                            "duplicate_of_id": None, "recorded_at": now})
        return msg_id, att_id

    def add_version(report: int, no: int, f: ParsedForm, m: int, a: int, when: datetime) -> int:
        nonlocal ver_id
        ver_id += 1
        versions.append({"id": ver_id, "report_id": report, "version_no": no, "fingerprint": form_fingerprint(f),
                         "org_name": f.org_name, "headcount": f.headcount, "headcount_text": f.headcount_text,
                         "agenda": list(f.agenda), "summary": f.summary, "contact_person": f.contact_person,
                         "contact_phone": f.contact_phone, "activity_date": f.activity_date, "warnings": [],
                         "message_id": m, "attachment_id": a, "correction": no > 1, "received_at": when,
                         "created_at": now})
        return ver_id

    for i in range(n_reports):
        when = SEASON_START + timedelta(days=i // per_day % SEASON_DAYS, minutes=(i % per_day) * 5)
        m, a = add_message(i, when, f"支部{i}情况表")
        versions_of = 2 if i % 10 == 0 else 1
        reports.append({"id": i + 1, "org_key": f"org{i}", "current_version": versions_of, "created_at": now,
                        "updated_at": now})
        v = add_version(i + 1, 1, _form(i), m, a, when)
        if versions_of == 2:
            later = when + timedelta(hours=20)
            m2, a2 = add_message(i, later, f"支部{i}情况表（更正）")
            add_version(i + 1, 2, _form(i, 2), m2, a2, later)
        if i % 33 == 0:
            md, ad = add_message(i, when + timedelta(hours=3), f"支部{i}情况表")
            duplicates.append({"kind": "form", "message_id": md, "attachment_id": ad, "of_message_id": m,
                               "of_attachment_id": a, "of_version_id": v, "recorded_at": now})
        if i % 20 == 0:
            mf, af = add_message(i, when + timedelta(hours=1), "情况表")
            failures.append({"message_id": mf, "attachment_id": af, "kind": "corrupt", "message": "附件已损坏",
                             "detail": "BadZipFile", "status": "open" if i % 40 else "resolved", "resolved_by": "",
                             "resolved_at": None, "note": "", "created_at": now})
    polls = [{"account": "szlgbjdjc@163.com", "folder": "INBOX", "started_at": SEASON_START + timedelta(minutes=10 * k),
              "finished_at": SEASON_START + timedelta(minutes=10 * k, seconds=5), "ok": k % 97 != 0,
              "error": "" if k % 97 else "timeout", "counts": {"new": 1}} for k in range(SEASON_DAYS * 144)]
    with engine.begin() as conn:
        for table, rows in ((Blob, blobs), (Message, messages), (AttachmentRow, attachments), (Report, reports),
                            (ReportVersion, versions), (Duplicate, duplicates), (FailureRecord, failures),
                            (PollRun, polls)):
            for start in range(0, len(rows), BATCH):
                conn.execute(insert(table), rows[start:start + BATCH])
        if conn.dialect.name == "postgresql":
            for name in ("messages", "attachments", "reports", "report_versions"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                  f"(SELECT max(id) FROM {name}))"))
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))


def writers_rate(factory: Any, n: int) -> float:
    """Messages per second through record_message + record_attachment + record_form, one commit each."""
    start = time.perf_counter()
    for k in range(n):
        i = 10_000_000 + k
        when = SEASON_START + timedelta(days=k % SEASON_DAYS)
        raw = f"Subject: w{i}\r\nMessage-ID: <w{i}@x>\r\n\r\n{i}".encode()
        data = f"PK writer {i}".encode() * 40
        with factory() as s:
            m = record_message(s, MessageIn("szlgbjdjc@163.com", "INBOX", 2, i, f"<w{i}@x>", "w@x", "", f"w{i}",
                                            None, when, raw))
            a = record_attachment(s, m.message_pk, Attachment(f"{i}.docx", "application/octet-stream", data,
                                                              hashlib.sha256(data).hexdigest()), "docx")
            record_form(s, m.message_pk, a.attachment_pk, _form(i), False)
            s.commit()
    return n / (time.perf_counter() - start)


def timed(fn: Callable[[], object], repeat: int = 3) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def bench(url: str, label: str, n_reports: int, n_writes: int) -> bool:
    engine = make_engine(url)
    upgrade(engine)
    t0 = time.perf_counter()
    populate(engine, n_reports)
    insert_s = time.perf_counter() - t0
    factory = make_session_factory(engine)
    day = (SEASON_START + timedelta(days=SEASON_DAYS // 2)).date()
    with factory() as s:
        floor = timed(lambda: s.execute(select(ReportVersion.id, ReportVersion.org_name, ReportVersion.headcount,
                                               ReportVersion.received_at)).all())
        facts = digest_facts(s, day, TZ)
        digest_s = timed(lambda: digest_facts(s, day, TZ))
        totals = season_totals(s, tz=TZ)
        season_s = timed(lambda: season_totals(s, tz=TZ))
    rate = writers_rate(factory, n_writes) if n_writes else 0.0
    engine.dispose()
    print(f"[{label}] inserted {n_reports} reports (+10% versions, failures, duplicates, polls) in {insert_s:.1f} s")
    print(f"[{label}] floor (scan of {totals.reports + n_reports // 10} versions): {floor * 1000:.1f} ms")
    for name, secs in ((f"digest_facts({day}): {len(facts.new_reports)} new, {len(facts.corrections)} "
                        f"corrections, {len(facts.all_current_reports)} current", digest_s),
                       (f"season_totals: {totals.reports} reports, {totals.participants} people", season_s)):
        verdict = "OK" if secs < LIMIT_S else "TOO SLOW"
        print(f"[{label}] {name}: {secs * 1000:.0f} ms = {secs / floor:.1f}x floor  ({verdict}, limit {LIMIT_S} s)")
    if n_writes:
        print(f"[{label}] writers: {rate:.0f} messages/s through record_message+record_attachment+record_form")
    return digest_s < LIMIT_S and season_s < LIMIT_S


BenchFn = Callable[[str, str, int, int], bool]


def run_on_backends(bench_fn: BenchFn, description: str | None, argv: list[str] | None = None) -> int:
    """Parse --backend/--reports/--writes/--pg-url and run bench_fn(url, label, reports, writes) on a temporary
    SQLite file and/or a throwaway PostgreSQL database (dropped afterwards); exit 0 when every goal holds."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--writes", type=int, default=300, help="messages sent through the real writers")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                        help="server where a throwaway database is created and dropped")
    args = parser.parse_args(argv)
    ok = True
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            ok &= bench_fn(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", "sqlite", args.reports, args.writes)
    if args.backend in ("postgresql", "both"):
        name = f"intake_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.pg_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(args.pg_url).set(database=name).render_as_string(hide_password=False)
            ok &= bench_fn(url, "postgresql", args.reports, args.writes)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    return run_on_backends(bench, __doc__.splitlines()[0] if __doc__ else None, argv)


if __name__ == "__main__":
    sys.exit(main())
