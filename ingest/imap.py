"""Reads the mailbox over IMAP without ever changing it: login, ID, read-only select, new UIDs, BODY.PEEK[] fetches.

The only module that imports imapclient. Folders are EXAMINEd (SELECT read-only) and messages fetched with
BODY.PEEK[], so no \\Seen flag is set and nothing is moved or deleted: staff keep reading the mailbox in webmail.
NetEase (163/126) refuses SELECT with "Unsafe Login" unless the client identifies itself with the IMAP ID command
(RFC 2971), so ID is sent after LOGIN whenever the server advertises it.

Secrets never leave the adapter: a server may echo the login in its refusal, so every error raised (its message
and the chained imapclient/socket exceptions) and every line logged here or by imapclient has the configured
IMAP and SMTP passwords masked (core.secrets.mask, also their base64 / quoted / percent-encoded forms).
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from core.logs import RedactSecrets
from core.secrets import mask, mask_exception
from core.settings import Settings
from ingest.dates import plausible
from ingest.imap_errors import (
    ConnectionLost,
    FolderMissing,
    LoginRefused,
    MailboxError,
    Stopped,
    UidValidityChanged,
)
from ingest.model import RawMessage

log = logging.getLogger(__name__)

CLIENT_ID = {"name": "szlgb-intake", "version": "0.1.0", "vendor": "szlgb-intake", "os": "linux"}
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (2.0, 8.0, 30.0)
NETWORK_ERRORS = (OSError, IMAPClientAbortError, EOFError)
CONNECT_TIMEOUT = 10.0  # at most, for TCP, TLS and the greeting: a stop waits no longer for a silent host
STOP_CHECK_SECONDS = 0.1  # how often a stop callable is asked during a backoff (an Event wakes the wait at once)
IDLE_CHECK_SECONDS = 1.0  # how often an IDLE wait looks at the stop signal between the server's answers

# What tells the adapter to stop: the scheduler's threading.Event, or a callable such as poll_once's `stop`.
StopSignal = threading.Event | Callable[[], bool] | None


def _wait(seconds: float, stop: StopSignal) -> bool:
    """Wait up to seconds; return True as soon as stop is requested (at once for an Event)."""
    if isinstance(stop, threading.Event):
        return stop.wait(seconds)
    deadline = time.monotonic() + seconds
    while stop is None or not stop():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(left, STOP_CHECK_SECONDS) if stop is not None else left)
    return True


def stop_requested(stop: StopSignal) -> bool:
    """Whether the stop signal (an Event, a callable or None) says stop now."""
    if stop is None:
        return False
    return stop.is_set() if isinstance(stop, threading.Event) else bool(stop())


@dataclass(frozen=True)
class FolderState:
    """What SELECT (read-only) reports about a folder; uidnext is None when the server leaves it out."""

    folder: str
    uidvalidity: int
    uidnext: int | None
    exists: int


# The secrets of every Mailbox made in this process, masked in this module's log records and imapclient's (which
# log every server line at DEBUG).
_SECRETS = RedactSecrets()
for _name in (__name__, "imapclient.imapclient", "imapclient.imaplib", "imapclient.util"):
    logging.getLogger(_name).addFilter(_SECRETS)


def _one_line(value: object) -> str:
    """Server text as one readable line: bytes decoded, b'...' reprs unwrapped, whitespace collapsed, secrets
    masked. An exception is masked in place too, since it is chained as the __cause__ of what we raise."""
    if isinstance(value, BaseException):
        mask_exception(value, _SECRETS.secrets)
    return mask(_plain_line(value), _SECRETS.secrets)


def _plain_line(value: object) -> str:
    if isinstance(value, bytes):
        text = value.decode("utf-8", "replace")
    else:
        text = str(value)
        if len(text) > 3 and text[:2] in {"b'", 'b"'} and text[-1] == text[1]:
            text = text[2:-1]
    return " ".join(text.split())[:300]


class Mailbox:
    """One logged-in IMAP connection, used read-only. Build it with Mailbox.connect or open_mailbox.

    Network failures are retried after retry_delays (2 s, 8 s, 30 s). stop (the scheduler's Event, or a callable
    saying whether to stop) ends a retry backoff at once with Stopped, and no new attempt starts once it is set.
    sleep replaces the real wait (tests: record the delays); stop is then asked after each sleep.
    """

    def __init__(
        self,
        settings: Settings,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        sleep: Callable[[float], object] | None = None,
        stop: StopSignal = None,
    ) -> None:
        self._settings = settings
        _SECRETS.add(settings.imap_password, settings.smtp_password)
        self._retry_delays = tuple(retry_delays)
        self._sleep = sleep
        self._stop = stop
        self._client: IMAPClient | None = None
        self._selected: str | None = None  # the folder the connection has EXAMINEd, if any
        self.id_sent = False

    # -- connection ---------------------------------------------------------------------------------------------

    @classmethod
    def connect(
        cls,
        settings: Settings,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        sleep: Callable[[float], object] | None = None,
        stop: StopSignal = None,
    ) -> Mailbox:
        """Connect and log in, retrying network failures with backoff; raise LoginRefused at once on a refusal
        and Stopped as soon as stop is requested."""
        mailbox = cls(settings, retry_delays, sleep, stop)
        mailbox._connect_with_retries()
        return mailbox

    @property
    def account(self) -> str:
        """The login user: the account part of every message's identity."""
        return self._settings.imap_user

    @property
    def where(self) -> str:
        return f"{self._settings.imap_user}@{self._settings.imap_host}:{self._settings.imap_port}"

    def _ssl_context(self) -> ssl.SSLContext:
        cafile = self._settings.imap_ca_file or None
        try:
            return ssl.create_default_context(cafile=cafile)
        except (OSError, ssl.SSLError) as exc:
            raise MailboxError(f"cannot load imap_ca_file {cafile!r}: {exc}") from exc

    def _connect_with_retries(self) -> None:
        attempts = len(self._retry_delays) + 1
        for attempt in range(attempts):
            if stop_requested(self._stop):
                raise Stopped(f"IMAP {self.where}: stop requested; not connecting")
            try:
                self._connect_once()
                return
            except ConnectionLost as exc:
                if attempt == attempts - 1:
                    raise
                delay = self._retry_delays[attempt]
                log.warning("IMAP %s: %s; retrying in %.0f s (attempt %d of %d)",
                            self.where, exc, delay, attempt + 2, attempts)
                self._pause(delay, exc)

    def _pause(self, delay: float, cause: ConnectionLost) -> None:
        """The backoff before a retry; raise Stopped the moment a stop is requested."""
        if self._sleep is not None:
            self._sleep(delay)
            stopped = stop_requested(self._stop)
        else:
            stopped = _wait(delay, self._stop)
        if stopped:
            raise Stopped(f"IMAP {self.where}: stop requested while waiting to retry ({cause})") from cause

    def _connect_once(self) -> None:
        s = self._settings
        if not s.imap_host:
            raise MailboxError("imap_host is not set")
        context = self._ssl_context() if s.imap_ssl else None
        try:
            timeout = SocketTimeout(connect=min(CONNECT_TIMEOUT, s.imap_timeout), read=s.imap_timeout)
            client = IMAPClient(s.imap_host, port=s.imap_port, ssl=s.imap_ssl, ssl_context=context, timeout=timeout)
        except ssl.SSLCertVerificationError as exc:
            raise MailboxError(
                f"IMAP {s.imap_host}:{s.imap_port}: TLS certificate not trusted ({exc.verify_message}); "
                "set imap_ca_file for a private server"
            ) from exc
        except NETWORK_ERRORS as exc:
            raise ConnectionLost(f"IMAP {s.imap_host}:{s.imap_port}: cannot connect: {_one_line(exc)}") from exc
        client.normalise_times = False  # INTERNALDATE as an aware datetime
        try:
            client.login(s.imap_user, s.imap_password)
        except UnicodeEncodeError:
            self._drop(client)
            raise LoginRefused(
                f"IMAP login for {s.imap_user} on {s.imap_host}: user or 授权码 contains non-ASCII characters"
            ) from None
        except LoginError as exc:
            self._drop(client)
            raise LoginRefused(
                f"IMAP login refused for {s.imap_user} on {s.imap_host}: {_one_line(exc)} "
                "(check the 授权码 / IMAP authorisation code and that IMAP is enabled)"
            ) from exc
        except NETWORK_ERRORS as exc:
            self._drop(client)
            raise ConnectionLost(f"IMAP {self.where}: connection lost during login: {_one_line(exc)}") from exc
        except IMAPClientError as exc:
            self._drop(client)
            raise LoginRefused(f"IMAP login refused for {s.imap_user} on {s.imap_host}: {_one_line(exc)}") from exc
        self._client = client
        self._selected = None
        self.id_sent = False
        try:
            if client.has_capability("ID"):
                client.id_(CLIENT_ID)
                self.id_sent = True
                log.debug("IMAP %s: sent ID", self.where)
        except NETWORK_ERRORS as exc:
            self._drop(client)
            self._client = None
            raise ConnectionLost(f"IMAP {self.where}: connection lost after login: {_one_line(exc)}") from exc
        except IMAPClientError as exc:
            log.warning("IMAP %s: the server rejected the ID command: %s", self.where, _one_line(exc))
        log.info("IMAP %s: logged in (ssl=%s, id=%s)", self.where, s.imap_ssl, self.id_sent)

    @staticmethod
    def _drop(client: IMAPClient) -> None:
        with contextlib.suppress(Exception):  # best effort on a broken connection
            client.shutdown()

    def _reconnect(self) -> None:
        if self._client is not None:
            self._drop(self._client)
            self._client = None
        self._connect_with_retries()

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise ConnectionLost(f"IMAP {self.where}: not connected")
        return self._client

    def close(self) -> None:
        """Log out (best effort); the mailbox is not usable afterwards."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:  # closing must never fail the run
            self._drop(client)

    def __enter__(self) -> Mailbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- folders ------------------------------------------------------------------------------------------------

    def _call(self, what: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one imapclient call, turning its faults into ours."""
        try:
            return func(*args, **kwargs)
        except NETWORK_ERRORS as exc:
            raise ConnectionLost(f"IMAP {self.where}: connection lost during {what}: {_one_line(exc)}") from exc
        except IMAPClientError as exc:
            raise MailboxError(f"IMAP {self.where}: {what} failed: {_one_line(exc)}") from exc

    def list_folders(self) -> list[str]:
        """Names of every selectable folder (decoded from modified UTF-7 by imapclient)."""
        rows = self._call("LIST", self.client.list_folders)
        return [str(name) for flags, _delim, name in rows if b"\\Noselect" not in flags and b"\\NoSelect" not in flags]

    def folder_state(self, folder: str) -> FolderState:
        """UIDVALIDITY, UIDNEXT and message count from STATUS: cheap whatever the folder's size.

        STATUS does not open the folder, so an idle poll costs the same on 10,000 messages as on 100
        (EXAMINE of a large folder is several times slower). Right after a UIDVALIDITY change Dovecot's STATUS
        can still show the old counts, so trust it for "nothing new" only when UIDVALIDITY is the one already
        known; fetch_new always SELECTs. A connection that died meanwhile is reopened once.
        """
        try:
            return self._status(folder)
        except ConnectionLost as exc:
            log.warning("IMAP %s %r: %s; reconnecting once", self.where, folder, exc)
            self._reconnect()
            return self._status(folder)

    def _status(self, folder: str) -> FolderState:
        try:
            info = self.client.folder_status(folder, [b"UIDVALIDITY", b"UIDNEXT", b"MESSAGES"])
        except NETWORK_ERRORS as exc:
            raise ConnectionLost(f"IMAP {self.where}: connection lost in STATUS {folder!r}: {_one_line(exc)}") from exc
        except IMAPClientError as exc:
            raise self._folder_error("STATUS", folder, exc) from exc
        uidvalidity = info.get(b"UIDVALIDITY")
        if uidvalidity is None:
            raise MailboxError(f"IMAP {self.where}: STATUS {folder!r} did not report UIDVALIDITY")
        uidnext = info.get(b"UIDNEXT")
        return FolderState(
            folder=folder,
            uidvalidity=int(uidvalidity),
            uidnext=int(uidnext) if uidnext is not None else None,
            exists=int(info.get(b"MESSAGES", 0)),
        )

    def _folder_error(self, what: str, folder: str, exc: Exception) -> MailboxError:
        text = _one_line(exc)
        if "unsafe login" in text.lower():
            return LoginRefused(
                f"IMAP {self.where}: {what} {folder!r} refused as an unsafe login ({text}); "
                "the server wants the IMAP ID command"
            )
        if self._folder_exists(folder) is False:
            return FolderMissing(f"IMAP {self.where}: folder {folder!r} does not exist ({text})")
        return MailboxError(f"IMAP {self.where}: {what} {folder!r} failed: {text}")

    def select_state(self, folder: str) -> FolderState:
        """SELECT the folder read-only (EXAMINE) before a SEARCH or FETCH; reopen a dead connection once."""
        try:
            return self._examine(folder)
        except ConnectionLost as exc:
            log.warning("IMAP %s %r: %s; reconnecting once", self.where, folder, exc)
            self._reconnect()
            return self._examine(folder)

    def _examine(self, folder: str) -> FolderState:
        client = self.client
        self._selected = None
        try:
            info = client.select_folder(folder, readonly=True)
        except NETWORK_ERRORS as exc:
            raise ConnectionLost(f"IMAP {self.where}: connection lost selecting {folder!r}: {_one_line(exc)}") from exc
        except IMAPClientError as exc:
            raise self._folder_error("SELECT", folder, exc) from exc
        self._selected = folder
        uidvalidity = info.get(b"UIDVALIDITY")
        if uidvalidity is None:
            raise MailboxError(f"IMAP {self.where}: SELECT {folder!r} did not report UIDVALIDITY")
        uidnext = info.get(b"UIDNEXT")
        return FolderState(
            folder=folder,
            uidvalidity=int(uidvalidity),
            uidnext=int(uidnext) if uidnext is not None else None,
            exists=int(info.get(b"EXISTS", 0)),
        )

    def _folder_exists(self, folder: str) -> bool | None:
        try:
            return bool(self.client.folder_exists(folder))
        except Exception:  # only used to word an error better
            return None

    # -- waiting for mail (IDLE, RFC 2177) ----------------------------------------------------------------------

    def supports_idle(self) -> bool:
        """Whether the server offers IDLE."""
        return bool(self._call("CAPABILITY", self.client.has_capability, "IDLE"))

    def wait_for_mail(self, folder: str, seconds: float, known_uidnext: int | None) -> tuple[bool, int | None]:
        """Select the folder read-only and IDLE on it for up to seconds; return (new mail?, UIDNEXT seen).

        True at once when UIDNEXT moved past known_uidnext (mail came while we were not idling), else as soon as
        the server reports a message (EXISTS) during IDLE; False when the time is up or stop is requested.
        """
        state = self.select_state(folder)
        if known_uidnext is not None and state.uidnext is not None and state.uidnext != known_uidnext:
            return True, state.uidnext
        client = self.client
        deadline = time.monotonic() + seconds
        self._call("IDLE", client.idle)
        try:
            while not stop_requested(self._stop) and (left := deadline - time.monotonic()) > 0:
                answers = self._call("IDLE", client.idle_check, timeout=min(left, IDLE_CHECK_SECONDS))
                if any(len(a) > 1 and a[1] in (b"EXISTS", b"RECENT") for a in answers):
                    return True, state.uidnext
            return False, state.uidnext
        finally:
            with contextlib.suppress(MailboxError):  # a connection that died in IDLE is reopened by the caller
                self._call("IDLE DONE", client.idle_done)

    # -- messages -----------------------------------------------------------------------------------------------

    def new_uids(self, folder: str, after_uid: int) -> tuple[FolderState, list[int]]:
        """Select the folder and list UIDs above after_uid, ascending; no SEARCH at all when UIDNEXT says none."""
        state = self.select_state(folder)
        if state.exists == 0 or (state.uidnext is not None and state.uidnext <= after_uid + 1):
            return state, []
        found = self._call("UID SEARCH", self.client.search, ["UID", f"{after_uid + 1}:*"])
        # "UID n:*" always matches the last message, even when its UID is below n: filter ourselves.
        return state, sorted(int(uid) for uid in found if int(uid) > after_uid)

    def fetch_new(self, folder: str, after_uid: int, batch: int = 50) -> Iterator[RawMessage]:
        """Yield every message with UID > after_uid, ascending, fetched with BODY.PEEK[] in batches.

        A connection lost between batches or mid-batch is retried (reconnect with backoff) from the last UID
        yielded, so no UID is ever yielded twice. If UIDVALIDITY changes meanwhile, UidValidityChanged is raised.
        """
        batch = max(1, batch)
        try:
            state, uids = self.new_uids(folder, after_uid)
        except ConnectionLost as exc:
            log.warning("IMAP %s %r: %s; reconnecting once", self.where, folder, exc)
            self._reconnect()
            state, uids = self.new_uids(folder, after_uid)
        if not uids:
            log.debug("IMAP %s %r: nothing after UID %d", self.where, folder, after_uid)
            return
        log.info("IMAP %s %r: %d new message(s) after UID %d", self.where, folder, len(uids), after_uid)
        position = 0
        reconnects = 0
        while position < len(uids):
            chunk = uids[position:position + batch]
            last = uids[position - 1] if position else after_uid
            try:
                if self._selected != folder:  # the caller looked at another folder between two batches
                    self._check_same(folder, state)
                fetched = self._call("FETCH", self.client.fetch, chunk, ["BODY.PEEK[]", "INTERNALDATE"])
            except ConnectionLost as exc:
                reconnects += 1
                if reconnects > len(self._retry_delays) + 1:
                    raise
                log.warning("IMAP %s %r: %s; reconnecting to resume after UID %d", self.where, folder, exc, last)
                self._reconnect()
                self._check_same(folder, state)
                continue
            for uid in chunk:
                data = fetched.get(uid)
                position += 1
                if data is None or b"BODY[]" not in data:
                    log.warning("IMAP %s %r: UID %d vanished before it could be fetched", self.where, folder, uid)
                    continue
                internal = data.get(b"INTERNALDATE")  # a server's word: 1950, 2086 or "+9999" happen
                yield RawMessage(
                    account=self.account,
                    folder=folder,
                    uidvalidity=state.uidvalidity,
                    uid=uid,
                    raw=bytes(data[b"BODY[]"]),
                    internal_date=plausible(internal) if isinstance(internal, datetime) else None,
                )

    def _check_same(self, folder: str, before: FolderState) -> None:
        """Select the folder again; raise UidValidityChanged if its UIDs no longer mean what they meant."""
        after = self.select_state(folder)
        if after.uidvalidity != before.uidvalidity:
            raise UidValidityChanged(
                f"IMAP {self.where}: UIDVALIDITY of {folder!r} changed from {before.uidvalidity} "
                f"to {after.uidvalidity} while fetching"
            )


@contextmanager
def open_mailbox(
    settings: Settings,
    retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
    sleep: Callable[[float], object] | None = None,
    stop: StopSignal = None,
) -> Iterator[Mailbox]:
    """`with open_mailbox(settings, stop=...) as mb:` — connect, log in, send ID; always log out at the end.

    stop: see Mailbox; pass the scheduler's Event (or poll_once's stop callable) so SIGTERM ends a backoff.
    """
    mailbox = Mailbox.connect(settings, retry_delays, sleep, stop)
    try:
        yield mailbox
    finally:
        mailbox.close()


__all__ = [
    "ConnectionLost",
    "FolderMissing",
    "FolderState",
    "LoginRefused",
    "Mailbox",
    "MailboxError",
    "StopSignal",
    "Stopped",
    "UidValidityChanged",
    "open_mailbox",
]
