"""What the mutation suite found, each cut down to the smallest mail that shows it (SQLite and PostgreSQL).

Each test states what should happen and is marked xfail(strict=True) while the defect stands: CI stays green, and
the day a fix lands the test passes, strict turns that into a failure, and whoever fixed it removes the mark (and
the defect's entry in tests/fault/campaign.py's KNOWN_DEFECTS).
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.settings import Settings
from core.vocab import MessageOutcome
from ingest import mime
from ingest.model import RawMessage
from ingest.pipeline import PipelineContext, Processed, process_message
from receipts.send import send_due
from store import queries
from store.session import SessionFactory
from tests.builders import DOCX, branch_mail, form_docx
from tests.fault.rawmail import set_header
from tests.ingest.mailbuild import file_part, raw_mail, raw_part

ACCOUNT = "szlgbjdjc@163.com"


def process(session_factory: SessionFactory, raw: bytes, uid: int = 1) -> Processed:
    """Process one mail as a poll would, received now and with receipts on for every mail."""
    now = datetime.now(UTC)
    ctx = PipelineContext(account=ACCOUNT, own_addresses=frozenset({ACCOUNT}), receipts="all", clock=lambda: now)
    return process_message(session_factory, RawMessage(ACCOUNT, "INBOX", 1, uid, raw, now), ctx)


def with_text_charset(raw: bytes, label: bytes) -> bytes:
    """The mail's text part declared in another charset (its bytes unchanged)."""
    changed, n = re.subn(rb'(Content-Type: text/plain; charset=)"?[\w-]+"?', rb"\g<1>" + label, raw, count=1)
    assert n == 1
    return changed


@pytest.mark.xfail(strict=True, reason="defect: ingest.headers.codec_for accepts any Python codec name, so a part "
                   "declared charset=idna, punycode or undefined raises UnicodeError (not UnicodeDecodeError) in "
                   "decode_bytes; mime.extract then gives up on the whole mail (internal_error, only its headers "
                   "read) and the form attached to it is never read")
@pytest.mark.parametrize("label", [b"undefined", b"punycode", b"idna"])
def test_a_text_part_in_a_codec_that_is_no_charset_does_not_lose_the_form_beside_it(
    session_factory: SessionFactory, label: bytes
) -> None:
    raw = with_text_charset(branch_mail(body="您好，附件是情况表。" * 20,
                                        attachments=[("情况表.docx", form_docx(), DOCX)]), label)
    assert mime.extract(raw).problems == ()
    out = process(session_factory, raw)
    assert (out.outcome, out.counts.new_reports) == (MessageOutcome.REPORT, 1)
    with session_factory() as session:
        assert [r.org_name for r in queries.current_reports(session)] == ["苏州市财政局离退休干部党支部"]


@pytest.mark.xfail(strict=True, reason="defect: for a leaf with 8-bit text the stdlib's Message.get_payload() "
                   "decodes in the declared charset, so ingest.walk's get_payload() calls raise UnicodeError for "
                   "charset=undefined, idna or punycode and the whole mail is given up (the form beside it unread)")
@pytest.mark.parametrize("label", ["undefined", "punycode", "idna"])
def test_an_8bit_text_part_in_a_codec_that_is_no_charset_does_not_lose_the_form_beside_it(
    session_factory: SessionFactory, label: str
) -> None:
    text = raw_part([("Content-Type", f"text/plain; charset={label}"), ("Content-Transfer-Encoding", "8bit")],
                    "您好，附件是情况表。".encode())
    raw = raw_mail([("From", "财政局 <czj_lgb@163.com>"), ("Subject", "主题党日活动情况表"), ("MIME-Version", "1.0")],
                   b"", "=_b_=", [text, file_part("情况表.docx", form_docx())])
    assert mime.extract(raw).problems == ()
    assert process(session_factory, raw).outcome is MessageOutcome.REPORT


@pytest.mark.xfail(strict=True, reason="defect: a Subject encoded-word in a codec that is no charset "
                   "(=?undefined?Q?…?=, =?punycode?…?=) makes mime.extract give up on the whole mail")
def test_a_subject_word_in_a_codec_that_is_no_charset_keeps_the_rest_of_the_mail(
    session_factory: SessionFactory
) -> None:
    raw = branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)]).replace(
        b"Subject: ", b"Subject: =?undefined?Q?abc?= ", 1)
    assert mime.extract(raw).problems == ()
    assert process(session_factory, raw).outcome is MessageOutcome.REPORT


@pytest.mark.xfail(strict=True, reason="defect: ingest.headers._decode_rfc2231 hands an RFC 2231 value holding raw "
                   "8-bit bytes (filename*=UTF-8''情况表.docx, unencoded, as some clients send it) to "
                   "urllib.parse.unquote_to_bytes as text with surrogates: UnicodeEncodeError, mime.extract gives up "
                   "on the whole mail and the form is never read")
