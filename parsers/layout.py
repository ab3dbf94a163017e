"""Find 情况表 forms in a document's blocks (tables as grids, paragraphs as lines), whatever the layout."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from parsers.fields import (
    FORM_FIELDS,
    Field,
    find_activity_date,
    inline_pairs,
    is_note,
    is_other_label,
    label_of,
    normalize,
    parse_headcount,
    parse_phone,
    split_contact,
    split_items,
)
from parsers.limits import Deadline
from parsers.model import ParsedForm

MIN_LABELS = 3
"""A block counts as a 情况表 only when at least this many different fields are labelled in it."""

_MULTI_LINE = frozenset({Field.AGENDA, Field.SUMMARY})
_TOTAL_ROWS = frozenset({"合计", "总计", "小计", "共计"})
_BARE_NUMBERING = re.compile(r"^\s*(?:[(（]?[\d一二三四五六七八九十]+[.、．)）:]?|[•·\-—*])\s*$")


class Cell:
    """One table cell; a merged cell is one Cell object repeated over every grid position it covers (compared by
    identity, never by text)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Cell({self.text!r})"


@dataclass
class TableBlock:
    rows: list[list[Cell]]
    """Grid rows; every row is as long as the table's widest row (padded with empty cells)."""


@dataclass
class TextBlock:
    text: str


Block = TableBlock | TextBlock


@dataclass
class RawForm:
    """Values found for one form, as typed, before they are read into a ParsedForm."""

    values: dict[Field, list[str]] = field(default_factory=dict)
    labelled: set[Field] = field(default_factory=set)
    keys: dict[object, Field] = field(default_factory=dict)

    def add(self, fld: Field, value: str, key: object) -> None:
        self.labelled.add(fld)
        self.keys[key] = fld
        self.values.setdefault(fld, []).append(value)

    def filled(self, fld: Field) -> bool:
        return any(v.strip() for v in self.values.get(fld, []))

    @property
    def is_form(self) -> bool:
        return len(self.labelled & set(FORM_FIELDS)) >= MIN_LABELS

    @property
    def is_empty(self) -> bool:
        return not any(_meaningful(v) for fld in FORM_FIELDS for v in self.values.get(fld, []))


def _meaningful(value: str) -> bool:
    return any(line.strip() and not _BARE_NUMBERING.match(line) for line in value.splitlines())


class _Event(NamedTuple):
    field: Field
    value: str
    key: object
    new_form: bool = False


def pad(rows: list[list[Cell]]) -> list[list[Cell]]:
    width = max((len(row) for row in rows), default=0)
    return [row + [Cell("") for _ in range(width - len(row))] for row in rows]


def _distinct(row: list[Cell]) -> list[tuple[int, Cell]]:
    """(first grid column, cell) for each cell of a row, a horizontally merged cell once."""
    out: list[tuple[int, Cell]] = []
    for col, cell in enumerate(row):
        if out and out[-1][1] is cell:
            continue
        out.append((col, cell))
    return out


@functools.lru_cache(maxsize=8192)
def _marks(text: str) -> tuple[Field | None, bool]:
    """A cell text's label (or None), and whether it is labelled at all (a label, or 「名称：…」 inline)."""
    fld = label_of(text)
    return fld, fld is not None or bool(inline_pairs(text)) or is_other_label(text)


def _labels(cells: list[tuple[int, Cell]]) -> tuple[list[Field | None], list[bool]]:
    """Each cell's label (or None), and whether it is labelled at all (a label, or 「名称：…」 inline)."""
    marks = [_marks(cell.text) for _, cell in cells]
    return [fld for fld, _ in marks], [marked for _, marked in marks]


def _header_fields(cells: list[tuple[int, Cell]], row_labels: list[Field | None]) -> dict[int, Field] | None:
    """Columns of a roll-up header row (党组织名称 | 人数 | 议程 | …), or None when the row is not one."""
    if len(cells) < MIN_LABELS or len(row_labels) - row_labels.count(None) < MIN_LABELS:
        return None
    labels = [(col, fld) for (col, _), fld in zip(cells, row_labels, strict=True)]
    fields = [fld for _, fld in labels if fld is not None]
    if len(fields) < MIN_LABELS or len(set(fields)) < MIN_LABELS or len(set(fields)) != len(fields):
        return None
    adjacent = sum(1 for (_, a), (_, b) in itertools.pairwise(labels) if a is not None and b is not None)
    if adjacent < 2:
        return None
    return {col: fld for col, fld in labels if fld is not None}


