"""Find labelled values in a document's blocks (tables as grids, paragraphs as lines), whatever the layout: the
events that parsers/forms.py groups into 情况表 forms."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from parsers.fields import heading_org, title_org
from parsers.labels import (
    MULTI_LINE,
    Field,
    classify,
    inline_labels,
    is_note,
    is_other_label,
    label_of,
    normalize,
    starts_with_specific_other,
)
from parsers.limits import Deadline

MIN_LABELS = 3
"""A block counts as a 情况表 only when at least this many different fields are labelled in it."""

_TOTAL_ROWS = frozenset({"合计", "总计", "小计", "共计"})


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


class Event(NamedTuple):
    """A value found under a label (or an organisation found in a heading, field HEADING)."""

    field: Field
    value: str
    key: object
    """The label it was found under: more values under one label join that label's value."""
    new_form: bool = False
    weak: bool = False
    """Found under a near miss of a label (「活动人员数」): read only when the field has no value of its own."""
    label: str = ""
    """The label as typed (for a HEADING, where it was found: title or above)."""


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


class _Mark(NamedTuple):
    field: Field | None
    """The field the cell's whole text is a label of (exact, or a near miss when weak)."""
    weak: bool
    marked: bool
    """Labelled at all: a label of ours or not, a near miss, or 「名称：…」 inline; it ends the value before it."""
    label: bool
    """An exact label of ours (what a roll-up header is made of)."""




@functools.lru_cache(maxsize=8192)
def _mark(text: str) -> _Mark:
    match = classify(text)
    if match is not None:
        return _Mark(match.field, not match.exact, True, match.field is not None and match.exact)
    return _Mark(None, False, bool(inline_labels(text)) or is_other_label(text), False)


def _marks(cells: list[tuple[int, Cell]]) -> list[_Mark]:
    return [_mark(cell.text) for _, cell in cells]


def _header_fields(cells: list[tuple[int, Cell]], marks: list[_Mark]) -> dict[int, tuple[Field, bool]] | None:
    """Columns of a roll-up header row (党组织名称 | 人数 | 议程 | …) and whether each is a near miss, or None when the
    row is not one. Only exact labels make a row a header; near misses of fields it lacks are columns too."""
    if len(cells) < MIN_LABELS:
        return None
    labelled = [m.label for m in marks]
    if labelled.count(True) < MIN_LABELS:
        return None
    exact = [(col, m.field) for (col, _), m in zip(cells, marks, strict=True) if m.label and m.field is not None]
    fields = [fld for _, fld in exact]
    if len(set(fields)) != len(fields) or sum(1 for a, b in itertools.pairwise(labelled) if a and b) < 2:
        return None
    header = {col: (fld, False) for col, fld in exact}
    for (col, _), m in zip(cells, marks, strict=True):
        if m.weak and m.field is not None and m.field not in fields:
            header[col] = (m.field, True)
    return header


def _add_parent_labels(above: list[Cell], row: list[Cell], header: dict[int, tuple[Field, bool]]) -> None:
    """A two-level roll-up header: 「联系人」 merged over 「姓名 | 电话」. A column whose own heading is no label
    (姓名) takes the label above it when that field has no column yet."""
    taken = {fld for fld, _ in header.values()}
    for col, (upper, cell) in enumerate(zip(above, row, strict=False)):
        if col in header or not cell.text.strip() or label_of(cell.text) is not None:
            continue
        fld = label_of(upper.text)
        if fld is not None and fld not in taken:
            header[col] = (fld, False)
            taken.add(fld)


