"""Read a .docx body into blocks from its XML: merges, nested tables, content controls, revisions, text boxes.

python-docx's high-level API loses text held in content controls, text boxes and insertions, so this walks the
WordprocessingML tree with lxml (qualified names from python-docx's oxml layer) and reads only the main part.
"""

from __future__ import annotations

import io
import itertools
import posixpath
import zipfile
from collections.abc import Iterable

from docx.oxml.ns import qn
from lxml import etree

from parsers.labels import inline_pairs, label_of
from parsers.layout import Block, Cell, TableBlock, TextBlock, pad
from parsers.limits import Deadline, LimitExceeded, check_zip, read_member
from parsers.safexml import parse_xml, part_children

_P = qn("w:p")
_T = qn("w:t")
_TBL = qn("w:tbl")
_TR = qn("w:tr")
_TC = qn("w:tc")
_TAB = qn("w:tab")
_PTAB = qn("w:ptab")
_BR = qn("w:br")
_CR = qn("w:cr")
_NB_HYPHEN = qn("w:noBreakHyphen")
_BODY = qn("w:body")
_SDT = qn("w:sdt")
_SDT_CONTENT = qn("w:sdtContent")
_SDT_PR = qn("w:sdtPr")
_SHOWING_PLACEHOLDER = qn("w:showingPlcHdr")
_CUSTOM_XML = qn("w:customXml")
_SMART_TAG = qn("w:smartTag")
_INS = qn("w:ins")
_MOVE_TO = qn("w:moveTo")
_TXBX = qn("w:txbxContent")
_TC_PR = qn("w:tcPr")
_TR_PR = qn("w:trPr")
_GRID_SPAN = qn("w:gridSpan")
_GRID_BEFORE = qn("w:gridBefore")
_GRID_AFTER = qn("w:gridAfter")
_V_MERGE = qn("w:vMerge")
_VAL = qn("w:val")
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_PROPERTY_CHANGES = frozenset({qn("w:tcPrChange"), qn("w:trPrChange"), qn("w:tblPrChange"), qn("w:tblPrExChange")})

_DEL = qn("w:del")
_MOVE_FROM = qn("w:moveFrom")
_SPECIAL_TEXT = {_TAB: "\t", _PTAB: "\t", _BR: "\n", _CR: "\n", _NB_HYPHEN: "-"}
_TEXT_TAGS = (_T, *_SPECIAL_TEXT)
_FLAT_TAGS = (*_TEXT_TAGS, _P, _TC, _TR, _GRID_SPAN, _V_MERGE, _GRID_BEFORE, _GRID_AFTER, *sorted(_PROPERTY_CHANGES))
"""What a table without nested tables is read from, in one filtered walk."""

_SKIPPED = frozenset(
    {
        _DEL,
        _MOVE_FROM,
        qn("w:delText"),
        qn("w:instrText"),
        qn("w:delInstrText"),
        qn("w:rPr"),
        qn("w:pPr"),
        qn("w:sectPr"),
        qn("w:tblPr"),
        qn("w:tblGrid"),
        qn("w:trPr"),
        qn("w:tcPr"),
        qn("w:commentReference"),
        qn("w:footnoteReference"),
        _MC_FALLBACK,
    }
)
"""Subtrees holding no visible text (or deleted text, or a duplicate Fallback copy of a text box)."""

_WRAPPERS = frozenset({_SDT, _SDT_CONTENT, _CUSTOM_XML, _SMART_TAG, _INS, _MOVE_TO})
"""Elements that may wrap block, row or cell content: walk through them."""

_TRICKY = (_TXBX, _DEL, _MOVE_FROM, _MC_FALLBACK, _SHOWING_PLACEHOLDER)
"""Elements the fast walk would misread: once one is seen, the careful walk reads the rest of the document."""
_BODY_ONLY = frozenset({_BODY})

_MAIN_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_MAX_CELLS = 200_000
_MAX_BLOCKS = 100_000
"""Paragraphs and tables of one document; a form has a few dozen, a long report a few thousand."""
_MAX_TEXT = 8_000_000
"""Characters of text in one document (a form has about two thousand)."""