def _add_parent_labels(above: list[Cell], row: list[Cell], header: dict[int, Field]) -> None:
    """A two-level roll-up header: 「联系人」 merged over 「姓名 | 电话」. A column whose own heading is no label
    (姓名) takes the label above it when that field has no column yet."""
    for col, (upper, cell) in enumerate(zip(above, row, strict=False)):
        if col in header or not cell.text.strip() or label_of(cell.text) is not None:
            continue
        fld = label_of(upper.text)
        if fld is not None and fld not in header.values():
            header[col] = fld


def _table_events(table: TableBlock, deadline: Deadline) -> Iterator[_Event]:
    rows = table.rows
    consumed: set[Cell] = set()
    """Cells already read as some value (Cell hashes by identity: a merged cell is one object)."""
    label_keys: set[Cell] = set()
    continuing: tuple[Field, object, int] | None = None
    r = 0
    while r < len(rows):
        deadline.check()
        cells = _distinct(rows[r])
        labels, marked = _labels(cells)
        header = _header_fields(cells, labels)
        if header is not None:
            if r > 0:
                _add_parent_labels(rows[r - 1], rows[r], header)
            r = yield from _list_events(rows, r, header, deadline)
            continue
        if continuing is not None and True not in marked:
            yield from _continuation(cells, continuing, consumed)
            r += 1
            continue
        continuing = None
        for index, (col, cell) in enumerate(cells):
            if cell in consumed:
                continue
            fld = labels[index]
            if fld is not None:
                between = _value_cells(cells, marked, index)
                if cell in label_keys:
                    fresh = [c for c in between if c not in consumed]
                    consumed.update(fresh)
                    if fresh:
                        yield _Event(fld, _joined(fresh), id(cell))
                    continue
                label_keys.add(cell)
                from_below = False
                if not between and r + 1 < len(rows):
                    below = rows[r + 1][col]
                    if below is not cell and not _marks(below.text)[1]:
                        between, from_below = [below], True
                fresh = [c for c in between if c not in consumed]
                consumed.update(fresh)
                if fld in _MULTI_LINE and fresh and not from_below:
                    continuing = (fld, id(cell), col)
                yield _Event(fld, _joined(fresh), id(cell))
                continue
            if not marked[index] or is_note(cell.text):
                continue
            for n, (pair_field, value) in enumerate(inline_pairs(cell.text)):
                consumed.add(cell)
                yield _Event(pair_field, value, (id(cell), n))
        r += 1


def _value_cells(cells: list[tuple[int, Cell]], marked: list[bool], index: int) -> list[Cell]:
    """The cells right of a label up to the next label (or labelled cell): that label's value."""
    out: list[Cell] = []
    for position in range(index + 1, len(cells)):
        if marked[position]:
            break
        out.append(cells[position][1])
    return out


def _joined(cells: list[Cell]) -> str:
    if len(cells) == 1:
        text = cells[0].text
        return text if text.strip() else ""
    return "\n".join([cell.text for cell in cells if cell.text.strip()])


def _continuation(
    cells: list[tuple[int, Cell]], continuing: tuple[Field, object, int], consumed: set[Cell]
) -> Iterator[_Event]:
    """A row under 议程/简介 whose label column is left blank (not merged) continues that field."""
    fld, key, label_col = continuing
    if not any(col == label_col and not cell.text.strip() for col, cell in cells):
        return
    for col, cell in cells:
        if col > label_col and cell.text.strip() and cell not in consumed:
            consumed.add(cell)
            yield _Event(fld, cell.text, key)


def _list_events(
    rows: list[list[Cell]], start: int, header: dict[int, Field], deadline: Deadline
) -> Generator[_Event, None, int]:
    """One form a row under a roll-up header; returns the index of the first row after the list."""
    r = start + 1
    while r < len(rows):
        deadline.check()
        row = rows[r]
        cells = _distinct(row)
        if _header_fields(cells, _labels(cells)[0]) is not None:
            return r
        texts = [cell.text for _, cell in cells]
        if any(is_note(text) for text in texts[:1]):
            return r + 1
        values = {fld: row[col].text if col < len(row) else "" for col, fld in header.items()}
        if not any(v.strip() for v in values.values()) or normalize(values.get(Field.ORG, "")) in _TOTAL_ROWS:
            r += 1
            continue
        for n, (fld, value) in enumerate(values.items()):
            yield _Event(fld, value, ("list", id(rows), r, fld), new_form=n == 0)
        r += 1
    return r


