"""Keeps one connection idling on INBOX (IMAP IDLE, RFC 2177) and polls INBOX the moment mail arrives.

The interval poll stays the safety net (other folders, servers without IDLE, a dropped connection). A poll that
finds another process polling (the one-poller lock) is retried a moment later, so a mail never waits for the next
interval because of it. IDLE is issued again at most every 25 minutes (RFC 2177 asks for less than 29).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace

from core.settings import Settings
from ingest.imap import open_mailbox
from ingest.imap_errors import MailboxError, Stopped
from ingest.poll import MailboxOpener, PollError, PollSummary, poll_once
from store.session import SessionFactory

log = logging.getLogger(__name__)

REISSUE_SECONDS = 25 * 60
RECONNECT_SECONDS = 30.0
LOCK_RETRY_SECONDS = 1.0
LOCK_RETRIES = 120

AfterPoll = Callable[[PollSummary], None]


def watch_inbox(
    settings: Settings,
    session_factory: SessionFactory,
    stop: threading.Event,
    after_poll: AfterPoll,
    opener: MailboxOpener | None = None,
) -> None:
    """Until stop is set: idle on INBOX; on new mail poll INBOX and call after_poll (to send receipts).

    Returns at once when the server has no IDLE. A broken connection is reopened after RECONNECT_SECONDS.
    """
    open_ = opener or (lambda s: open_mailbox(s, stop=stop))
    inbox = replace(settings, imap_folders=("INBOX",))
    known: int | None = None
    while not stop.is_set():
        try:
            with open_(settings) as mailbox:
                if not mailbox.supports_idle():
                    log.info("IMAP server offers no IDLE: new mail is read by the interval poll only")
                    return
                log.info("IDLE on INBOX: new mail is read as it arrives")
                while not stop.is_set():
                    arrived, known = mailbox.wait_for_mail("INBOX", REISSUE_SECONDS, known)
                    if arrived and not stop.is_set():
                        _poll_now(inbox, session_factory, stop, after_poll)
        except Stopped:
            return
        except MailboxError as exc:
            log.warning("IDLE connection: %s; reconnecting in %.0f s", exc, RECONNECT_SECONDS)
            stop.wait(RECONNECT_SECONDS)
        except Exception:
            log.exception("IDLE watcher crashed; reconnecting in %.0f s", RECONNECT_SECONDS)
            stop.wait(RECONNECT_SECONDS)


def _poll_now(settings: Settings, session_factory: SessionFactory, stop: threading.Event,
              after_poll: AfterPoll) -> None:
    """Poll INBOX now; when another process holds the poll lock, try again shortly (it may have listed the UIDs
    before this mail arrived)."""
    for _ in range(LOCK_RETRIES):
        try:
            summary = poll_once(settings, session_factory, stop=stop)
        except PollError as exc:
            log.error("poll after IDLE failed: %s (the interval poll retries)", exc)
            return
        if not summary.skipped_locked:
            after_poll(summary)
            return
        if stop.wait(LOCK_RETRY_SECONDS):
            return
