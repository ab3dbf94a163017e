"""SQLAlchemy 2.x typed models: every message, attachment, report version, duplicate, failure and run.

Times are stored in UTC (naive on SQLite, timestamptz on PostgreSQL) and always come back timezone-aware.
Raw bytes (RFC 822 messages and attachments) live once each in `blobs`, keyed by their sha256.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_ZERO = timedelta(0)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime kept in UTC on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        # Callers pass aware datetimes; a naive one (a Date header with -0000, say) is taken as UTC
        # rather than failing the whole message.
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() == _ZERO:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, date: Date, bytes: LargeBinary}


class Blob(Base):
    """Content-addressed bytes: a raw message or an attachment, stored once however often it arrives."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncState(Base):
    """How far one account's folder has been read: its UIDVALIDITY and the highest UID done."""

    __tablename__ = "sync_states"
    __table_args__ = (UniqueConstraint("account", "folder", name="uq_sync_states_account_folder"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(320))
    folder: Mapped[str] = mapped_column(String(1000))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Message(Base):
    """One fetched mail, whatever became of it; outcome says what (report, duplicate, failure, ignored, mixed)."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("account", "folder", "uidvalidity", "uid", name="uq_messages_mailbox_uid"),
        Index("ix_messages_account_message_id", "account", "message_id"),
        Index("ix_messages_received_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(320))
    folder: Mapped[str] = mapped_column(String(1000))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[str] = mapped_column(String(1000), default="")
    sender_address: Mapped[str] = mapped_column(String(320), default="")
    sender_name: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None]
    received_at: Mapped[datetime]
    raw_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    raw_size: Mapped[int] = mapped_column(Integer)
    # What the mail says (its files, else its subject and text): a reused Message-ID is the same mail only if
    # the raw bytes or this agree.
    content_sha256: Mapped[str] = mapped_column(String(64), default="", server_default="")
    correction: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str] = mapped_column(String(20), default="pending")
    outcome_reason: Mapped[str] = mapped_column(Text, default="")
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class AttachmentRow(Base):
    """One file found in a message (leaf part, forwarded mail or zip member), with its bytes in blobs."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_sha256", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    filename: Mapped[str] = mapped_column(Text, default="")
    content_type: Mapped[str] = mapped_column(String(255), default="")
    detected_format: Mapped[str] = mapped_column(String(40), default="")
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    origin: Mapped[str] = mapped_column(Text, default="")
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Report(Base):
    """One organisation's one activity; its content lives in its versions, the highest is current."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_key: Mapped[str] = mapped_column(String(500), index=True)
    roster_entry_id: Mapped[int | None] = mapped_column(ForeignKey("roster_entries.id"), index=True)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportVersion(Base):
    """One version of a report: the parsed fields, where they came from and when.

    fingerprint (normalised content) is unique across all versions of all reports: the same content
    arriving again, even from a concurrent writer, is a duplicate and never a new row.
    """

    __tablename__ = "report_versions"
    __table_args__ = (
        UniqueConstraint("report_id", "version_no", name="uq_report_versions_report_version"),
        UniqueConstraint("fingerprint", name="uq_report_versions_fingerprint"),
        # by activity date, holding what the 报送情况 counts read: they need not read the versions' rows (0006)
        Index("ix_report_versions_activity", "activity_date", "report_id", "version_no", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"))
    version_no: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64))
    org_name: Mapped[str] = mapped_column(Text)
    headcount: Mapped[int | None] = mapped_column(Integer)
    headcount_text: Mapped[str] = mapped_column(Text, default="")
    agenda: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text, default="")
    contact_person: Mapped[str] = mapped_column(Text, default="")
    contact_phone: Mapped[str] = mapped_column(Text, default="")
    activity_date: Mapped[date | None] = mapped_column()
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"), index=True)
    correction: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Duplicate(Base):
    """Something that arrived again, and what it duplicates: a message, an attachment or a form version."""

    __tablename__ = "duplicates"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "message" | "attachment" | "form"
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    of_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    of_attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    of_version_id: Mapped[int | None] = mapped_column(ForeignKey("report_versions.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class FailureRecord(Base):
    """Why a message or an attachment gave no report, and what staff did about it.

    message_id is empty only for a mail that could not be stored at all (kind unstorable): location then says
    where it is in the mailbox (account, folder, UIDVALIDITY, UID) so a person can find it there.
    """

    __tablename__ = "failures"
    __table_args__ = (Index("ix_failures_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    location: Mapped[str] = mapped_column(Text, default="", server_default="")
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | resolved | ignored
    resolved_by: Mapped[str] = mapped_column(String(100), default="")
    resolved_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PollRun(Base):
    """One poll of one account's folder: when, whether it worked, what it counted."""

    __tablename__ = "poll_runs"
    __table_args__ = (Index("ix_poll_runs_account_folder", "account", "folder", "finished_at"),
                      Index("ix_poll_runs_finished_at", "finished_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(320))
    folder: Mapped[str] = mapped_column(String(1000))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str] = mapped_column(Text, default="")
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)


class DigestRunRecord(Base):
    """One daily digest built: the day it covers, when it went, to whom, its Message-ID, its HTML as sent."""

    __tablename__ = "digest_runs"
    __table_args__ = (Index("ix_digest_runs_day", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    sent_at: Mapped[datetime]
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    message_id: Mapped[str] = mapped_column(String(1000), default="")
    mode: Mapped[str] = mapped_column(String(20), default="send")
    html_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))  # the HTML as sent (from 0004)


class Lock(Base):
    """A named lease (SQLite's stand-in for PostgreSQL advisory locks): who holds it and until when."""

    __tablename__ = "locks"

    name: Mapped[str] = mapped_column(String(500), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]


class Receipt(Base):
    """One 回执 to a branch for one incoming message: queued with the message, sent after commit, at most once."""

    __tablename__ = "receipts"
    __table_args__ = (
        UniqueConstraint("message_id", name="uq_receipts_message_id"),
        Index("ix_receipts_status", "status"),
        Index("ix_receipts_to_address_queued_at", "to_address", "queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))  # ReceiptKind
    status: Mapped[str] = mapped_column(String(20))  # ReceiptStatus
    reason: Mapped[str] = mapped_column(Text, default="")  # why suppressed, or the last send error
    in_reply_to: Mapped[str] = mapped_column(String(1000), default="")
    mail_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))  # the composed mail, if any
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class RosterEntry(Base):
    """One Party organisation the bureau expects reports from; name_key is its normalised name."""

    __tablename__ = "roster_entries"
    __table_args__ = (UniqueConstraint("name_key", name="uq_roster_entries_name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    name_key: Mapped[str] = mapped_column(String(500))
    group_name: Mapped[str] = mapped_column(Text, default="")  # 所属单位 / 区县 / 系统
    contact_person: Mapped[str] = mapped_column(Text, default="")
    contact_phone: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RosterAlias(Base):
    """Another name one roster entry is written as: from the roster file (confirmed_by empty), or confirmed by
    staff (confirmed_by names who), which a new roster file does not take away."""

    __tablename__ = "roster_aliases"
    __table_args__ = (UniqueConstraint("alias_key", name="uq_roster_aliases_alias_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("roster_entries.id"))
    alias: Mapped[str] = mapped_column(Text)
    alias_key: Mapped[str] = mapped_column(String(500))
    confirmed_by: Mapped[str] = mapped_column(String(100), default="", server_default="")


class RosterEmail(Base):
    """A sender address listed for a roster entry."""

    __tablename__ = "roster_emails"
    __table_args__ = (
        UniqueConstraint("entry_id", "address", name="uq_roster_emails_entry_address"),
        Index("ix_roster_emails_address", "address"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("roster_entries.id"))
    address: Mapped[str] = mapped_column(String(320))


class User(Base):
    """A web console account: argon2 password hash, role, lockout after failed logins."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("name", name="uq_users_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20))  # Role
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebSession(Base):
    """A signed-in browser: the sha256 of its cookie token (never the token), its CSRF token, its expiry."""

    __tablename__ = "web_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    csrf_token: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class AuditEntry(Base):
    """Who changed what, when, with what note: failures closed, reparses, aliases, accounts."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_kind", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    target_kind: Mapped[str] = mapped_column(String(40))  # failure | report | roster | user
    target_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
