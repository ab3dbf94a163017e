"""Run the service unattended: IDLE on INBOX, the interval poll, receipts after each poll, the daily digest."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Protocol

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core.logs import setup_logging
from core.settings import Settings, SettingsError, load_settings
from digest.run import due_days, run_digest
from ingest.poll import PollError, poll_once
from ingest.watch import watch_inbox
from receipts.send import send_due
from store.db import open_store
from store.errors import StoreError, StoreMisconfigured
from store.session import SessionFactory

log = logging.getLogger("scheduler")

POLL_JOB = "poll"
DIGEST_JOB = "digest"
RECEIPTS_JOB = "receipts"
RECEIPTS_RETRY_SECONDS = 60
STOP_GRACE_SECONDS = 10.0


def receipts_job(settings: Settings, session_factory: SessionFactory) -> None:
    """Send the queued 回执 (after a poll, and every minute for the ones that failed); never raises."""
    if settings.receipts == "off":
        return
    try:
        summary = send_due(settings, session_factory)
    except Exception:
        log.exception("sending receipts failed (retrying in a minute)")
        return
    if summary.sent or summary.failed:
        log.info("receipts: %s sent, %s failed", summary.sent, summary.failed)


def poll_job(settings: Settings, session_factory: SessionFactory, stop: threading.Event) -> None:
    """One poll cycle; any failure is logged with its cause and retried at the next run."""
    try:
        summary = poll_once(settings, session_factory, stop=stop)
    except PollError as exc:
        log.error("poll failed: %s (retrying at the next run)", exc)
        return
    except Exception:
        log.exception("poll crashed (retrying at the next run)")
        return
    if summary.skipped_locked:
        log.info("poll skipped: another process is polling this mailbox")
        return
    for line in summary.errors:
        log.error("poll incomplete: %s (retrying at the next run)", line)
    c = summary.counts
    log.info(
        "poll done: %s messages, %s new reports, %s new versions, %s duplicates, %s failures, %s ignored",
        c.messages, c.new_reports, c.new_versions, c.duplicates, c.failures, c.ignored,
    )
    receipts_job(settings, session_factory)


def digest_job(settings: Settings, session_factory: SessionFactory, stop: threading.Event) -> None:
    """Send every due digest, oldest first (run_digest's per-day lock keeps two instances from both sending)."""
    try:
        for day in due_days(settings, session_factory, datetime.now(settings.tz)):
            if stop.is_set():
                return
            outcome = run_digest(settings, session_factory, day, mode=None, out=None, force=False)
            log.info("digest %s: sent=%s %s", day.isoformat(), outcome.sent, outcome.skipped_reason)
    except Exception:
        log.exception("digest job failed (retrying at the next run)")


def build_scheduler(
    settings: Settings, session_factory: SessionFactory, stop: threading.Event
) -> tuple[BlockingScheduler, ThreadPoolExecutor]:
    """The two jobs: poll every INTAKE_POLL_MINUTES (first one now), digest daily at INTAKE_DIGEST_TIME."""
    executor = ThreadPoolExecutor(max_workers=2)
    scheduler = BlockingScheduler(timezone=settings.tz, executors={"default": executor})
    interval = max(1, round(settings.poll_minutes * 60))
    scheduler.add_job(
        poll_job, IntervalTrigger(seconds=interval, timezone=settings.tz), args=(settings, session_factory, stop),
        id=POLL_JOB, name="poll the mailbox", max_instances=1, coalesce=True,
        misfire_grace_time=interval, next_run_time=datetime.now(settings.tz),
    )
    scheduler.add_job(
        digest_job,
        CronTrigger(hour=settings.digest_time.hour, minute=settings.digest_time.minute, timezone=settings.tz),
        args=(settings, session_factory, stop), id=DIGEST_JOB, name="send the daily digest",
        max_instances=1, coalesce=True, misfire_grace_time=6 * 3600,
    )
    scheduler.add_job(
        receipts_job, IntervalTrigger(seconds=RECEIPTS_RETRY_SECONDS, timezone=settings.tz),
        args=(settings, session_factory), id=RECEIPTS_JOB, name="send queued receipts", max_instances=1,
        coalesce=True,
    )
    return scheduler, executor


def start_watcher(settings: Settings, session_factory: SessionFactory, stop: threading.Event) -> threading.Thread:
    """The IDLE watcher on its own thread: new mail in INBOX is read, and its 回执 sent, within seconds."""
    thread = threading.Thread(
        target=watch_inbox, args=(settings, session_factory, stop, lambda _summary: receipts_job(settings,
                                                                                                 session_factory)),
        name="idle-inbox", daemon=True,
    )
    thread.start()
    return thread


class Companion(Protocol):
    """Something that runs beside the jobs (the web console): started before them, stopped with them."""

    def start(self) -> None: ...
    def stop(self, timeout: float = 5.0) -> None: ...


def start_console(settings: Settings, session_factory: SessionFactory) -> Companion | None:
    """The web console in a thread when INTAKE_WEB_PORT is set (on INTAKE_WEB_HOST), else None."""
    if not settings.web_port:
        return None
    from web.server import ConsoleThread  # the web framework is loaded only when the console is wanted

    console = ConsoleThread(settings, session_factory, settings.web_host, settings.web_port)
    console.start()
    return console


def run_service(settings: Settings) -> int:
    """Run until SIGTERM or SIGINT; finish the message in hand, then exit 0 (the console stops at once)."""
    session_factory = open_store(settings.effective_database_url)
    stop = threading.Event()
    scheduler, executor = build_scheduler(settings, session_factory, stop)
    console = start_console(settings, session_factory)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: stopping after the message in hand", signal.Signals(signum).name)
        stop.set()
        if scheduler.running:
            scheduler.shutdown(wait=False)
        if console is not None:  # uvicorn winds down in its own thread while the poll finishes its message
            threading.Thread(target=console.stop, name="console-stop", daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    # A digest missed while the service was down goes out now, not tomorrow.
    scheduler.add_job(
        digest_job, args=(settings, session_factory, stop), id="digest-catch-up", name="send missed digests",
        max_instances=1, next_run_time=datetime.now(settings.tz),
    )
    watcher = start_watcher(settings, session_factory, stop) if settings.imap_idle else None
    log.info(
        "service started: poll every %s min%s, digest daily at %s %s, receipts %s",
        settings.poll_minutes, " and IDLE on INBOX" if watcher else "", settings.digest_time.strftime("%H:%M"),
        settings.timezone, settings.receipts,
    )
    scheduler.start()
    executor.shutdown(wait=True)
    if watcher is not None:
        watcher.join(STOP_GRACE_SECONDS)
    if console is not None:
        console.stop(timeout=5.0)
    log.info("service stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python scheduler.py [--config FILE]`: the same as `intake run`."""
    args = list(sys.argv[1:] if argv is None else argv)
    config_path: Path | None = None
    if len(args) == 2 and args[0] == "--config":
        config_path = Path(args[1])
    elif args:
        print("usage: python scheduler.py [--config FILE]", file=sys.stderr)
        return 2
    try:
        settings = load_settings(config_path)
    except SettingsError as exc:
        print(f"intake: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings)
    try:
        return run_service(settings)
    except StoreMisconfigured as exc:
        variable = "INTAKE_DATABASE_URL" if settings.database_url else "INTAKE_DATA_DIR"
        print(f"intake: {variable}: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"intake: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # the console's port (INTAKE_WEB_PORT) is taken
        print(f"intake: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