def _text_events(lines: list[str], block_key: int, deadline: Deadline) -> Iterator[_Event]:
    current: tuple[Field, object] | None = None
    current_has_value = False
    for n, line in enumerate(lines):
        if n % 1000 == 999:
            deadline.check()
        if not line.strip():
            continue
        if is_note(line):
            current = None
            continue
        exact = label_of(line)
        if exact is not None:
            current = (exact, (block_key, n))
            current_has_value = False
            yield _Event(exact, "", current[1])
            continue
        pairs = inline_pairs(line)
        if pairs:
            for i, (fld, value) in enumerate(pairs):
                key = (block_key, n, i)
                current = (fld, key)
                current_has_value = bool(value.strip())
                yield _Event(fld, value, key)
            continue
        if is_other_label(line):
            current = None
            continue
        if current is not None and (current[0] in (Field.AGENDA, Field.SUMMARY) or not current_has_value):
            current_has_value = True
            yield _Event(current[0], line, current[1])


def _sources(blocks: Iterable[Block], deadline: Deadline) -> Iterator[tuple[str, Iterator[_Event]]]:
    """The event streams of a document in order: runs of paragraphs as labelled text, and each table."""
    lines: list[str] = []
    for n, block in enumerate(blocks):
        if isinstance(block, TextBlock):
            lines.extend(block.text.splitlines() or [""])
            continue
        yield "text", _text_events(lines, n, deadline)
        lines = []
        yield "table", _table_events(block, deadline)
    yield "text", _text_events(lines, -1, deadline)


def collect(blocks: Iterable[Block], deadline: Deadline) -> list[RawForm]:
    """Group the labelled values found in document order into forms; a repeated field starts a new form.

    The first event after a switch between labelled text and tables starts a new form too, so an instruction
    line (联系人：…) outside a table never lends its values to the table's form."""
    forms: list[RawForm] = [RawForm()]
    last_kind: str | None = None
    for kind, events in _sources(blocks, deadline):
        for event in events:
            new_form = event.new_form
            if kind != last_kind:
                new_form = new_form or last_kind is not None
                last_kind = kind
            form = forms[-1]
            if event.key in form.keys and not new_form:
                form.values[event.field].append(event.value)
                continue
            repeated = event.field in form.labelled and (event.field is Field.ORG or form.filled(event.field))
            if (new_form or repeated) and form.labelled:
                form = RawForm()
                forms.append(form)
            form.add(event.field, event.value, event.key)
    return [form for form in forms if form.is_form]


def _one_line(values: list[str]) -> str:
    parts = [line.strip() for value in values for line in value.splitlines() if line.strip()]
    out = ""
    for part in parts:
        if out and out[-1].isascii() and out[-1].isalnum() and part[0].isascii() and part[0].isalnum():
            out += " "
        out += part
    return out


def read_form(raw: RawForm, ref_date: date) -> ParsedForm:
    """Turn the raw values of one form into a ParsedForm, with a warning for every value not read cleanly."""
    warnings: list[str] = []
    values = raw.values
    org = _one_line(values.get(Field.ORG, []))
    if not org:
        warnings.append("党组织名称未填写")
    headcount_text = _one_line(values.get(Field.HEADCOUNT, []))
    headcount, warning = parse_headcount(headcount_text)
    if warning:
        warnings.append(warning)
    agenda = tuple(item for value in values.get(Field.AGENDA, []) for item in split_items(value) if _meaningful(item))
    if not agenda:
        warnings.append("议程未填写")
    summary = "\n".join(line for value in values.get(Field.SUMMARY, []) for line in split_items(value))
    if not summary:
        warnings.append("简介未填写")
    contact = _one_line(values.get(Field.CONTACT, []))
    phone_text = _one_line(values.get(Field.PHONE, []))
    if not phone_text and contact and (split := split_contact(contact)) is not None:
        contact, phone_text = split
        warnings.append("联系方式填在联系人栏中，已分开读取")
    if not contact:
        warnings.append("联系人未填写")
    phone, warning = parse_phone(phone_text)
    if warning:
        warnings.append(warning)
    date_field = "\n".join(v for v in values.get(Field.DATE, []) if v.strip())
    activity_date, warning = find_activity_date([t for t in (summary, "\n".join(agenda)) if t], ref_date, date_field)
    if warning:
        warnings.append(warning)
    return ParsedForm(
        org_name=org,
        headcount=headcount,
        headcount_text=headcount_text,
        agenda=agenda,
        summary=summary,
        contact_person=contact,
        contact_phone=phone,
        activity_date=activity_date,
        warnings=tuple(warnings),
    )