def main_part_name(zf: zipfile.ZipFile) -> str:
    names = set(zf.namelist())
    if "word/document.xml" in names:
        return "word/document.xml"
    if "_rels/.rels" in names:
        rels = parse_xml(read_member(zf, "_rels/.rels"), "_rels/.rels")
        for rel in rels:
            if rel.get("Type") == _MAIN_REL and rel.get("Target"):
                return posixpath.normpath(rel.get("Target", "").lstrip("/"))
    raise KeyError("no main document part in the package")


def read_docx(data: bytes, deadline: Deadline) -> list[Block]:
    """The document's blocks in reading order: paragraphs (text boxes after them) and tables (nested ones after)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return read_docx_package(zf, deadline)


def read_docx_package(zf: zipfile.ZipFile, deadline: Deadline) -> list[Block]:
    """The body's blocks, read from the main part as it is parsed (streamed when big, see part_children)."""
    check_zip(zf)
    part = main_part_name(zf)
    walker = _Walker(deadline, fast=True)
    out: list[Block] = []
    for body, children in part_children(zf, part, _BODY_ONLY, deadline):
        if walker.fast and next(body.iter(_TRICKY), None) is not None:
            walker.fast = False
        walker.add(children, out)
    return out


class _Walker:
    def __init__(self, deadline: Deadline, fast: bool = False) -> None:
        self.deadline = deadline
        self.cells = 0
        self.count = 0
        """Blocks and characters so far, against _MAX_BLOCKS and _MAX_TEXT."""
        self.text = 0
        self.fast = fast
        """No text boxes, deletions, Fallback copies or placeholders anywhere: every w:t under a paragraph counts."""
        self.placeholder = 0
        """Depth of content controls still showing their placeholder (「单击此处输入文字」): their text is not typed."""

    def blocks(self, container: etree._Element) -> list[Block]:
        out: list[Block] = []
        self.add(container, out)
        return out

    def add(self, children: Iterable[etree._Element], out: list[Block]) -> None:
        for child in children:
            tag = child.tag
            if tag == _P:
                boxes: list[etree._Element] = []
                text = self.paragraph(child, boxes)
                self.counted(1, len(text))
                out.append(TextBlock(text))
                for box in boxes:
                    self.add(box, out)
            elif tag == _TBL:
                self.counted(1, 0)
                out.extend(self.table(child))
            elif tag in _WRAPPERS:
                placeholder = tag == _SDT and _showing_placeholder(child)
                self.placeholder += placeholder
                self.add(child, out)
                self.placeholder -= placeholder

    def counted(self, blocks: int, chars: int) -> None:
        self.count += blocks
        self.text += chars
        if self.count > _MAX_BLOCKS:
            raise LimitExceeded(f"document has more than {_MAX_BLOCKS} paragraphs and tables")
        if self.text > _MAX_TEXT:
            raise LimitExceeded(f"document holds more than {_MAX_TEXT} characters of text")
        if blocks and self.count % 1024 == 0:
            self.deadline.check()

    def paragraph(self, p: etree._Element, boxes: list[etree._Element]) -> str:
        if self.placeholder:
            return ""
        if self.fast:
            return _plain_text(p)
        parts: list[str] = []
        self._text(p, parts, boxes)
        return "".join(parts)

    def _text(self, element: etree._Element, parts: list[str], boxes: list[etree._Element]) -> None:
        for child in element:
            tag = child.tag
            if tag == _T:
                parts.append(child.text or "")
            elif tag in _SKIPPED or (tag == _SDT and _showing_placeholder(child)):
                continue
            elif tag in (_TAB, _PTAB):
                parts.append("\t")
            elif tag in (_BR, _CR):
                parts.append("\n")
            elif tag == _NB_HYPHEN:
                parts.append("-")
            elif tag == _TXBX:
                boxes.append(child)
            elif len(child):
                self._text(child, parts, boxes)

    def table(self, tbl: etree._Element) -> list[Block]:
        """The table as a grid (gridBefore/After, gridSpan and vMerge resolved), then any labelled nested tables."""
        self.deadline.check()
        if self.fast and next(itertools.islice(tbl.iter(_TBL), 1, None), None) is None:
            return [self.flat_table(tbl)]
        rows: list[list[Cell]] = []
        nested: list[Block] = []
        origins: dict[int, Cell] = {}
        for tr in _children(tbl, _TR):
            before, after = _row_grid(tr)
            row: list[Cell] = [Cell("") for _ in range(before)]
            for tc in _children(tr, _TC):
                simple = _simple_cell(tc) if self.fast else None
                if simple is not None:
                    span, vmerge, text = simple
                else:
                    span, vmerge = _cell_props(tc)
                    text = "" if _inside_placeholder(tc, tbl) else self.cell_text(tc, nested)
                _place(row, origins, span, vmerge, text)
            self.end_row(rows, row, after)
        self.counted(0, _grid_chars(rows))
        return [TableBlock(pad(rows)), *nested]

    def end_row(self, rows: list[list[Cell]], row: list[Cell], after: int) -> None:
        row.extend(Cell("") for _ in range(after))
        self.cells += len(row)
        if self.cells > _MAX_CELLS:
            raise LimitExceeded(f"document tables have more than {_MAX_CELLS} cells")
        rows.append(row)
        if len(rows) % 256 == 0:
            self.deadline.check()

    def flat_table(self, tbl: etree._Element) -> TableBlock:  # noqa: C901 - one walk on purpose: the hot path
        """A table with no table inside it, read in one walk of only the elements that matter (rows, cells,
        paragraphs, text, spans and merges) in document order: the fast path, with no tag matcher built per
        paragraph. Every w:p starts a line of its cell; properties count only where they describe the row or cell
        itself (before its first paragraph), never inside a tracked property change."""
        rows: list[list[Cell]] = []
        origins: dict[int, Cell] = {}
        row: list[Cell] | None = None
        after = 0
        lines: list[str] | None = None
        parts: list[str] = []
        span, vmerge, props = 1, None, True
        for el in tbl.iter(_FLAT_TAGS):
            tag = el.tag
            if tag == _T:
                parts.append(el.text or "")
            elif tag in _SPECIAL_TEXT:
                parts.append(_SPECIAL_TEXT[tag])
            elif tag == _P:
                if lines is not None:
                    lines.append("".join(parts))
                parts, props = [], False
            elif tag in (_TC, _TR):
                if lines is not None and row is not None:
                    lines.append("".join(parts))
                    _place(row, origins, span, vmerge, "\n".join(lines[1:]))
                    lines = None
                if tag == _TR:
                    if row is not None:
                        self.end_row(rows, row, after)
                    row, after = [], 0
                else:
                    lines = []
                parts, span, vmerge, props = [], 1, None, True
            elif not props:
                continue
            elif tag == _GRID_SPAN:
                span = max(1, _int_val(el, 1))
            elif tag == _V_MERGE:
                vmerge = "restart" if el.get(_VAL) == "restart" else "continue"
            elif tag == _GRID_BEFORE and row is not None and lines is None:
                row.extend(Cell("") for _ in range(_int_val(el, 0)))
            elif tag == _GRID_AFTER:
                after = _int_val(el, 0)
            elif tag in _PROPERTY_CHANGES:
                props = False
        if lines is not None and row is not None:
            lines.append("".join(parts))
            _place(row, origins, span, vmerge, "\n".join(lines[1:]))
        if row is not None:
            self.end_row(rows, row, after)
        self.counted(0, _grid_chars(rows))
        return TableBlock(pad(rows))

    def cell_text(self, tc: etree._Element, nested: list[Block]) -> str:
        lines: list[str] = []
        for block in self.blocks(tc):
            if isinstance(block, TextBlock):
                lines.append(block.text)
            elif _has_labels(block):
                nested.append(block)
            else:
                lines.extend("\t".join(c.text for c in _unique(row)) for row in block.rows)
        return "\n".join(lines)


