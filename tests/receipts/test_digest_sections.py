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
