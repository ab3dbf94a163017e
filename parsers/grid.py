"""Rebuild a page's tables and text from positioned words and ruling lines (a PDF's text layer, or OCR text boxes
and the lines seen in a scan) into the same blocks the Word reader makes, so the one layout finder reads them.

Ruling lines make the grid: the distinct heights of the horizontal rules are row edges, the distinct positions of
the vertical rules column edges, and two neighbouring grid squares with no rule between them are one merged cell
(one Cell object over every position it covers, as Word's gridSpan/vMerge give). Words go to the square their centre
falls in; a cell's words become lines, and a line that runs to the cell's right edge continues on the next (a
soft wrap, joined without a break) unless the next one starts a numbered item. Text outside the tables becomes text
blocks in reading order. A page with no ruled table is read as rows of the words' lines, split at wide gaps.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from parsers.layout import Block, Cell, TableBlock, TextBlock, pad
from parsers.limits import MAX_GRID_SQUARES, MAX_PAGE_RULES, MAX_PAGE_WORDS, LimitExceeded

_ITEM_START = re.compile(
    r"^\s*(?:\d{1,2}\s*[.、．)）]|[(（]\s*[\d一二三四五六七八九十]{1,2}\s*[)）]|[一二三四五六七八九十]{1,2}\s*、|[•·●■◆\-—])"
)
"""A line that starts a numbered or bulleted item never continues the line before it."""


@dataclass(frozen=True)
class Word:
    """A run of text on the page, in page units with y growing downwards; score is the OCR engine's (1 for text)."""

    x0: float
    top: float
    x1: float
    bottom: float
    text: str
    score: float = 1.0

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(frozen=True)
class Rule:
    """An axis-aligned ruling line (a thin box: horizontal when wider than tall)."""

    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def horizontal(self) -> bool:
        return (self.x1 - self.x0) >= (self.bottom - self.top)


@dataclass
class _Seg:
    """A merged rule: pos is its y (horizontal) or x (vertical); start/end its extent along the other axis."""

    pos: float
    start: float
    end: float

    def covers(self, at: float, tol: float) -> bool:
        return self.start - tol <= at <= self.end + tol


@dataclass
class _Line:
    words: list[Word]
    top: float
    bottom: float

    @property
    def x0(self) -> float:
        return min(w.x0 for w in self.words)

    @property
    def x1(self) -> float:
        return max(w.x1 for w in self.words)

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def score(self) -> float:
        return min(w.score for w in self.words)


@dataclass
class _Table:
    xs: list[float]
    ys: list[float]
    hsegs: list[_Seg]
    vsegs: list[_Seg]
    words: dict[tuple[int, int], list[Word]] = field(default_factory=dict)

    @property
    def top(self) -> float:
        return self.ys[0]

    def contains(self, word: Word, tol: float) -> bool:
        return self.xs[0] - tol <= word.cx <= self.xs[-1] + tol and self.ys[0] - tol <= word.cy <= self.ys[-1] + tol


@dataclass
class PageText:
    """What one page gave: its blocks in reading order and, for each line of text, the lowest word score in it."""

    blocks: list[Block]
    line_scores: dict[str, float]


def page_blocks(words: Sequence[Word], rules: Sequence[Rule]) -> PageText:
    """The page's tables (from its rules) and text, as blocks in reading order, and the score of each line.

    A page of more than MAX_PAGE_WORDS words or MAX_PAGE_RULES rules, or a table of more than MAX_GRID_SQUARES
    squares, is LimitExceeded (the work here grows with their product)."""
    if len(words) > MAX_PAGE_WORDS or len(rules) > MAX_PAGE_RULES:
        raise LimitExceeded(f"a page holds {len(words)} words and {len(rules)} ruling lines, over the caps")
    words = [w for w in words if w.text.strip() and w.x1 > w.x0 and w.bottom > w.top]
    scores: dict[str, float] = {}
    if not words:
        return PageText([], scores)
    height = statistics.median(w.height for w in words)
    tol = max(1.0, 0.25 * height)
    tables = _tables(rules, tol, min_len=0.8 * height)
    loose: list[Word] = []
    for word in words:
        table = next((t for t in tables if t.contains(word, tol)), None)
        if table is None:
            loose.append(word)
        else:
            for piece in _split_at_rules(word, table, tol):
                _place_word(table, piece)
    if not tables:
        return PageText(_gap_rows(loose, height, scores), scores)
    items: list[tuple[float, Block]] = [(t.top, _table_block(t, tol, scores)) for t in tables]
    right = max(w.x1 for w in words)
    items += [(line.top, TextBlock(text)) for line, text in _text_lines(loose, right, scores)]
    items.sort(key=lambda item: item[0])
    return PageText(_merge_text([block for _, block in items]), scores)


# Rules and tables --------------------------------------------------------------------------------------------