def _grid_chars(rows: list[list[Cell]]) -> int:
    """Characters in a table's cells (a merged cell counted at every position: an upper bound)."""
    return sum(len(cell.text) for row in rows for cell in row)


def _showing_placeholder(sdt: etree._Element) -> bool:
    """A content control whose text is still Word's placeholder prompt (sdtPr holds w:showingPlcHdr)."""
    for child in sdt:
        if child.tag == _SDT_PR:
            return any(prop.tag == _SHOWING_PLACEHOLDER for prop in child)
    return False


def _inside_placeholder(tc: etree._Element, tbl: etree._Element) -> bool:
    """A cell wrapped (around it or its row, inside its table) in a content control still showing its placeholder."""
    parent = tc.getparent()
    while parent is not None and parent is not tbl:
        if parent.tag == _SDT and _showing_placeholder(parent):
            return True
        parent = parent.getparent()
    return False


def _place(row: list[Cell], origins: dict[int, Cell], span: int, vmerge: str | None, text: str) -> None:
    """Put one w:tc on its row: a vMerge continuation repeats the cell above, a new cell covers its span."""
    col = len(row)
    if vmerge == "continue" and col in origins:
        cell = origins[col]
    else:
        cell = Cell(text)
        for c in range(col, col + span):
            origins.pop(c, None)
        if vmerge == "restart":
            origins[col] = cell
    row.extend([cell] * span)


