"""Build the 汇总表 workbook (one row per current report) with openpyxl, as bytes or a file."""

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
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from store.records import ReportRow

log = logging.getLogger(__name__)

SHEET_TITLE = "汇总表"
TEXT_FORMAT = "@"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


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


def _clean(value: object) -> object:
    """Strings without the control characters Excel refuses."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _row_values(index: int, row: ReportRow, tz: ZoneInfo) -> list[object]:
    headcount: int | str | None = row.headcount if row.headcount is not None else (row.headcount_text.strip() or None)
    activity: date | None = row.activity_date
    values: list[object] = [
        index,
        row.org_name,
        headcount,
        _agenda_text(row.agenda),
        row.summary,
        row.contact_person,
        row.contact_phone,
        activity,
        _local_naive(row.received_at, tz),
        "是" if row.late else "否",
        row.sender,
        row.attachment,
        row.version,
    ]
    return [_clean(v) for v in values]


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
        ws.append(_row_values(count, report, tz))
        r = count + 1
        for col, cell in enumerate(ws[r], start=1):
            if cell.data_type == "f":  # a branch's text that starts with "=" is text, never a formula
                cell.data_type = "s"
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


def summary_xlsx_bytes(rows: Iterable[ReportRow], tz: ZoneInfo) -> bytes:
    buffer = io.BytesIO()
    build_workbook(rows, tz).save(buffer)
    return buffer.getvalue()


def write_summary_xlsx(rows: Iterable[ReportRow], tz: ZoneInfo, path: Path) -> Path:
    """Write the 汇总表 to path (parent folders made), atomically via a temporary file beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(summary_xlsx_bytes(rows, tz))
    tmp.replace(path)
    return path
