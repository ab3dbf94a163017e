"""Queued 回执 go out after commit through a real SMTP server (aiosmtpd), exactly once, threaded, never looping."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from core.settings import Settings
from core.vocab import ReceiptStatus
from ingest import classify, mime
from ingest.model import RawMessage
from ingest.pipeline import PipelineContext, process_message
from receipts.send import MAX_ATTEMPTS, receipts_folder, send_due
from store import receipts
from store.session import SessionFactory
from tests.builders import DOCX, branch_mail, form_docx
from tests.fixtures.smtp import SmtpServer, free_port
from tests.mailout.helpers import smtp_settings

ACCOUNT = "szlgbjdjc@163.com"
ARRIVED = datetime(2020, 5, 13, 2, 0, tzinfo=UTC)


@pytest.fixture
def arrive(session_factory: SessionFactory) -> Callable[[bytes], None]:
    ctx = PipelineContext(account=ACCOUNT, own_addresses=frozenset({ACCOUNT}), receipts="all", clock=lambda: ARRIVED)
    uids = iter(range(1, 1000))

    def _arrive(raw: bytes) -> None:
        process_message(session_factory, RawMessage(ACCOUNT, "INBOX", 1, next(uids), raw, ARRIVED), ctx)

    return _arrive


def _sent(server: SmtpServer) -> list[EmailMessage]:
    return [email.message_from_bytes(r.content, policy=email.policy.default) for r in server.received]


def test_a_queued_receipt_reaches_the_smtp_server_once_threaded_and_marked_as_automatic(
    arrive: Callable[[bytes], None], session_factory: SessionFactory, smtp_server: SmtpServer
) -> None:
    arrive(branch_mail(subject="财政局情况表", message_id="<form-1@163.com>",
                       attachments=[("情况表.docx", form_docx(), DOCX)]))
    settings = smtp_settings(smtp_server, imap_user=ACCOUNT)
    first, second = send_due(settings, session_factory), send_due(settings, session_factory)
    assert (first.sent, second.sent) == (1, 0)
    (mail,) = _sent(smtp_server)
    assert mail["To"] == "czj_lgb@163.com" and ACCOUNT in mail["From"]
    assert mail["Subject"] == "回执：财政局情况表"
    assert (mail["In-Reply-To"], mail["References"]) == ("<form-1@163.com>", "<form-1@163.com>")
    assert mail["Auto-Submitted"] == "auto-replied" and mail["X-Auto-Response-Suppress"] == "All"
    body = mail.get_body(("plain",))
    assert body is not None and "苏州市财政局离退休干部党支部" in body.get_content()
    with session_factory() as session:
        (row,) = receipts.list_receipts(session)
    assert row.status is ReceiptStatus.SENT and row.sent_at is not None


def test_our_own_receipt_coming_back_is_ignored_and_answered_by_nobody(
    arrive: Callable[[bytes], None], session_factory: SessionFactory, smtp_server: SmtpServer
) -> None:
    arrive(branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)]))
    send_due(smtp_settings(smtp_server, imap_user=ACCOUNT), session_factory)
    (receipt_bytes,) = [r.content for r in smtp_server.received]
    content = mime.extract(receipt_bytes)
    assert classify.ignore_reason(content, frozenset({ACCOUNT})) is not None  # an auto-reply: never a report
    arrive(receipt_bytes)
    with session_factory() as session:
        assert len(receipts.list_receipts(session)) == 1


def test_a_failed_send_is_kept_and_retried_until_it_goes(
    arrive: Callable[[bytes], None], session_factory: SessionFactory, smtp_server: SmtpServer
) -> None:
    arrive(branch_mail(body="情况表稍后补发。"))
    down = smtp_settings(smtp_server, imap_user=ACCOUNT, smtp_port=free_port(), smtp_timeout=2.0)
    failed = send_due(down, session_factory)
    assert (failed.sent, failed.failed) == (0, 1)
    with session_factory() as session:
        (row,) = receipts.list_receipts(session)
    assert row.status is ReceiptStatus.FAILED and row.reason
    assert send_due(smtp_settings(smtp_server, imap_user=ACCOUNT), session_factory).sent == 1
    assert len(smtp_server.received) == 1


def test_a_receipt_that_keeps_failing_stops_being_tried(
    arrive: Callable[[bytes], None], session_factory: SessionFactory, smtp_server: SmtpServer
) -> None:
    arrive(branch_mail(body="情况表稍后补发。"))
    down = smtp_settings(smtp_server, imap_user=ACCOUNT, smtp_port=free_port(), smtp_timeout=2.0)
    tries = [send_due(down, session_factory).failed for _ in range(MAX_ATTEMPTS + 2)]
    assert tries == [1] * MAX_ATTEMPTS + [0, 0]


def test_without_smtp_receipts_go_to_the_outbox_folder(
    arrive: Callable[[bytes], None], session_factory: SessionFactory, tmp_path: Path
) -> None:
    blank = form_docx(org="", headcount="", agenda=(), summary="", contact="", phone="")
    arrive(branch_mail(attachments=[("情况表.docx", blank, DOCX)]))
    settings = Settings(data_dir=tmp_path, imap_user=ACCOUNT)
    assert send_due(settings, session_factory).sent == 1
    (eml,) = receipts_folder(settings).glob("*.eml")
    mail = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    names = [part.get_filename() for part in mail.iter_attachments()]
    assert names == ["情况表（空白）.docx"]


def test_a_second_sender_waits_for_the_first(
    arrive: Callable[[bytes], None], session_factory: SessionFactory, smtp_server: SmtpServer
) -> None:
    from store.locks import named_lock
    from store.session import engine_of

    arrive(branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)]))
    with named_lock(engine_of(session_factory), "receipts") as got:
        assert got
        busy = send_due(replace(smtp_settings(smtp_server), imap_user=ACCOUNT), session_factory)
    assert busy.busy and busy.sent == 0 and smtp_server.received == []


def test_a_subject_holding_an_empty_charset_encoded_word_still_gets_its_receipt_and_stops_no_other(
    arrive: Callable[[bytes], None], session_factory: SessionFactory, tmp_path: Path
) -> None:
    """Found by the fault suite: =??B?...?= in a Subject made the receipt's Subject unfoldable, and the send loop
    stopped at it every run, so no branch after it got a receipt."""
    raw = branch_mail(subject="PLACEHOLDER", attachments=[("情况表.docx", form_docx(), DOCX)])
    arrive(raw.replace(b"Subject: PLACEHOLDER", "Subject: =??B?5oOF?= 情况表".encode()))
    arrive(branch_mail(sender="民政局 <mzj@163.com>",
                       attachments=[("情况表.docx", form_docx(org="苏州市民政局离退休干部党支部"), DOCX)]))
    settings = Settings(data_dir=tmp_path, imap_user=ACCOUNT)
    assert send_due(settings, session_factory).sent == 2
    subjects = sorted(email.message_from_bytes(p.read_bytes(), policy=email.policy.default)["Subject"]
                      for p in receipts_folder(settings).glob("*.eml"))
    assert subjects[0].startswith("回执：")
