"""The digest tells staff what closed itself (a later valid report) and how the day's 回执 went."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from digest.render import render_digest
from ingest.model import RawMessage
from ingest.pipeline import PipelineContext, process_message
from store import failures as store_failures
from store import queries
from store.session import SessionFactory
from tests.builders import DOCX, branch_mail, form_docx

ACCOUNT = "szlgbjdjc@163.com"
SH = ZoneInfo("Asia/Shanghai")
ARRIVED = datetime(2020, 5, 13, 2, 0, tzinfo=UTC)


def test_the_digest_lists_failures_a_later_report_closed_apart_and_counts_the_days_receipts(
    session_factory: SessionFactory,
) -> None:
    ctx = PipelineContext(account=ACCOUNT, own_addresses=frozenset({ACCOUNT}), receipts="all", clock=lambda: ARRIVED)
    for uid, raw in enumerate([
        branch_mail(subject="情况表（忘带附件）", body="情况表稍后补发。"),
        branch_mail(subject="补发：主题党日活动情况表", attachments=[("情况表.docx", form_docx(), DOCX)]),
        branch_mail(sender="系统 <noreply@oa.example.cn>",
                    attachments=[("情况表.docx", form_docx(org="某支部"), DOCX)]),
    ], start=1):
        process_message(session_factory, RawMessage(ACCOUNT, "INBOX", 1, uid, raw, ARRIVED), ctx)
    with session_factory() as session:
        arrival_day = queries.digest_facts(session, ARRIVED.astimezone(SH).date(), SH)
        (closed,) = store_failures.list_failures(session, include_closed=True)
        assert closed.resolved_at is not None
        closing_day = queries.digest_facts(session, closed.resolved_at.astimezone(SH).date(), SH)
    out = render_digest(arrival_day, SH, datetime(2020, 5, 14, 0, 0, tzinfo=UTC), xlsx_rows=2)
    assert "回执：排队 2 封，按规则不发 1 封" in out.text
    later = render_digest(closing_day, SH, datetime.now(UTC), xlsx_rows=2)  # the day it closed itself
    assert "【已自动解决（1 项，报送单位已重新发来有效情况表）】" in later.text
    assert "已由 5月13日 收到的邮件解决：补发：主题党日活动情况表" in later.text
    assert "已由 5月13日 收到的邮件解决" in html.unescape(later.html)


def test_a_correction_read_from_a_picture_is_marked_in_the_digest_and_the_console_listing(
    session_factory: SessionFactory,
) -> None:
    from dataclasses import replace as replaced

    from core.vocab import PIXELS_WARNING
    from parsers import parse
    from store import console

    ctx = PipelineContext(account=ACCOUNT, own_addresses=frozenset({ACCOUNT}))
    process_message(session_factory, RawMessage(ACCOUNT, "INBOX", 1, 1, branch_mail(
        attachments=[("情况表.docx", form_docx(), DOCX)]), ARRIVED), ctx)

    def from_a_photo(data: bytes, filename: str, ref_date: object = None, **kwargs: object) -> object:
        typed = parse(form_docx(headcount="27"), "情况表.docx", ref_date)  # type: ignore[arg-type]
        (form,) = typed.forms
        return replaced(typed, forms=(replaced(form, warnings=(PIXELS_WARNING, *form.warnings)),))

    photo = branch_mail(subject="更正：情况表（拍照）",
                        attachments=[("IMG_0001.jpg", b"\xff\xd8\xff photo", "image/jpeg")])
    process_message(session_factory, RawMessage(ACCOUNT, "INBOX", 1, 2, photo, ARRIVED),
                    replaced(ctx, parse=from_a_photo))  # type: ignore[arg-type]
    with session_factory() as session:
        facts = queries.digest_facts(session, ARRIVED.astimezone(SH).date(), SH)
        listing = console.report_page(session, console.ReportFilter(), SH)
    (correction,) = facts.corrections
    assert correction.from_pixels and listing.rows[0].from_pixels
    out = render_digest(facts, SH, datetime(2020, 5, 14, 0, 0, tzinfo=UTC), xlsx_rows=1)
    assert "由图片识别，请核对原图" in out.text.split("【更正")[1].split("【")[0], out.text