def _table_events(table: TableBlock, deadline: Deadline) -> Iterator[Event]:
    rows = table.rows
    consumed: set[Cell] = set()
    """Cells already read as some value (Cell hashes by identity: a merged cell is one object)."""
    label_keys: set[Cell] = set()
    continuing: tuple[Field, object, int] | None = None
    r = 0
    while r < len(rows):
        deadline.check()
        cells = _distinct(rows[r])
        marks = _marks(cells)
        marked = [m[2] for m in marks]
        labelled = marked.count(True)
        header = _header_fields(cells, marks) if labelled >= MIN_LABELS else None
        if header is not None:
            if r > 0:
                _add_parent_labels(rows[r - 1], rows[r], header)
            r = yield from _list_events(rows, r, header, deadline)
            continue
        if continuing is not None and not labelled:
            yield from _continuation(cells, continuing, consumed)
            r += 1
            continue
        continuing = None
        if _may_be_heading(marks, marked, labelled):
            yield from _row_heading(rows, r, cells, consumed)
        for index, (col, cell) in enumerate(cells):
            if cell in consumed:
                continue
            mark = marks[index]
            fld = mark[0]
            if fld is not None:
                weak = mark[1]
                between = _value_cells(cells, marked, index)
                if cell in label_keys:  # a label merged down over rows: each row's cells add to its value
                    yield from _more_values(fld, weak, cell, between, consumed)
                    continue
                label_keys.add(cell)
                below = None if between else _value_below(rows, r, col, cell)
                fresh = [c for c in (between if below is None else [below]) if c not in consumed]
                consumed.update(fresh)
                if fld in MULTI_LINE and fresh and below is None and not weak:
                    continuing = (fld, id(cell), col)
                yield Event(fld, _joined(fresh), id(cell), False, weak, cell.text)
            elif marked[index]:
                yield from _inline_events(cell, consumed)
        r += 1


def _more_values(fld: Field, weak: bool, label: Cell, between: list[Cell], consumed: set[Cell]) -> Iterator[Event]:
    fresh = [c for c in between if c not in consumed]
    consumed.update(fresh)
    if fresh:
        yield Event(fld, _joined(fresh), id(label), False, weak, label.text)


def _value_below(rows: list[list[Cell]], r: int, col: int, cell: Cell) -> Cell | None:
    """The cell under a label with nothing right of it, when that cell is no label: the label's value."""
    if r + 1 >= len(rows):
        return None
    below = rows[r + 1][col]
    return below if below is not cell and not _mark(below.text).marked else None


def _inline_events(cell: Cell, consumed: set[Cell]) -> Iterator[Event]:
    """「党组织名称：XX党支部」 typed in one cell (a footnote line 注：… is none of the form's)."""
    if is_note(cell.text):
        return
    for n, found in enumerate(inline_labels(cell.text)):
        consumed.add(cell)
        yield Event(found.field, found.value, (id(cell), n), weak=not found.exact, label=found.label)


def _may_be_heading(marks: list[_Mark], marked: list[bool], labelled: int) -> bool:
    """A row with no label of ours may be a title or a heading (「填报单位：…」 is marked, as a label not ours)."""
    return labelled == 0 or (labelled == 1 and marks[marked.index(True)][0] is None)


def _row_heading(rows: list[list[Cell]], r: int, cells: list[tuple[int, Cell]], consumed: set[Cell]) -> Iterator[Event]:
    """A row holding one text only: a title naming the organisation (「苏州市…党支部“助力火红年代”主题党日活动情况表」),
    or the organisation's name alone just above a row of labels."""
    texts = [cell for _, cell in cells if cell.text.strip() and cell not in consumed]
    if len(texts) != 1:
        return
    text = texts[0].text
    org = title_org(text)
    if org is not None:
        yield Event(Field.HEADING, org, ("heading", id(texts[0])), label="title")
        return
    org = heading_org(text)
    if org is not None and r + 1 < len(rows) and any(m.marked for m in _marks(_distinct(rows[r + 1]))):
        yield Event(Field.HEADING, org, ("heading", id(texts[0])), label="above")


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
) -> Iterator[Event]:
    """A row under 议程/简介 whose label column is left blank (not merged) continues that field."""
    fld, key, label_col = continuing
    if not any(col == label_col and not cell.text.strip() for col, cell in cells):
        return
    for col, cell in cells:
        if col > label_col and cell.text.strip() and cell not in consumed:
            consumed.add(cell)
            yield Event(fld, cell.text, key)


