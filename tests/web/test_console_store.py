"""store/console.py on SQLite and PostgreSQL: the console's SQL counts are exactly the digest's (the same
reports, corrections, failures, duplicates, season totals, 逾期), and its listing is the current versions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from core.vocab import FailureKind
from store import console, queries
from store.dedup import record_attachment, record_form
from store.failures import record_failure
from store.messages import record_message
from tests.store.helpers import attachment_in, docx_bytes, form, message_in

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 5, 10)


def _report(session: Session, org: str, activity: date | None, received: datetime, *, people: int | None = 20,
            correction: bool = False, agenda: tuple[str, ...] = ("学习党章",)) -> None:
    f = form(org=org, activity=activity, headcount=people, agenda=agenda)
    m = record_message(session, message_in(f"{org}情况表", received_at=received, correction=correction))
    a = record_attachment(session, m.message_pk, attachment_in(docx_bytes(f), f"{org}.docx"), "docx")
    record_form(session, m.message_pk, a.attachment_pk, f, correction)


@pytest.fixture
def season(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Reports around the 逾期 boundary (local midnight, activity + 8 days), one without a date, one
    corrected, one sent again, a failure, on the day and the days around it."""
    at = lambda d, h, m=0: datetime(2026, 5, d, h, m, tzinfo=TZ)  # noqa: E731
    with session_factory.begin() as s:
        _report(s, "第一支部", date(2026, 5, 1), at(9, 23, 59))  # activity + 8 days starts 5-09 00:00: late
        _report(s, "第二支部", date(2026, 5, 2), at(9, 23, 59))  # 7 days after: on time
        _report(s, "第三支部", date(2026, 5, 2), at(10, 0, 0))  # the first late instant
        _report(s, "第四支部", None, at(10, 9), people=None)
        _report(s, "第五支部", date(2026, 4, 28), at(10, 10))
        _report(s, "第五支部", date(2026, 4, 28), at(10, 15), people=31, correction=True)  # a correction
        _report(s, "第六支部", date(2026, 6, 1), at(11, 8))  # the next day
        m = record_message(s, message_in("坏附件", received_at=at(10, 11)))
        a = record_attachment(s, m.message_pk, attachment_in(b"PK broken", "坏.docx"), "docx")
        record_failure(s, m.message_pk, a.attachment_pk, FailureKind.CORRUPT, "BadZipFile")
    with session_factory.begin() as s:  # the same mail again: a duplicate
        f = form(org="第二支部", activity=date(2026, 5, 2), headcount=20, agenda=("学习党章",))
        m = record_message(s, message_in("第二支部情况表（重发）", received_at=at(10, 12)))
        a = record_attachment(s, m.message_pk, attachment_in(docx_bytes(f), "第二支部.docx"), "docx")
        record_form(s, m.message_pk, a.attachment_pk, f, False)
    return session_factory


def test_season_numbers_in_sql_equal_season_totals(season: sessionmaker[Session]) -> None:
    with season() as s:
        assert console.season_numbers(s, TZ) == queries.season_totals(s, tz=TZ)
        assert console.season_numbers(s, TZ).late == 3


@pytest.mark.parametrize("day", [date(2026, 5, 9), DAY, date(2026, 5, 11), date(2026, 5, 12)])
def test_day_numbers_count_what_the_digest_of_that_day_lists(season: sessionmaker[Session], day: date) -> None:
    with season() as s:
        numbers = console.day_numbers(s, day, TZ)
        facts = queries.digest_facts(s, day, TZ)
    assert (numbers.new_reports, numbers.corrections, numbers.new_failures, numbers.duplicates, numbers.messages,
            numbers.ignored) == (len(facts.new_reports), len(facts.corrections), len(facts.new_failures),
                                 len(facts.duplicates), facts.messages_received, sum(n for _r, n in facts.ignored))


def test_the_late_filter_agrees_with_is_late_on_every_report(season: sessionmaker[Session]) -> None:
    with season() as s:
        every = console.report_page(s, console.ReportFilter(), TZ, per_page=100)
        late = console.report_page(s, console.ReportFilter(late=True), TZ, per_page=100)
    assert {r.id for r in late.rows} == {r.id for r in every.rows if r.late}
    assert every.total == 6 and late.total == 3


def test_the_listing_holds_each_reports_current_version_once(season: sessionmaker[Session]) -> None:
    with season() as s:
        page = console.report_page(s, console.ReportFilter(sort="org", descending=False), TZ, per_page=4)
        rest = console.report_page(s, console.ReportFilter(sort="org", descending=False, page=2), TZ, per_page=4)
        current = {r.id: r.version for r in queries.current_reports(s, tz=TZ)}
    listed = [*page.rows, *rest.rows]
    assert page.total == 6 and page.pages == 2 and len(listed) == 6
    assert {r.id: r.version for r in listed} == current
    assert [r.org_name for r in listed] == sorted(r.org_name for r in listed)


def test_a_search_is_literal_text_in_any_column(season: sessionmaker[Session]) -> None:
    with season() as s:
        def found(text: str) -> set[str]:
            return {r.org_name for r in console.report_page(s, console.ReportFilter(text=text), TZ).rows}

        assert found("第五") == {"第五支部"}
        assert found("%") == set() and found("_") == set()
        assert found("王建国") == {f"第{n}支部" for n in "一二三四五六"}  # the contact person


def test_report_versions_list_each_version_with_its_mail_and_file(season: sessionmaker[Session]) -> None:
    with season() as s:
        fifth = next(r for r in console.report_page(s, console.ReportFilter(), TZ).rows if r.org_name == "第五支部")
        versions = console.report_versions(s, fifth.id, TZ)
        assert console.report_versions(s, 999, TZ) == []
    assert [v.version for v in versions] == [1, 2]
    assert versions[1].correction and versions[1].headcount == 31
    assert versions[0].attachment_name == "第五支部.docx" and versions[0].message_pk != versions[1].message_pk


def test_the_month_of_a_report_without_an_activity_date_is_its_local_received_month(
        session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as s:
        _report(s, "月末支部", None, datetime(2026, 5, 31, 16, 30, tzinfo=UTC))  # 6-01 00:30 in Suzhou
    with session_factory() as s:
        may = console.report_page(s, console.ReportFilter(month="2026-05"), TZ)
        june = console.report_page(s, console.ReportFilter(month="2026-06"), TZ)
        assert console.season_numbers(s, TZ).per_month == (("2026-06", 1),)
    assert (may.total, june.total) == (0, 1)


def test_failure_pages_are_newest_first_and_open_only_by_default(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as s:
        for i in range(3):
            m = record_message(s, message_in(f"无附件{i}", received_at=datetime(2026, 5, 1, tzinfo=UTC)
                                             + timedelta(hours=i)))
            record_failure(s, m.message_pk, None, FailureKind.NO_ATTACHMENT)
    from store.failures import ignore_failure

    with session_factory.begin() as s:
        ignore_failure(s, 2, "不是报送", by="t")
    with session_factory() as s:
        assert [f.id for f in console.failure_page(s, True, 1).rows] == [3, 1]
        assert [f.id for f in console.failure_page(s, False, 1, per_page=2).rows] == [3, 2]
        assert console.failure_page(s, False, 2, per_page=2).rows[0].id == 1
