"""The store's exceptions: what callers catch when a write or a lookup cannot go ahead."""

from __future__ import annotations


class StoreError(Exception):
    """Base class of every error the store raises on purpose."""


class AlreadyRecorded(StoreError):
    """This (account, folder, UIDVALIDITY, UID) was recorded before, by this process or a concurrent one."""

    def __init__(self, account: str, folder: str, uidvalidity: int, uid: int, message_pk: int | None = None) -> None:
        super().__init__(f"message {account}/{folder} uidvalidity={uidvalidity} uid={uid} is already recorded")
        self.account = account
        self.folder = folder
        self.uidvalidity = uidvalidity
        self.uid = uid
        self.message_pk = message_pk


class NotFound(StoreError):
    """No row with that id (a failure id typed at the CLI, say)."""


class StoreUnavailable(StoreError):
    """The database cannot be reached or opened; the message names it with any password hidden."""


class StoreMisconfigured(StoreError):
    """The database URL cannot work as written (malformed, unknown dialect, missing driver, folder not creatable).

    `setting` is "url" when the URL itself is wrong and "folder" when a SQLite file's folder cannot be made.
    """

    def __init__(self, message: str, setting: str = "url") -> None:
        super().__init__(message)
        self.setting = setting


class RosterConflict(StoreError):
    """A roster change that cannot go ahead as given; nothing was written.

    problems: (index of the entry in the caller's list, or -1 when it concerns no one entry, what is wrong in
    Chinese for staff), e.g. (3, "别名「财政局党支部」是另一个党组织「苏州市财政局离退休干部党支部」的名称").
    """

    def __init__(self, problems: list[tuple[int, str]] | tuple[tuple[int, str], ...]) -> None:
        self.problems = tuple(problems)
        super().__init__("；".join(message for _, message in self.problems[:3]))


class AlreadyExists(StoreError):
    """A row with that unique name exists already (a console account, say)."""
