"""Build the 汇总表 workbook with openpyxl, as bytes or a file: one row per current report, and with a roster a
second sheet 报送情况 (one row per roster entry, one column per month of the season, totals per group).

Every text cell comes from a branch's form or mail, so each is written as a string (never a formula: a value
starting with = + - @ or a tab/CR is stored as text with Excel's quote prefix, the ' a person would type), and
one longer than Excel's 32,767-character cell limit is cut visibly: it ends with "…", the cell carries a comment
and the 备注 column says which field was cut and how long it was. Phones show as staff write them.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from digest.phone import display_phone
from store.records import Coverage, CoverageRow, ReportRow

log = logging.getLogger(__name__)

SHEET_TITLE = "汇总表"
COVERAGE_TITLE = "报送情况"
TEXT_FORMAT = "@"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
EXCEL_CELL_LIMIT = 32_767  # characters (UTF-16 code units) Excel keeps in one cell; a longer one breaks the file
TRUNCATED_NOTE = "内容过长，已截断，完整内容见系统"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may read as the start of a formula


@dataclass(frozen=True)
class Column:
    header: str
    width: float


COLUMNS: tuple[Column, ...] = (
    Column("序号", 6),
    Column("党组织名称", 30),
    Column("人数", 8),
    Column("议程", 36),
    Column("简介", 48),
    Column("联系人", 10),
    Column("联系方式", 16),
    Column("活动日期", 12),
    Column("收到时间", 17),
    Column("是否逾期", 9),
    Column("发件人", 28),
    Column("附件", 24),
    Column("版本", 6),
    Column("备注", 30),
)
HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS)


def _local_naive(moment: datetime, tz: ZoneInfo) -> datetime:
    """Excel has no time zones: show the received time as the office's wall clock."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(tz).replace(tzinfo=None)


# An item the branch numbered itself: "1.", "2、", "3）", "（4）", "一、", "①".
_NUMBERED = re.compile(
    r"^\s*(?:[(（]\s*(?:\d+|[一二三四五六七八九十]+)\s*[)）]|(?:\d+|[一二三四五六七八九十]+)\s*[.．、)）:：]|[①-⑳])"
)


