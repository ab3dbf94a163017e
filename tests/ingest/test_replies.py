"""Which messages get a 回执 queued with them, of what kind, and which never do (robots, lists, old mail, limits)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from core.vocab import ReceiptKind, ReceiptStatus
from ingest.model import RawMessage
from ingest.pipeline import PipelineContext, Processed, process_message
from store import receipts
from store.records import ReceiptRow
from store.session import SessionFactory
from tests.builders import DOCX, branch_mail, form_docx

ACCOUNT = "szlgbjdjc@163.com"
NOW = datetime(2020, 5, 13, 3, 0, tzinfo=UTC)
ARRIVED = datetime(2020, 5, 13, 2, 0, tzinfo=UTC)

Feed = Callable[..., Processed]


@pytest.fixture
def ctx() -> PipelineContext:
    return PipelineContext(account=ACCOUNT, own_addresses=frozenset({ACCOUNT}), receipts="all", clock=lambda: NOW)


@pytest.fixture
def feed(session_factory: SessionFactory, ctx: PipelineContext) -> Feed:
    uids = iter(range(1, 10_000))

    def _feed(raw: bytes, *, context: PipelineContext = ctx, arrived: datetime = ARRIVED,
              folder: str = "INBOX") -> Processed:
        return process_message(session_factory, RawMessage(ACCOUNT, folder, 7, next(uids), raw, arrived), context)

    return _feed


def queued(session_factory: SessionFactory) -> list[ReceiptRow]:
    with session_factory() as session:
        return receipts.list_receipts(session)


def test_a_report_gets_one_queued_receipt_threaded_to_the_original(feed: Feed, session_factory: SessionFactory) -> None:
    feed(branch_mail(message_id="<form-1@163.com>", attachments=[("情况表.docx", form_docx(), DOCX)]))
    (row,) = queued(session_factory)
    assert (row.kind, row.status, row.to, row.in_reply_to) == (
        ReceiptKind.REPORT, ReceiptStatus.QUEUED, "czj_lgb@163.com", "<form-1@163.com>")


@pytest.mark.parametrize(("mail", "kind"), [
    (branch_mail(body="情况表稍后补发。"), ReceiptKind.FAILURE),
    (branch_mail(attachments=[("情况表.docx", b"PK\x03\x04 broken", DOCX)]), ReceiptKind.FAILURE),
])
def test_a_failure_gets_a_failure_receipt(feed: Feed, session_factory: SessionFactory, mail: bytes,
                                          kind: ReceiptKind) -> None:
    feed(mail)
    assert [(r.kind, r.status) for r in queued(session_factory)] == [(kind, ReceiptStatus.QUEUED)]


def test_a_resend_of_the_same_form_gets_a_duplicate_receipt(feed: Feed, session_factory: SessionFactory) -> None:
    data = form_docx()
    feed(branch_mail(attachments=[("情况表.docx", data, DOCX)]))
    feed(branch_mail(subject="再发一次", attachments=[("情况表.docx", data, DOCX)]))
    assert [r.kind for r in queued(session_factory)] == [ReceiptKind.REPORT, ReceiptKind.DUPLICATE]


def test_the_same_mail_seen_again_in_another_folder_gets_no_second_receipt(
    feed: Feed, session_factory: SessionFactory
) -> None:
    raw = branch_mail(message_id="<once@163.com>", attachments=[("情况表.docx", form_docx(), DOCX)])
    feed(raw)
    feed(raw, folder="垃圾邮件")
    assert len(queued(session_factory)) == 1


@pytest.mark.parametrize("mail", [
    branch_mail(subject="自动回复：情况表", headers=[("Auto-Submitted", "auto-replied")]),
    branch_mail(subject="情况表", headers=[("List-Id", "<branches.example.cn>")],
                attachments=[("情况表.docx", form_docx(), DOCX)]),
    branch_mail(subject="周末聚餐", body="周六中午见"),
])
def test_ignored_and_out_of_scope_mail_leaves_no_receipt_row(feed: Feed, session_factory: SessionFactory,
                                                              mail: bytes) -> None:
    feed(mail)
    assert queued(session_factory) == []


@pytest.mark.parametrize(("sender", "headers", "reason"), [
    ("系统 <noreply@dj.suzhou.gov.cn>", [], "robot_address"),
    ("党建系统 <notifications@oa.example.cn>", [], "robot_address"),
    ("财政局 <czj_lgb@163.com>", [("Return-Path", "<>")], "null_return_path"),
    ("财政局 <czj_lgb@163.com>", [("X-Intake-Receipt", "1")], "our_mail"),
    ("组织指导处 <szlgbjdjc@163.com>", [], "own_address"),
    ("财政局", [], "no_address"),
])
def test_a_robot_our_own_address_or_no_address_gets_a_suppressed_row_not_a_receipt(
    feed: Feed, session_factory: SessionFactory, sender: str, headers: list[tuple[str, str]], reason: str
) -> None:
    feed(branch_mail(sender=sender, headers=headers, attachments=[("情况表.docx", form_docx(), DOCX)]))
    assert [(r.status, r.reason) for r in queued(session_factory)] == [(ReceiptStatus.SUPPRESSED, reason)]


def test_mail_older_than_the_age_limit_gets_no_receipt_so_a_backfill_mails_nobody(
    feed: Feed, session_factory: SessionFactory
) -> None:
    feed(branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)]), arrived=NOW - timedelta(hours=73))
    assert [(r.status, r.reason) for r in queued(session_factory)] == [(ReceiptStatus.SUPPRESSED, "too_old")]


def test_the_daily_limit_per_sender_holds(feed: Feed, session_factory: SessionFactory, ctx: PipelineContext) -> None:
    for n in range(4):
        feed(branch_mail(body=f"第{n}次：情况表稍后补发。"), context=replace(ctx, receipt_daily_limit=3))
    assert [r.status for r in queued(session_factory)] == [ReceiptStatus.QUEUED] * 3 + [ReceiptStatus.SUPPRESSED]
    assert queued(session_factory)[-1].reason == "daily_limit"


def test_with_receipts_for_failures_only_a_report_gets_none(
    feed: Feed, session_factory: SessionFactory, ctx: PipelineContext
) -> None:
    only_failures = replace(ctx, receipts="failures")
    feed(branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)]), context=only_failures)
    feed(branch_mail(body="情况表稍后补发。"), context=only_failures)
    assert [r.kind for r in queued(session_factory)] == [ReceiptKind.FAILURE]


def test_with_receipts_off_nothing_is_queued(feed: Feed, session_factory: SessionFactory,
                                             ctx: PipelineContext) -> None:
    feed(branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)]), context=replace(ctx, receipts="off"))
    assert queued(session_factory) == []


def test_a_receipt_answers_the_reply_to_address_when_the_mail_names_one(
    feed: Feed, session_factory: SessionFactory
) -> None:
    feed(branch_mail(headers=[("Reply-To", "支部书记 <shuji@163.com>")],
                     attachments=[("情况表.docx", form_docx(), DOCX)]))
    (row,) = queued(session_factory)
    assert (row.to, row.status) == ("shuji@163.com", ReceiptStatus.QUEUED)
