"""Two OS processes ingesting the same mailbox at once create no duplicate rows; mailbox locks exclude."""

from __future__ import annotations

import multiprocessing
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from store.locks import named_lock
from store.models import AttachmentRow, Blob, Duplicate, Lock, Message, Report, ReportVersion, utcnow
from store.session import engine_of
from tests.store.concurrency_worker import FORMS, ingest

Factory = sessionmaker[Session]
SPAWN = multiprocessing.get_context("spawn")


def _run_two(url: str) -> dict[str, dict[str, int]]:
    barrier = SPAWN.Barrier(2)
    results: Any = SPAWN.Queue()
    procs = [SPAWN.Process(target=ingest, args=(url, name, barrier, results)) for name in ("a", "b")]
    for p in procs:
        p.start()
    out = dict(results.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return out


@pytest.mark.slow
def test_two_processes_recording_the_same_messages_and_forms_create_no_duplicate_rows(
    session_factory: Factory, db_url: str
) -> None:
    outcomes = _run_two(db_url)
    total = {k: sum(o.get(k, 0) for o in outcomes.values()) for k in
             ("new_report", "new_version", "duplicate_form", "already_recorded")}
    # Each form: one shared INBOX UID (one process wins, the other is told AlreadyRecorded) and a copy in each
    # process's own folder: 3 messages with the form, exactly one of them becomes the report.
    assert total == {"new_report": FORMS, "new_version": 0, "duplicate_form": 2 * FORMS, "already_recorded": FORMS}
    with session_factory() as s:
        assert s.scalar(select(func.count(Message.id))) == 3 * FORMS
        assert s.scalar(select(func.count(Report.id))) == FORMS
        assert s.scalar(select(func.count(ReportVersion.id))) == FORMS
        assert s.scalar(select(func.count(func.distinct(ReportVersion.fingerprint)))) == FORMS
        assert s.scalar(select(func.count(AttachmentRow.id))) == 3 * FORMS
        assert s.scalar(select(func.count(Blob.sha256))) == 6 * FORMS  # raw mail and file: INBOX, copy-a, copy-b
        form_dups = s.scalar(select(func.count(Duplicate.id)).where(Duplicate.kind == "form"))
        assert form_dups == 2 * FORMS
        uids = s.execute(select(Message.folder, Message.uid, func.count()).group_by(Message.folder, Message.uid)
                         .having(func.count() > 1)).all()
        assert uids == []


def _hold_lock_elsewhere(url: str, name: str, results: Any) -> None:
    from store.db import open_store

    with named_lock(engine_of(open_store(url)), name) as got:
        results.put(got)


def test_named_lock_excludes_a_second_holder_until_released(session_factory: Factory, db_url: str) -> None:
    engine = engine_of(session_factory)
    with named_lock(engine, "szlgbjdjc@163.com/INBOX") as first:
        assert first is True
        with named_lock(engine, "szlgbjdjc@163.com/INBOX") as second:
            assert second is False
        with named_lock(engine, "szlgbjdjc@163.com/其他") as other:
            assert other is True
        results: Any = SPAWN.Queue()
        proc = SPAWN.Process(target=_hold_lock_elsewhere, args=(db_url, "szlgbjdjc@163.com/INBOX", results))
        proc.start()
        assert results.get(timeout=60) is False  # another OS process is refused too
        proc.join(timeout=30)
    with named_lock(engine, "szlgbjdjc@163.com/INBOX") as again:
        assert again is True


def test_sqlite_lease_of_a_crashed_holder_expires(tmp_path: Any) -> None:
    from store.db import forget_store, open_store

    url = f"sqlite:///{tmp_path / 'locks.sqlite3'}"
    factory = open_store(url)
    with factory() as s:
        s.add(Lock(name="INBOX", owner="host:1234:dead", expires_at=utcnow() - timedelta(seconds=1)))
        s.commit()
    with named_lock(engine_of(factory), "INBOX") as got:
        assert got is True
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Lock)) == 0  # released on exit
    forget_store(url)


def test_sqlite_lease_is_refreshed_while_held(tmp_path: Any) -> None:
    from store.db import forget_store, open_store

    url = f"sqlite:///{tmp_path / 'lease.sqlite3'}"
    engine = engine_of(open_store(url))
    with named_lock(engine, "INBOX", lease_seconds=0.5) as got:
        assert got
        time.sleep(1.5)  # three lease lengths: only the refresh keeps it alive
        with named_lock(engine, "INBOX", lease_seconds=0.5) as second:
            assert second is False
    forget_store(url)


def test_sqlite_lock_of_a_killed_process_on_this_host_is_taken_over_at_once(tmp_path: Any) -> None:
    import os
    import socket

    from store.db import forget_store, open_store

    url = f"sqlite:///{tmp_path / 'killed.sqlite3'}"
    factory = open_store(url)
    dead = SPAWN.Process(target=time.sleep, args=(0,))
    dead.start()
    dead.join()  # a real pid that has exited
    alive_owner = f"{socket.gethostname()}:{os.getppid()}:alive"
    with factory() as s:
        s.add(Lock(name="INBOX", owner=f"{socket.gethostname()}:{dead.pid}:gone",
                   expires_at=utcnow() + timedelta(minutes=5)))
        s.add(Lock(name="Sent", owner=alive_owner, expires_at=utcnow() + timedelta(minutes=5)))
        s.commit()
    engine = engine_of(factory)
    with named_lock(engine, "INBOX") as got:
        assert got is True
    with named_lock(engine, "Sent") as got:
        assert got is False  # its holder still runs: wait for the lease
    forget_store(url)
