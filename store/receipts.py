"""Receipts (回执) to branches: queue one with its message, hand out the due ones, record how sending went."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from core.vocab import DuplicateKind, FailureStatus, ReceiptKind, ReceiptStatus
from store.blobs import put_blob
from store.errors import NotFound
from store.models import (
    AttachmentRow,
    Duplicate,
    FailureRecord,
    Message,
    Receipt,
    ReportVersion,
    utcnow,
)
from store.queries import is_late
from store.records import ReceiptFacts, ReceiptForm, ReceiptRow
from store.text import clean_text, clip

log = logging.getLogger(__name__)

_COUNTED = (ReceiptStatus.QUEUED, ReceiptStatus.SENT, ReceiptStatus.FAILED)


def queue_receipt(
    session: Session, message_pk: int, to_address: str, subject: str, kind: ReceiptKind, in_reply_to: str,
    status: ReceiptStatus = ReceiptStatus.QUEUED, reason: str = "", queued_at: datetime | None = None,
) -> int:
    """Queue the receipt for one message (or record why none goes: status SUPPRESSED with a reason)."""
    row = Receipt(message_id=message_pk, to_address=clip(to_address.strip().lower(), 320), subject=clean_text(subject),
                  kind=ReceiptKind(kind), status=ReceiptStatus(status), reason=clean_text(reason),
                  in_reply_to=clip(in_reply_to, 1000), attempts=0, queued_at=queued_at or utcnow())
    session.add(row)
    session.flush()
    log.info("message pk=%s: receipt %s %s (%s)", message_pk, row.id, row.status, reason or kind)
    return row.id


def receipts_to(session: Session, address: str, start: datetime, end: datetime) -> int:
    """How many receipts (queued, sent or failed, not suppressed) went to an address in [start, end)."""
    return int(session.scalar(select(func.count(Receipt.id)).where(
        Receipt.to_address == address.strip().lower(), Receipt.status.in_(_COUNTED),
        Receipt.queued_at >= start, Receipt.queued_at < end)) or 0)


def _row(r: Receipt) -> ReceiptRow:
    return ReceiptRow(id=r.id, message_pk=r.message_id, to=r.to_address, subject=r.subject, kind=ReceiptKind(r.kind),
                      status=ReceiptStatus(r.status), reason=r.reason, in_reply_to=r.in_reply_to,
                      queued_at=r.queued_at, sent_at=r.sent_at, attempts=r.attempts)


def due_receipts(session: Session, max_attempts: int, limit: int = 100) -> list[ReceiptRow]:
    """Receipts waiting to go: queued, or failed fewer than max_attempts times; oldest first."""
    stmt = (select(Receipt).where(Receipt.status.in_([ReceiptStatus.QUEUED, ReceiptStatus.FAILED]),
                                  Receipt.attempts < max_attempts)
            .order_by(Receipt.id).limit(limit))
    return [_row(r) for r in session.scalars(stmt)]


def list_receipts(session: Session, since: datetime | None = None) -> list[ReceiptRow]:
    """Every receipt (queued on or after since), oldest first."""
    stmt = select(Receipt).order_by(Receipt.id)
    if since is not None:
        stmt = stmt.where(Receipt.queued_at >= since)
    return [_row(r) for r in session.scalars(stmt)]


def receipt_counts(session: Session) -> dict[str, int]:
    """How many receipts stand queued, sent, failed and suppressed."""
    found = dict(session.execute(select(Receipt.status, func.count(Receipt.id)).group_by(Receipt.status)).all())
    return {status.value: int(found.get(status.value, 0)) for status in ReceiptStatus}


def _get(session: Session, receipt_id: int) -> Receipt:
    row = session.get(Receipt, receipt_id)
    if row is None:
        raise NotFound(f"no receipt with id {receipt_id}")
    return row


def mark_sent(session: Session, receipt_id: int, mail: bytes) -> None:
    """The SMTP server (or the outbox) took the receipt: keep the mail as sent."""
    row = _get(session, receipt_id)
    row.mail_sha256 = put_blob(session, mail)
    row.status, row.reason, row.sent_at = ReceiptStatus.SENT, "", utcnow()
    row.attempts += 1
    session.flush()


def mark_failed(session: Session, receipt_id: int, error: str) -> None:
    """Sending failed (the error line, secrets already masked): it is retried until attempts run out."""
    row = _get(session, receipt_id)
    row.status, row.reason = ReceiptStatus.FAILED, clip(error, 2000)
    row.attempts += 1
    session.flush()


def receipt_facts(session: Session, message_pk: int) -> ReceiptFacts:
    """What a receipt for one message says: the forms read from it, what it repeats, what failed in it."""
    msg = session.get(Message, message_pk)
    if msg is None:
        raise NotFound(f"no message with pk {message_pk}")
    return ReceiptFacts(
        message_pk=message_pk, subject=msg.subject, received_at=msg.received_at, message_id=msg.message_id,
        forms=tuple(_forms(session, message_pk)), repeats=tuple(_repeats(session, message_pk)),
        failures=tuple(_failures(session, message_pk)),
    )


def _forms(session: Session, message_pk: int) -> list[ReceiptForm]:
    previous = aliased(ReportVersion)
    stmt = (
        select(ReportVersion, previous.received_at)
        .outerjoin(previous, (previous.report_id == ReportVersion.report_id)
                   & (previous.version_no == ReportVersion.version_no - 1))
        .where(ReportVersion.message_id == message_pk)
        .order_by(ReportVersion.id)
    )
    return [ReceiptForm(
        report_id=v.report_id, version=v.version_no, org_name=v.org_name, headcount=v.headcount,
        headcount_text=v.headcount_text, agenda=tuple(v.agenda or ()), summary=v.summary,
        contact_person=v.contact_person,
        contact_phone=v.contact_phone, activity_date=v.activity_date, late=is_late(v.received_at, v.activity_date),
        warnings=tuple(v.warnings or ()), replaces_received_at=before,
    ) for v, before in session.execute(stmt).all()]


def _repeats(session: Session, message_pk: int) -> list[tuple[str, datetime]]:
    """(organisation, first received) of every form this message repeats."""
    stmt = (
        select(ReportVersion.org_name, ReportVersion.received_at)
        .join(Duplicate, Duplicate.of_version_id == ReportVersion.id)
        .where(Duplicate.message_id == message_pk, Duplicate.kind == DuplicateKind.FORM)
        .order_by(Duplicate.id)
    )
    return [(org, when) for org, when in session.execute(stmt).all()]


def _failures(session: Session, message_pk: int) -> list[tuple[str, str]]:
    """(failure kind, file name) of the message's open failures."""
    stmt = (
        select(FailureRecord.kind, AttachmentRow.filename)
        .outerjoin(AttachmentRow, AttachmentRow.id == FailureRecord.attachment_id)
        .where(FailureRecord.message_id == message_pk, FailureRecord.status == FailureStatus.OPEN)
        .order_by(FailureRecord.id)
    )
    return [(kind, filename or "") for kind, filename in session.execute(stmt).all()]
