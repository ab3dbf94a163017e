"""Frozen values that cross the store's boundary: what callers hand in and what queries hand back.

The store knows nothing of parsers/ or ingest/: a form's values are core.forms.FormValues (what the parsers
read), an attachment anything that fits AttachmentFields (ingest's Attachment does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from core.forms import FormValues
from core.vocab import FailureKind, FailureStatus, FormOutcome, ReceiptKind, ReceiptStatus


# ---- handed in -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MessageIn:
    """One fetched message. received_at is timezone-aware (IMAP INTERNALDATE, else Date, else now)."""

    account: str
    folder: str
    uidvalidity: int
    uid: int
    message_id: str
    sender_address: str
    sender_name: str
    subject: str
    sent_at: datetime | None
    received_at: datetime
    raw: bytes
    correction: bool = False  # the subject or body says it corrects an earlier report (更正, 修改, 重报 ...)
    content_sha256: str = ""  # what the mail says (its files, else subject and text); see messages.record_message


class AttachmentFields(Protocol):
    """One file found in a message, with its bytes, as the store takes it (ingest's Attachment fits)."""

    @property
    def filename(self) -> str: ...
    @property
    def content_type(self) -> str: ...
    @property
    def data(self) -> bytes: ...
    @property
    def sha256(self) -> str: ...
    @property
    def origin(self) -> str: ...


# ---- handed back by the writers ----------------------------------------------------------------------------
@dataclass(frozen=True)
class MessageResult:
    message_pk: int
    duplicate_of: int | None  # pk of the earlier message with the same Message-ID on this account


@dataclass(frozen=True)
class AttachmentResult:
    attachment_pk: int
    duplicate_of: int | None  # pk of the earlier attachment with the same sha256


@dataclass(frozen=True)
class FormResult:
    outcome: FormOutcome
    report_pk: int
    version_pk: int  # the new version, or for a duplicate the version it duplicates
    version_no: int


# ---- handed back by the queries ----------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class ReportRow(FormValues):
    """One report's current (or, with all_versions, one) version: the form's values and where they came from."""

    id: int
    version: int
    received_at: datetime
    late: bool
    sender: str
    subject: str
    message_id: str
    attachment: str


@dataclass(frozen=True)
class FailureRow:
    id: int
    kind: str
    message: str
    status: str  # "open" | "resolved" | "ignored"
    sender: str
    subject: str
    filename: str
    received_at: datetime
    detail: str = ""
    note: str = ""
    resolved_by: str = ""
    resolved_at: datetime | None = None
    message_pk: int | None = None
    attachment_pk: int | None = None
    location: str = ""  # where an unstorable mail is in the mailbox (it has no message_pk)


@dataclass(frozen=True)
class StoredAttachment:
    """An attachment read back from the store, bytes included (it fits AttachmentFields)."""

    pk: int
    filename: str
    content_type: str
    data: bytes
    sha256: str
    origin: str


@dataclass(frozen=True)
class ReparseItem:
    """A failure to handle again: its stored attachment, or None when the failure is the whole mail's."""

    failure_id: int
    kind: FailureKind
    status: FailureStatus
    message_pk: int
    attachment: StoredAttachment | None
    correction: bool
    received_at: datetime


@dataclass(frozen=True)
class PollRecord:
    """One poll of one folder as recorded: when, whether it worked, the error line, the counts."""

    id: int
    account: str
    folder: str
    started_at: datetime
    finished_at: datetime
    ok: bool
    error: str
    counts: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class DigestRun:
    """One digest built: the day it covers, when it went out, to whom, and how (send or dry-run)."""

    id: int
    day: date
    sent_at: datetime
    recipients: tuple[str, ...]
    message_id: str
    mode: str


@dataclass(frozen=True)
class MessageAudit:
    """The audit of one message: what became of it and of everything in it."""

    message_pk: int
    outcome: str  # "pending" until the pipeline sets it, then report | duplicate | failure | ignored | mixed
    reason: str
    duplicate_of: int | None  # earlier message with the same Message-ID
    versions: tuple[tuple[int, int], ...]  # (report id, version no) created from this message
    duplicates: tuple[tuple[str, int | None, int | None, int | None], ...]  # (kind, of message, attachment, version)
    failures: tuple[tuple[int, str, str], ...]  # (failure id, kind, status)
    attachments: tuple[tuple[int, str, str], ...]  # (attachment pk, file name, sha256)


@dataclass(frozen=True)
class Correction:
    """A new version of a report that arrived on the digest day: each changed field, old → new."""

    report_id: int
    org_name: str
    version: int
    received_at: datetime
    changes: tuple[tuple[str, str, str], ...]  # (field name, old text, new text)
    from_pixels: bool = False  # the new version was read from a picture (core.vocab.PIXELS_WARNING)


@dataclass(frozen=True)
class DuplicateRow:
    kind: str  # "message" | "attachment" | "form"
    sender: str
    subject: str
    filename: str
    of_what: str  # Chinese description of what it duplicates, e.g. "与 5月3日 收到的某党支部情况表相同"
    received_at: datetime


@dataclass(frozen=True)
class PollHealth:
    account: str
    folder: str
    last_ok_at: datetime | None
    last_run_at: datetime | None
    last_error: str
    errors_since: tuple[tuple[datetime, str], ...]  # (when, error line) since the previous digest


@dataclass(frozen=True)
class SeasonTotals:
    reports: int
    participants: int
    per_month: tuple[tuple[str, int], ...]  # ("2020-05", 12), by activity month (received month if unknown)
    late: int
    open_failures: int


@dataclass(frozen=True)
class DigestFacts:
    """Everything the daily digest says about one day, read from the store in one go."""

    day: date
    new_reports: tuple[ReportRow, ...]
    corrections: tuple[Correction, ...]
    new_failures: tuple[FailureRow, ...]
    duplicates: tuple[DuplicateRow, ...]
    ignored: tuple[tuple[str, int], ...]  # (reason, count) of the day: auto_reply, bounce, out_of_scope ...
    messages_received: int
    season: SeasonTotals
    health: tuple[PollHealth, ...]
    all_current_reports: tuple[ReportRow, ...] = field(default_factory=tuple)  # for the 汇总表
    auto_resolved: tuple[FailureRow, ...] = ()  # closed that day by a later valid report (resolved_by auto)
    receipts: tuple[tuple[str, int], ...] = ()  # (status, count) of the 回执 queued that day
    roster: RosterFacts | None = None  # None when no roster is loaded


@dataclass(frozen=True)
class ReceiptRow:
    """One receipt as the CLI lists it and the sender sends it."""

    id: int
    message_pk: int
    to: str
    subject: str
    kind: ReceiptKind
    status: ReceiptStatus
    reason: str
    in_reply_to: str
    queued_at: datetime
    sent_at: datetime | None
    attempts: int


@dataclass(frozen=True, kw_only=True)
class ReceiptForm(FormValues):
    """One form read from the message, as its receipt repeats it to the branch."""

    report_id: int
    version: int
    late: bool
    replaces_received_at: datetime | None  # when the version this one replaces arrived (a correction)


@dataclass(frozen=True)
class ReceiptFacts:
    """Everything a receipt for one message says."""

    message_pk: int
    subject: str
    received_at: datetime
    message_id: str
    forms: tuple[ReceiptForm, ...]
    repeats: tuple[tuple[str, datetime], ...]  # (organisation, first received) of each form it repeats
    failures: tuple[tuple[str, str], ...]  # (failure kind, file name) still open


# ---- the roster (名册) ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RosterEntryIn:
    """One roster row as the store takes it. A field left None was not in the file: an update keeps what is
    stored for it (a file without a 邮箱 column does not wipe the addresses)."""

    name: str
    group: str | None = None  # 所属单位 / 区县 / 系统
    contact_person: str | None = None
    contact_phone: str | None = None
    emails: tuple[str, ...] | None = None
    aliases: tuple[str, ...] | None = None


@dataclass(frozen=True)
class RosterEntryRow:
    """One roster entry as it is listed: its names, grouping, contact and the sender addresses listed for it."""

    id: int
    name: str
    group: str
    contact_person: str
    contact_phone: str
    aliases: tuple[str, ...]
    emails: tuple[str, ...]


@dataclass(frozen=True)
class RosterChange:
    """What importing a roster did: entries added, updated (by name) and removed (--replace only), reports whose
    roster entry changed, and staff-confirmed aliases the file took over or made pointless (alias, entry name)."""

    added: int
    updated: int
    removed: int
    relinked: int
    dropped_aliases: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class AliasResult:
    """An alias recorded (or found already there) for an entry, and how many reports now point at the entry."""

    entry_id: int
    entry_name: str
    alias: str
    created: bool
    relinked: int


@dataclass(frozen=True)
class CoverageRow:
    """One entry's reports per month of the season (YYYY-MM, n) and how many of those were late."""

    entry_id: int
    name: str
    group: str
    months: tuple[tuple[str, int], ...]
    late: int
    late_months: tuple[tuple[str, int], ...] = ()  # (YYYY-MM, late reports) where any

    @property
    def total(self) -> int:
        return sum(n for _, n in self.months)


@dataclass(frozen=True)
class Coverage:
    """Every roster entry (ordered by group, then name) against the months of one year's season."""

    year: int
    months: tuple[str, ...]  # YYYY-MM, the season's months up to the day it was read for
    rows: tuple[CoverageRow, ...]


@dataclass(frozen=True)
class MissingRow:
    """A roster entry with no report for a month, with whom to call."""

    entry_id: int
    name: str
    group: str
    contact_person: str
    contact_phone: str


@dataclass(frozen=True)
class UnmatchedName:
    """A report organisation name matched to no roster entry: how many reports, and the entries it resembles
    (best first; shown to staff, never applied)."""

    org_name: str
    reports: int
    candidates: tuple[str, ...]


@dataclass(frozen=True)
class RosterFacts:
    """What the digest says about the roster for one day: the month's missing entries (when the month is in the
    season), the names still to confirm, and the season's coverage for the 汇总表's 报送情况 sheet."""

    month: str  # YYYY-MM of the digest day
    in_season: bool
    entries: int
    missing: tuple[MissingRow, ...]
    unmatched: tuple[UnmatchedName, ...]
    coverage: Coverage


@dataclass(frozen=True)
class UserRow:
    """A console account as read back; password_hash is for checking a login only, never shown."""

    id: int
    name: str
    role: str  # Role
    disabled: bool
    failed_logins: int
    locked_until: datetime | None
    created_at: datetime
    password_changed_at: datetime
    password_hash: str = field(default="", repr=False)


@dataclass(frozen=True)
class SessionUser:
    """A signed-in browser's account: who, what role, the session's CSRF token and when it ends."""

    user_id: int
    name: str
    role: str  # Role
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class AuditRow:
    """One audit log entry: who did what to which row, when, with what note."""

    id: int
    at: datetime
    actor: str
    action: str  # AuditAction
    target_kind: str  # AuditTarget
    target_id: int | None
    note: str
