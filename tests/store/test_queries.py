"""Queries: current reports (late flag, versions), season totals, counts, and one local day's digest facts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from core.vocab import FailureKind, MessageOutcome
from parsers.model import ParsedForm
from store.dedup import record_attachment, record_form
from store.events import record_digest_run, record_poll
from store.failures import record_failure
from store.messages import record_message, set_message_outcome
from store.queries import counts, current_reports, digest_facts, season_totals
from store.records import FormResult
from tests.store.helpers import attachment_in, docx_bytes, form, message_in

Factory = sessionmaker[Session]
SH = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A Suzhou local time in May 2026."""
    return datetime(2026, 5, day, hour, minute, tzinfo=SH)


def submit(s: Session, f: ParsedForm, when: datetime, correction: bool = False, subject: str = "情况表",
           message_id: str | None = None, content: str = "") -> FormResult:
    m = record_message(s, message_in(subject, received_at=when, correction=correction, message_id=message_id,
                                     content_sha256=content))
    a = record_attachment(s, m.message_pk, attachment_in(docx_bytes(f), filename=f"{f.org_name}.docx"))
    return record_form(s, m.message_pk, a.attachment_pk, f, correction)


def test_current_reports_show_the_latest_version_with_its_mail(session_factory: Factory) -> None:
    v1 = form(activity=date(2026, 5, 8))
    v2 = replace(v1, headcount=25, headcount_text="25人")
    with session_factory() as s:
        submit(s, v1, at(9, 10))
        r2 = submit(s, v2, at(10, 9), correction=True, subject="情况表（更正）")
        s.commit()
    with session_factory() as s:
        [row] = current_reports(s)
        assert (row.id, row.version, row.headcount, row.subject) == (r2.report_pk, 2, 25, "情况表（更正）")
        assert row.attachment == f"{v1.org_name}.docx" and row.sender == "王建国 <branch1@example.cn>"
        assert row.received_at == at(10, 9) and row.agenda == v1.agenda
        assert [r.version for r in current_reports(s, all_versions=True)] == [1, 2]


def test_late_means_received_more_than_seven_days_after_the_activity(session_factory: Factory) -> None:
    with session_factory() as s:
        submit(s, form(org="甲支部", activity=date(2026, 5, 1)), at(8, 23, 59))  # 7 days: on time
        submit(s, form(org="乙支部", activity=date(2026, 5, 1)), at(9, 0, 1))  # 8 days: late
        submit(s, form(org="丙支部", activity=None), at(30, 9))  # no date: never late
        s.commit()
        assert {r.org_name: r.late for r in current_reports(s)} == {"甲支部": False, "乙支部": True, "丙支部": False}
        assert season_totals(s).late == 1


def test_since_filters_by_the_local_received_day(session_factory: Factory) -> None:
    with session_factory() as s:
        submit(s, form(org="甲支部"), at(9, 23, 30))  # 15:30 UTC on the 9th
        submit(s, form(org="乙支部"), at(10, 0, 30))  # 16:30 UTC on the 9th, but the 10th in Suzhou
        s.commit()
        assert [r.org_name for r in current_reports(s, since=date(2026, 5, 10))] == ["乙支部"]


def test_season_totals_count_reports_people_and_months(session_factory: Factory) -> None:
    with session_factory() as s:
        submit(s, form(org="甲支部", headcount=20, activity=date(2026, 4, 28)), at(2, 9))
        r = submit(s, form(org="乙支部", headcount=10, activity=date(2026, 5, 3)), at(4, 9))
        submit(s, replace(form(org="乙支部", headcount=12, activity=date(2026, 5, 3)), headcount_text="12"),
               at(5, 9), correction=True)
        submit(s, form(org="丙支部", headcount=None, headcount_text="若干", activity=None), at(6, 9))
        m = record_message(s, message_in(received_at=at(6, 10))).message_pk
        record_failure(s, m, None, FailureKind.NO_ATTACHMENT, "")
        s.commit()
        totals = season_totals(s)
        assert r.outcome == "new_report"
        assert (totals.reports, totals.participants, totals.open_failures) == (3, 32, 1)
        assert totals.per_month == (("2026-04", 1), ("2026-05", 2))


def test_a_form_sent_again_in_a_new_mail_is_one_form_duplicate_saying_what_it_repeats(
    session_factory: Factory,
) -> None:
    v1 = form(org="甲支部", activity=date(2026, 5, 8))
    with session_factory() as s:
        submit(s, v1, at(9, 23, 50), message_id="<first@example.cn>")
        submit(s, v1, at(10, 9), message_id="<again@example.cn>")
        s.commit()
    with session_factory() as s:
        (dup,) = digest_facts(s, date(2026, 5, 10), SH).duplicates
    assert dup.kind == "form"
    assert dup.of_what == "与 5月9日 收到的「甲支部」情况表（第1版）内容相同"