def _list_events(
    rows: list[list[Cell]], start: int, header: dict[int, tuple[Field, bool]], deadline: Deadline
) -> Generator[Event, None, int]:
    """One form a row under a roll-up header; returns the index of the first row after the list."""
    org_col = next((col for col, (fld, _) in header.items() if fld is Field.ORG), None)
    r = start + 1
    while r < len(rows):
        deadline.check()
        row = rows[r]
        cells = _distinct(row)
        if _header_fields(cells, _marks(cells)) is not None:
            return r
        if any(is_note(cell.text) for _, cell in cells[:1]):
            return r + 1
        values = {col: row[col].text if col < len(row) else "" for col in header}
        if not any(v.strip() for v in values.values()) or (
            org_col is not None and normalize(values[org_col]) in _TOTAL_ROWS
        ):
            r += 1
            continue
        for n, (col, (fld, weak)) in enumerate(header.items()):
            label = rows[start][col].text
            yield Event(fld, values[col], ("list", id(rows), r, col), new_form=n == 0, weak=weak, label=label)
        r += 1
    return r


def _text_events(lines: list[str], block_key: int, deadline: Deadline) -> Iterator[Event]:
    current: tuple[Field, object, bool, str] | None = None
    """The field being read, its key, whether its label is a near miss, and the label."""
    current_has_value = False
    for n, line in enumerate(lines):
        if n % 1000 == 999:
            deadline.check()
        if not line.strip():
            continue
        if is_note(line):
            current = None
            continue
        mark = _mark(line)
        within = current[0] if current is not None and current[0] in MULTI_LINE and not current[2] else None
        if mark.field is not None and not (mark.weak and mark.field is within):  # 「活动开展情况」 inside 简介: a line
            current = (mark.field, (block_key, n), mark.weak, line)
            current_has_value = False
            yield Event(mark.field, "", current[1], weak=mark.weak, label=line)
            continue
        found = inline_labels(line)
        if found and not all(not label.exact and label.field is within for label in found):
            for i, label in enumerate(found):
                current = (label.field, (block_key, n, i), not label.exact, label.label)
                current_has_value = bool(label.value.strip())
                yield Event(label.field, label.value, current[1], weak=not label.exact, label=label.label)
            continue
        org = title_org(line)
        if org is not None:
            yield Event(Field.HEADING, org, ("heading", block_key, n), label="title")
            continue
        if _ends_value(line, current):
            current = None
            continue
        if current is not None and (current[0] in MULTI_LINE or not current_has_value):
            current_has_value = True
            yield Event(current[0], line, current[1], weak=current[2], label=current[3])


def _ends_value(line: str, current: tuple[Field, object, bool, str] | None) -> bool:
    """A line naming a field not ours ends the field being read; inside 议程 or 简介 only when the whole line is such a
    label or starts with one specific enough (支部书记：…), since their text often holds 「时间：…」 lines."""
    if not is_other_label(line):
        return False
    if current is None or current[0] not in MULTI_LINE:
        return True
    return classify(line) is not None or starts_with_specific_other(line)


def sources(blocks: Iterable[Block], deadline: Deadline) -> Iterator[tuple[str, Iterator[Event]]]:
    """The event streams of a document in order: runs of paragraphs as labelled text, and each table (after the
    organisation named in the line just above it, if it is one)."""
    lines: list[str] = []
    for n, block in enumerate(blocks):
        if isinstance(block, TextBlock):
            lines.extend(block.text.splitlines() or [""])
            continue
        yield "text", _text_events(lines, n, deadline)
        above = next((line for line in reversed(lines) if line.strip()), "")
        org = heading_org(above) if above else None
        if org is not None and title_org(above) is None:
            yield "heading", iter([Event(Field.HEADING, org, ("heading", n), label="above")])
        lines = []
        yield "table", _table_events(block, deadline)
    yield "text", _text_events(lines, -1, deadline)


