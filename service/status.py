"""How the service is doing: last polls per folder, next runs, open failures, last digest, DB and mailbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.settings import Settings
from store import events, queries, receipts
from store.db import open_store
from store.errors import StoreError
from store.session import SessionFactory

# Why mailbox_ok is None: these words stay in the JSON as they always were; the presenter shows them in Chinese.
MAILBOX_NOT_CHECKED = "not checked"
MAILBOX_NOT_CONFIGURED = "IMAP not configured (INTAKE_IMAP_HOST, INTAKE_IMAP_USER, INTAKE_IMAP_PASSWORD)"
NEVER_POLLED = "never polled"


@dataclass(frozen=True)
class FolderStatus:
    folder: str
    last_poll_at: datetime | None
    ok: bool
    error: str
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Status:
    """One look at the service, for `intake status` (text or JSON)."""

    now: datetime
    database_ok: bool
    database_error: str
    mailbox_ok: bool | None  # None: not checked (no IMAP settings)
    mailbox_error: str
    folders: tuple[FolderStatus, ...]
    next_poll_at: datetime
    next_digest_at: datetime
    open_failures: int
    counts: dict[str, int]
    last_digest_day: str
    last_digest_sent_at: datetime | None
    last_digest_to: tuple[str, ...]
    receipts: dict[str, int] = field(default_factory=dict)  # queued, sent, failed, suppressed


def next_digest_time(settings: Settings, now: datetime) -> datetime:
    local = now.astimezone(settings.tz)
    at = datetime.combine(local.date(), settings.digest_time, settings.tz)
    return at if at > local else at + timedelta(days=1)


def _check_mailbox(settings: Settings) -> tuple[bool | None, str]:
    if not (settings.imap_host and settings.imap_user and settings.imap_password):
        return None, MAILBOX_NOT_CONFIGURED
    from ingest.imap import open_mailbox  # imapclient is loaded only when the mailbox is asked
    from ingest.imap_errors import MailboxError

    try:
        with open_mailbox(settings, retry_delays=()) as mailbox:
            for folder in settings.imap_folders:
                mailbox.folder_state(folder)
    except MailboxError as exc:
        return False, str(exc).splitlines()[0]
    return True, ""


def _folders(settings: Settings, session_factory: SessionFactory) -> tuple[tuple[FolderStatus, ...], datetime | None]:
    with session_factory() as session:
        polls = events.last_polls(session, limit=200)
    newest: dict[str, FolderStatus] = {}
    last_run: datetime | None = None
    for p in polls:  # newest first
        last_run = last_run or p.started_at
        if p.folder not in newest:
            newest[p.folder] = FolderStatus(p.folder, p.finished_at, p.ok, p.error, dict(p.counts))
    wanted = [*settings.imap_folders, *(f for f in newest if f not in settings.imap_folders)]
    return tuple(newest.get(f, FolderStatus(f, None, False, NEVER_POLLED)) for f in wanted), last_run


def gather(settings: Settings, now: datetime, *, check_mailbox: bool = True, with_counts: bool = True,
           session_factory: SessionFactory | None = None) -> Status:
    """Read the store and, unless told not to, ask the mailbox; never raises for a service that is down.

    with_counts=False leaves out the totals (they read every table; the console's 概览 shows the open failures
    only). session_factory: the store already open, else the settings' database is opened.
    """
    db_ok, db_error = True, ""
    folders: tuple[FolderStatus, ...] = ()
    counts: dict[str, int] = {}
    sent: dict[str, int] = {}
    last_run = None
    digest = None
    try:
        factory = session_factory or open_store(settings.effective_database_url)
        folders, last_run = _folders(settings, factory)
        with factory() as session:
            counts = queries.counts(session) if with_counts else {"open_failures": queries.open_failures(session)}
            sent = receipts.receipt_counts(session)
            digest = events.last_done_digest(session)
    except StoreError as exc:
        db_ok, db_error = False, str(exc).splitlines()[0]
    except Exception as exc:
        db_ok, db_error = False, f"{type(exc).__name__}: {exc}".splitlines()[0]
    mailbox_ok, mailbox_error = _check_mailbox(settings) if check_mailbox else (None, MAILBOX_NOT_CHECKED)
    interval = timedelta(minutes=settings.poll_minutes)
    next_poll = max(now, last_run + interval) if last_run else now
    return Status(
        now=now, database_ok=db_ok, database_error=db_error, mailbox_ok=mailbox_ok, mailbox_error=mailbox_error,
        folders=folders, next_poll_at=next_poll, next_digest_at=next_digest_time(settings, now),
        open_failures=counts.get("open_failures", 0), counts=counts,
        last_digest_day=digest.day.isoformat() if digest else "",
        last_digest_sent_at=digest.sent_at if digest else None,
        last_digest_to=tuple(digest.recipients) if digest else (), receipts=sent,
    )
