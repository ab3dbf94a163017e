"""What a 回执 says for each kind, built from real mails through the pipeline into a real store."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from core.vocab import FailureKind
from ingest.model import RawMessage
from ingest.pipeline import PipelineContext, Processed, process_message
from receipts.render import RenderedReceipt, render_receipt
from store import receipts
from store.session import SessionFactory
from tests.builders import DOCX, branch_mail, form_docx

ACCOUNT = "szlgbjdjc@163.com"
SH = ZoneInfo("Asia/Shanghai")
ARRIVED = datetime(2020, 5, 13, 2, 0, tzinfo=UTC)


@pytest.fixture
def receipt_of(session_factory: SessionFactory) -> Callable[..., RenderedReceipt]:
    ctx = PipelineContext(account=ACCOUNT, own_addresses=frozenset({ACCOUNT}), receipts="all",
                          clock=lambda: ARRIVED)
    uids = iter(range(1, 1000))

    def _receipt(raw: bytes, arrived: datetime = ARRIVED) -> RenderedReceipt:
        done: Processed = process_message(session_factory, RawMessage(ACCOUNT, "INBOX", 1, next(uids), raw, arrived),
                                          ctx)
        assert done.message_pk is not None
        with session_factory() as session:
            row = next(r for r in receipts.list_receipts(session) if r.message_pk == done.message_pk)
            facts = receipts.receipt_facts(session, done.message_pk)
        return render_receipt(facts, row.kind, tz=SH, office_phone="65158951")

    return _receipt


def test_a_report_receipt_repeats_every_field_as_read_and_says_how_to_correct(
    receipt_of: Callable[..., RenderedReceipt]
) -> None:
    out = receipt_of(branch_mail(subject="财政局情况表", attachments=[("情况表.docx", form_docx(), DOCX)]))
    assert out.subject == "回执：财政局情况表"
    for line in ("党组织名称：苏州市财政局离退休干部党支部", "人数：25 人", "活动日期：2020年5月12日", "联系人：李华",
                 "联系方式：13913571234", "1. 重温入党誓词", "如有误，请直接回复本邮件并附更正后的情况表",
                 "中共苏州市委老干部局组织指导处", "65158951", "5月13日 10:00"):
        assert line in out.text, line
    assert "逾期" not in out.text and "第 2 版" not in out.text and out.blank_form is None


def test_a_correction_receipt_names_its_version_and_the_one_it_replaces(
    receipt_of: Callable[..., RenderedReceipt]
) -> None:
    receipt_of(branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)]))
    corrected = form_docx(headcount="27")
    out = receipt_of(branch_mail(subject="更正：情况表", attachments=[("情况表.docx", corrected, DOCX)]),
                     arrived=datetime(2020, 5, 21, 2, 0, tzinfo=UTC))
    assert "这是第 2 版，替换 5月13日 10:00 收到的版本" in out.text
    assert "已登记为逾期" in out.text  # activity on 5月12日, this version on 5月21日


def test_a_parse_warning_is_put_to_the_branch_in_words(receipt_of: Callable[..., RenderedReceipt]) -> None:
    out = receipt_of(branch_mail(attachments=[("情况表.docx", form_docx(headcount="二十多"), DOCX)]))
    assert "请核对：" in out.text and "人数" in out.text.split("请核对：")[1]


def test_a_duplicate_receipt_says_when_the_same_content_came_and_that_nothing_is_needed(
    receipt_of: Callable[..., RenderedReceipt]
) -> None:
    data = form_docx()
    receipt_of(branch_mail(attachments=[("情况表.docx", data, DOCX)]))
    out = receipt_of(branch_mail(subject="再发一次", attachments=[("情况表.docx", data, DOCX)]),
                     arrived=datetime(2020, 5, 14, 2, 0, tzinfo=UTC))
    assert "与 5月13日 10:00 收到的内容完全相同，已登记，无需任何操作" in out.text


@pytest.mark.parametrize(("mail", "kind"), [
    (branch_mail(body="情况表稍后补发。"), FailureKind.NO_ATTACHMENT),
    (branch_mail(attachments=[("情况表.docx", b"PK\x03\x04 broken", DOCX)]), FailureKind.CORRUPT),
])
def test_a_failure_receipt_says_what_is_wrong_and_exactly_what_to_do(
    receipt_of: Callable[..., RenderedReceipt], mail: bytes, kind: FailureKind
) -> None:
    out = receipt_of(mail)
    assert "未能读取情况表" in out.text and kind.advice in out.text and kind.advice in html.unescape(out.html)
    assert out.blank_form is None


def test_a_blank_template_gets_the_blank_form_attached(receipt_of: Callable[..., RenderedReceipt]) -> None:
    blank = form_docx(org="", headcount="", agenda=(), summary="", contact="", phone="")
    out = receipt_of(branch_mail(attachments=[("情况表.docx", blank, DOCX)]))
    assert FailureKind.EMPTY_FORM.advice in out.text
    assert out.blank_form is not None and out.blank_form.startswith(b"PK")


def test_whatever_a_branch_wrote_is_escaped_in_the_html_and_cut_to_a_sane_length(
    receipt_of: Callable[..., RenderedReceipt]
) -> None:
    out = receipt_of(branch_mail(subject="情况表" + "长" * 5000, attachments=[
        ("情况表.docx", form_docx(org="<script>alert(1)</script>党支部"), DOCX)]))
    assert "<script>" not in out.html and "&lt;script&gt;alert(1)&lt;/script&gt;党支部" in out.html
    assert len(out.subject) <= 4 + 120 and out.subject.endswith("…")
    assert len(out.text) < 5000

