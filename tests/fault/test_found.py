"""What the mutation suite found, each cut down to the smallest mail that shows it (SQLite and PostgreSQL).

Each test states what should happen. While a defect stands its test is marked xfail(strict=True) and the defect
has an entry in tests/fault/campaign.py's KNOWN_DEFECTS (CI stays green, the summary lists it apart); the fix
removes both. Every defect found so far is fixed.
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


def test_a_subject_word_in_a_codec_that_is_no_charset_keeps_the_rest_of_the_mail(
    session_factory: SessionFactory
) -> None:
    raw = branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)]).replace(
        b"Subject: ", b"Subject: =?undefined?Q?abc?= ", 1)
    assert mime.extract(raw).problems == ()
    assert process(session_factory, raw).outcome is MessageOutcome.REPORT


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


@pytest.mark.parametrize("message_id", ["<>", "<情况表@163.com>"])
def test_a_mail_with_a_malformed_message_id_still_gets_its_receipt(
    session_factory: SessionFactory, tmp_path: Path, message_id: str
) -> None:
    raw = branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)]).replace(
        b"Message-ID: ", b"Message-ID: " + message_id.encode() + b"\r\nX-Old-Message-ID: ", 1)
    assert process(session_factory, raw).outcome is MessageOutcome.REPORT
    sent = send_due(Settings(data_dir=tmp_path, smtp_host="", imap_user=ACCOUNT), session_factory)
    assert (sent.sent, sent.errors) == (1, [])


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