def test_digest_facts_cover_exactly_one_local_day(session_factory: Factory) -> None:
    may9, may10 = date(2026, 5, 9), date(2026, 5, 10)
    v1 = form(org="甲支部", activity=date(2026, 5, 8))
    with session_factory() as s:
        submit(s, v1, at(9, 23, 50), message_id="<first@example.cn>", content="same-mail")
        submit(s, replace(v1, headcount=30, headcount_text="30人", contact_phone="0512-1234"), at(10, 8),
               correction=True)
        submit(s, form(org="乙支部"), at(10, 0, 5))
        dup = submit(s, v1, at(10, 9), message_id="<first@example.cn>", content="same-mail")  # delivered again
        bad = record_message(s, message_in("情况表", received_at=at(10, 11))).message_pk
        record_failure(s, bad, None, FailureKind.NO_ATTACHMENT, "")
        auto = record_message(s, message_in("自动回复", received_at=at(10, 12))).message_pk
        set_message_outcome(s, auto, MessageOutcome.IGNORED, "auto_reply")
        record_message(s, message_in("下一天", received_at=at(11, 0, 0)))
        s.commit()
    with session_factory() as s:
        facts = digest_facts(s, may10, SH)
        assert facts.day == may10 and facts.messages_received == 5
        assert [r.org_name for r in facts.new_reports] == ["乙支部"]
        [corr] = facts.corrections
        assert (corr.org_name, corr.version) == ("甲支部", 2)
        assert corr.changes == (("人数", "23", "30"), ("联系方式", "13912345678", "0512-1234"))
        assert dup.outcome == "duplicate_form"
        # One mail received again is one duplicate, not one more for each file and form inside it.
        (mail_dup,) = facts.duplicates
        assert mail_dup.kind == "message"
        assert "为同一封邮件" in mail_dup.of_what
        assert [f.kind for f in facts.new_failures] == ["no_attachment"]
        assert facts.ignored == (("auto_reply", 1),)
        assert len(facts.all_current_reports) == 2 and facts.season.reports == 2
        before = digest_facts(s, may9, SH)
        assert [r.org_name for r in before.new_reports] == ["甲支部"] and before.messages_received == 1


def test_a_digest_built_late_shows_the_season_and_roll_up_as_they_stood_that_day(session_factory: Factory) -> None:
    v1 = form(org="甲支部", activity=date(2026, 5, 8))
    with session_factory() as s:
        submit(s, v1, at(9, 10))
        submit(s, replace(v1, headcount=30, headcount_text="30人"), at(11, 9), correction=True)
        submit(s, form(org="乙支部"), at(12, 9))
        s.commit()
    with session_factory() as s:
        may9 = digest_facts(s, date(2026, 5, 9), SH)  # e.g. sent on the 13th after the service was down
        assert [(r.org_name, r.version, r.headcount) for r in may9.all_current_reports] == [("甲支部", 1, 23)]
        assert (may9.season.reports, may9.season.participants) == (1, 23)
        may11 = digest_facts(s, date(2026, 5, 11), SH)
        assert [(r.org_name, r.version) for r in may11.all_current_reports] == [("甲支部", 2)]
        assert may11.season.participants == 30


def test_digest_health_lists_poll_errors_since_the_last_digest(session_factory: Factory) -> None:
    t0 = datetime(2026, 5, 10, 0, 0, tzinfo=UTC)
    with session_factory() as s:
        record_poll(s, "a@163.com", "INBOX", t0, t0 + timedelta(seconds=5), False, "old error", {})
        record_digest_run(s, date(2026, 5, 9), t0 + timedelta(hours=1), ["x@y"], "<d@x>", "send")
        record_poll(s, "a@163.com", "INBOX", t0, t0 + timedelta(hours=2), True, "", {"new": 1})
        record_poll(s, "a@163.com", "INBOX", t0, t0 + timedelta(hours=3), False, "timeout", {})
        s.commit()
        [h] = digest_facts(s, date(2026, 5, 10), SH).health
        assert (h.account, h.folder, h.last_error) == ("a@163.com", "INBOX", "timeout")
        assert h.last_ok_at == t0 + timedelta(hours=2) and h.last_run_at == t0 + timedelta(hours=3)
        assert h.errors_since == ((t0 + timedelta(hours=3), "timeout"),)


def test_counts_cover_messages_reports_and_open_failures(session_factory: Factory) -> None:
    with session_factory() as s:
        submit(s, form(), at(10, 9))
        submit(s, form(), at(10, 10))
        m = record_message(s, message_in(received_at=at(10, 11))).message_pk
        record_failure(s, m, None, FailureKind.NO_ATTACHMENT, "")
        s.commit()
        c = counts(s)
        assert (c["messages"], c["reports"], c["versions"], c["open_failures"]) == (3, 1, 1, 1)
        assert c["duplicates"] == 1  # the second mail's form, sent again once (its file and form are one thing)


def test_the_newest_reports_are_read_alone_in_order_and_counted_in_the_database(session_factory: Factory) -> None:
    from store.queries import count_reports

    with session_factory() as s:
        for day, org in ((9, "甲支部"), (10, "乙支部"), (11, "丙支部")):
            submit(s, form(org=org), at(day, 10))
        submit(s, replace(form(org="甲支部"), headcount=30, headcount_text="30人"), at(12, 9), correction=True)
        s.commit()
    with session_factory() as s:
        everything = current_reports(s)
        newest = current_reports(s, newest=2)
        assert [r.org_name for r in newest] == [r.org_name for r in everything[-2:]] == ["丙支部", "甲支部"]
        assert count_reports(s) == len(everything) == 3
        assert count_reports(s, all_versions=True) == len(current_reports(s, all_versions=True)) == 4
