"""The unattended service: real Dovecot and SMTP, clean stops on signals, one poller, missed digests sent."""

from __future__ import annotations

import email
import email.policy
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import scheduler
from ingest.model import RawMessage
from ingest.pipeline import PipelineContext, process_message
from store import events, queries
from store.db import open_store
from store.locks import named_lock
from store.session import SessionFactory, engine_of
from tests.builders import DOCX, branch_mail, form_docx
from tests.fixtures.dovecot import DovecotUser
from tests.fixtures.smtp import SmtpServer

pytestmark = pytest.mark.slow  # real processes and servers: part of CI, not of the quick set

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples" / "mail"
TZ_NAME = "Asia/Shanghai"


def service_env(user: DovecotUser, smtp: SmtpServer, db: Path, **extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "INTAKE_DATABASE_URL": f"sqlite:///{db}",
        "INTAKE_DATA_DIR": str(db.parent),
        "INTAKE_IMAP_HOST": user.host,
        "INTAKE_IMAP_PORT": str(user.port),
        "INTAKE_IMAP_SSL": "false",
        "INTAKE_IMAP_USER": user.user,
        "INTAKE_IMAP_PASSWORD": user.password,
        "INTAKE_SMTP_HOST": smtp.host,
        "INTAKE_SMTP_PORT": str(smtp.port),
        "INTAKE_SMTP_SECURITY": "none",
        "INTAKE_DIGEST_TO": "zzc@example.org",
        "INTAKE_DIGEST_FROM": "intake@example.org",
        "INTAKE_POLL_MINUTES": "0.02",  # about one second
        "INTAKE_TIMEZONE": TZ_NAME,
    }
    env.update(extra)
    return env


