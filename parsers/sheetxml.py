"""Read an .xlsx/.xlsm workbook's cell values and merged ranges straight from its XML parts with lxml.

Only the parts a form needs are read (workbook, its relationships, shared strings, styles for date formats,
the worksheets); the <dimension> element is ignored, so WPS files that misstate it are read in full. Anything
this reader does not know (Strict OOXML, a missing part) raises Unsupported and the caller falls back to
openpyxl, which is also the reference the tests compare this reader against.
"""

from __future__ import annotations

import contextlib
import functools
import posixpath
import re
import zipfile
from datetime import datetime
from typing import NamedTuple

from lxml import etree
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

from parsers.excel import CJK_DATE_FORMAT_IDS, CJK_TIME_FORMAT_IDS, MAX_SHEET_CELLS, cell_text, grid
from parsers.layout import Block
from parsers.limits import Deadline, LimitExceeded, check_zip, read_member
from parsers.safexml import parse_xml, part_children

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_OFFICE_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_SHEETS, _SHEET, _WB_PR = f"{_MAIN}sheets", f"{_MAIN}sheet", f"{_MAIN}workbookPr"
_SI, _T, _R, _V, _IS = f"{_MAIN}si", f"{_MAIN}t", f"{_MAIN}r", f"{_MAIN}v", f"{_MAIN}is"
_ROW, _C, _SHEET_DATA = f"{_MAIN}row", f"{_MAIN}c", f"{_MAIN}sheetData"
_MERGE_CELLS, _MERGE_CELL = f"{_MAIN}mergeCells", f"{_MAIN}mergeCell"
_NUM_FMTS, _NUM_FMT, _CELL_XFS, _XF = f"{_MAIN}numFmts", f"{_MAIN}numFmt", f"{_MAIN}cellXfs", f"{_MAIN}xf"
_SST = f"{_MAIN}sst"
_SHEET_CONTAINERS = frozenset({_SHEET_DATA, _MERGE_CELLS})
_STYLE_CONTAINERS = frozenset({_NUM_FMTS, _CELL_XFS})
_SST_ONLY = frozenset({_SST})

MAX_SHARED_STRINGS = MAX_SHEET_CELLS
"""Distinct strings of one workbook; more than one sheet's cell cap is no form."""

_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_COORD = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


class Unsupported(Exception):
    """A workbook shape this reader leaves to openpyxl."""


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def _rich_text(element: etree._Element) -> str:
    """Text of an <si> or <is>: its <t> and every run's <t>, phonetic guides left out."""
    parts: list[str] = []
    for child in element:
        tag = child.tag
        if tag == _T:
            parts.append(child.text or "")
        elif tag == _R:
            for t in child:
                if t.tag == _T:
                    parts.append(t.text or "")
                    break
    return _unescape("".join(parts))


def _column(letters: str) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


@functools.lru_cache(maxsize=65536)
def _coordinate(ref: str) -> tuple[int, int]:
    split = 0
    while split < len(ref) and "A" <= ref[split] <= "Z":
        split += 1
    if 0 < split <= 3 and ref[split:].isdigit() and ref[split:].isascii():
        column = 0
        for ch in ref[:split]:
            column = column * 26 + ord(ch) - 64
        return int(ref[split:]), column
    match = _COORD.match(ref)
    if match is None:
        raise Unsupported(f"cell reference {ref!r}")
    return int(match.group(2)), _column(match.group(1))


def _part(zf: zipfile.ZipFile, name: str, deadline: Deadline) -> etree._Element:
    if name not in zf.NameToInfo:
        raise Unsupported(f"missing part {name}")
    return parse_xml(read_member(zf, name, deadline), name)


def _resolve(folder: str, target: str) -> str:
    """A relative target against its part's folder (posixpath.normpath only when a segment is empty, . or ..)."""
    if not any(segment in ("", ".", "..") for segment in target.split("/")) and ".." not in folder:
        return f"{folder}/{target}" if folder else target
    return posixpath.normpath(posixpath.join(folder, target))


def _rels(zf: zipfile.ZipFile, part: str, deadline: Deadline) -> dict[str, tuple[str, str]]:
    """Relationship id → (type, resolved part name) for one part."""
    folder, base = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", f"{base}.rels")
    out: dict[str, tuple[str, str]] = {}
    for rel in _part(zf, rels_name, deadline).iter(_REL):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        resolved = target.lstrip("/") if target.startswith("/") else _resolve(folder, target)
        out[rel.get("Id", "")] = (rel.get("Type", ""), resolved)
    return out


_Formats = tuple[frozenset[int], frozenset[int], frozenset[int]]
_STYLE_CACHE: dict[tuple[int, int], _Formats] = {}
_STYLE_CACHE_SIZE = 256


