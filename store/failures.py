"""Failures: record why a message or attachment gave no report, list them, and close them with a note."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from core.vocab import FailureKind, FailureStatus
from store.blobs import get_blob
from store.errors import NotFound
from store.models import AttachmentRow, FailureRecord, Message, utcnow
from store.records import FailureRow, ReparseItem, StoredAttachment
from store.text import clean_text, clip, format_sender, match_key

log = logging.getLogger(__name__)

_DETAIL_KEPT = 20_000  # a traceback or a server's answer, not a 10 MB header echoed back


def record_failure(
    session: Session, message_pk: int, attachment_pk: int | None, kind: FailureKind, detail: str = ""
) -> int:
    """Store an open failure (its kind, the kind's Chinese staff message, technical detail); return its id."""
    kind = FailureKind(kind)
    row = FailureRecord(
        message_id=message_pk,
        attachment_id=attachment_pk,
        kind=kind.value,
        message=kind.message,
        detail=clip(detail, _DETAIL_KEPT),
        status=FailureStatus.OPEN,
        resolved_by="",
        note="",
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    log.info("message pk=%s: failure %s (%s)", message_pk, row.id, row.kind)
    return row.id


def record_unstorable(session: Session, location: str, detail: str) -> int:
    """A mail that could not be stored at all: an open failure that says where it is in the mailbox."""
    row = FailureRecord(
        message_id=None, attachment_id=None, location=clip(location, 2000), kind=FailureKind.UNSTORABLE.value,
        message=FailureKind.UNSTORABLE.message, detail=clip(detail, _DETAIL_KEPT), status=FailureStatus.OPEN,
        resolved_by="", note="", created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    log.error("unstorable mail at %s recorded as failure %s", location, row.id)
    return row.id


def select_failures(session: Session, *where: ColumnElement[bool]) -> list[FailureRow]:
    """Failures matching the conditions (on failures, messages or attachments), oldest first."""
    stmt = (
        select(FailureRecord, Message.sender_name, Message.sender_address, Message.subject, Message.received_at,
               AttachmentRow.filename)
        .outerjoin(Message, Message.id == FailureRecord.message_id)
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
            sender=format_sender(sender_name or "", sender_address or ""),
            subject=subject or "",
            filename=filename or "",
            received_at=received_at or f.created_at,
            detail=f.detail,
            note=f.note,
            resolved_by=f.resolved_by,
            resolved_at=f.resolved_at,
            message_pk=f.message_id,
            attachment_pk=f.attachment_id,
            location=f.location,
        ))
    return rows


def list_failures(session: Session, include_closed: bool = False) -> list[FailureRow]:
    """Failures, oldest first: open ones, or with include_closed also resolved and ignored ones."""
    if include_closed:
        return select_failures(session)
    return select_failures(session, FailureRecord.status == FailureStatus.OPEN)


def get_failure(session: Session, failure_id: int) -> FailureRow | None:
    rows = select_failures(session, FailureRecord.id == failure_id)
    return rows[0] if rows else None


def _close(session: Session, failure_id: int, status: FailureStatus, note: str, by: str) -> None:
    row = session.get(FailureRecord, failure_id)
    if row is None:
        raise NotFound(f"no failure with id {failure_id}")
    text = clean_text(note)
    if row.status != FailureStatus.OPEN and row.note:  # closed before: keep what was said then, nothing is lost
        text = f"{text}（此前{FailureStatus(row.status).label}：{row.note}）"
    row.status = status
    row.note = text
    row.resolved_by = clean_text(by)[:100]
    row.resolved_at = utcnow()
    session.flush()
    log.info("failure %s (message pk=%s) %s by %s", failure_id, row.message_id, status, row.resolved_by)


def resolve_failure(session: Session, failure_id: int, note: str, by: str = "cli") -> None:
    """Mark a failure resolved (the branch resent, staff phoned ...), with a note; NotFound for a bad id."""
    _close(session, failure_id, FailureStatus.RESOLVED, note, by)


def ignore_failure(session: Session, failure_id: int, note: str, by: str = "cli") -> None:
    """Mark a failure ignored (nothing to do), with a note; NotFound for a bad id."""
    _close(session, failure_id, FailureStatus.IGNORED, note, by)


def close_failure_by_reparse(session: Session, failure_id: int, note: str) -> None:
    """A reparse turned the failed attachment into a form: resolved, by "reparse"."""
    _close(session, failure_id, FailureStatus.RESOLVED, note, "reparse")


OURS = (FailureKind.INTERNAL_ERROR, FailureKind.CONVERTER_MISSING, FailureKind.UNSTORABLE)  # the admin's to fix
AUTO = "auto"  # resolved_by of a failure a later valid report closed
_MIN_NAME = 6  # an organisation name shorter than this names too many mails


def resolve_by_later_report(
    session: Session, message_pk: int, sender_address: str, org_names: Sequence[str], note: str
) -> list[int]:
    """Close the open failures a valid report in message_pk settles: those of earlier mail from the same sender
    address, or whose subject or file name names the same organisation. Our own problems (internal_error,
    converter_missing, unstorable) stay open for the administrator. Returns the ids closed."""
    received = session.scalar(select(Message.received_at).where(Message.id == message_pk))
    if received is None:
        return []
    names = [key for key in {match_key(n) for n in org_names} if len(key) >= _MIN_NAME]
    rows = session.execute(
        select(FailureRecord, Message.sender_address, Message.subject, AttachmentRow.filename)
        .join(Message, Message.id == FailureRecord.message_id)
        .outerjoin(AttachmentRow, AttachmentRow.id == FailureRecord.attachment_id)
        .where(FailureRecord.status == FailureStatus.OPEN, FailureRecord.message_id != message_pk,
               FailureRecord.kind.not_in([k.value for k in OURS]), Message.received_at <= received)
        .order_by(FailureRecord.id)
    ).all()
    sender = sender_address.strip().lower()
    closed = []
    for failure, their_sender, subject, filename in rows:
        said = match_key(f"{subject} {filename or ''}")
        if (sender and their_sender == sender) or any(name in said for name in names):
            _close(session, failure.id, FailureStatus.RESOLVED, note, AUTO)
            closed.append(failure.id)
    return closed


def failures_to_reparse(session: Session, ids: Sequence[int] | None) -> list[ReparseItem]:
    """These failures (any status), or every open failure when ids is None, with what a reparse needs.

    Only failures that can be handled again: a stored attachment, or a whole mail shunted as internal_error.
    Those caused by the mail itself (no_attachment, cloud_attachment ...) and unstorable mails are left out.
    Raises NotFound for an id that does not exist.
    """
    stmt = (
        select(FailureRecord.id, FailureRecord.message_id, FailureRecord.kind, FailureRecord.status,
               Message.correction, Message.received_at, AttachmentRow)
        .join(Message, Message.id == FailureRecord.message_id)
        .outerjoin(AttachmentRow, AttachmentRow.id == FailureRecord.attachment_id)
        .order_by(FailureRecord.id)
    )
    if ids is None:
        stmt = stmt.where(FailureRecord.status == FailureStatus.OPEN)
    else:
        stmt = stmt.where(FailureRecord.id.in_(set(ids)))
    rows = session.execute(stmt).all()
    if ids is not None:
        known = set(session.scalars(select(FailureRecord.id).where(FailureRecord.id.in_(set(ids)))))
        missing = sorted(set(ids) - known)
        if missing:
            raise NotFound(f"no failure with id {', '.join(str(i) for i in missing)}")
    items: list[ReparseItem] = []
    for failure_id, message_pk, kind, status, correction, received_at, att in rows:
        if att is None and kind != FailureKind.INTERNAL_ERROR:
            continue
        stored = None if att is None else StoredAttachment(
            pk=att.id, filename=att.filename, content_type=att.content_type, data=get_blob(session, att.sha256),
            sha256=att.sha256, origin=att.origin)
        items.append(ReparseItem(failure_id=failure_id, kind=FailureKind(kind), status=FailureStatus(status),
                                 message_pk=message_pk or 0, attachment=stored, correction=bool(correction),
                                 received_at=received_at))
    return items
