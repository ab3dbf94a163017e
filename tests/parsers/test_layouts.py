"""Forms as other people fill them, in a Word table, as Word text lines and in an Excel sheet: near-miss and typo
labels, fields not ours, a form pasted twice, person and phone in one cell, the organisation only in the title,
and dates without a year. Every value is exact, or comes with a warning naming its field."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest

from parsers import parse
from parsers.model import ParsedForm
from tests.parsers.builders import (
    docx_from_body,
    docx_from_lines,
    p,
    tbl,
    tc,
    tr,
    xlsx_from_rows,
)

REF = date(2026, 6, 1)
ORG = "苏州市姑苏区离退休干部第一党支部"
SUMMARY = "4月28日上午，支部组织老党员开展主题党日活动。"
LAYOUTS = ["word table", "word text", "excel"]

Rows = Sequence[Sequence[str]]


def build(layout: str, rows: Rows, above: Sequence[str] = ()) -> tuple[bytes, str]:
    """The rows ([label, value, label, value …]) as a Word table, as Word paragraphs 「label：value」, or as an Excel
    sheet; `above` are lines before the form (paragraphs in Word, one-cell rows in Excel)."""
    if layout == "word table":
        return docx_from_body("".join(p(line) for line in above) + table(rows)), "情况表.docx"
    if layout == "excel":
        return xlsx_from_rows([[line] for line in above] + [list(row) for row in rows]), "情况表.xlsx"
    lines = [*above]
    for row in rows:
        pairs = zip(row[::2], row[1::2], strict=False)
        lines.append("  ".join(f"{label}{'' if label.endswith(('：', ':')) else '：'}{text}" for label, text in pairs))
    return docx_from_lines(lines), "情况表.docx"


def table(rows: Rows) -> str:
    width = max(len(row) for row in rows)
    return tbl(*(tr(*(tc(t) for t in row), *(tc("") for _ in range(width - len(row)))) for row in rows), cols=width)


def form_rows(labels: dict[str, str] | None = None, last: Sequence[str] | None = None) -> list[list[str]]:
    lab = {k: k for k in ("党组织名称", "人数", "议程", "简介", "联系人", "联系方式")} | (labels or {})
    return [
        [lab["党组织名称"], ORG, lab["人数"], "25人"],
        [lab["议程"], "1. 重温入党誓词"],
        [lab["简介"], SUMMARY],
        list(last) if last is not None else [lab["联系人"], "王芳", lab["联系方式"], "0512-65221234"],
    ]


def forms(layout: str, rows: Rows, above: Sequence[str] = (), ref: date | None = REF) -> tuple[ParsedForm, ...]:
    data, name = build(layout, rows, above)
    result = parse(data, name, ref)
    assert result.failure is None, result.failure
    return result.forms


def only(layout: str, rows: Rows, above: Sequence[str] = (), ref: date | None = REF) -> ParsedForm:
    found = forms(layout, rows, above, ref)
    assert len(found) == 1, found
    return found[0]


def assert_exact(form: ParsedForm, phone: str = "051265221234") -> None:
    assert form.org_name == ORG
    assert form.headcount == 25
    assert form.agenda == ("1. 重温入党誓词",)
    assert form.summary == SUMMARY
    assert form.contact_person == "王芳"
    assert form.contact_phone == phone
    assert form.activity_date == date(2026, 4, 28)


# 1. A label the parser did not know never glues onto the value beside it ---------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("label", ["人员数", "参加人员数", "人数（人）", "出席人员数", "参与人数", "实到人数"])
def test_headcount_label_variants_end_the_name_before_them_and_are_read(layout: str, label: str) -> None:
    form = only(layout, form_rows({"人数": label}))
    assert_exact(form)
    assert form.warnings == ()


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("label", ["经办人", "带班领导：", "审批意见", "联系地址", "党员人数"])
def test_a_field_not_ours_after_a_value_ends_that_value_and_is_not_read(layout: str, label: str) -> None:
    rows = form_rows(last=["联系人", "王芳", label, "李四", "联系方式", "0512-65221234"])
    form = only(layout, rows)
    assert_exact(form)
    assert form.warnings == ()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_field_not_ours_after_the_headcount_never_joins_it(layout: str) -> None:
    rows = form_rows()
    rows[0] = ["党组织名称", ORG, "人数", "25人", "党员人数", "30人"]
    form = only(layout, rows)
    assert_exact(form)
    assert form.warnings == ()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_near_miss_label_of_our_field_is_read_only_as_a_fallback_and_named(layout: str) -> None:
    form = only(layout, form_rows({"简介": "活动开展情况"}))
    assert_exact(form)
    assert form.warnings == ("简介取自「活动开展情况」一栏，请核对",)


def test_a_near_miss_line_inside_the_summary_is_part_of_it_and_one_after_the_agenda_starts_the_summary() -> None:
    head = [f"党组织名称：{ORG}", "人数：25人", "议程：1. 重温入党誓词"]
    tail = ["联系人：王芳", "联系方式：0512-65221234"]
    inside = only("word text", [], above=[*head, "简介：", SUMMARY, "活动开展情况", "大家认真学习。", *tail])
    assert inside.summary == f"{SUMMARY}\n活动开展情况\n大家认真学习。"
    assert inside.warnings == ()
    after = only("word text", [], above=[*head, "活动开展情况：", SUMMARY, *tail])
    assert_exact(after)
    assert after.warnings == ("简介取自「活动开展情况」一栏，请核对",)


@pytest.mark.parametrize("layout", ["word table", "excel"])
def test_time_and_place_lines_under_the_summary_stay_in_it(layout: str) -> None:
    rows = form_rows()
    rows.insert(3, ["", "时间：4月28日上午"])
    rows.insert(4, ["", "地点：苏州革命博物馆"])
    form = only(layout, rows)
    assert form.summary == f"{SUMMARY}\n时间：4月28日上午\n地点：苏州革命博物馆"
    assert form.warnings == ()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_near_miss_beside_the_real_label_is_not_read_and_ends_the_value(layout: str) -> None:
    rows = form_rows()
    rows[0] = ["党组织名称", ORG, "支部人数", "40", "人数", "25人"]
    form = only(layout, rows)
    assert_exact(form)
    assert form.warnings == ()


@pytest.mark.parametrize("layout", ["word table", "excel"])
def test_a_name_cell_that_swallowed_the_next_field_is_cut_and_flagged(layout: str) -> None:
    rows = form_rows()
    rows[0] = ["党组织名称", f"{ORG} 人数：25人"]
    rows.insert(1, ["人数", "25人"])
    form = only(layout, rows)
    assert_exact(form)
    assert form.warnings == (f"党组织名称中有像是其他栏目的文字「人数：」，已只取其前的「{ORG}」，请核对",)


@pytest.mark.parametrize("layout", ["word table", "excel"])
def test_a_summary_holding_another_fields_label_is_kept_and_flagged(layout: str) -> None:
    rows = form_rows()
    rows[2] = ["简介", f"{SUMMARY}\n联系人：李四"]
    form = only(layout, rows)
    assert form.summary == f"{SUMMARY}\n联系人：李四"
    assert "简介中有一行像是其他栏目「联系人：」，请核对" in form.warnings


# 2. A typo in a label of four or more characters is still that label --------------------------------------------


TYPOS = {"党组织名称": "党组织名秤", "人数": "参加人敉", "简介": "活动简价", "联系方式": "联系电活"}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(("label", "typo"), TYPOS.items(), ids=list(TYPOS.values()))
def test_a_label_with_one_wrong_character_is_read_as_the_label(layout: str, label: str, typo: str) -> None:
    form = only(layout, form_rows({label: typo}))
    assert_exact(form)
    assert form.warnings == ()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_typo_in_a_three_character_label_is_only_a_near_miss_and_named(layout: str) -> None:
    form = only(layout, form_rows({"联系人": "联糸人"}))
    assert_exact(form)
    assert form.warnings == ("联系人取自「联糸人」一栏，请核对",)


# 3. The same form pasted twice in one file is one form -----------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_same_form_pasted_twice_is_one_form(layout: str) -> None:
    rows = form_rows()
    if layout == "word table":
        result = parse(docx_from_body(table(rows) + p("") + table(rows)), "情况表.docx", REF)
        assert result.failure is None
        found = result.forms
    else:
        found = forms(layout, [*rows, [""], *rows])
    assert len(found) == 1
    assert_exact(found[0])


@pytest.mark.parametrize("layout", LAYOUTS)
def test_two_different_forms_in_one_file_stay_two(layout: str) -> None:
    other = [row[:] for row in form_rows()]
    other[0][1] = "苏州市姑苏区离退休干部第二党支部"
    found = forms(layout, [*form_rows(), [""], *other])
    assert [f.org_name for f in found] == [ORG, "苏州市姑苏区离退休干部第二党支部"]


def test_the_same_form_on_two_sheets_is_one_form() -> None:
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    for index in range(2):
        ws = workbook.active if index == 0 else workbook.create_sheet(f"副本{index}")
        assert ws is not None
        for row in form_rows():
            ws.append(row)
    out = io.BytesIO()
    workbook.save(out)
    result = parse(out.getvalue(), "情况表.xlsx", REF)
    assert len(result.forms) == 1
    assert_exact(result.forms[0])


# 4. Person and phone in one cell -------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(
    "label", ["联系人及电话", "联系人（电话）", "联系人(联系方式)", "联系人/电话", "联系人及联系电话"]
)
@pytest.mark.parametrize("typed", ["王芳 13812345678", "王芳、13812345678", "王芳，13812345678", "王芳/13812345678",
                                   "王芳13812345678", "13812345678 王芳"])
def test_person_and_phone_in_one_cell_give_both(layout: str, label: str, typed: str) -> None:
    form = only(layout, form_rows(last=[label, typed]))
    assert_exact(form, phone="13812345678")
    assert form.warnings == ()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_person_and_landline_in_one_cell_give_both(layout: str) -> None:
    form = only(layout, form_rows(last=["联系人及电话", "王芳 0512-65221234"]))
    assert_exact(form)
    assert form.warnings == ()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_person_and_phone_that_cannot_be_told_apart_are_flagged_never_guessed(layout: str) -> None:
    form = only(layout, form_rows(last=["联系人及电话", "第1小组 13812345678"]))
    assert form.contact_person == ""
    assert form.contact_phone == ""
    assert form.warnings == ("联系人、联系方式无法分开读取：第1小组 13812345678",)


def test_roll_up_with_one_column_for_person_and_phone_gives_both() -> None:
    rows: list[list[object]] = [["序号", "党组织名称", "参加人员数", "活动议程", "活动简介", "联系人及电话"]]
    names = ["张明", "李华", "王芳"]
    for n, name in enumerate(names, start=1):
        rows.append([n, f"姑苏区第{n}党支部", 10 + n, "学习", f"5月{n}日学习", f"{name}、1380000000{n}"])
    result = parse(xlsx_from_rows(rows), "汇总.xlsx", REF)
    assert [f.contact_person for f in result.forms] == names
    assert [f.contact_phone for f in result.forms] == [f"1380000000{n}" for n in (1, 2, 3)]
    assert [f.headcount for f in result.forms] == [11, 12, 13]
    assert all(f.warnings == () for f in result.forms)


# 5. The organisation named only in the title or just above the table ------------------------------------------


TITLES = [
    f"{ORG}“助力火红年代”主题党日活动情况表",
    f'{ORG}"助力火红年代"主题党日活动情况表',
    f"{ORG}「助力火红年代」主题党日活动情况表",
    f"{ORG} “助力火红年代” 主题党日活动情况表",
    f"{ORG}主题党日活动情况表",
]


def no_org_rows() -> list[list[str]]:
    return [row for row in form_rows() if row[0] != "党组织名称"] + [["人数", "25人"]]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("title", TITLES)
def test_organisation_named_only_in_the_title_is_read_from_it_with_a_warning(layout: str, title: str) -> None:
    form = only(layout, no_org_rows(), above=[title])
    assert_exact(form)
    assert form.warnings == (f"党组织名称未填写，已从标题读取：{ORG}，请核对",)


@pytest.mark.parametrize("layout", ["word table", "excel"])
@pytest.mark.parametrize("heading", [ORG, f"填报单位：{ORG}"])
def test_organisation_named_just_above_the_table_is_read_from_there_with_a_warning(layout: str, heading: str) -> None:
    form = only(layout, no_org_rows(), above=["“助力火红年代”主题党日活动情况表", heading])
    assert_exact(form)
    assert form.warnings == (f"党组织名称未填写，已从表格上方一行读取：{ORG}，请核对",)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_title_naming_no_organisation_leaves_the_name_empty_and_flagged(layout: str) -> None:
    form = only(layout, no_org_rows(), above=["“助力火红年代”主题党日活动情况表"])
    assert form.org_name == ""
    assert form.warnings == ("党组织名称未填写",)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_filled_name_row_wins_over_the_title(layout: str) -> None:
    form = only(layout, form_rows(), above=["苏州市另一党支部“助力火红年代”主题党日活动情况表"])
    assert_exact(form)
    assert form.warnings == ()


# 6. A date without a year, and no received date ------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
def test_year_taken_from_today_is_named_in_a_warning(layout: str) -> None:
    form = only(layout, form_rows(), ref=None)
    year = date.today().year
    assert form.activity_date is not None and (form.activity_date.month, form.activity_date.day) == (4, 28)
    assert form.activity_date.year in (year, year - 1)
    assert any(w.startswith("活动日期未写年份") and f"{form.activity_date.year}年" in w for w in form.warnings)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_no_year_warning_with_a_received_date_or_a_typed_year(layout: str) -> None:
    assert only(layout, form_rows()).warnings == ()
    rows = form_rows()
    rows[2] = ["简介", "2025年4月28日上午，支部组织老党员开展主题党日活动。"]
    form = only(layout, rows, ref=None)
    assert form.activity_date == date(2025, 4, 28)
    assert not any("年份" in w for w in form.warnings)
