"""Ladder steps 1-2 and sync state: record each fetched message once, spot the same mail arriving again."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.vocab import DuplicateKind, FailureStatus, IgnoreReason, MessageOutcome
from store.blobs import get_blob, put_blob, sha256_of
from store.errors import AlreadyRecorded, NotFound
from store.models import Duplicate, FailureRecord, Message, ReportVersion, SyncState, utcnow
from store.records import MessageIn, MessageResult
from store.text import clean_text, clip

log = logging.getLogger(__name__)

# Times the database and every later calculation can hold: a Date header in year 9999 (or 0001) is no time.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def storable_time(when: datetime | None) -> datetime | None:
    """when as an aware UTC datetime if it lies between 1990 and 2200, else None (never raises)."""
    if when is None:
        return None
    try:
        aware = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
        utc = aware.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    return utc if EARLIEST <= utc < LATEST else None


def _mailbox(account: str, folder: str) -> tuple[str, str]:
    """Account and folder as stored (cleaned, cut to the column lengths), so lookups match what was written."""
    return clip(account, 320), clip(folder, 1000)


def _find(session: Session, account: str, folder: str, uidvalidity: int, uid: int) -> int | None:
    return session.scalar(
        select(Message.id).where(
            Message.account == account,
            Message.folder == folder,
            Message.uidvalidity == uidvalidity,
            Message.uid == uid,
        )
    )


def already_done(session: Session, account: str, folder: str, uidvalidity: int, uid: int) -> bool:
    """Ladder step 1: was this (account, folder, UIDVALIDITY, UID) recorded before?"""
    return _find(session, *_mailbox(account, folder), uidvalidity, uid) is not None


def last_done_uid(session: Session, account: str, folder: str, uidvalidity: int) -> int:
    """The highest UID recorded for this folder under this UIDVALIDITY, 0 if none."""
    account, folder = _mailbox(account, folder)
    value = session.scalar(
        select(func.max(Message.uid)).where(
            Message.account == account,
            Message.folder == folder,
            Message.uidvalidity == uidvalidity,
        )
    )
    return int(value or 0)


def record_message(session: Session, m: MessageIn) -> MessageResult:
    """Store one message (raw bytes included); the same mail seen before on the account is marked its duplicate.

    Ladder step 2: an earlier message with the same Message-ID is "the same mail" only when the raw bytes or the
    content fingerprint agree; a reused Message-ID on a different mail (broken clients, a copied draft) is a new
    mail. Times that no database can hold are dropped (sent_at) or replaced by now (received_at).

    Raises AlreadyRecorded when the (account, folder, UIDVALIDITY, UID) row exists, also when a concurrent
    writer inserts it first: the insert runs in a SAVEPOINT, so the caller's transaction stays usable.
    """
    account, folder = _mailbox(m.account, m.folder)
    existing = _find(session, account, folder, m.uidvalidity, m.uid)
    if existing is not None:
        raise AlreadyRecorded(account, folder, m.uidvalidity, m.uid, existing)
    message_id = clip(m.message_id.strip(), 1000)
    raw_sha = sha256_of(m.raw)
    duplicate_of = _same_mail(session, account, message_id, raw_sha, m.content_sha256) if message_id else None
    put_blob(session, m.raw)
    row = Message(
        account=account,
        folder=folder,
        uidvalidity=m.uidvalidity,
        uid=m.uid,
        message_id=message_id,
        sender_address=clip(m.sender_address.strip(), 320),
        sender_name=clean_text(m.sender_name).strip(),
        subject=clean_text(m.subject),
        sent_at=storable_time(m.sent_at),
        received_at=storable_time(m.received_at) or utcnow(),
        raw_sha256=raw_sha,
        raw_size=len(m.raw),
        content_sha256=clip(m.content_sha256, 64),
        correction=m.correction,
        outcome=MessageOutcome.PENDING,
        outcome_reason="",
        duplicate_of_id=duplicate_of,
        recorded_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        winner = _find(session, account, folder, m.uidvalidity, m.uid)
        if winner is None:
            raise
        log.info("message uid=%s in %s/%s was recorded by a concurrent writer", m.uid, account, folder)
        raise AlreadyRecorded(account, folder, m.uidvalidity, m.uid, winner) from None
    if duplicate_of is not None:
        session.add(Duplicate(kind=DuplicateKind.MESSAGE, message_id=row.id, of_message_id=duplicate_of,
                              recorded_at=utcnow()))
        session.flush()
        log.info("message %s (uid=%s) repeats message pk=%s", message_id, m.uid, duplicate_of)
    return MessageResult(message_pk=row.id, duplicate_of=duplicate_of)


def _same_mail(session: Session, account: str, message_id: str, raw_sha: str, content_sha: str) -> int | None:
    """The earliest message on the account with this Message-ID whose raw bytes or content agree, if any."""
    earlier = session.execute(
        select(Message.id, Message.raw_sha256, Message.content_sha256)
        .where(Message.account == account, Message.message_id == message_id)
        .order_by(Message.id)
    ).all()
    for pk, their_raw, their_content in earlier:
        if their_raw == raw_sha or (content_sha and their_content == content_sha):
            return int(pk)
    if earlier:
        log.info("Message-ID %s reused on a different mail (%s earlier); a new mail", message_id, len(earlier))
    return None


def set_message_outcome(session: Session, message_pk: int, outcome: MessageOutcome, reason: str = "") -> None:
    """What became of a message (report, duplicate, failure, ignored or mixed) and why; for ignored, reason is an
    IgnoreReason. The pipeline calls this once per message, when it settles."""
    outcome = MessageOutcome(outcome)
    if outcome is MessageOutcome.PENDING:
        raise ValueError("a message cannot be settled as pending")
    if outcome is MessageOutcome.IGNORED:
        reason = IgnoreReason(reason)
    row = session.get(Message, message_pk)
    if row is None:
        raise NotFound(f"no message with pk {message_pk}")
    row.outcome = outcome
    row.outcome_reason = clean_text(reason)
    session.flush()


def outcomes_after_reparse(session: Session, message_pk: int, reparsed_failure: int) -> list[MessageOutcome]:
    """What a message has come to after one of its failures was parsed again, from everything recorded of it:
    reports made from it, forms or the whole mail repeated, failures still open (the reparsed one aside)."""
    made = session.scalar(select(ReportVersion.id).where(ReportVersion.message_id == message_pk).limit(1))
    repeated = session.scalar(select(Duplicate.id).where(
        Duplicate.message_id == message_pk, Duplicate.kind.in_([DuplicateKind.FORM, DuplicateKind.MESSAGE])).limit(1))
    still_open = session.scalar(select(FailureRecord.id).where(
        FailureRecord.message_id == message_pk, FailureRecord.status == FailureStatus.OPEN,
        FailureRecord.id != reparsed_failure).limit(1))
    return [kind for kind, found in ((MessageOutcome.REPORT, made), (MessageOutcome.DUPLICATE, repeated),
                                     (MessageOutcome.FAILURE, still_open)) if found is not None]


def get_sync_state(session: Session, account: str, folder: str) -> tuple[int, int] | None:
    """(UIDVALIDITY, last UID done) of a folder, or None if it was never polled."""
    account, folder = _mailbox(account, folder)
    row = session.execute(
        select(SyncState.uidvalidity, SyncState.last_uid).where(
            SyncState.account == account, SyncState.folder == folder
        )
    ).first()
    return None if row is None else (int(row[0]), int(row[1]))


def set_sync_state(session: Session, account: str, folder: str, uidvalidity: int, last_uid: int) -> None:
    """Remember how far a folder was read. Under an unchanged UIDVALIDITY the last UID never goes back."""
    account, folder = _mailbox(account, folder)
    current = get_sync_state(session, account, folder)
    if current is not None and current[0] == uidvalidity:
        last_uid = max(last_uid, current[1])
    values = {"account": account, "folder": folder, "uidvalidity": uidvalidity, "last_uid": last_uid,
              "updated_at": utcnow()}
    update = {"uidvalidity": uidvalidity, "last_uid": last_uid, "updated_at": values["updated_at"]}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt = postgresql.insert(SyncState).values(**values)
        session.execute(stmt.on_conflict_do_update(index_elements=["account", "folder"], set_=update))
    else:
        stmt_lite = sqlite.insert(SyncState).values(**values)
        session.execute(stmt_lite.on_conflict_do_update(index_elements=["account", "folder"], set_=update))


def raw_message(session: Session, message_pk: int) -> bytes:
    """The message's RFC 822 bytes exactly as fetched (to re-run it, or for staff to open it)."""
    digest = session.scalar(select(Message.raw_sha256).where(Message.id == message_pk))
    if digest is None:
        raise NotFound(f"no message with pk {message_pk}")
    return get_blob(session, digest)