def _merge_segs(segs: list[_Seg], tol: float) -> list[_Seg]:
    """Rules on one line (positions within tol of each other) that overlap or touch become one."""
    groups: list[list[_Seg]] = []
    for seg in sorted(segs, key=lambda s: s.pos):
        if groups and seg.pos - groups[-1][0].pos <= tol:
            groups[-1].append(seg)
        else:
            groups.append([seg])
    out: list[_Seg] = []
    for group in groups:
        pos = statistics.fmean(s.pos for s in group)
        merged: list[_Seg] = []
        for seg in sorted(group, key=lambda s: s.start):
            if merged and seg.start <= merged[-1].end + tol:
                merged[-1].end = max(merged[-1].end, seg.end)
            else:
                merged.append(_Seg(pos, seg.start, seg.end))
        out.extend(merged)
    return out


def _tables(rules: Iterable[Rule], tol: float, min_len: float) -> list[_Table]:
    hsegs = _merge_segs([_Seg((r.top + r.bottom) / 2, r.x0, r.x1) for r in rules if r.horizontal], tol)
    vsegs = _merge_segs([_Seg((r.x0 + r.x1) / 2, r.top, r.bottom) for r in rules if not r.horizontal], tol)
    hsegs = [s for s in hsegs if s.end - s.start >= min_len]
    vsegs = [s for s in vsegs if s.end - s.start >= min_len]
    groups = _connected(hsegs, vsegs, tol)
    tables: list[_Table] = []
    for hs, vs in groups:
        ys = _distinct([s.pos for s in hs], tol)
        xs = _distinct([s.pos for s in vs], tol)
        if len(ys) * len(xs) > MAX_GRID_SQUARES:
            raise LimitExceeded(f"a ruled table of {len(ys)} x {len(xs)} lines, over the cap")
        if len(ys) >= 2 and len(xs) >= 2 and len(ys) + len(xs) >= 5:  # one ruled box (a frame) is no table
            tables.append(_Table(xs, ys, hs, vs))
    return sorted(tables, key=lambda t: t.top)


