"""Send the queued 回执 after commit: compose each from the store, hand it to SMTP (or the outbox), record it.

One sender at a time (the store's named lock "receipts"); each receipt in its own transaction, marked sent right
after the SMTP server took it, so a crash re-sends a receipt only if it falls between the two. A failed send is
retried on the next run until MAX_ATTEMPTS.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from core.settings import Settings
from core.vocab import RECEIPT_HEADER
from mailout.compose import Attachment, ComposeError, check_msg_id, compose
from mailout.outbox import write_message
from mailout.send import SendError, send
from receipts.render import BLANK_FORM_NAME, render_receipt
from store import locks, receipts
from store.records import ReceiptRow
from store.session import SessionFactory, engine_of

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
LOCK_NAME = "receipts"
SENDER_NAME = "苏州市委老干部局组织指导处"
DOCX = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")


@dataclass
class SendSummary:
    sent: int = 0
    failed: int = 0
    busy: bool = False  # another process is sending right now
    errors: list[str] = field(default_factory=list)


def receipts_folder(settings: Settings) -> Path:
    """Where receipts go when no SMTP server is set: the outbox's receipts/ folder."""
    return settings.data_dir / "outbox" / "receipts"


def compose_receipt(settings: Settings, session_factory: SessionFactory, row: ReceiptRow,
                    now: datetime) -> EmailMessage:
    """The mail for one queued receipt, from what the store knows of its message now."""
    with session_factory() as session:
        facts = receipts.receipt_facts(session, row.message_pk)
    rendered = render_receipt(facts, row.kind, tz=settings.tz, office_phone=settings.office_phone)
    attachments = [Attachment(rendered.blank_form, BLANK_FORM_NAME, *DOCX)] if rendered.blank_form else []
    in_reply_to = threading_id(row.in_reply_to)
    return compose(
        sender=settings.imap_user or settings.digest_from or "szlgbjdjc@163.com", sender_name=SENDER_NAME,
        to=[row.to], subject=rendered.subject, text=rendered.text, html=rendered.html, date=now,
        attachments=attachments, in_reply_to=in_reply_to, references=[in_reply_to] if in_reply_to else [],
        headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All",
                 RECEIPT_HEADER: str(row.id)},
    )


def threading_id(message_id: str) -> str:
    """The original's Message-ID if a mail server takes it in In-Reply-To (<left@right>, ASCII), else "": the
    receipt then goes unthreaded rather than not at all."""
    try:
        return check_msg_id(message_id, "In-Reply-To") if message_id.isascii() else ""
    except ComposeError:
        return ""


def _deliver(settings: Settings, message: EmailMessage, row: ReceiptRow) -> None:
    if settings.smtp_host:
        send(settings, message)
    else:
        write_message(message, receipts_folder(settings), f"receipt-{row.id:06d}")


def send_due(settings: Settings, session_factory: SessionFactory, *, now: datetime | None = None) -> SendSummary:
    """Send every receipt that is due (queued, or failed fewer than MAX_ATTEMPTS times)."""
    summary = SendSummary()
    with locks.named_lock(engine_of(session_factory), LOCK_NAME) as got:
        if not got:
            summary.busy = True
            return summary
        with session_factory() as session:
            due = receipts.due_receipts(session, MAX_ATTEMPTS)
        for row in due:
            _send_one(settings, session_factory, row, now or datetime.now(UTC), summary)
    if summary.sent or summary.failed:
        log.info("receipts: %s sent, %s failed", summary.sent, summary.failed)
    return summary


def _send_one(settings: Settings, session_factory: SessionFactory, row: ReceiptRow, now: datetime,
              summary: SendSummary) -> None:
    try:
        message = compose_receipt(settings, session_factory, row, now)
        _deliver(settings, message, row)
    except Exception as exc:  # one receipt that cannot go must never hold up the others
        if not isinstance(exc, SendError | ComposeError | OSError):
            log.exception("receipt %s to %s could not be made", row.id, row.to)
        line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        with session_factory() as session, session.begin():
            receipts.mark_failed(session, row.id, line)
        summary.failed += 1
        summary.errors.append(f"receipt {row.id} to {row.to}: {line}")
        log.warning("receipt %s to %s not sent: %s", row.id, row.to, line)
        return
    with session_factory() as session, session.begin():
        receipts.mark_sent(session, row.id, message.as_bytes())
    summary.sent += 1
