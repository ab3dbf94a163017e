"""One poll cycle: every configured folder, only the UIDs above the highest done, one commit a message."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from core.settings import Settings
from ingest import files
from ingest.imap import Mailbox, StopSignal, open_mailbox, stop_requested
from ingest.imap_errors import FolderMissing, MailboxError, Stopped
from ingest.pipeline import Counts, PipelineContext, process_message
from store import events, locks, messages
from store.session import SessionFactory, engine_of

log = logging.getLogger(__name__)


class PollError(Exception):
    """A poll could not finish: the mailbox refused us or went away. The message is one line for the admin."""


MailboxOpener = Callable[[Settings], AbstractContextManager[Mailbox]]


@dataclass
class PollSummary:
    """What one cycle did, per folder and in total."""

    counts: Counts = field(default_factory=Counts)
    folders: dict[str, Counts] = field(default_factory=dict)
    skipped_locked: bool = False
    errors: list[str] = field(default_factory=list)


def own_addresses(*addresses: str) -> frozenset[str]:
    """Our own addresses, lower-cased, for recognising our digests coming back."""
    return frozenset(a.strip().lower() for a in addresses if a and "@" in a)


def context_for(settings: Settings, account: str) -> PipelineContext:
    return PipelineContext(
        account=account,
        own_addresses=own_addresses(settings.imap_user, settings.digest_from, settings.smtp_user),
        tz=settings.tz,
        soffice=settings.soffice,
        receipts=settings.receipts,
        receipt_daily_limit=settings.receipt_daily_limit,
        receipt_max_age_hours=settings.receipt_max_age_hours,
    )


def poll_once(
    settings: Settings,
    session_factory: SessionFactory,
    *,
    opener: MailboxOpener | None = None,
    stop: StopSignal = None,
) -> PollSummary:
    """Poll every configured folder once. Raises PollError (after recording it) when the mailbox fails.

    A folder that does not exist is recorded as that folder's error and listed in PollSummary.errors; the other
    folders are polled all the same. stop (the scheduler's Event, or a callable) ends the poll after the message
    in hand, and a reconnect backoff at once: that is a stop, not a failed poll.
    """
    summary = PollSummary()
    engine = engine_of(session_factory)
    lock_name = f"poll:{settings.imap_user or settings.imap_host}"
    with locks.named_lock(engine, lock_name) as got:
        if not got:
            log.info("poll skipped: another process holds the lock %s", lock_name)
            summary.skipped_locked = True
            return summary
        open_ = opener or (lambda s: open_mailbox(s, stop=stop))  # SIGTERM ends a reconnect backoff at once
        started = datetime.now(UTC)
        try:
            with open_(settings) as mailbox:
                ctx = context_for(settings, mailbox.account)
                for folder in settings.imap_folders:
                    if stop_requested(stop):
                        break
                    try:
                        summary.folders[folder] = _poll_folder(settings, session_factory, mailbox, folder, ctx, stop)
                    except FolderMissing as exc:
                        # A misnamed folder (say the spam folder) must not stop the others from being read.
                        line = str(exc).splitlines()[0]
                        log.error("folder %s: %s (the other folders are still polled)", folder, line)
                        summary.errors.append(line)
                        _record(session_factory, ctx.account, folder, datetime.now(UTC), False, line, Counts())
                        continue
                    summary.counts.add(summary.folders[folder])
        except Stopped:
            log.info("poll stopped on request")
            return summary
        except MailboxError as exc:
            line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            summary.errors.append(line)
            _record(session_factory, settings.imap_user, "*", started, False, line, summary.counts)
            raise PollError(line) from exc
    return summary


def _poll_folder(
    settings: Settings,
    session_factory: SessionFactory,
    mailbox: Mailbox,
    folder: str,
    ctx: PipelineContext,
    stop: StopSignal,
) -> Counts:
    started = datetime.now(UTC)
    counts = Counts()
    state = mailbox.folder_state(folder)
    with session_factory() as session:
        sync = messages.get_sync_state(session, ctx.account, folder)
        if sync is not None and sync[0] == state.uidvalidity:
            last = sync[1]
        else:
            if sync is not None:
                log.warning("folder %s: UIDVALIDITY changed %s -> %s; rescanning", folder, sync[0], state.uidvalidity)
            last = messages.last_done_uid(session, ctx.account, folder, state.uidvalidity)
    same_epoch = sync is not None and sync[0] == state.uidvalidity
    if same_epoch and state.uidnext is not None and state.uidnext <= last + 1:
        log.info("folder %s: nothing new (last uid %s)", folder, last)
        _record(session_factory, ctx.account, folder, started, True, "", counts)
        return counts
    try:
        for raw in mailbox.fetch_new(folder, last, settings.imap_batch):
            outcome = process_message(session_factory, raw, ctx, sync_last_uid=True)
            counts.add(outcome.counts)
            if stop_requested(stop):
                log.info("folder %s: stop requested after uid %s", folder, raw.uid)
                break
    except MailboxError as exc:
        _record(session_factory, ctx.account, folder, started, False, str(exc).splitlines()[0], counts)
        raise
    log.info(
        "folder %s: %s messages, %s new reports, %s new versions, %s duplicates, %s failures, %s ignored",
        folder, counts.messages, counts.new_reports, counts.new_versions, counts.duplicates,
        counts.failures, counts.ignored,
    )
    _record(session_factory, ctx.account, folder, started, True, "", counts)
    return counts


def _record(
    session_factory: SessionFactory, account: str, folder: str, started: datetime, ok: bool, error: str,
    counts: Counts,
) -> None:
    with session_factory() as session, session.begin():
        events.record_poll(session, account, folder, started, datetime.now(UTC), ok, error, counts.as_dict())


def import_paths(
    settings: Settings, session_factory: SessionFactory, paths: Iterable[Path]
) -> PollSummary:
    """Import .eml files, folders, Maildirs and mbox files through the same pipeline, in the order given."""
    summary = PollSummary()
    ctx = context_for(settings, settings.imap_user or "local")
    for raw in files.iter_paths(list(paths)):
        outcome = process_message(session_factory, replace(raw, account=ctx.account), ctx)
        summary.counts.add(outcome.counts)
        folder = summary.folders.setdefault(raw.source or raw.folder, Counts())
        folder.add(outcome.counts)
    return summary
