"""Excel forms and district roll-ups: merged ranges, numbers typed as numbers, dates, any sheet, WPS quirks."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime

import openpyxl

from parsers import FailureKind, parse
from tests.parsers.builders import form_xlsx, rewrite_zip, xlsx_bytes

REF = date(2026, 6, 1)


def test_form_sheet_with_merged_ranges_reads_values_from_the_top_left_cell() -> None:
    result = parse(form_xlsx(), "情况表.xlsx", REF)
    assert result.detected_format == "xlsx"
    assert len(result.forms) == 1
    form = result.forms[0]
    assert form.org_name == "苏州市吴中区老干部党支部"
    assert form.agenda == ("1. 学习讲话精神", "2. 参观红色教育基地")
    assert form.summary == "5月12日下午，支部在活动室集中学习。"
    assert form.contact_person == "李强"
    assert form.activity_date == date(2026, 5, 12)


def test_numbers_typed_as_numbers_keep_every_digit() -> None:
    form = parse(form_xlsx(), "情况表.xlsx", REF).forms[0]
    assert form.contact_phone == "13913571234"
    assert form.headcount == 25
    assert form.headcount_text == "25"


def test_wps_file_with_a_wrong_dimension_is_read_in_full() -> None:
    data = form_xlsx()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml")
    assert b"<dimension" in sheet
    wrong = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', sheet)
    result = parse(rewrite_zip(data, {"xl/worksheets/sheet1.xml": wrong}), "wps.xlsx", REF)
    assert result.forms[0].contact_phone == "13913571234"
    assert result.forms[0].org_name == "苏州市吴中区老干部党支部"


def test_activity_date_typed_as_an_excel_date_is_used() -> None:
    data = form_xlsx([("A9", "活动时间"), ("B9", datetime(2025, 10, 9)), ("B7", "支部集中学习。")])
    form = parse(data, "情况表.xlsx", REF).forms[0]
    assert form.activity_date == date(2025, 10, 9)


def test_form_on_a_later_sheet_is_found() -> None:
    data = form_xlsx(sheet_title="Sheet2")
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    first = workbook.create_sheet("说明", 0)
    first["A1"] = "请填写第二页"
    result = parse(xlsx_bytes(workbook), "情况表.xlsx", REF)
    assert [f.org_name for f in result.forms] == ["苏州市吴中区老干部党支部"]


def test_district_roll_up_gives_one_form_a_row_and_skips_the_total_row() -> None:
    workbook = openpyxl.Workbook()
    ws = workbook.active
    assert ws is not None
    ws.append(["吴中区离退休干部党组织主题党日活动汇总表"])
    ws.merge_cells("A1:G1")
    ws.append(["序号", "党组织名称", "参加人数", "活动议程", "活动简介", "联系人", "联系电话"])
    ws.append([1, "吴中区老干部第一党支部", 32, "1.学习\n2.参观", "4月28日上午开展活动", "张三", "0512-66001234"])
    ws.append([2, "吴中区老干部第二党支部", "二十八人", "重温入党誓词", "5月6日上午学习", "李四", 13800001111])
    ws.append([3, "吴中区老干部第三党支部", "约40人", "观看电影", "5月9日下午观影", "王五", "66002345"])
    ws.append(["", "合计", 100, "", "", "", ""])
    result = parse(xlsx_bytes(workbook), "汇总.xlsx", REF)
    names = ["吴中区老干部第一党支部", "吴中区老干部第二党支部", "吴中区老干部第三党支部"]
    assert [f.org_name for f in result.forms] == names
    assert [f.headcount for f in result.forms] == [32, 28, 40]
    assert [f.contact_phone for f in result.forms] == ["051266001234", "13800001111", "66002345"]
    assert result.forms[0].agenda == ("1.学习", "2.参观")
    assert [f.activity_date for f in result.forms] == [date(2026, 4, 28), date(2026, 5, 6), date(2026, 5, 9)]


def test_xlsm_is_told_by_content_and_read_without_running_macros() -> None:
    data = form_xlsx()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        types = zf.read("[Content_Types].xml")
    types = types.replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    macro = rewrite_zip(data, {"[Content_Types].xml": types}, add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 not run"})
    result = parse(macro, "情况表.zip", REF)
    assert result.detected_format == "xlsm"
    assert result.forms[0].org_name == "苏州市吴中区老干部党支部"


def test_blank_excel_template_is_empty_form() -> None:
    blank = form_xlsx([(ref, None) for ref in ("B2", "D2", "B3", "B4", "B7", "B8", "D8")])
    result = parse(blank, "情况表.xlsx", REF)
    assert result.failure is not None and result.failure.kind is FailureKind.EMPTY_FORM


def test_unrelated_workbook_is_not_a_form() -> None:
    workbook = openpyxl.Workbook()
    ws = workbook.active
    assert ws is not None
    ws.append(["姓名", "电话"])
    ws.append(["张三", 13800001111])
    result = parse(xlsx_bytes(workbook), "通讯录.xlsx", REF)
    assert result.failure is not None and result.failure.kind is FailureKind.NOT_A_FORM


def test_one_form_per_sheet_gives_one_form_each() -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(form_xlsx()))
    second = workbook.copy_worksheet(workbook.worksheets[0])
    second["B2"], second["B8"] = "苏州市吴中区老干部第二党支部", "赵六"
    result = parse(xlsx_bytes(workbook), "两个支部.xlsx", REF)
    assert [f.org_name for f in result.forms] == ["苏州市吴中区老干部党支部", "苏州市吴中区老干部第二党支部"]
    assert [f.contact_person for f in result.forms] == ["李强", "赵六"]
