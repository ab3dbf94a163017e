"""The 汇总表 workbook: one row per current report, typed cells, frozen header; a real office suite opens it."""

from __future__ import annotations

import io
import subprocess
from datetime import date, datetime
from pathlib import Path

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

from digest.xlsx import HEADERS, SHEET_TITLE, summary_xlsx_bytes, write_summary_xlsx
from tests.digest.factories import SHANGHAI, report
from tests.fixtures.services import require_binary


def _sheet(data: bytes) -> Worksheet:
    ws = openpyxl.load_workbook(io.BytesIO(data))[SHEET_TITLE]
    assert isinstance(ws, Worksheet)
    return ws


def _col(name: str) -> int:
    return HEADERS.index(name) + 1


def test_one_row_per_report_under_a_frozen_header() -> None:
    rows = [report(id=i, org_name=f"第{i}党支部") for i in range(1, 6)]
    ws = _sheet(summary_xlsx_bytes(rows, SHANGHAI))
    assert [c.value for c in ws[1]] == list(HEADERS)
    assert ws.max_row == 6
    names = [ws.cell(row=r, column=_col("党组织名称")).value for r in range(2, 7)]
    assert names == [f"第{i}党支部" for i in range(1, 6)]
    assert ws.freeze_panes == "A2"
    wanted = ("党组织名称", "人数", "议程", "简介", "联系人", "联系方式", "活动日期", "收到时间", "是否逾期", "发件人")
    assert set(wanted) <= set(HEADERS)


def test_empty_store_gives_a_header_only_sheet() -> None:
    ws = _sheet(summary_xlsx_bytes([], SHANGHAI))
    assert ws.max_row == 1 and ws.cell(row=1, column=1).value == "序号"


def test_phone_stays_text_headcount_is_a_number_dates_are_real_dates() -> None:
    ws = _sheet(summary_xlsx_bytes([report(contact_phone="13912345678", headcount=23)], SHANGHAI))
    phone = ws.cell(row=2, column=_col("联系方式"))
    assert phone.value == "13912345678" and phone.data_type == "s" and phone.number_format == "@"
    assert ws.cell(row=2, column=_col("人数")).value == 23
    activity = ws.cell(row=2, column=_col("活动日期"))
    assert activity.is_date and activity.value.date() == date(2020, 5, 12)
    received = ws.cell(row=2, column=_col("收到时间"))
    assert received.is_date and received.value == datetime(2020, 5, 14, 9, 32)  # office wall-clock time


def test_unreadable_headcount_is_kept_as_written_and_late_is_marked() -> None:
    ws = _sheet(summary_xlsx_bytes([report(headcount=None, headcount_text="三十余人", late=True)], SHANGHAI))
    assert ws.cell(row=2, column=_col("人数")).value == "三十余人"
    assert ws.cell(row=2, column=_col("是否逾期")).value == "是"


def test_agenda_items_are_numbered_lines_and_long_text_wraps() -> None:
    ws = _sheet(summary_xlsx_bytes([report()], SHANGHAI))
    agenda = ws.cell(row=2, column=_col("议程"))
    assert agenda.value == "1. 学习《通知》精神\n2. 参观苏州革命博物馆\n3. 交流发言"
    assert agenda.alignment.wrap_text
    assert ws.cell(row=2, column=_col("简介")).alignment.wrap_text
    assert ws.column_dimensions["B"].width >= 20


def test_text_that_looks_like_a_formula_stays_text() -> None:
    ws = _sheet(summary_xlsx_bytes([report(org_name="=HYPERLINK(\"http://x\")", summary="=1+1")], SHANGHAI))
    cell = ws.cell(row=2, column=_col("党组织名称"))
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://x")'


def test_control_characters_from_a_form_do_not_break_the_workbook() -> None:
    ws = _sheet(summary_xlsx_bytes([report(summary="第一行\x07第二行\x0b")], SHANGHAI))
    assert ws.cell(row=2, column=_col("简介")).value == "第一行第二行"


def test_write_summary_xlsx_creates_folders_and_leaves_no_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "exports" / "汇总表.xlsx"
    write_summary_xlsx([report()], SHANGHAI, target)
    assert target.is_file() and not list(target.parent.glob("*.part"))
    assert _sheet(target.read_bytes()).max_row == 2


def test_libreoffice_reads_the_workbook_with_phone_and_headcount_intact(tmp_path: Path) -> None:
    soffice = require_binary("soffice", "libreoffice-calc-nogui")
    book = write_summary_xlsx([report(), report(id=2, org_name="第二党支部", headcount=9)], SHANGHAI,
                              tmp_path / "汇总表.xlsx")
    profile = tmp_path / "lo-profile"
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "csv:Text - txt - csv "
         "(StarCalc):44,34,76", "--outdir", str(tmp_path), str(book)],
        check=True, capture_output=True, timeout=120,
    )
    csv_text = (tmp_path / "汇总表.csv").read_text("utf-8")
    assert "苏州市财政局离退休干部第一党支部" in csv_text and "第二党支部" in csv_text
    assert "13912345678" in csv_text and "E+10" not in csv_text
    assert ",9," in csv_text


def test_agenda_the_branch_numbered_itself_is_not_numbered_twice() -> None:
    typed = ("1. 重温入党誓词", "2、学习《通知》", "（3）观看红色电影")
    ws = _sheet(summary_xlsx_bytes([report(agenda=typed)], SHANGHAI))
    value = ws.cell(row=2, column=_col("议程")).value
    assert value == "1. 重温入党誓词\n2、学习《通知》\n（3）观看红色电影"
    assert "1. 1." not in value
