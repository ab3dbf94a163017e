"""Read a roster workbook (.xlsx): find the header row by its labels, in any order, and turn every row below it
into an entry, or into a problem with its row number.

Columns (labels compared without spaces, width, case or a bracketed note such as （多个用逗号分隔）):
党组织名称 (required), 所属单位 or 区县 / 系统 (a grouping), 联系人, 联系电话, 邮箱 (one or more addresses), 别名 (other
names, separated by 、，; or new lines). Other columns are ignored. A column the file does not have leaves that
field as stored when an entry is updated (RosterEntryIn's None). openpyxl reads the file in read-only mode (its
XML through defusedxml).
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from store.records import RosterEntryIn

SUFFIXES = (".xlsx", ".xlsm")
HEADER_ROWS = 20  # how far down each sheet the header row is looked for (titles and notes may come first)
MAX_ROWS = 10_000  # a roster has hundreds of branches; more is the wrong file
CELL_LIMIT = 2_000  # characters kept of one cell

# Field -> the labels it goes by (after label_key). The first matching column of each label wins, except that
# addresses and aliases are gathered from every column that has them.
LABELS: dict[str, tuple[str, ...]] = {
    "name": ("党组织名称", "党组织", "党支部名称", "支部名称", "组织名称"),
    "group": ("所属单位", "区县/系统", "区县或系统", "区县", "系统", "所属区县", "所属系统", "所属区县/系统"),
    "contact_person": ("联系人", "联系人姓名"),
    "contact_phone": ("联系电话", "电话", "联系方式", "手机", "手机号码"),
    "emails": ("邮箱", "电子邮箱", "邮箱地址", "电子邮件", "email", "e-mail"),
    "aliases": ("别名", "其他名称", "其它名称", "曾用名", "简称"),
}
_NOTE = re.compile(r"[(（][^)）]*[)）]")
_ALIAS_SPLIT = re.compile(r"[、,;\n\r]+")  # after NFKC, which makes ，； into ,;
_EMAIL_SPLIT = re.compile(r"[\s,;、]+")


class RosterFileError(ValueError):
    """The file cannot be read as a roster at all (not an .xlsx, no 党组织名称 column, too many rows); one line."""


@dataclass(frozen=True)
class RosterFile:
    """What a roster workbook holds: its entries with their row numbers, and its bad rows (row number, why)."""

    path: Path
    sheet: str
    columns: tuple[str, ...]  # the fields found, in LABELS' names
    entries: tuple[tuple[int, RosterEntryIn], ...]
    problems: tuple[tuple[int, str], ...]


def label_key(text: Any) -> str:
    """A header label as compared: NFKC, no white space, no bracketed note, no * or colon, case-folded."""
    label = unicodedata.normalize("NFKC", cell_text(text))
    label = _NOTE.sub("", "".join(label.split()))
    return label.strip("*:").casefold()


def cell_text(value: Any) -> str:
    """A cell as text: numbers as typed (a phone 13906121847 stored as a number stays those digits), dates ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()[:CELL_LIMIT]


_FIELD_OF = {label_key(label): name for name, labels in LABELS.items() for label in labels}


def split_aliases(text: str) -> tuple[str, ...]:
    """别名 cell: names separated by 、，; (either width) or new lines."""
    return tuple(dict.fromkeys(p.strip() for p in _ALIAS_SPLIT.split(unicodedata.normalize("NFKC", text))
                               if p.strip()))


def split_emails(text: str) -> tuple[str, ...]:
    """邮箱 cell: addresses separated by spaces, new lines, commas, semicolons or 、 (either width)."""
    return tuple(dict.fromkeys(p for p in _EMAIL_SPLIT.split(unicodedata.normalize("NFKC", text)) if p))


def _header(row: Sequence[Any]) -> dict[str, list[int]] | None:
    """Field -> column indexes, when the row has a 党组织名称 label; else None."""
    found: dict[str, list[int]] = {}
    for index, value in enumerate(row):
        field = _FIELD_OF.get(label_key(value))
        if field is not None:
            found.setdefault(field, []).append(index)
    return found if "name" in found else None


def _entry(row: Sequence[Any], columns: dict[str, list[int]]) -> RosterEntryIn:
    def text(field: str) -> str | None:
        if field not in columns:
            return None
        return "\n".join(t for i in columns[field] if (t := cell_text(row[i] if i < len(row) else None)))

    def first(field: str) -> str | None:
        if field not in columns:
            return None
        index = columns[field][0]
        return cell_text(row[index] if index < len(row) else None)

    emails, aliases = text("emails"), text("aliases")
    return RosterEntryIn(
        name=first("name") or "",
        group=first("group"),
        contact_person=first("contact_person"),
        contact_phone=first("contact_phone"),
        emails=None if emails is None else split_emails(emails),
        aliases=None if aliases is None else split_aliases(aliases),
    )


def _open(path: Path) -> Any:
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise RosterFileError(f"无法读取 {path.name}：不是有效的 .xlsx 文件（{type(exc).__name__}）") from None


def _sheet(path: Path, title: str, rows: Iterable[Sequence[Any]]) -> RosterFile | None:
    """The roster in one sheet, or None when none of its first HEADER_ROWS rows is a header with 党组织名称.

    A row is skipped when every column of the roster's is empty (a template's row with only its 序号 filled in).
    """
    columns: dict[str, list[int]] | None = None
    entries: list[tuple[int, RosterEntryIn]] = []
    problems: list[tuple[int, str]] = []
    for number, row in enumerate(rows, start=1):
        if columns is None:
            if number > HEADER_ROWS:
                return None
            columns = _header(row)
            continue
        if number > MAX_ROWS:
            raise RosterFileError(f"{path.name} 的工作表「{title}」超过 {MAX_ROWS:,} 行，不像名册")
        if not any(cell_text(row[i]) for indexes in columns.values() for i in indexes if i < len(row)):
            continue
        entry = _entry(row, columns)
        if entry.name:
            entries.append((number, entry))
        else:
            problems.append((number, "党组织名称为空"))
    if columns is None:
        return None
    return RosterFile(path=path, sheet=title, columns=tuple(f for f in LABELS if f in columns),
                      entries=tuple(entries), problems=tuple(problems))


def read_roster(path: Path) -> RosterFile:
    """The roster in the first sheet that has a 党组织名称 column. RosterFileError when there is none, the file is
    no .xlsx, or it has more than MAX_ROWS rows."""
    if path.suffix.lower() not in SUFFIXES:
        raise RosterFileError(f"名册须为 Excel .xlsx 文件（.xls 请在 Excel 或 WPS 中另存为 .xlsx），收到 {path.name}")
    book = _open(path)
    try:
        for sheet in book.worksheets:
            found = _sheet(path, sheet.title, sheet.iter_rows(values_only=True))
            if found is not None:
                return found
    finally:
        book.close()
    raise RosterFileError(f"{path.name} 中找不到“党组织名称”列（表头须在前 {HEADER_ROWS} 行内）")