def _styles(zf: zipfile.ZipFile, name: str | None, deadline: Deadline) -> _Formats:
    """Indexes of cell formats that show dates, durations, and times of day.

    Branches fill in copies of one template, so the answer is cached by the part's CRC-32 and size (read from the
    zip directory, not the part) and the same styles.xml is parsed once.
    """
    if name is None or name not in zf.NameToInfo:
        return frozenset(), frozenset(), frozenset()
    info = zf.NameToInfo[name]
    key = (info.CRC, info.file_size)
    cached = _STYLE_CACHE.get(key)
    if cached is None:
        cached = _parse_styles(zf, name, deadline)
        if len(_STYLE_CACHE) >= _STYLE_CACHE_SIZE:
            _STYLE_CACHE.clear()
        _STYLE_CACHE[key] = cached
    return cached


class _LazyFormats:
    """The workbook's date/duration/time formats, read from styles.xml only once a sheet holds a number (format 0,
    the default, can itself be a date format, so every number needs them)."""

    def __init__(self, zf: zipfile.ZipFile, name: str | None, deadline: Deadline) -> None:
        self.zf, self.name, self.deadline = zf, name, deadline
        self.formats: _Formats | None = None

    def get(self) -> _Formats:
        if self.formats is None:
            self.formats = _styles(self.zf, self.name, self.deadline)
        return self.formats


def _parse_styles(zf: zipfile.ZipFile, name: str, deadline: Deadline) -> _Formats:
    """Read numFmts and cellXfs from a styles part, streamed (a styles part bloated by copy-paste can be big)."""
    custom: dict[int, str] = {}
    xf_formats: list[int] = []
    for container, children in part_children(zf, name, _STYLE_CONTAINERS, deadline):
        if container.tag == _NUM_FMTS:
            for fmt in children:
                if fmt.tag == _NUM_FMT:
                    with contextlib.suppress(ValueError):
                        custom[int(fmt.get("numFmtId", "-1"))] = fmt.get("formatCode", "")
        else:
            xf_formats.extend(_int_or(xf.get("numFmtId", "0"), -1) for xf in children if xf.tag == _XF)
    return _date_formats(custom, xf_formats)


