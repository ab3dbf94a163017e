"""The 汇总表 workbook: one row per current report, typed cells, frozen header; a real office suite opens it."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from digest.xlsx import EXCEL_CELL_LIMIT, HEADERS, SHEET_TITLE, TRUNCATED_NOTE, summary_xlsx_bytes, write_summary_xlsx
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


FORMULA_LIKE = ('=HYPERLINK("http://x","点我")', "+1+1", "-2+3", "@SUM(1,1)", "\t=1+1", "\r=1+1")


@pytest.mark.parametrize("value", FORMULA_LIKE)
def test_text_that_looks_like_a_formula_stays_text_with_the_quote_prefix(value: str) -> None:
    ws = _sheet(summary_xlsx_bytes([report(org_name=value, summary=value, contact_person=value)], SHANGHAI))
    for name in ("党组织名称", "简介", "联系人"):
        cell = ws.cell(row=2, column=_col(name))
        assert cell.value == value and cell.data_type == "s" and cell.quotePrefix, name


def test_ordinary_text_has_no_quote_prefix() -> None:
    ws = _sheet(summary_xlsx_bytes([report()], SHANGHAI))
    assert not ws.cell(row=2, column=_col("党组织名称")).quotePrefix


def test_a_cell_beyond_excels_limit_is_cut_visibly_with_a_comment_and_a_note() -> None:
    long_summary = "支部组织老同志参观。" * 4000  # 40,000 characters
    emoji_agenda = ("😀" * 20_000,)  # 20,000 characters, 40,000 UTF-16 units: Excel counts those
    ws = _sheet(summary_xlsx_bytes([report(summary=long_summary, agenda=emoji_agenda)], SHANGHAI))
    summary = ws.cell(row=2, column=_col("简介"))
    assert len(summary.value) == EXCEL_CELL_LIMIT and summary.value.endswith("…")
    assert long_summary.startswith(summary.value[:-1])
    assert summary.comment is not None and TRUNCATED_NOTE in summary.comment.text
    agenda = ws.cell(row=2, column=_col("议程")).value
    assert len(agenda.encode("utf-16-le")) // 2 <= EXCEL_CELL_LIMIT and agenda.endswith("😀…")
    note = ws.cell(row=2, column=_col("备注")).value
    assert note == (f"议程{TRUNCATED_NOTE}（原文 20,000 字）；简介{TRUNCATED_NOTE}（原文 40,000 字）")
    assert ws.cell(row=2, column=_col("党组织名称")).comment is None


def test_a_report_within_the_limits_has_an_empty_note() -> None:
    ws = _sheet(summary_xlsx_bytes([report()], SHANGHAI))
    assert ws.cell(row=2, column=_col("备注")).value is None


def test_landlines_show_hyphenated_mobiles_as_typed() -> None:
    rows = [report(contact_phone="051265221234"), report(id=2, contact_phone="13912345678")]
    ws = _sheet(summary_xlsx_bytes(rows, SHANGHAI))
    assert ws.cell(row=2, column=_col("联系方式")).value == "0512-65221234"
    assert ws.cell(row=3, column=_col("联系方式")).value == "13912345678"


def test_control_characters_from_a_form_do_not_break_the_workbook() -> None:
    ws = _sheet(summary_xlsx_bytes([report(summary="第一行\x07第二行\x0b")], SHANGHAI))
    assert ws.cell(row=2, column=_col("简介")).value == "第一行第二行"


def test_write_summary_xlsx_creates_folders_and_leaves_no_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "exports" / "汇总表.xlsx"
    write_summary_xlsx([report()], SHANGHAI, target)
    assert target.is_file() and not list(target.parent.glob("*.part"))
    assert _sheet(target.read_bytes()).max_row == 2


@pytest.mark.slow
def test_libreoffice_reads_the_workbook_with_phone_and_headcount_intact(tmp_path: Path) -> None:
    soffice = require_binary("soffice", "libreoffice-calc-nogui")
    hostile = report(id=3, org_name="=1+1", contact_person="+2+3", summary="长" * 40_000,
                     contact_phone="051265221234")
    book = write_summary_xlsx([report(), report(id=2, org_name="第二党支部", headcount=9), hostile], SHANGHAI,
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
    hostile_row = dict(zip(HEADERS, next(r for r in csv.reader(io.StringIO(csv_text)) if r[0] == "3"), strict=True))
    assert hostile_row["党组织名称"] == "=1+1" and hostile_row["联系人"] == "+2+3"  # text, not computed
    assert hostile_row["联系方式"] == "0512-65221234"
    assert hostile_row["简介"].endswith("…") and TRUNCATED_NOTE in hostile_row["备注"]


def test_agenda_the_branch_numbered_itself_is_not_numbered_twice() -> None:
    typed = ("1. 重温入党誓词", "2、学习《通知》", "（3）观看红色电影")
    ws = _sheet(summary_xlsx_bytes([report(agenda=typed)], SHANGHAI))
    value = ws.cell(row=2, column=_col("议程")).value
    assert value == "1. 重温入党誓词\n2、学习《通知》\n（3）观看红色电影"
    assert "1. 1." not in value
