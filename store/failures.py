"""Failures: record why a message or attachment gave no report, list them, and close them with a note."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from store.blobs import get_blob
from store.errors import NotFound
from store.models import AttachmentRow, FailureRecord, Message, utcnow
from store.records import FailureRow, ReparseItem
from store.text import clean_text, format_sender

log = logging.getLogger(__name__)

STATUSES = ("open", "resolved", "ignored")


def record_failure(
    session: Session, message_pk: int, attachment_pk: int | None, kind: str, message: str, detail: str
) -> int:
    """Store an open failure (kind code, Chinese staff message, technical detail); return its id."""
    row = FailureRecord(
        message_id=message_pk,
        attachment_id=attachment_pk,
        kind=clean_text(kind)[:40],
        message=clean_text(message),
        detail=clean_text(detail),
        status="open",
        resolved_by="",
        note="",
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    log.info("message pk=%s: failure %s (%s)", message_pk, row.id, row.kind)
    return row.id


def select_failures(session: Session, *where: ColumnElement[bool]) -> list[FailureRow]:
    """Failures matching the conditions (on failures, messages or attachments), oldest first."""
    stmt = (
        select(FailureRecord, Message.sender_name, Message.sender_address, Message.subject, Message.received_at,
               AttachmentRow.filename)
        .join(Message, Message.id == FailureRecord.message_id)
        .outerjoin(AttachmentRow, AttachmentRow.id == FailureRecord.attachment_id)
        .where(*where)
        .order_by(FailureRecord.id)
    )
    rows: list[FailureRow] = []
    for f, sender_name, sender_address, subject, received_at, filename in session.execute(stmt).all():
        rows.append(FailureRow(
            id=f.id,
            kind=f.kind,
            message=f.message,
            status=f.status,
            sender=format_sender(sender_name, sender_address),
            subject=subject,
            filename=filename or "",
            received_at=received_at,
            detail=f.detail,
            note=f.note,
            resolved_by=f.resolved_by,
            resolved_at=f.resolved_at,
            message_pk=f.message_id,
            attachment_pk=f.attachment_id,
        ))
    return rows


def list_failures(session: Session, include_closed: bool = False) -> list[FailureRow]:
    """Failures, oldest first: open ones, or with include_closed also resolved and ignored ones."""
    if include_closed:
        return select_failures(session)
    return select_failures(session, FailureRecord.status == "open")


def get_failure(session: Session, failure_id: int) -> FailureRow | None:
    rows = select_failures(session, FailureRecord.id == failure_id)
    return rows[0] if rows else None


def _close(session: Session, failure_id: int, status: str, note: str, by: str) -> None:
    row = session.get(FailureRecord, failure_id)
    if row is None:
        raise NotFound(f"no failure with id {failure_id}")
    text = clean_text(note)
    if row.status != "open" and row.note:  # closed before: keep what was said then, nothing is lost
        before = {"resolved": "已解决", "ignored": "已忽略"}.get(row.status, row.status)
        text = f"{text}（此前{before}：{row.note}）"
    row.status = status
    row.note = text
    row.resolved_by = clean_text(by)[:100]
    row.resolved_at = utcnow()
    session.flush()
    log.info("failure %s (message pk=%s) %s by %s", failure_id, row.message_id, status, row.resolved_by)


def resolve_failure(session: Session, failure_id: int, note: str, by: str = "cli") -> None:
    """Mark a failure resolved (the branch resent, staff phoned ...), with a note; NotFound for a bad id."""
    _close(session, failure_id, "resolved", note, by)


def ignore_failure(session: Session, failure_id: int, note: str, by: str = "cli") -> None:
    """Mark a failure ignored (nothing to do), with a note; NotFound for a bad id."""
    _close(session, failure_id, "ignored", note, by)


def close_failure_by_reparse(session: Session, failure_id: int, note: str) -> None:
    """A reparse turned the failed attachment into a form: resolved, by "reparse"."""
    _close(session, failure_id, "resolved", note, "reparse")


def failures_to_reparse(session: Session, ids: Sequence[int] | None) -> list[ReparseItem]:
    """The stored attachments of these failures (any status), or of every open failure when ids is None.

    Failures without an attachment (no_attachment, cloud_attachment) have nothing to parse and are left out.
    Raises NotFound for an id that does not exist.
    """
    stmt = (
        select(FailureRecord.id, FailureRecord.message_id, FailureRecord.attachment_id, AttachmentRow.filename,
               AttachmentRow.content_type, AttachmentRow.sha256, Message.correction, Message.received_at)
        .join(Message, Message.id == FailureRecord.message_id)
        .outerjoin(AttachmentRow, AttachmentRow.id == FailureRecord.attachment_id)
        .order_by(FailureRecord.id)
    )
    if ids is None:
        stmt = stmt.where(FailureRecord.status == "open")
    else:
        wanted = set(ids)
        stmt = stmt.where(FailureRecord.id.in_(wanted))
    rows = session.execute(stmt).all()
    if ids is not None:
        missing = sorted(set(ids) - {r[0] for r in rows})
        if missing:
            raise NotFound(f"no failure with id {', '.join(str(i) for i in missing)}")
    items: list[ReparseItem] = []
    for failure_id, message_pk, attachment_pk, filename, content_type, sha, correction, received_at in rows:
        if attachment_pk is None:
            continue
        items.append(ReparseItem(
            failure_id=failure_id, message_pk=message_pk, attachment_pk=attachment_pk, filename=filename,
            content_type=content_type, data=get_blob(session, sha), correction=bool(correction),
            received_at=received_at,
        ))
    return items
