"""The roster against the reports: coverage per month of the season, who is missing in a month, and the names
matched to no entry with the entries they resemble."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from parsers.model import ParsedForm
from store.coverage import (
    Similar,
    coverage,
    distinctive,
    latest_year,
    missing,
    roster_facts,
    season_months,
    unmatched,
)
from store.dedup import record_attachment, record_form
from store.messages import record_message
from store.queries import digest_facts
from store.records import FormResult, RosterEntryIn
from store.roster import roster_key, upsert_roster
from tests.store.helpers import attachment_in, docx_bytes, form, message_in

Factory = sessionmaker[Session]
SH = ZoneInfo("Asia/Shanghai")
SEASON = (4, 11)

ROSTER = (
    RosterEntryIn(name="苏州市财政局离退休干部党支部", group="市级机关", contact_person="钱卫东",
                  contact_phone="13906121847"),
    RosterEntryIn(name="苏州市水利局离退休干部党支部", group="市级机关", emails=("13862097315@139.com",)),
    RosterEntryIn(name="姑苏区老干部局机关离退休党支部", group="姑苏区"),
    RosterEntryIn(name="吴中区长桥街道老干部党支部", group="吴中区", contact_person="沈梅芳",
                  contact_phone="0512-65280000"),
    RosterEntryIn(name="苏州高新区狮山街道离退休干部党支部", group="高新区"),
    RosterEntryIn(name="相城区元和街道离退休干部党支部"),
)
# By group, then name, in code point order (水 U+6C34 before 财 U+8D22); no group last.
IN_ORDER = ["吴中区长桥街道老干部党支部", "姑苏区老干部局机关离退休党支部", "苏州市水利局离退休干部党支部",
            "苏州市财政局离退休干部党支部", "苏州高新区狮山街道离退休干部党支部", "相城区元和街道离退休干部党支部"]


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2020, month, day, hour, 0, tzinfo=SH)


def _submit(s: Session, f: ParsedForm, received: datetime, *, sender: str = "branch@example.cn",
            correction: bool = False) -> FormResult:
    m = record_message(s, message_in("情况表", correction=correction, sender_address=sender, received_at=received))
    a = record_attachment(s, m.message_pk, attachment_in(docx_bytes(f)))
    return record_form(s, m.message_pk, a.attachment_pk, f, correction)


def _season(s: Session) -> None:
    """A season of reports: 财政局's May report corrected into June (received 6-5) and a late June one, 水利局's
    without an activity date (received in July), 姑苏区's in April, and 狮山's under a name the roster lacks."""
    caizheng = form(org="苏州市财政局离退休干部党支部", activity=date(2020, 5, 12))
    _submit(s, caizheng, at(5, 15))
    _submit(s, replace(caizheng, activity_date=date(2020, 6, 2), headcount=25, headcount_text="25人"), at(6, 5),
            correction=True)
    _submit(s, replace(caizheng, agenda=("学习党章",), summary="六月。", activity_date=date(2020, 6, 20)), at(7, 10))
    _submit(s, form(org="水利局老干部党支部", activity=None), at(7, 3, 2), sender="13862097315@139.com")
    _submit(s, form(org="姑苏区老干部局机关离退休党支部", activity=date(2020, 4, 28)), at(4, 29))
    _submit(s, form(org="高新区狮山街道老干部党支部", activity=date(2020, 11, 5)), at(11, 12))


@pytest.fixture
def loaded(session_factory: Factory) -> Factory:
    with session_factory.begin() as s:
        upsert_roster(s, ROSTER)
        _season(s)
    return session_factory


def test_season_months_run_to_todays_month_in_the_current_year_only() -> None:
    assert season_months(2020, SEASON, date(2020, 6, 3)) == ("2020-04", "2020-05", "2020-06")
    assert season_months(2020, SEASON, date(2021, 1, 1))[-1] == "2020-11"
    assert len(season_months(2020, SEASON, date(2021, 1, 1))) == 8
    assert season_months(2020, SEASON, date(2020, 3, 1)) == ()
    assert season_months(2021, SEASON, date(2020, 12, 31)) == ()


def test_coverage_counts_each_report_once_for_its_activity_month_else_its_received_month(loaded: Factory) -> None:
    with loaded() as s:
        table = coverage(s, 2020, SEASON, today=date(2020, 8, 15), tz=SH)
    assert table.months == ("2020-04", "2020-05", "2020-06", "2020-07", "2020-08")
    assert [r.name for r in table.rows] == IN_ORDER
    rows = {r.name: r for r in table.rows}
    assert dict(rows["苏州市财政局离退休干部党支部"].months) == {
        "2020-04": 0, "2020-05": 0, "2020-06": 2, "2020-07": 0, "2020-08": 0}  # the corrected one moved to June
    assert rows["苏州市财政局离退休干部党支部"].late == 1  # the June 20 activity reported on July 10
    assert rows["苏州市财政局离退休干部党支部"].late_months == (("2020-06", 1),)
    assert dict(rows["苏州市水利局离退休干部党支部"].months)["2020-07"] == 1  # no activity date: received in July
    assert dict(rows["姑苏区老干部局机关离退休党支部"].months)["2020-04"] == 1
    assert rows["苏州高新区狮山街道离退休干部党支部"].total == 0  # its report's name is not yet confirmed
    assert rows["相城区元和街道离退休干部党支部"].total == 0


def test_coverage_and_missing_added_up_in_the_database_equal_the_reports_read_one_by_one(loaded: Factory) -> None:
    """Without before, coverage() and missing() count in SQL; read report by report (before far ahead) they say
    the same, local month boundaries and the 逾期 boundary (local midnight, activity + 8 days) included."""
    gusu = "姑苏区老干部局机关离退休党支部"
    with loaded.begin() as s:
        _submit(s, form(org=gusu, activity=None, agenda=("七月",), summary="七月。"),
                datetime(2020, 7, 1, 0, 30, tzinfo=SH))  # June 30 in UTC, July here
        _submit(s, form(org=gusu, activity=date(2020, 8, 1), agenda=("八月",), summary="八月。"),
                datetime(2020, 8, 9, 0, 0, tzinfo=SH))  # the first late instant
        _submit(s, form(org=gusu, activity=date(2020, 8, 2), agenda=("八月二",), summary="八月二。"),
                datetime(2020, 8, 9, 23, 59, tzinfo=SH))  # 7 days after: on time
    far = datetime(2100, 1, 1, tzinfo=SH)
    with loaded() as s:
        for year in (2020, 2019, None):
            for today in (date(2020, 8, 15), date(2021, 1, 1)):
                in_sql = coverage(s, year, SEASON, today=today, tz=SH)
                assert in_sql == coverage(s, year, SEASON, today=today, tz=SH, before=far)
        for month in range(1, 13):
            assert missing(s, 2020, month, tz=SH) == missing(s, 2020, month, tz=SH, before=far)
        row = {r.name: r for r in coverage(s, 2020, SEASON, today=date(2021, 1, 1), tz=SH).rows}[gusu]
    assert dict(row.months)["2020-07"] == 1 and dict(row.months)["2020-08"] == 2
    assert row.late_months == (("2020-08", 1),)


def test_coverage_year_defaults_to_the_latest_reports_and_a_past_year_shows_the_whole_season(loaded: Factory) -> None:
    with loaded() as s:
        assert latest_year(s, SH) == 2020
        table = coverage(s, None, (5, 10), today=date(2021, 3, 1), tz=SH)
    assert table.year == 2020 and table.months == tuple(f"2020-{m:02d}" for m in range(5, 11))


def test_missing_lists_entries_without_a_report_that_month_by_group_then_name(loaded: Factory) -> None:
    with loaded() as s:
        july = missing(s, 2020, 7, tz=SH)
        june = missing(s, 2020, 6, tz=SH)
        december = missing(s, 2020, 12, tz=SH)
    assert [m.name for m in july] == [n for n in IN_ORDER if n != "苏州市水利局离退休干部党支部"]
    assert (july[0].group, july[0].contact_person, july[0].contact_phone) == ("吴中区", "沈梅芳", "0512-65280000")
    assert july[-1].group == ""  # entries without a group come last
    assert "苏州市财政局离退休干部党支部" not in [m.name for m in june]
    assert [m.name for m in december] == IN_ORDER


def test_unmatched_names_count_their_reports_and_suggest_the_entries_they_resemble(loaded: Factory) -> None:
    with loaded.begin() as s:
        _submit(s, form(org="高新区 狮山街道老干部党支部", agenda=("参观",), summary="十月。"), at(10, 20))
        _submit(s, form(org="某某协会", activity=date(2020, 9, 1)), at(9, 2))
        names = unmatched(s)
    assert [(u.org_name, u.reports) for u in names] == [("高新区狮山街道老干部党支部", 2), ("某某协会", 1)]
    assert names[0].candidates[0] == "苏州高新区狮山街道离退休干部党支部"
    assert "苏州市财政局离退休干部党支部" not in names[0].candidates
    assert names[1].candidates == ()


def test_candidates_tied_with_the_last_one_kept_are_all_weighed_then_ordered_by_name(session_factory: Factory) -> None:
    with session_factory.begin() as s:
        upsert_roster(s, [RosterEntryIn(name=f"{w}水局离退休干部党支部") for w in "甲乙丙丁"])
        found = Similar.of(s).candidates("戊水局老干部党支部", limit=3)  # 水局 in each: all four alike (67)
    assert found == ("丁水局离退休干部党支部", "丙水局离退休干部党支部", "乙水局离退休干部党支部")  # by code point


def test_the_names_compared_are_reused_only_while_the_roster_is_the_same(session_factory: Factory) -> None:
    with session_factory.begin() as s:
        upsert_roster(s, [RosterEntryIn(name="苏州市财政局离退休干部党支部")])
        first = Similar.of(s)
        assert Similar.of(s) is first and first.candidates("财政局老干部支部") == ("苏州市财政局离退休干部党支部",)
        upsert_roster(s, [RosterEntryIn(name="苏州市财政厅离退休干部党支部", aliases=("财政局老干部支部",))])
        again = Similar.of(s)
        assert again is not first
        assert again.candidates("财政局老干部支部") == ("苏州市财政厅离退休干部党支部", "苏州市财政局离退休干部党支部")


def test_candidates_compare_the_distinctive_part_of_names() -> None:
    assert distinctive(roster_key("苏州市财政局离退休干部党支部")) == "财政局"
    assert distinctive(roster_key("离退休干部党支部")) == roster_key("离退休干部党支部")  # nothing distinctive left


def test_without_a_roster_nothing_is_missing_unmatched_or_in_the_digest(session_factory: Factory) -> None:
    with session_factory.begin() as s:
        _season(s)
        assert unmatched(s) == [] and missing(s, 2020, 7, tz=SH) == []
        assert coverage(s, None, SEASON, today=date(2020, 8, 1), tz=SH).rows == ()
        assert roster_facts(s, date(2020, 7, 3), SEASON, SH) is None
        assert digest_facts(s, date(2020, 7, 3), SH).roster is None


def test_the_digests_roster_facts_are_the_reports_as_they_stood_at_the_end_of_the_day(loaded: Factory) -> None:
    with loaded() as s:
        early_june = roster_facts(s, date(2020, 6, 3), SEASON, SH)
        later = roster_facts(s, date(2020, 6, 5), SEASON, SH)
        november = roster_facts(s, date(2020, 11, 12), SEASON, SH)
        december = roster_facts(s, date(2020, 12, 1), SEASON, SH)
        facts = digest_facts(s, date(2020, 6, 5), SH, season_months=SEASON)
    assert early_june is not None and later is not None and november is not None and december is not None
    assert early_june.month == "2020-06" and early_june.in_season and early_june.entries == 6
    assert len(early_june.missing) == 6  # the correction into June came on 6-5
    assert dict(early_june.coverage.rows[3].months) == {"2020-04": 0, "2020-05": 1, "2020-06": 0}
    assert "苏州市财政局离退休干部党支部" not in [m.name for m in later.missing]
    assert facts.roster == later
    assert [(u.org_name, u.candidates) for u in november.unmatched] == [
        ("高新区狮山街道老干部党支部", ("苏州高新区狮山街道离退休干部党支部",))]  # the best candidate only
    assert len(november.missing) == 6
    assert not december.in_season and december.missing == ()
    assert len(december.coverage.months) == 8

