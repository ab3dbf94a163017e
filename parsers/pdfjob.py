"""The child's side of a PDF job (see parsers/worker.py): each page's words and ruling lines, and pages that hold
only pictures rendered to PNG for OCR. Runs under the worker's memory cap; imports pdfplumber only here.

pdfplumber (on pdfminer.six) was chosen over pypdfium2 with a table finder of our own: on the forms LibreOffice and
reportlab make, both give the same words, pdfplumber also gives the ruling lines (lines, rectangles, curves) ready
to use, and the 11 ms a page it costs beyond pypdfium2 is small beside the ~0.3 s the child process takes to start
(bench/bench_pdf.py measures both).
"""

from __future__ import annotations

import base64
import io
import itertools
import re
import zlib
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfpage import PDFPage
from pdfplumber.page import Page
from pdfplumber.utils.exceptions import PdfminerException

from parsers.limits import MAX_PAGE_RULES, MAX_PAGE_WORDS, JobFailed

_THIN = 3.0
"""A filled rectangle at most this thick (points) is a ruling line (Word draws cell borders so)."""
_MIN_CHARS = 4
"""A page with fewer characters than this in its text layer, and a picture, is a scan: read with OCR."""
_UNMAPPED = re.compile(r"\(cid:\d+\)")
"""How pdfminer writes a glyph it cannot map to a character."""
_MAX_RENDER_SIDE = 3000
"""Pixels on the longest side of a page rendered for OCR, whatever size the page claims to be."""


def read_pdf_pages(data: bytes, options: dict[str, Any]) -> dict[str, Any]:
    """{"pages": [{"width", "height", "words": [[x0, top, x1, bottom, text]], "rules": [[x0, top, x1, bottom]],
    "scan": bool, "png": base64 or absent}]}."""
    max_pages = int(options.get("max_pages", 20))
    render_dpi = int(options.get("render_dpi", 0))
    pdf = _open(data)
    pages: list[dict[str, Any]] = []
    try:
        for number, page_obj in enumerate(PDFPage.create_pages(pdf.doc), start=1):
            if number > max_pages:
                raise JobFailed("too_large", f"the PDF has more than {max_pages} pages")
            pages.append(_page(Page(pdf, page_obj, page_number=number), data, number, render_dpi))
    except PdfminerException as exc:
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, MemoryError) or (isinstance(cause, zlib.error) and "allocate" in str(cause)):
            raise JobFailed("too_large", f"the PDF inflates past the reader's memory cap: {cause}") from None
        raise JobFailed("corrupt", f"the PDF cannot be read: {type(cause).__name__}: {cause}") from None
    if not pages:
        raise JobFailed("corrupt", "the PDF has no pages")
    return {"pages": pages}


def _open(data: bytes) -> pdfplumber.PDF:
    try:
        return pdfplumber.PDF(io.BytesIO(data))
    except PdfminerException as exc:
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, PDFPasswordIncorrect | PDFEncryptionError):
            raise JobFailed("encrypted", f"the PDF needs a password: {type(cause).__name__}") from None
        raise JobFailed("corrupt", f"the PDF cannot be opened: {type(cause).__name__}: {cause}") from None


def _page(page: Page, data: bytes, number: int, render_dpi: int) -> dict[str, Any]:
    words = page.extract_words(x_tolerance=3, y_tolerance=3, keep_blank_chars=False, use_text_flow=False)
    chars = sum(len(w["text"]) for w in words)
    unmapped = sum(len(code) for w in words for code in _UNMAPPED.findall(w["text"]))
    # A scan, or a text layer whose glyphs map to no characters ("(cid:123)": a font without a usable ToUnicode
    # map): either way only the rendered page can be read.
    scan = (chars < _MIN_CHARS and bool(page.images)) or unmapped * 2 > max(chars, 1)
    rules = _rules(page)
    if len(words) > MAX_PAGE_WORDS or len(rules) > MAX_PAGE_RULES:
        raise JobFailed("too_large", f"page {number} holds {len(words)} words and {len(rules)} lines, over the caps")
    out: dict[str, Any] = {
        "width": float(page.width),
        "height": float(page.height),
        "words": [[w["x0"], w["top"], w["x1"], w["bottom"], w["text"]] for w in words],
        "rules": rules,
        "scan": scan,
    }
    if scan and render_dpi:
        out["png"] = _render(data, number - 1, render_dpi, float(page.width), float(page.height))
    return out


def _rules(page: Page) -> list[list[float]]:
    """Ruling lines: stroked lines, thin filled rectangles, the sides of stroked rectangles and of stroked paths
    (a filled area, such as cell shading, is no rule)."""
    out: list[list[float]] = []
    for line in page.lines:
        out.append([line["x0"], line["top"], line["x1"], line["bottom"]])
    for rect in page.rects:
        thin = min(rect["width"], rect["height"]) <= _THIN
        if thin:
            out.append([rect["x0"], rect["top"], rect["x1"], rect["bottom"]])
        elif rect.get("stroke"):
            x0, top, x1, bottom = rect["x0"], rect["top"], rect["x1"], rect["bottom"]
            out += [[x0, top, x1, top], [x0, bottom, x1, bottom], [x0, top, x0, bottom], [x1, top, x1, bottom]]
    for curve in page.curves:
        if not curve.get("stroke"):
            continue
        points = curve.get("pts") or []
        for (ax, ay), (bx, by) in itertools.pairwise(points):
            if abs(ax - bx) < 0.5 or abs(ay - by) < 0.5:
                out.append([min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)])
    return out


def _render(data: bytes, index: int, dpi: int, width: float, height: float) -> str:
    """The page as PNG (base64), at dpi but never more than _MAX_RENDER_SIDE pixels on a side."""
    import pypdfium2

    scale = min(dpi / 72, _MAX_RENDER_SIDE / max(width, height, 1.0))
    document = pypdfium2.PdfDocument(data)
    try:
        image = document[index].render(scale=scale, grayscale=True).to_pil()
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode("ascii")