def _agenda_text(agenda: tuple[str, ...]) -> str:
    items = [a.strip() for a in agenda if a.strip()]
    if len(items) <= 1 or any(_NUMBERED.match(item) for item in items):
        return "\n".join(items)  # one item, or numbered as the branch typed it: never "1. 1. ..."
    return "\n".join(f"{i}. {item}" for i, item in enumerate(items, start=1))


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def fit_cell(text: str) -> tuple[str, int]:
    """text without the control characters Excel refuses, and within its cell limit, cut with "…" when longer.

    Returns (value, original length in characters); the length is 0 when nothing was cut.
    """
    clean = ILLEGAL_CHARACTERS_RE.sub("", text)
    if len(clean) <= EXCEL_CELL_LIMIT // 2 or _utf16_length(clean) <= EXCEL_CELL_LIMIT:
        return clean, 0
    room = EXCEL_CELL_LIMIT - 1  # one unit for the ellipsis
    kept = clean[:room]
    while (excess := _utf16_length(kept) - room) > 0:  # characters beyond the BMP count twice
        kept = kept[: len(kept) - (excess + 1) // 2]
    return kept + "…", len(clean)


def _row_values(index: int, row: ReportRow, tz: ZoneInfo) -> list[object]:
    headcount: int | str | None = row.headcount if row.headcount is not None else (row.headcount_text.strip() or None)
    activity: date | None = row.activity_date
    return [
        index,
        row.org_name,
        headcount,
        _agenda_text(row.agenda),
        row.summary,
        row.contact_person,
        display_phone(row.contact_phone),
        activity,
        _local_naive(row.received_at, tz),
        "是" if row.late else "否",
        row.sender,
        row.attachment,
        row.version,
        None,  # 备注, filled by _append_report when a cell had to be cut
    ]


def _put_text(cell: Cell, text: str) -> str:
    """Write text as a string cell, never a formula; return the 备注 line when it had to be cut."""
    value, original = fit_cell(text)
    cell.value = value
    cell.data_type = "s"  # openpyxl would store a value starting with "=" as a formula
    if value.startswith(FORMULA_START):
        cell.quotePrefix = True  # as Excel marks a typed '=...: shown and kept as text, also after editing
    if not original:
        return ""
    cell.comment = Comment(f"{TRUNCATED_NOTE}（原文 {original:,} 字）", "szlgb-intake")
    return f"{HEADERS[cell.column - 1]}{TRUNCATED_NOTE}（原文 {original:,} 字）"


def _append_report(ws: Worksheet, index: int, report: ReportRow, tz: ZoneInfo) -> None:
    """One report as row index + 1: typed values, every text cell through _put_text, 备注 saying what was cut."""
    r = index + 1
    notes: list[str] = []
    for col, value in enumerate(_row_values(index, report, tz), start=1):
        cell = ws.cell(row=r, column=col)
        if isinstance(value, str):
            if note := _put_text(cell, value):
                notes.append(note)
        else:
            cell.value = value
    if notes:
        _put_text(ws.cell(row=r, column=HEADERS.index("备注") + 1), "；".join(notes))


def build_workbook(rows: Iterable[ReportRow], tz: ZoneInfo) -> Workbook:
    """The 汇总表: frozen header, widths, wrapped text, real dates, headcount as number, phone as text."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET_TITLE
    wb.properties.title = "“助力火红年代”主题党日活动情况汇总表"
    wb.properties.creator = "szlgb-intake"

    thin = Side(style="thin", color="BFBFBF")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="B71C1C")
    wrap_top = Alignment(wrap_text=True, vertical="top")
    center_top = Alignment(horizontal="center", vertical="top", wrap_text=True)

    ws.append(list(HEADERS))
    for cell in ws[1]:
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
    ws.row_dimensions[1].height = 22

    count = 0
    for count, report in enumerate(rows, start=1):
        _append_report(ws, count, report, tz)
        r = count + 1
        for col in range(1, len(HEADERS) + 1):  # ws[r] would measure the whole sheet each row: O(n²)
            cell = ws.cell(row=r, column=col)
            cell.border = border
            cell.alignment = center_top if HEADERS[col - 1] in {"序号", "人数", "是否逾期", "版本"} else wrap_top
        phone = ws.cell(row=r, column=HEADERS.index("联系方式") + 1)
        phone.data_type = "s"
        phone.number_format = TEXT_FORMAT
        ws.cell(row=r, column=HEADERS.index("活动日期") + 1).number_format = DATE_FORMAT
        ws.cell(row=r, column=HEADERS.index("收到时间") + 1).number_format = DATETIME_FORMAT
        if report.late:
            ws.cell(row=r, column=HEADERS.index("是否逾期") + 1).font = Font(bold=True, color="C00000")

    for i, column in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = column.width
    ws.freeze_panes = "A2"
    last = get_column_letter(len(COLUMNS))
    ws.auto_filter.ref = f"A1:{last}{max(count + 1, 1)}"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    log.debug("built the 汇总表 with %d rows", count)
    return wb


# ---- the second sheet: 报送情况 ------------------------------------------------------------------------------------
NONE_FILL = PatternFill("solid", fgColor="FCE4D6")  # an entry with no report this season
ZERO_FONT = Font(color="A6A6A6")
LATE_FONT = Font(bold=True, color="C00000")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
COVERAGE_NOTE = ("说明：数字为该月的情况表份数（按活动日期计，未写日期的按收到日期）；"
                 "标“逾期”的为活动结束 7 天后才收到的份数；底色标出本季尚无情况表的党组织；每个所属单位后有小计。")


def late_format(late: int) -> str:
    """The number format of a month cell with late reports: the count, then （逾期 n） (the cell stays a number)."""
    return f'0"（逾期{late}）"'


def _coverage_header(ws: Worksheet, table: Coverage) -> list[str]:
    months = [f"{int(m[5:])}月" for m in table.months]
    headers = ["所属单位", "党组织名称", *months, "合计", "逾期"]
    first, last = (months[0], months[-1]) if months else ("", "")
    ws.cell(row=1, column=1, value=f"{table.year}年各党组织报送情况（{first}—{last}）")
    ws.cell(row=1, column=1).font = Font(bold=True, size=13)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    for col, header in enumerate(headers, start=1):
        cell = ws.cell(row=2, column=col, value=header)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="B71C1C")
        cell.alignment = Alignment(horizontal="center", vertical="center")
    return headers


def _coverage_row(ws: Worksheet, r: int, group: str, name: str, row: CoverageRow) -> None:
    """One entry: group and name as safe text, a number per month (late ones marked), its total and late count."""
    _put_text(ws.cell(row=r, column=1), group)
    _put_text(ws.cell(row=r, column=2), name)
    late = dict(row.late_months)
    for col, (month, n) in enumerate(row.months, start=3):
        cell = ws.cell(row=r, column=col, value=n)
        cell.alignment = Alignment(horizontal="center")
        if late.get(month):
            cell.number_format = late_format(late[month])
            cell.font = LATE_FONT
        elif not n:
            cell.font = ZERO_FONT
    total = ws.cell(row=r, column=len(row.months) + 3, value=row.total)
    total.font = Font(bold=True)
    late_count = ws.cell(row=r, column=len(row.months) + 4, value=row.late or None)
    total.alignment = late_count.alignment = Alignment(horizontal="center")
    if row.late:
        late_count.font = LATE_FONT
    if not row.total:
        for col in range(1, len(row.months) + 5):
            ws.cell(row=r, column=col).fill = NONE_FILL


def _total_row(ws: Worksheet, r: int, label: str, rows: list[CoverageRow], months: int) -> None:
    none = sum(1 for row in rows if not row.total)
    _put_text(ws.cell(row=r, column=1), label)
    ws.cell(row=r, column=2, value=f"{len(rows)} 个党组织，{none} 个本季尚无")
    for col in range(3, months + 3):
        ws.cell(row=r, column=col, value=sum(row.months[col - 3][1] for row in rows))
    ws.cell(row=r, column=months + 3, value=sum(row.total for row in rows))
    ws.cell(row=r, column=months + 4, value=sum(row.late for row in rows))
    for col in range(1, months + 5):
        cell = ws.cell(row=r, column=col)
        cell.font = Font(bold=True)
        cell.fill = TOTAL_FILL
        if col >= 3:
            cell.alignment = Alignment(horizontal="center")


def add_coverage_sheet(wb: Workbook, table: Coverage) -> Worksheet:
    """The 报送情况 sheet: every roster entry by group with its reports per month, a 小计 per group, a 总计."""
    ws = wb.create_sheet(COVERAGE_TITLE)
    headers = _coverage_header(ws, table)
    months = len(table.months)
    r = 2
    by_group: dict[str, list[CoverageRow]] = {}
    for row in table.rows:
        by_group.setdefault(row.group, []).append(row)
    for group, rows in by_group.items():
        for row in rows:
            r += 1
            _coverage_row(ws, r, group, row.name, row)
        r += 1
        _total_row(ws, r, f"{group or '未分组'} 小计", rows, months)
    r += 1
    _total_row(ws, r, "总计", list(table.rows), months)
    ws.cell(row=r + 2, column=1, value=COVERAGE_NOTE).font = Font(color="595959")
    thin = Side(style="thin", color="BFBFBF")
    for line in ws.iter_rows(min_row=2, max_row=r, max_col=len(headers)):
        for cell in line:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for col, width in enumerate((12, 40, *([10] * months), 7, 7), start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "C3"
    ws.print_title_rows = "2:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return ws


def summary_xlsx_bytes(rows: Iterable[ReportRow], tz: ZoneInfo, coverage: Coverage | None = None) -> bytes:
    """The 汇总表 as .xlsx bytes; with coverage (a roster is loaded), its second sheet 报送情况 too."""
    wb = build_workbook(rows, tz)
    if coverage is not None:
        add_coverage_sheet(wb, coverage)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def write_summary_xlsx(rows: Iterable[ReportRow], tz: ZoneInfo, path: Path, coverage: Coverage | None = None) -> Path:
    """Write the 汇总表 to path (parent folders made), atomically via a temporary file beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(summary_xlsx_bytes(rows, tz, coverage))
    tmp.replace(path)
    return path
