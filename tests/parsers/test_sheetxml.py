"""The lxml sheet reader gives exactly the grid the openpyxl (full mode) reader gives, on real and built workbooks."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from parsers import parse
from parsers.excel import read_xlsx
from parsers.layout import Block, TableBlock
from parsers.limits import Deadline
from parsers.sheetxml import read_workbook
from tests.parsers.builders import form_xlsx, rewrite_zip, xlsx_bytes

REF = date(2026, 6, 1)


def texts(blocks: list[Block]) -> list[list[list[str]]]:
    return [[[cell.text for cell in row] for row in block.rows] for block in blocks if isinstance(block, TableBlock)]


def merged_shape(blocks: list[Block]) -> list[list[list[int]]]:
    """Which grid positions share one merged cell (as indexes of first appearance)."""
    shapes = []
    for block in blocks:
        assert isinstance(block, TableBlock)
        seen: dict[int, int] = {}
        shapes.append([[seen.setdefault(id(cell), len(seen)) for cell in row] for row in block.rows])
    return shapes


def both(data: bytes) -> tuple[list[Block], list[Block]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        native = read_workbook(zf, Deadline.after(30))
    return native, read_xlsx(data, Deadline.after(30))


def corpus_workbooks() -> list[Path]:
    office = Path(__file__).resolve().parents[1] / "data" / "public" / "office"
    found = sorted(p for p in office.glob("*.xlsx") if "passtika" not in p.name)
    if not found:  # never let an empty parameter list turn these tests into silent skips
        raise FileNotFoundError(f"{office} holds no .xlsx files: tests/data/public/office is incomplete")
    return found


@pytest.mark.slow
@pytest.mark.parametrize("path", corpus_workbooks(), ids=lambda p: p.name)
def test_lxml_reader_matches_openpyxl_on_real_workbooks(path: Path) -> None:
    native, reference = both(path.read_bytes())
    assert texts(native) == texts(reference)
    assert merged_shape(native) == merged_shape(reference)


def test_lxml_reader_matches_openpyxl_on_the_built_form() -> None:
    native, reference = both(form_xlsx([("A9", "活动时间"), ("B9", datetime(2025, 10, 9, 9, 30))]))
    assert texts(native) == texts(reference)
    assert merged_shape(native) == merged_shape(reference)
    assert texts(native)[0][8][1] == "2025年10月9日 09:30"


def chinese_builtin_date_workbook() -> bytes:
    """A form whose 活动时间 cell uses Excel's Chinese built-in date format 31 (yyyy"年"m"月"d"日")."""
    workbook = openpyxl.load_workbook(io.BytesIO(form_xlsx([("B7", "支部集中学习。")])))
    ws = workbook.active
    assert ws is not None
    ws["A9"], ws["B9"] = "活动时间", 45778
    ws["B9"].number_format = "0.00000"
    data = xlsx_bytes(workbook)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        styles = zf.read("xl/styles.xml").decode()
    custom = re.search(r'<numFmts count="1"><numFmt numFmtId="(\d+)" formatCode="0.00000"/></numFmts>', styles)
    assert custom is not None
    styles = styles.replace(custom.group(0), "").replace(f'<xf numFmtId="{custom.group(1)}"', '<xf numFmtId="31"')
    return rewrite_zip(data, {"xl/styles.xml": styles.encode()})


def test_chinese_builtin_date_format_is_a_date_in_both_readers() -> None:
    data = chinese_builtin_date_workbook()
    native, reference = both(data)
    assert texts(native)[0][8][1] == "2025年5月1日"
    assert texts(reference)[0][8][1] == "2025年5月1日"
    assert parse(data, "情况表.xlsx", REF).forms[0].activity_date == date(2025, 5, 1)


def test_escaped_characters_in_strings_are_decoded() -> None:
    data = form_xlsx([("B8", "李_x0020_强")])
    native, _ = both(data)
    assert texts(native)[0][7][1] == "李 强"
