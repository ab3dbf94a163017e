"""The mailbox faults the poller raises, each with a one-line message fit for logs and the digest's health section.

Every exception is raised ``from`` the imapclient / socket error that caused it; messages never carry secrets.
"""

from __future__ import annotations


class MailboxError(Exception):
    """Base class: the mailbox could not be read (server said NO/BAD, bad certificate, protocol trouble)."""


class LoginRefused(MailboxError):
    """The server refused the login: wrong or expired 授权码, IMAP disabled, or "Unsafe Login" on SELECT."""


class ConnectionLost(MailboxError):
    """The connection could not be made, timed out, or was cut; retrying later may work."""


class FolderMissing(MailboxError):
    """The folder named in the settings does not exist on the server."""


class UidValidityChanged(MailboxError):
    """A folder's UIDVALIDITY changed while we were reading it; the caller must rescan the folder."""


class Stopped(ConnectionLost):
    """A stop was requested (SIGTERM) while waiting to connect or reconnect: not connected, nothing was lost.

    A ConnectionLost, so callers that retry later already do the right thing; a poll may log it as a stop rather
    than as a failure.
    """