def _int_or(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default


def _date_formats(custom: dict[int, str], xf_formats: list[int]) -> _Formats:
    """Which cell formats (by index into cellXfs) show dates, durations and times of day."""
    dates: set[int] = set()
    durations: set[int] = set()
    times: set[int] = set()
    for index, fmt_id in enumerate(xf_formats):
        if fmt_id < 0:
            continue
        code = custom.get(fmt_id, BUILTIN_FORMATS.get(fmt_id))
        if fmt_id in CJK_DATE_FORMAT_IDS and fmt_id not in custom:
            dates.add(index)
        elif fmt_id in CJK_TIME_FORMAT_IDS and fmt_id not in custom:
            dates.add(index)
            times.add(index)
        elif is_date_format(code):
            dates.add(index)
        if is_timedelta_format(code):
            durations.add(index)
    return frozenset(dates), frozenset(durations), frozenset(times)


def read_workbook(zf: zipfile.ZipFile, deadline: Deadline) -> list[Block]:
    """Every worksheet as one grid, in workbook order."""
    check_zip(zf)
    workbook_part = "xl/workbook.xml"
    if workbook_part not in zf.NameToInfo:
        for _, (rel_type, target) in _rels(zf, "", deadline).items():
            if rel_type == _OFFICE_DOC:
                workbook_part = target
    workbook = _part(zf, workbook_part, deadline)
    if workbook.tag != f"{_MAIN}workbook":
        raise Unsupported(f"workbook root {workbook.tag}")
    pr = workbook.find(_WB_PR)
    epoch = CALENDAR_MAC_1904 if pr is not None and pr.get("date1904") in ("1", "true") else CALENDAR_WINDOWS_1900
    rels = _rels(zf, workbook_part, deadline)
    strings_part = next((t for kind, t in rels.values() if kind.endswith("/sharedStrings")), None)
    styles_part = next((t for kind, t in rels.values() if kind.endswith("/styles")), None)
    strings: list[str] = []
    if strings_part is not None and strings_part in zf.NameToInfo:
        strings = _shared_strings(zf, strings_part, deadline)
    formats = _LazyFormats(zf, styles_part, deadline)
    sheets = workbook.find(_SHEETS)
    blocks: list[Block] = []
    for sheet in sheets.iter(_SHEET) if sheets is not None else ():
        kind, target = rels.get(sheet.get(_R_ID, ""), ("", ""))
        if not kind.endswith("/worksheet"):
            continue
        deadline.check()
        if target not in zf.NameToInfo:
            raise Unsupported(f"missing part {target}")
        table = _sheet(zf, target, _Context(strings, formats, epoch, deadline))
        if table is not None:
            blocks.append(table)
    return blocks


def _number(text: str) -> int | float:
    return float(text) if ("." in text or "E" in text or "e" in text) else int(text)


def _shared_strings(zf: zipfile.ZipFile, part: str, deadline: Deadline) -> list[str]:
    strings: list[str] = []
    for _, children in part_children(zf, part, _SST_ONLY, deadline):
        strings.extend(_rich_text(si) for si in children if si.tag == _SI)
        if len(strings) > MAX_SHARED_STRINGS:
            raise LimitExceeded(f"workbook has more than {MAX_SHARED_STRINGS} shared strings")
    return strings


class _Context(NamedTuple):
    """What reading a sheet's cells needs from the workbook."""

    strings: list[str]
    formats: _LazyFormats
    epoch: datetime
    deadline: Deadline


def _sheet(zf: zipfile.ZipFile, part: str, ctx: _Context) -> Block | None:
    """One worksheet as a grid: its rows and merged ranges read as the part is parsed (streamed when big), the
    cells capped at MAX_SHEET_CELLS and the merged ranges too."""
    values: dict[tuple[int, int], str] = {}
    merges: list[tuple[int, int, int, int]] = []
    row_number = 0
    for container, children in part_children(zf, part, _SHEET_CONTAINERS, ctx.deadline):
        if container.tag == _SHEET_DATA:
            row_number = _rows(children, values, row_number, ctx)
        else:
            _merges(children, merges)
            if len(merges) > MAX_SHEET_CELLS:
                raise LimitExceeded(f"sheet has more than {MAX_SHEET_CELLS} merged ranges")
    if len(values) > MAX_SHEET_CELLS:
        raise LimitExceeded(f"sheet has more than {MAX_SHEET_CELLS} cells")
    return grid(values, merges, ctx.deadline)


def _rows(rows: list[etree._Element], values: dict[tuple[int, int], str], row_number: int, ctx: _Context) -> int:
    """Read rows' cell texts into values (0-based (row, col) keys); returns the number of the last row read."""
    for n, row in enumerate(rows):
        if row.tag != _ROW:
            continue
        r = row.get("r")
        row_number = (int(r) if r.isdigit() else int(float(r))) if r else row_number + 1
        col_number = 0
        for c in row:
            if c.tag != _C:
                continue
            ref = c.get("r")
            if ref:
                row_number, col_number = _coordinate(ref)
            else:
                col_number += 1
            if not len(c):  # a styled empty cell (template borders): nothing to read
                continue
            value = _value(c, ctx.strings, ctx.formats, ctx.epoch)
            if value is not None:
                text = value if type(value) is str else cell_text(value)
                if text:
                    values[(row_number - 1, col_number - 1)] = text
        if n % 64 == 63:
            if len(values) > MAX_SHEET_CELLS:
                raise LimitExceeded(f"sheet has more than {MAX_SHEET_CELLS} cells")
            ctx.deadline.check()
    return row_number


def _merges(children: list[etree._Element], merges: list[tuple[int, int, int, int]]) -> None:
    for merge in children:
        if merge.tag != _MERGE_CELL:
            continue
        ref = merge.get("ref", "")
        if ":" not in ref:
            continue
        start, end = ref.split(":", 1)
        (r0, c0), (r1, c1) = _coordinate(start), _coordinate(end)
        merges.append((min(r0, r1) - 1, min(c0, c1) - 1, max(r0, r1) - 1, max(c0, c1) - 1))


def _numeric(number: int | float, style: int, formats: _LazyFormats, epoch: datetime) -> object:
    """A number cell's value: a date, a duration or a time of day when its format shows one, else the number."""
    dates, durations, times = formats.get()
    if style not in dates:
        return number
    try:
        moment = from_excel(number, epoch, timedelta=style in durations)
    except (OverflowError, ValueError):
        return "#VALUE!"
    if style in times and isinstance(moment, datetime):
        return moment.time()
    return moment


def _value(c: etree._Element, strings: list[str], formats: _LazyFormats, epoch: datetime) -> object:
    kind = c.get("t", "n")
    if kind == "inlineStr":
        for child in c:
            if child.tag == _IS:
                return _rich_text(child)
        return None
    text: str | None = None
    for child in c:
        if child.tag == _V:
            text = child.text
            break
    if not text:
        return None
    if kind == "n":
        return _numeric(_number(text), int(c.get("s", "0") or 0), formats, epoch)
    if kind == "s":
        index = int(text)
        if not 0 <= index < len(strings):
            raise Unsupported(f"shared string {index} out of range")
        return strings[index]
    if kind == "b":
        return bool(int(text))
    if kind == "d":
        return from_ISO8601(text)
    return text
