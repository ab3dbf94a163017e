"""Benchmark the poller against a real Dovecot: backfill speed against a bare fetch, and idle-poll cost.

(a) Backfill N mails (each with a ~40 KB .docx form, one in ten also with a 1 MB photo) from Dovecot into
    SQLite through the whole pipeline, against the floor measured in the same run: a bare imapclient fetch of
    the same UIDs plus stdlib email parsing of every part. Goal: within 3x the floor.
(b) An idle poll (nothing new) on a folder of 10,000 done messages against one of 100.
    Goal: ratio under 1.5, and under 0.5 s.

Run: .venv/bin/python -m bench.bench_ingest [--count 2000] [--idle 10000]
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from imapclient import IMAPClient

from core.settings import Settings
from ingest.poll import poll_once
from store import messages
from store.db import open_store
from tests.builders import DOCX, branch_mail, form_docx
from tests.fixtures.dovecot import DovecotUser, start_dovecot


def make_mails(count: int) -> list[bytes]:
    mails = []
    for i in range(count):
        data = form_docx(org=f"苏州市第{i + 1}离退休干部党支部", phone=f"139{i:08d}")  # distinct: no dedup shortcut
        attachments = [("主题党日活动情况表.docx", data, DOCX)]
        if i % 10 == 0:
            photo = b"\xff\xd8\xff\xe0" + os.urandom(1024 * 1024)  # incompressible and distinct, like real photos
            attachments.append(("活动照片.jpg", photo, "image/jpeg"))
        mails.append(branch_mail(attachments=attachments, message_id=f"<bench-{i}@163.com>"))
    return mails


def append_all(user: DovecotUser, folder: str, mails: list[bytes]) -> None:
    with user.client() as client:
        if not client.folder_exists(folder):
            client.create_folder(folder)
        for raw in mails:
            client.append(folder, raw)


def floor_fetch(settings: Settings, folder: str, batch: int) -> float:
    """Bare imapclient: select read-only, UID SEARCH, fetch BODY.PEEK[] in batches, parse every part."""
    start = time.perf_counter()
    with IMAPClient(settings.imap_host, port=settings.imap_port, ssl=False, timeout=60) as client:
        client.login(settings.imap_user, settings.imap_password)
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        for i in range(0, len(uids), batch):
            for data in client.fetch(uids[i:i + batch], ["BODY.PEEK[]"]).values():
                msg = email.message_from_bytes(data[b"BODY[]"], policy=email.policy.default)
                for part in msg.walk():
                    if not part.is_multipart():
                        part.get_payload(decode=True)
    return time.perf_counter() - start


def bench_backfill(user: DovecotUser, count: int, workdir: Path) -> None:
    print(f"(a) backfill: building {count} mails ...", flush=True)
    mails = make_mails(count)
    append_all(user, "INBOX", mails)
    settings = user.settings(imap_batch=50)
    floor = floor_fetch(settings, "INBOX", 50)
    factory = open_store(f"sqlite:///{workdir / 'backfill.sqlite3'}")
    start = time.perf_counter()
    summary = poll_once(settings, factory)
    ours = time.perf_counter() - start
    assert summary.counts.messages == count, summary.counts
    print(f"    floor (imapclient fetch + email parse): {floor:.2f} s = {count / floor:.0f} mails/s")
    print(f"    poll_once into SQLite:                  {ours:.2f} s = {count / ours:.0f} mails/s "
          f"({summary.counts.new_reports} reports, {summary.counts.new_versions} versions, "
          f"{summary.counts.duplicates} duplicates)")
    print(f"    ratio: {ours / floor:.2f}x the floor (goal: within 3x)")


def idle_poll_seconds(settings: Settings, db: Path, folder: str, repeats: int) -> float:
    factory = open_store(f"sqlite:///{db}")
    with IMAPClient(settings.imap_host, port=settings.imap_port, ssl=False) as client:
        client.login(settings.imap_user, settings.imap_password)
        status = client.folder_status(folder, ["UIDVALIDITY", "UIDNEXT"])
    with factory() as session, session.begin():  # every message already done
        messages.set_sync_state(session, settings.imap_user, folder, int(status[b"UIDVALIDITY"]),
                                int(status[b"UIDNEXT"]) - 1)
    run = replace(settings, imap_folders=(folder,))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        summary = poll_once(run, factory)
        times.append(time.perf_counter() - start)
        assert summary.counts.messages == 0
    return statistics.median(times)


def bench_idle(user: DovecotUser, big: int, workdir: Path) -> None:
    print(f"(b) idle poll: filling folders of 100 and {big} messages ...", flush=True)
    small_mail = branch_mail(subject="已处理的邮件", body="x")
    append_all(user, "small", [small_mail] * 100)
    append_all(user, "big", [small_mail] * big)
    settings = user.settings()
    small_t = idle_poll_seconds(settings, workdir / "idle-small.sqlite3", "small", 15)
    big_t = idle_poll_seconds(settings, workdir / "idle-big.sqlite3", "big", 15)
    print(f"    idle poll, 100 done:      {small_t * 1000:.1f} ms (median of 15)")
    print(f"    idle poll, {big} done: {big_t * 1000:.1f} ms (median of 15)")
    print(f"    ratio: {big_t / small_t:.2f} (goal: under 1.5, and under 0.5 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="mails to backfill")
    parser.add_argument("--idle", type=int, default=10_000, help="done messages in the big idle folder")
    args = parser.parse_args()
    server = start_dovecot()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            bench_backfill(server.add_user(), args.count, workdir)
            bench_idle(server.add_user(), args.idle, workdir)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
