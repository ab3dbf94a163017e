"""Read a 情况表 from pixels (a scan, a phone photo, a scanned PDF page): OCR in a child process, the table rebuilt from
the text boxes and the rules seen, the same layout finder, and every field's confidence checked.

A picture is a form only when OCR finds at least PIXEL_MIN_LABELS of the form's six labels (an activity photo with
a banner is not one). Every form read from pixels carries PIXELS_WARNING first and the confidence of each field
(the lowest score of the text boxes its value came from); a field under CONFIDENCE_THRESHOLD is left empty with a
warning, never guessed. Without the `[ocr]` extra installed nothing is read: pictures stay not_a_form with the
detail NOT_INSTALLED, and `intake reparse` reads them once it is.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import io
from collections.abc import Iterable, Sequence
from datetime import date

from core.vocab import PIXELS_WARNING
from parsers.forms import RawForm, collect, read_form
from parsers.grid import PageText, Rule, Word, page_blocks
from parsers.labels import FIELD_NAMES, FORM_FIELDS, Field
from parsers.layout import Block
from parsers.limits import Deadline
from parsers.model import ParsedForm
from parsers.worker import run_job

NOT_INSTALLED = "未安装图片识别"
"""The failure detail of a picture when the OCR engine (the `[ocr]` extra) is not installed."""
SKIPPED = "图片未识别：同一邮件中已有情况表"
"""The failure detail of a picture left unread because the caller asked for no OCR (a typed form came with it)."""
CONFIDENCE_THRESHOLD = 0.95
"""A field whose lowest character score is under this is left empty with a warning. bench/bench_ocr.py shows
the trade on our own set: at 0.95 no field was wrong (half were withheld); at 0.90 five in 84 were (入 read as 人
at 92%, 、 as 丶)."""
PIXEL_MIN_LABELS = 4
"""Labels of the form's six fields OCR must find in a picture for it to be read as a form."""

MIN_PICTURE_SIDE = 400
"""Pixels on the shorter side below which a picture cannot hold a legible form (a thumbnail, an icon): left unread."""

_CONFIDENCE_SOURCES = {
    Field.ORG: (Field.ORG,),
    Field.HEADCOUNT: (Field.HEADCOUNT,),
    Field.AGENDA: (Field.AGENDA,),
    Field.SUMMARY: (Field.SUMMARY,),
    Field.CONTACT: (Field.CONTACT, Field.CONTACT_AND_PHONE),
    Field.PHONE: (Field.PHONE, Field.CONTACT_AND_PHONE),
}


@functools.cache
def ocr_installed() -> bool:
    """Whether the OCR engine of the `[ocr]` extra can be imported (looked up, not imported: that is the child's)."""
    try:
        return all(importlib.util.find_spec(name) is not None for name in ("rapidocr_onnxruntime", "cv2"))
    except (ImportError, ValueError):  # a package blocked in sys.modules (None) or half installed
        return False


def too_small(data: bytes) -> tuple[int, int] | None:
    """The picture's size when it is too small to hold a legible form (read from its header only, nothing decoded);
    None when it is big enough or its header cannot be read (then the OCR job says what is wrong)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    return (width, height) if min(width, height) < MIN_PICTURE_SIDE else None


def read_picture(data: bytes, deadline: Deadline) -> PageText:
    """One picture's text and tables; raises JobFailed (too_large, corrupt) or LimitExceeded."""
    answer = run_job("ocr", data, {"threads": 2}, deadline)
    words = [Word(x0, top, x1, bottom, text, score) for x0, top, x1, bottom, text, score in answer["words"]]
    return page_blocks(words, [Rule(*rule) for rule in answer["rules"]])


def pixel_forms(
    pages: Sequence[PageText], ref_date: date, year_known: bool, deadline: Deadline
) -> tuple[list[RawForm], tuple[ParsedForm, ...]]:
    """The raw forms found in the pictures' text (those with at least PIXEL_MIN_LABELS labels) and the forms read
    from them, each with PIXELS_WARNING and its fields' confidence."""
    blocks: list[Block] = [block for page in pages for block in page.blocks]
    scores: dict[str, float] = {}
    for page in pages:
        for line, score in page.line_scores.items():
            scores[line] = min(score, scores.get(line, 1.0))
    raws = [raw for raw in collect(blocks, deadline) if raw.label_count >= PIXEL_MIN_LABELS]
    seen: dict[ParsedForm, None] = {}
    for raw in raws:
        if not raw.is_empty:
            seen.setdefault(_read(raw, scores, ref_date, year_known), None)
    return raws, tuple(seen)


def _read(raw: RawForm, scores: dict[str, float], ref_date: date, year_known: bool) -> ParsedForm:
    confidence = field_confidence(raw, scores)
    withheld = {
        fld: f"{FIELD_NAMES[fld]}识别可信度低（{_percent(score)}），未读取，请核对原图"
        for fld, score in confidence.items()
        if score < CONFIDENCE_THRESHOLD
    }
    form = read_form(raw, ref_date, year_known, withheld=withheld)
    shown = "、".join(f"{FIELD_NAMES[fld]} {_percent(score)}" for fld, score in confidence.items())
    notes = (PIXELS_WARNING, f"识别可信度：{shown}" if shown else "识别可信度：无可读栏目")
    return dataclasses.replace(form, warnings=(*notes, *form.warnings))


def _percent(score: float) -> str:
    return f"{int(score * 100)}%"


def field_confidence(raw: RawForm, scores: dict[str, float]) -> dict[Field, float]:
    """Each filled field's confidence: the lowest score of the lines of text its values came from."""
    out: dict[Field, float] = {}
    for fld in FORM_FIELDS:
        values = [v for source in _CONFIDENCE_SOURCES[fld] for v in raw.values.get(source, [])]
        values += [v for source in _CONFIDENCE_SOURCES[fld] for _, vs in raw.near.get(source, {}).values() for v in vs]
        if fld is Field.ORG and not any(v.strip() for v in values) and raw.heading is not None:
            values = [raw.heading[0]]
        lines = [line.strip() for value in values for line in value.splitlines() if line.strip()]
        if lines:
            out[fld] = min(_line_score(line, scores) for line in lines)
    return out


def _line_score(line: str, scores: dict[str, float]) -> float:
    """A line's score: its own, or the lowest of the lines it was cut from (a value after 「联系人：」 in one box);
    a line found nowhere counts as unreadable."""
    if line in scores:
        return scores[line]
    holders: Iterable[float] = (score for text, score in scores.items() if line in text)
    return min(holders, default=0.0)