def _plain_text(p: etree._Element) -> str:
    """A paragraph's text when nothing in the document needs skipping: every w:t, tab and break under it.

    One unfiltered walk: lxml builds a tag matcher for every filtered iter() call, which costs more than
    looking at the few run-property elements a paragraph holds."""
    parts: list[str] = []
    for el in p.iter():
        tag = el.tag
        if tag == _T:
            parts.append(el.text or "")
        elif tag in _SPECIAL_TEXT:
            parts.append(_SPECIAL_TEXT[tag])
    return "".join(parts)


def _simple_cell(tc: etree._Element) -> tuple[int, str | None, str] | None:
    """Span, vMerge and text of a cell holding only paragraphs, in one pass (the common case, made fast);
    None for anything else (nested tables, content controls), which takes the general path."""
    span, vmerge = 1, None
    lines: list[str] = []
    for child in tc:
        tag = child.tag
        if tag == _P:
            lines.append(_plain_text(child))
        elif tag == _TC_PR:
            for prop in child:
                if prop.tag == _GRID_SPAN:
                    span = max(1, _int_val(prop, 1))
                elif prop.tag == _V_MERGE:
                    vmerge = "restart" if prop.get(_VAL) == "restart" else "continue"
        else:
            return None
    return span, vmerge, "\n".join(lines)


def _children(element: etree._Element, tag: str) -> list[etree._Element]:
    out: list[etree._Element] = []
    for child in element:
        if child.tag == tag:
            out.append(child)
        elif child.tag in _WRAPPERS:
            out.extend(_children(child, tag))
    return out


def _int_val(element: etree._Element, default: int) -> int:
    try:
        return max(0, min(int(element.get(_VAL, default)), 64))
    except ValueError:
        return default


def _row_grid(tr: etree._Element) -> tuple[int, int]:
    before = after = 0
    for trpr in tr:
        if trpr.tag == _TR_PR:
            for prop in trpr:
                if prop.tag == _GRID_BEFORE:
                    before = _int_val(prop, 0)
                elif prop.tag == _GRID_AFTER:
                    after = _int_val(prop, 0)
            break
    return before, after


def _cell_props(tc: etree._Element) -> tuple[int, str | None]:
    span, vmerge = 1, None
    for tcpr in tc:
        if tcpr.tag == _TC_PR:
            for prop in tcpr:
                if prop.tag == _GRID_SPAN:
                    span = max(1, _int_val(prop, 1))
                elif prop.tag == _V_MERGE:
                    vmerge = "restart" if prop.get(_VAL) == "restart" else "continue"
            break
    return span, vmerge


def _unique(row: list[Cell]) -> list[Cell]:
    out: list[Cell] = []
    for cell in row:
        if not out or out[-1] is not cell:
            out.append(cell)
    return out


def _has_labels(block: Block) -> bool:
    if isinstance(block, TextBlock):
        return False
    return any(label_of(c.text) is not None or inline_pairs(c.text) for row in block.rows for c in row)