def _connected(hsegs: list[_Seg], vsegs: list[_Seg], tol: float) -> list[tuple[list[_Seg], list[_Seg]]]:
    """Groups of rules that cross or touch one another: each group is one table."""
    parent = list(range(len(hsegs) + len(vsegs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, h in enumerate(hsegs):
        for j, v in enumerate(vsegs):
            if h.covers(v.pos, tol) and v.covers(h.pos, tol):
                parent[find(i)] = find(len(hsegs) + j)
    groups: dict[int, tuple[list[_Seg], list[_Seg]]] = {}
    for i, h in enumerate(hsegs):
        groups.setdefault(find(i), ([], []))[0].append(h)
    for j, v in enumerate(vsegs):
        groups.setdefault(find(len(hsegs) + j), ([], []))[1].append(v)
    return list(groups.values())


def _distinct(values: list[float], tol: float) -> list[float]:
    out: list[float] = []
    for value in sorted(values):
        if out and value - out[-1] <= tol:
            continue
        out.append(value)
    return out


def _index(edges: list[float], at: float) -> int:
    """The grid square (between edges) a coordinate falls in, clamped to the table."""
    for i in range(len(edges) - 1):
        if at < edges[i + 1]:
            return i
    return len(edges) - 2


def _split_at_rules(word: Word, table: _Table, tol: float) -> list[Word]:
    """An OCR box that runs over a column rule (two cells' texts read as one) cut there, its letters shared out in
    proportion to width; a text PDF's words never cross a rule, so they come back whole."""
    cuts = [x for x in table.xs[1:-1] if word.x0 + tol < x < word.x1 - tol and _ruled(table.vsegs, x, word.cy, tol)]
    if not cuts or len(word.text) < 2:
        return [word]
    out: list[Word] = []
    start_x, start_i = word.x0, 0
    per_char = (word.x1 - word.x0) / len(word.text)
    for x in [*cuts, word.x1]:
        end_i = len(word.text) if x == word.x1 else max(start_i, min(len(word.text), round((x - word.x0) / per_char)))
        text = word.text[start_i:end_i]
        if text.strip():
            out.append(Word(start_x, word.top, x, word.bottom, text.strip(), word.score))
        start_x, start_i = x, end_i
    return out


def _ruled(segs: list[_Seg], pos: float, at: float, tol: float) -> bool:
    return any(abs(s.pos - pos) <= tol and s.covers(at, tol) for s in segs)


def _place_word(table: _Table, word: Word) -> None:
    key = (_index(table.ys, word.cy), _index(table.xs, word.cx))
    table.words.setdefault(key, []).append(word)


def _table_block(table: _Table, tol: float, scores: dict[str, float]) -> TableBlock:
    """The table as a grid of Cells: grid squares with no rule between them share one Cell."""
    rows, cols = len(table.ys) - 1, len(table.xs) - 1
    parent = {(r, c): (r, c) for r in range(rows) for c in range(cols)}

    def find(key: tuple[int, int]) -> tuple[int, int]:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for r in range(rows):
        ymid = (table.ys[r] + table.ys[r + 1]) / 2
        for c in range(cols):
            xmid = (table.xs[c] + table.xs[c + 1]) / 2
            if c + 1 < cols and not _ruled(table.vsegs, table.xs[c + 1], ymid, tol):
                parent[find((r, c + 1))] = find((r, c))
            if r + 1 < rows and not _ruled(table.hsegs, table.ys[r + 1], xmid, tol):
                parent[find((r + 1, c))] = find((r, c))
    members: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for key in parent:
        members.setdefault(find(key), []).append(key)
    cells: dict[tuple[int, int], Cell] = {}
    for root, keys in members.items():
        words = [w for key in keys for w in table.words.get(key, [])]
        left, right = table.xs[min(c for _, c in keys)], table.xs[max(c for _, c in keys) + 1]
        cell = Cell(_cell_text(words, left, right, scores))
        for key in keys:
            cells[key] = cell
        del root
    return TableBlock(pad([[cells[(r, c)] for c in range(cols)] for r in range(rows)]))


# Lines of words ----------------------------------------------------------------------------------------------


def _lines(words: Iterable[Word]) -> list[_Line]:
    """Words grouped into lines: a word joins the line its vertical centre falls within."""
    lines: list[_Line] = []
    for word in sorted(words, key=lambda w: (w.cy, w.x0)):  # by centre: a word can only join one of the last lines
        line = next((ln for ln in reversed(lines[-4:]) if ln.top <= word.cy <= ln.bottom), None)
        if line is None:
            lines.append(_Line([word], word.top, word.bottom))
        else:
            line.words.append(word)
            line.top, line.bottom = min(line.top, word.top), max(line.bottom, word.bottom)
    for line in lines:
        line.words.sort(key=lambda w: w.x0)
    return sorted(lines, key=lambda ln: ln.top)


def _line_text(line: _Line) -> str:
    out = ""
    last: Word | None = None
    for word in line.words:
        if last is not None and (word.x0 - last.x1 > 0.15 * line.height or _latin_pair(out, word.text)):
            out += " "
        out += word.text
        last = word
    return out.strip()


def _latin_pair(before: str, after: str) -> bool:
    return bool(before and after) and before[-1].isascii() and before[-1].isalnum() and after[0].isascii() \
        and after[0].isalnum()


def _joined_lines(
    lines: list[_Line], left: float, right: float, scores: dict[str, float]
) -> list[tuple[_Line, str]]:
    """The lines' texts, a soft-wrapped line (running to `right`, less the padding seen on the left) joined with
    the one after it."""
    out: list[tuple[_Line, str, float]] = []
    pad = min((min(line.x0 - left, line.height) for line in lines), default=0.0)
    wrapped = False
    bottom = 0.0
    for line in lines:
        text = _line_text(line)
        if not text:
            continue
        if out and wrapped and line.top - bottom < 0.8 * line.height and not _ITEM_START.match(text):
            first, before, score = out[-1]
            out[-1] = (first, before + (" " if _latin_pair(before, text) else "") + text, min(score, line.score))
        else:
            out.append((line, text, line.score))
        wrapped = right - line.x1 < 2.5 * line.height + max(pad, 0.0)
        bottom = line.bottom
    for _, text, score in out:
        scores[text] = min(score, scores.get(text, 1.0))
    return [(line, text) for line, text, _ in out]


def _cell_text(words: list[Word], left: float, right: float, scores: dict[str, float]) -> str:
    return "\n".join(text for _, text in _joined_lines(_lines(words), left, right, scores))


def _text_lines(words: list[Word], right: float, scores: dict[str, float]) -> list[tuple[_Line, str]]:
    """Lines of text outside the tables; a line soft-wraps when it runs to the right edge of all the page's text."""
    lines = _lines(words)
    if not lines:
        return []
    return _joined_lines(lines, min(line.x0 for line in lines), right, scores)


def _merge_text(blocks: list[Block]) -> list[Block]:
    """Neighbouring text lines as one text block (the layout finder reads a run of paragraphs as one)."""
    out: list[Block] = []
    for block in blocks:
        if isinstance(block, TextBlock) and out and isinstance(out[-1], TextBlock):
            out[-1] = TextBlock(out[-1].text + "\n" + block.text)
        else:
            out.append(block)
    return out


def _gap_rows(words: list[Word], height: float, scores: dict[str, float]) -> list[Block]:
    """A page with no ruled table: each line a row, its cells the runs of words split at gaps wider than two
    characters (a label and its value typed apart), as one table."""
    rows: list[list[Cell]] = []
    for line in _lines(words):
        runs: list[list[Word]] = [[line.words[0]]]
        for word in line.words[1:]:
            if word.x0 - runs[-1][-1].x1 > 2 * height:
                runs.append([word])
            else:
                runs[-1].append(word)
        row: list[Cell] = []
        for run in runs:
            text = _line_text(_Line(run, line.top, line.bottom))
            scores[text] = min(min(w.score for w in run), scores.get(text, 1.0))
            row.append(Cell(text))
        rows.append(row)
    return [TableBlock(pad(rows))] if rows else []