def start_service(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log_file:
        return subprocess.Popen(
            [sys.executable, str(REPO / "scheduler.py")], env=env, cwd=REPO, stdout=log_file, stderr=log_file,
        )


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def stop_service(proc: subprocess.Popen[bytes], log_path: Path) -> None:
    proc.send_signal(signal.SIGTERM)
    started = time.monotonic()
    code = proc.wait(timeout=15)
    took = time.monotonic() - started
    assert code == 0, log_path.read_text(errors="replace")
    assert took < 10, f"stopping took {took:.1f} s"


def report_count(db: Path) -> int:
    with open_store(f"sqlite:///{db}")() as session:
        return len(queries.current_reports(session))


def test_the_service_polls_dovecot_on_its_interval_and_stops_cleanly_on_sigterm(
    dovecot_user: DovecotUser, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    db = tmp_path / "svc.sqlite3"
    log_path = tmp_path / "service.log"
    dovecot_user.append("INBOX", (SAMPLES / "01-163-gbk-docx.eml").read_bytes())
    proc = start_service(service_env(dovecot_user, smtp_server, db), log_path)
    try:
        wait_for(lambda: db.exists() and report_count(db) == 1, 60, "the first poll")
        # A mail that arrives while the service runs is picked up by a later run of the poll job.
        dovecot_user.append("INBOX", (SAMPLES / "03-foxmail-xlsx.eml").read_bytes())
        wait_for(lambda: report_count(db) == 2, 30, "a later poll")
    finally:
        stop_service(proc, log_path)
    text = log_path.read_text(errors="replace")
    assert "poll done:" in text
    assert "service stopped" in text
    assert dovecot_user.password not in text  # secrets never logged


def test_sigint_stops_the_service_with_exit_0_too(
    dovecot_user: DovecotUser, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    db = tmp_path / "svc.sqlite3"
    log_path = tmp_path / "service.log"
    proc = start_service(service_env(dovecot_user, smtp_server, db), log_path)
    wait_for(lambda: "poll done:" in log_path.read_text(errors="replace"), 60, "the first poll")
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=15) == 0


def test_a_second_instance_skips_the_poll_while_the_first_holds_the_lock(
    dovecot_user: DovecotUser, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    dovecot_user.append("INBOX", (SAMPLES / "01-163-gbk-docx.eml").read_bytes())
    factory = open_store(f"sqlite:///{tmp_path / 'lock.sqlite3'}")
    settings = dovecot_user.settings()
    caplog.set_level(logging.INFO)
    with named_lock(engine_of(factory), f"poll:{settings.imap_user}") as got:
        assert got
        scheduler.poll_job(settings, factory, threading.Event())
    assert "poll skipped" in caplog.text
    with factory() as session:
        assert queries.current_reports(session) == []
    scheduler.poll_job(settings, factory, threading.Event())  # the lock released: this one polls
    with factory() as session:
        assert len(queries.current_reports(session)) == 1


def test_a_failing_poll_is_logged_and_does_not_raise(
    dovecot_user: DovecotUser, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import functools

    import ingest.poll
    from ingest.imap import open_mailbox

    monkeypatch.setattr(ingest.poll, "open_mailbox", functools.partial(open_mailbox, retry_delays=(0.1,)))
    factory = open_store(f"sqlite:///{tmp_path / 'fail.sqlite3'}")
    settings = dovecot_user.settings(imap_port=1, imap_timeout=2.0)  # nothing listens there
    caplog.set_level(logging.INFO)
    scheduler.poll_job(settings, factory, threading.Event())
    assert "poll failed" in caplog.text


def _seed_received(factory: SessionFactory, when: datetime, org: str, uid: int) -> None:
    raw = branch_mail(attachments=[("情况表.docx", form_docx(org=org), DOCX)], when=when)
    message = RawMessage("archive@example.org", "INBOX", 1, uid, raw, when)
    process_message(factory, message, PipelineContext(account="archive@example.org"))


def test_digests_missed_while_the_service_was_down_are_sent_at_start(
    dovecot_user: DovecotUser, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(TZ_NAME)
    db = tmp_path / "missed.sqlite3"
    factory = open_store(f"sqlite:///{db}")
    today = datetime.now(tz).date()
    last_sent = today - timedelta(days=4)
    with factory.begin() as session:  # the service last sent a digest four days ago, then went down
        events.record_digest_run(session, last_sent, datetime.now(tz) - timedelta(days=3), ["zzc@example.org"],
                                 "<old@example.org>", "send")
    for back in (3, 2):
        when = datetime.combine(today - timedelta(days=back), datetime.min.time(), tz) + timedelta(hours=10)
        _seed_received(factory, when, f"苏州市第{back}离退休干部党支部", uid=back)
    log_path = tmp_path / "service.log"
    env = service_env(dovecot_user, smtp_server, db, INTAKE_DIGEST_TIME="00:00", INTAKE_POLL_MINUTES="60")
    proc = start_service(env, log_path)
    try:
        wait_for(lambda: len(smtp_server.received) >= 3, 60, "the three missed digests")
    finally:
        stop_service(proc, log_path)
    subjects = [
        str(email.message_from_bytes(r.content, policy=email.policy.default)["Subject"]) for r in smtp_server.received
    ]
    expected = [(today - timedelta(days=back)).isoformat() for back in (3, 2, 1)]
    assert [next(d for d in expected if d in s) for s in subjects] == expected, subjects
    assert "新收1份" in subjects[0] and "新收1份" in subjects[1] and "新收0份" in subjects[2]
    assert all(r.rcpt_tos == ("zzc@example.org",) for r in smtp_server.received)
    with factory() as session:
        assert all(events.digest_done(session, today - timedelta(days=back)) for back in (3, 2, 1))


@pytest.mark.slow
def test_with_idle_a_mail_is_read_and_its_receipt_sent_long_before_the_next_interval_poll(
    dovecot_user: DovecotUser, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    env = service_env(dovecot_user, smtp_server, tmp_path / "intake.sqlite3", INTAKE_POLL_MINUTES="60",
                      INTAKE_RECEIPTS="all", INTAKE_LOG_FORMAT="plain")
    log_path = tmp_path / "service.log"
    proc = start_service(env, log_path)
    try:
        wait_for(lambda: "IDLE on INBOX" in log_path.read_text(errors="replace"), 30, "the IDLE watcher")
        wait_for(lambda: "poll done" in log_path.read_text(errors="replace"), 30, "the first interval poll")
        dovecot_user.append("INBOX", branch_mail(subject="情况表", message_id="<idle-1@163.com>",
                                                 attachments=[("情况表.docx", form_docx(), DOCX)]),
                            when=datetime.now().astimezone())
        wait_for(lambda: len(receipts_in(smtp_server)) == 1, 30, "the receipt of a mail that arrived during IDLE")
    finally:
        stop_service(proc, log_path)
    (receipt,) = receipts_in(smtp_server)
    assert receipt["In-Reply-To"] == "<idle-1@163.com>"


def receipts_in(smtp: SmtpServer) -> list[email.message.EmailMessage]:
    """The 回执 the SMTP server took (the service also sends digests)."""
    mails = [email.message_from_bytes(r.content, policy=email.policy.default) for r in smtp.received]
    return [m for m in mails if m["X-Intake-Receipt"]]
