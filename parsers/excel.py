"""Turn workbook sheets into grids: .xlsx/.xlsm through openpyxl (full mode), .xls/.et/.ods through calamine."""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

import openpyxl
import python_calamine
from openpyxl.cell.cell import Cell as Cell_
from openpyxl.utils.datetime import from_excel

from parsers.layout import Block, Cell, TableBlock
from parsers.limits import Deadline, LimitExceeded, check_zip, verify_members

CJK_DATE_FORMAT_IDS = frozenset({27, 28, 29, 30, 31, 36, 50, 51, 52, 53, 54, 57, 58})
"""Built-in formats that Chinese Excel shows as dates (yyyy"年"m"月"d"日" and the like); openpyxl leaves them
as serial numbers, which would put 45000 where a branch typed a date."""
CJK_TIME_FORMAT_IDS = frozenset({32, 33, 34, 35, 55, 56})

MAX_SHEET_CELLS = 300_000
"""Cells of one sheet's used area; beyond this a sheet is not a one-page form or a district roll-up."""


def cell_text(value: object) -> str:
    """A cell value as the branch typed it: 13913571234 not 1.39E10, 25.0 as 25, dates as 2020年5月8日."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        text = f"{value.year}年{value.month}月{value.day}日"
        if value.time() != time(0, 0):
            text += f" {value.hour:02d}:{value.minute:02d}"
        return text
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, time):
        return f"{value.hour:02d}:{value.minute:02d}"
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def grid(
    values: dict[tuple[int, int], str],
    merges: Iterable[tuple[int, int, int, int]],
    deadline: Deadline,
) -> TableBlock | None:
    """A grid from sparse 0-based (row, col) texts and merged ranges (r0, c0, r1, c1 inclusive, value top-left)."""
    filled = [key for key, text in values.items() if text and not text.isspace()]
    if not filled:
        return None
    row_numbers, col_numbers = [r for r, _ in filled], [c for _, c in filled]
    top, bottom, left, right = min(row_numbers), max(row_numbers), min(col_numbers), max(col_numbers)
    merge_list = list(merges)
    for r0, c0, r1, c1 in merge_list:
        if (r0, c0) in values and values[(r0, c0)].strip():
            bottom, right = max(bottom, min(r1, r0 + 1000)), max(right, min(c1, c0 + 100))
    height, width = bottom - top + 1, right - left + 1
    if height * width > MAX_SHEET_CELLS:
        raise LimitExceeded(f"sheet used area is {height}x{width} cells")
    rows = [[Cell("") for _ in range(width)] for _ in range(height)]
    for (r, c), text in values.items():
        if top <= r <= bottom and left <= c <= right:
            rows[r - top][c - left].text = text
    deadline.check()
    for r0, c0, r1, c1 in merge_list:
        if r0 > bottom or c0 > right or r1 < top or c1 < left:
            continue
        anchor = Cell(values.get((r0, c0), ""))
        for r in range(max(r0, top), min(r1, bottom) + 1):
            for c in range(max(c0, left), min(c1, right) + 1):
                rows[r - top][c - left] = anchor
    return TableBlock(rows)


def read_xlsx(data: bytes, deadline: Deadline) -> list[Block]:
    """Every worksheet of an OOXML workbook, each as one grid (openpyxl full mode, so a wrong <dimension> is moot)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return read_xlsx_package(zf, data, deadline)


def read_xlsx_package(zf: zipfile.ZipFile, data: bytes, deadline: Deadline) -> list[Block]:
    check_zip(zf)
    verify_members(zf, deadline)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "no default style" and similar notes about odd writers
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=False, data_only=True, keep_links=False)
    deadline.check()
    blocks: list[Block] = []
    try:
        for sheet in workbook.worksheets:
            cells = getattr(sheet, "_cells", {})
            if len(cells) > MAX_SHEET_CELLS:
                raise LimitExceeded(f"sheet {sheet.title!r} has {len(cells)} cells")
            values = {(r - 1, c - 1): cell_text(_typed_value(cell, workbook.epoch)) for (r, c), cell in cells.items()}
            merges = [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in sheet.merged_cells.ranges]
            table = grid(values, merges, deadline)
            if table is not None:
                blocks.append(table)
    finally:
        workbook.close()
    return blocks


def _typed_value(cell: Cell_, epoch: datetime) -> object:
    """A cell's value as typed: not the link openpyxl copies into an empty hyperlinked cell, and a date for the
    Chinese built-in date formats (numFmtId 27-36, 50-58) openpyxl leaves as serial numbers."""
    value = cell.value
    link = cell.hyperlink
    if link is not None and value is not None and value in (link.target, link.location):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        fmt_id = cell._style.numFmtId
        if fmt_id in CJK_DATE_FORMAT_IDS or fmt_id in CJK_TIME_FORMAT_IDS:
            try:
                moment = from_excel(value, epoch)
            except (OverflowError, ValueError):
                return "#VALUE!"
            return moment.time() if fmt_id in CJK_TIME_FORMAT_IDS and isinstance(moment, datetime) else moment
    return value


def read_calamine(data: bytes, deadline: Deadline) -> list[Block]:
    """Every sheet of a legacy .xls/.et (BIFF) or .ods workbook through python-calamine."""
    workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    blocks: list[Block] = []
    for index in range(len(workbook.sheet_names)):
        deadline.check()
        sheet = workbook.get_sheet_by_index(index)
        if sheet.height * max(sheet.width, 1) > MAX_SHEET_CELLS:
            raise LimitExceeded(f"sheet {sheet.name!r} is {sheet.height}x{sheet.width} cells")
        values: dict[tuple[int, int], str] = {}
        for r, row in enumerate(sheet.to_python(skip_empty_area=False)):
            for c, value in enumerate(row):
                text = cell_text(value)
                if text:
                    values[(r, c)] = text
        merges = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])]
        table = grid(values, merges, deadline)
        if table is not None:
            blocks.append(table)
    return blocks
