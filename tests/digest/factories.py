"""Builders of store records for the digest tests: realistic Chinese values, overridable one field at a time."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from store.records import (
    Correction,
    DigestFacts,
    DuplicateRow,
    FailureRow,
    PollHealth,
    ReportRow,
    SeasonTotals,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2020, 5, 14)
NEXT_DAY = date(2020, 5, 15)
DIGEST_AT = datetime(2020, 5, 15, 8, 0, tzinfo=SHANGHAI)


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    """An aware datetime on the given day, Shanghai time."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def report(**over: Any) -> ReportRow:
    base = ReportRow(
        id=1,
        version=1,
        org_name="苏州市财政局离退休干部第一党支部",
        headcount=23,
        headcount_text="23",
        agenda=("学习《通知》精神", "参观苏州革命博物馆", "交流发言"),
        summary="支部组织老同志参观苏州革命博物馆，重温入党誓词。",
        contact_person="王建国",
        contact_phone="13912345678",
        activity_date=date(2020, 5, 12),
        received_at=at(9, 32),
        late=False,
        sender="王建国 <wangjg@example.com>",
        subject="财政局第一党支部主题党日情况表",
        message_id="<r1@example.com>",
        attachment="情况表.docx",
    )
    return replace(base, **over)


def failure(**over: Any) -> FailureRow:
    base = FailureRow(
        id=7,
        kind="encrypted",
        message="附件已加密，请联系报送单位去掉密码后重新发送",
        status="open",
        sender="李梅 <limei@example.com>",
        subject="教育局退休第三支部活动情况",
        filename="情况表（加密）.docx",
        received_at=at(14, 5),
    )
    return replace(base, **over)


def health(**over: Any) -> PollHealth:
    base = PollHealth(
        account="szlgbjdjc@163.com",
        folder="INBOX",
        last_ok_at=at(7, 55, NEXT_DAY),
        last_run_at=at(7, 55, NEXT_DAY),
        last_error="",
        errors_since=(),
    )
    return replace(base, **over)


def season(**over: Any) -> SeasonTotals:
    base = SeasonTotals(reports=41, participants=812, per_month=(("2020-04", 9), ("2020-05", 32)), late=3,
                        open_failures=2)
    return replace(base, **over)


def facts(**over: Any) -> DigestFacts:
    """A busy day: two new reports (one late), a correction, a failure, a duplicate, an ignored auto-reply."""
    base = DigestFacts(
        day=DAY,
        new_reports=(
            report(),
            report(id=2, org_name="吴中区老干部局机关离退休党支部", headcount=None, headcount_text="三十余人",
                   activity_date=date(2020, 4, 28), late=True, contact_phone="0512-65221234",
                   received_at=at(16, 40)),
        ),
        corrections=(
            Correction(report_id=3, org_name="姑苏区离退休干部第二党支部", version=2, received_at=at(11, 0),
                       changes=(("headcount", "18", "21"), ("contact_phone", "13800000000", "13811112222"))),
        ),
        new_failures=(failure(),),
        duplicates=(
            DuplicateRow(kind="attachment", sender="wangjg@example.com", subject="再发一次", filename="情况表.docx",
                         of_what="与 5月14日 收到的苏州市财政局离退休干部第一党支部情况表相同", received_at=at(10, 0)),
        ),
        ignored=(("auto_reply", 1),),
        messages_received=6,
        season=season(),
        health=(health(),),
    )
    return replace(base, **over)


def quiet_facts() -> DigestFacts:
    """A day with nothing new at all."""
    return facts(new_reports=(), corrections=(), new_failures=(), duplicates=(), ignored=(), messages_received=0,
                 season=season(open_failures=0))
