"""Labels, headcount, phone and date are read exactly or left empty with a warning; never guessed."""

from __future__ import annotations

from datetime import date

import pytest

from parsers.fields import find_activity_date, parse_headcount, parse_phone, split_contact
from parsers.labels import Field, inline_pairs, is_note, label_of


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("党组织名称", Field.ORG),
        ("党 支 部 名 称：", Field.ORG),
        ("支部名称:", Field.ORG),
        ("单位名称　", Field.ORG),
        ("人  数", Field.HEADCOUNT),
        ("参加人数", Field.HEADCOUNT),
        ("参会人数：", Field.HEADCOUNT),
        ("出席人数", Field.HEADCOUNT),
        ("议　程", Field.AGENDA),
        ("活动议程", Field.AGENDA),
        ("活动内容：：", Field.AGENDA),
        ("简介", Field.SUMMARY),
        ("活动简介", Field.SUMMARY),
        ("活动情况", Field.SUMMARY),
        ("联 系 人", Field.CONTACT),
        ("联系方式", Field.PHONE),
        ("联系电话：", Field.PHONE),
        ("电　话", Field.PHONE),
        ("手机", Field.PHONE),
        ("ＮＯＴ", None),
        ("苏州市司法局离退休干部党支部", None),
        ("联系人：赵明", None),
    ],
)
def test_labels_match_after_nfkc_whitespace_and_colon_removal(text: str, field: Field | None) -> None:
    assert label_of(text) == field


@pytest.mark.parametrize(
    ("text", "count"),
    [("32", 32), ("32人", 32), ("二十八人", 28), ("约40人", 40), ("15名", 15), ("共19人", 19), ("３０", 30),
     ("25.0", 25), ("两百人", 200), (" 18 人 ", 18)],
)
def test_headcount_in_every_written_form_gives_an_int(text: str, count: int) -> None:
    assert parse_headcount(text)[0] == count


def test_approximate_headcount_keeps_the_int_and_warns() -> None:
    assert parse_headcount("约40人") == (40, "人数为约数：约40人")


@pytest.mark.parametrize("text", ["全体党员", "第一党支部", "20余人", "十几人", "18-20人", "25.5", "0", ""])
def test_unclear_headcount_gives_none_and_a_warning(text: str) -> None:
    count, warning = parse_headcount(text)
    assert count is None
    assert warning


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("0512-65221234", "051265221234"),
        ("（0512）6522 1234", "051265221234"),
        ("65221234", "65221234"),
        ("13913571234", "13913571234"),
        ("139 1357 1234", "13913571234"),
        ("+86 139-1357-1234", "13913571234"),
        ("赵明 13812345678", "13812345678"),
    ],
)
def test_phone_is_digits_only_and_keeps_a_typed_area_code(text: str, digits: str) -> None:
    assert parse_phone(text) == (digits, None)


def test_two_phone_numbers_keep_the_first_and_warn() -> None:
    number, warning = parse_phone("13812345678、65221234")
    assert number == "13812345678"
    assert warning and "多个号码" in warning


@pytest.mark.parametrize("text", ["微信联系", "1234", "138123456789999", "0512-"])
def test_unreadable_phone_is_empty_with_a_warning(text: str) -> None:
    number, warning = parse_phone(text)
    assert number == ""
    assert warning


def test_month_day_takes_the_year_of_the_reference_date() -> None:
    assert find_activity_date(["4月28日上午，支部开展活动"], date(2026, 5, 2)) == (date(2026, 4, 28), None)


def test_month_day_late_in_the_year_read_in_january_is_last_year() -> None:
    assert find_activity_date(["12月28日下午"], date(2027, 1, 4)) == (date(2026, 12, 28), None)


def test_typed_year_wins_over_the_reference_year() -> None:
    assert find_activity_date(["2020年5月8日，支部学习"], date(2026, 1, 1)) == (date(2020, 5, 8), None)


def test_an_activity_date_after_the_form_arrived_is_kept_with_a_warning() -> None:
    found, warning = find_activity_date(["6月1日上午，支部开展活动"], date(2026, 5, 20))
    assert found == date(2026, 6, 1)
    assert warning == "活动日期 6月1日 晚于收到日期 5月20日，请核对"


def test_chinese_numeral_date_is_read() -> None:
    assert find_activity_date(["五月八日上午"], date(2026, 6, 1)) == (date(2026, 5, 8), None)


def test_impossible_or_missing_date_is_none_with_a_warning() -> None:
    assert find_activity_date(["2月30日"], date(2026, 6, 1))[0] is None
    assert find_activity_date(["支部开展学习"], date(2026, 6, 1)) == (None, "未找到活动日期")


def test_inline_pairs_split_several_labels_on_one_line() -> None:
    assert inline_pairs("联系人：赵明  联系电话：0512-65221234") == (
        (Field.CONTACT, "赵明"),
        (Field.PHONE, "0512-65221234"),
    )
    assert inline_pairs("请与联系人：赵明联系") == ()


def test_template_footnote_is_recognised_as_a_note() -> None:
    assert is_note("注：请在主题党日活动开展后一周内报送。联系人：施友成、刘杰，联系电话：65158951")
    assert not is_note("联系人：施友成")


@pytest.mark.parametrize(
    ("text", "field"),
    [("人数（人）", Field.HEADCOUNT), ("*联系方式(手机)", Field.PHONE), ("党组织名称（全称）：", Field.ORG),
     ("联系人【必填】", Field.CONTACT), ("活动内容(不少于50字)", Field.AGENDA)],
)
def test_label_with_a_bracketed_note_or_a_required_star_is_still_the_label(text: str, field: Field) -> None:
    assert label_of(text) == field


@pytest.mark.parametrize(
    ("text", "expected"),
    [("赵明 13812345678", ("赵明", "13812345678")), ("王芳、65221234", ("王芳", "65221234")),
     ("赵明", None), ("赵明 138", None), ("第1小组 13812345678", None)],
)
def test_phone_typed_after_the_contact_name_is_split_off_only_when_clean(
    text: str, expected: tuple[str, str] | None
) -> None:
    assert split_contact(text) == expected