@pytest.mark.parametrize("disposition", ["attachment; filename*=UTF-8''情况表.docx".encode(),
                                         "attachment; filename*=GBK''情况表.docx".encode("gbk"),
                                         b"attachment; filename*0*=utf-8''%E6%83%85; filename*1*=\x8b.docx"])
def test_raw_8bit_bytes_in_an_rfc2231_file_name_do_not_lose_the_form(
    session_factory: SessionFactory, disposition: bytes
) -> None:
    form = raw_part([("Content-Type", "application/octet-stream"), ("Content-Disposition", disposition),
                     ("Content-Transfer-Encoding", "base64")], base64.encodebytes(form_docx()))
    raw = raw_mail([("From", "财政局 <czj_lgb@163.com>"), ("Subject", "主题党日活动情况表"), ("MIME-Version", "1.0")],
                   b"", "=_b_=", [raw_part([("Content-Type", "text/plain; charset=utf-8")], "您好"), form])
    content = mime.extract(raw)
    assert content.problems == () and [a.filename[:1] for a in content.attachments] == ["情"]
    assert process(session_factory, raw).outcome is MessageOutcome.REPORT


@pytest.mark.xfail(strict=True, reason="defect: receipts/send.py passes a Message-ID as In-Reply-To whenever it "
                   "starts with < and ends with >, but mailout.compose refuses '<>' or a non-ASCII one: the "
                   "branch's receipt fails on every attempt instead of going out without In-Reply-To")
@pytest.mark.parametrize("message_id", ["<>", "<情况表@163.com>"])
def test_a_mail_with_a_malformed_message_id_still_gets_its_receipt(
    session_factory: SessionFactory, tmp_path: Path, message_id: str
) -> None:
    raw = branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)]).replace(
        b"Message-ID: ", b"Message-ID: " + message_id.encode() + b"\r\nX-Old-Message-ID: ", 1)
    assert process(session_factory, raw).outcome is MessageOutcome.REPORT
    sent = send_due(Settings(data_dir=tmp_path, smtp_host="", imap_user=ACCOUNT), session_factory)
    assert (sent.sent, sent.errors) == (1, [])


@pytest.mark.xfail(strict=True, reason="defect: ingest.replies' address check takes a non-ASCII local part or an "
                   "address longer than the store keeps (320 characters, so it is queued cut, without its @) and "
                   "queues the receipt, which mailout.compose always refuses: it fails on every attempt instead of "
                   "being recorded as suppressed (no_address) when it is queued")
@pytest.mark.parametrize("sender", [b"=?utf-8?B?5byg5LiJ?= <\xe5\xbc\xa0\xe4\xb8\x89@163.com>",
                                    b"<\xe6\x83@163.com>", b"<a\x80b@163.com>", b"<" + b"a" * 400 + b"@163.com>"])
def test_a_receipt_to_an_address_no_mail_server_takes_is_suppressed_not_failed(
    session_factory: SessionFactory, tmp_path: Path, sender: bytes
) -> None:
    raw = re.sub(rb"(?m)^From: .*$", lambda _m: b"From: " + sender,
                 branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)]), count=1)
    assert process(session_factory, raw).outcome is MessageOutcome.REPORT
    sent = send_due(Settings(data_dir=tmp_path, smtp_host="", imap_user=ACCOUNT), session_factory)
    assert (sent.sent, sent.failed, sent.errors) == (0, 0, [])


@pytest.mark.xfail(strict=True, reason="defect: a Subject holding an encoded-word with an empty charset (=??B?5oOF?=), "
                   "which ingest leaves as text, makes the receipt's Subject (回执：…) unwritable: the stdlib raises "
                   "UnicodeEncodeError while folding it, receipts.send catches only SendError, ComposeError and "
                   "OSError, so send_due stops at that receipt, on every later run too, and no other branch gets one")
def test_a_receipt_answering_an_empty_charset_word_is_written_and_never_stops_the_others(
    session_factory: SessionFactory, tmp_path: Path
) -> None:
    hostile = set_header(branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)]), "Subject",
                         "=??B?5oOF?= 情况表".encode())
    assert process(session_factory, hostile, uid=1).outcome is MessageOutcome.REPORT
    other = branch_mail(sender="民政局 <mzj@163.com>",
                        attachments=[("情况表.docx", form_docx(org="苏州市民政局离退休干部党支部"), DOCX)])
    assert process(session_factory, other, uid=2).outcome is MessageOutcome.REPORT
    sent = send_due(Settings(data_dir=tmp_path, smtp_host="", imap_user=ACCOUNT), session_factory)
    assert sent.sent == 2
