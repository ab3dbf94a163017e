"""Trace one message: its outcome and reason, the report versions it made, its duplicates and failures."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.errors import NotFound
from store.models import AttachmentRow, Duplicate, FailureRecord, Message, ReportVersion
from store.records import MessageAudit


def trace_message(session: Session, message_pk: int) -> MessageAudit:
    """Everything the store knows became of one message (NotFound for a bad pk)."""
    msg = session.get(Message, message_pk)
    if msg is None:
        raise NotFound(f"no message with pk {message_pk}")
    versions = session.execute(
        select(ReportVersion.report_id, ReportVersion.version_no)
        .where(ReportVersion.message_id == message_pk).order_by(ReportVersion.id)
    ).all()
    duplicates = session.execute(
        select(Duplicate.kind, Duplicate.of_message_id, Duplicate.of_attachment_id, Duplicate.of_version_id)
        .where(Duplicate.message_id == message_pk).order_by(Duplicate.id)
    ).all()
    failures = session.execute(
        select(FailureRecord.id, FailureRecord.kind, FailureRecord.status)
        .where(FailureRecord.message_id == message_pk).order_by(FailureRecord.id)
    ).all()
    attachments = session.execute(
        select(AttachmentRow.id, AttachmentRow.filename, AttachmentRow.sha256)
        .where(AttachmentRow.message_id == message_pk).order_by(AttachmentRow.id)
    ).all()
    return MessageAudit(
        message_pk=message_pk,
        outcome=msg.outcome,
        reason=msg.outcome_reason,
        duplicate_of=msg.duplicate_of_id,
        versions=tuple((r, v) for r, v in versions),
        duplicates=tuple((k, m, a, v) for k, m, a, v in duplicates),
        failures=tuple((i, k, s) for i, k, s in failures),
        attachments=tuple((i, n, h) for i, n, h in attachments),
    )
