"""parse(): bytes and a file name in, the forms found (with warnings) or exactly one failure out; never raises."""

from __future__ import annotations

import dataclasses
import io
import logging
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import msoffcrypto

from core.vocab import FailureKind
from parsers.detect import (
    CONVERTED_FORMATS,
    EXCEL_FORMATS,
    LEGACY_SHEET_FORMATS,
    WORD_FORMATS,
    ZIP_MAGICS,
    detect,
    detect_package,
)
from parsers.excel import read_calamine, read_xlsx_package
from parsers.flatopc import package_from_flat_opc
from parsers.forms import collect, read_forms
from parsers.layout import Block
from parsers.legacy import ConversionFailed, ConverterMissing, convert_to_docx
from parsers.limits import (
    DEFAULT_TIMEOUT,
    MAX_INPUT_BYTES,
    Deadline,
    HostileContent,
    JobFailed,
    LimitExceeded,
    check_input_size,
    check_zip,
)
from parsers.model import Failure, ParseResult
from parsers.ocr import (
    NOT_INSTALLED,
    PIXEL_MIN_LABELS,
    SKIPPED,
    ocr_installed,
    pixel_forms,
    read_picture,
    too_small,
)
from parsers.pdf import read_pdf
from parsers.sheetxml import Unsupported, read_workbook
from parsers.word import read_docx, read_docx_package

log = logging.getLogger(__name__)

_CORRUPT = frozenset({"zip-corrupt", "ole-corrupt"})


def parse(
    data: bytes,
    filename: str,
    ref_date: date | None = None,
    *,
    soffice: str = "soffice",
    timeout: float = DEFAULT_TIMEOUT,
    ocr: bool = True,
) -> ParseResult:
    """Read the 情况表 forms out of one attachment.

    ref_date gives the year of a month-day activity date (the day the form was received); without it the year is
    taken from today and every form whose date has no year says so in a warning. soffice is the LibreOffice program
    used for legacy formats; timeout caps the whole parse in seconds. ocr False leaves pictures (and scanned PDF
    pages) unread, as not_a_form with ParseResult.pixels_pending set: a caller that found a typed form in the same
    mail needs no OCR, one that found none parses them again with ocr True. Bad input never raises: it becomes a
    Failure of a known kind (an unexpected internal error is `corrupt` with the exception in the detail).
    """
    seen = _Seen()
    try:
        deadline = Deadline.after(timeout)
        if not data:
            return _failed(FailureKind.CORRUPT, "the attachment is empty (0 bytes)", seen.fmt, filename)
        if len(data) > MAX_INPUT_BYTES:  # told only to say what was refused; nothing is read
            fmt = detect(data, filename)
            seen.fmt = fmt.split("-")[0] if fmt in _CORRUPT else fmt
            check_input_size(data)
        if data.startswith(ZIP_MAGICS):
            return _parse_package(data, ref_date, deadline, soffice, seen)
        seen.fmt = detect(data, filename)
        return _parse_file(data, seen.fmt, ref_date, deadline, soffice, ocr)
    except JobFailed as exc:
        return _failed(FailureKind(exc.kind), exc.detail, seen.fmt, filename)
    except LimitExceeded as exc:
        return _failed(FailureKind.TOO_LARGE, str(exc), seen.fmt, filename)
    except MemoryError:
        return _failed(FailureKind.TOO_LARGE, "out of memory while reading", seen.fmt, filename)
    except HostileContent as exc:
        return _failed(FailureKind.CORRUPT, str(exc), seen.fmt, filename)
    except ConverterMissing as exc:
        return _failed(FailureKind.CONVERTER_MISSING, str(exc), seen.fmt, filename)
    except ConversionFailed as exc:
        return _failed(FailureKind.CORRUPT, str(exc), seen.fmt, filename)
    except Exception as exc:
        return _failed(FailureKind.CORRUPT, f"{type(exc).__name__}: {exc}", seen.fmt, filename)


@dataclass
class _Seen:
    """The format told so far, so that a failure while reading still says what the file is."""

    fmt: str = "unknown"


def _failed(kind: FailureKind, detail: str, fmt: str, filename: str) -> ParseResult:
    log.info("parse of %r (%s) failed: %s: %s", filename, fmt, kind.value, detail)
    return ParseResult(failure=Failure(kind, detail), detected_format=fmt)


def _parse_package(data: bytes, ref_date: date | None, deadline: Deadline, soffice: str, seen: _Seen) -> ParseResult:
    """Zip-based files, opened once: docx/docm and xlsx/xlsm are read here, odt/ods go the legacy way. Any package
    whose directory declares a zip bomb is too_large, whatever it holds."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        return ParseResult(failure=Failure(FailureKind.CORRUPT, f"zip cannot be opened: {exc}"), detected_format="zip")
    with zf:
        seen.fmt = detect_package(zf)
        if seen.fmt in WORD_FORMATS:
            return _forms(read_docx_package(zf, deadline), seen.fmt, ref_date, deadline)
        if seen.fmt in EXCEL_FORMATS:
            return _forms(_read_xlsx(zf, data, deadline), seen.fmt, ref_date, deadline)
        check_zip(zf)  # the readers above check it themselves
    return _parse(data, seen.fmt, ref_date, deadline, soffice)


def _read_xlsx(zf: zipfile.ZipFile, data: bytes, deadline: Deadline) -> list[Block]:
    """The lxml sheet reader, or openpyxl (full mode) for any workbook shape that reader leaves to it."""
    try:
        return read_workbook(zf, deadline)
    except Unsupported as exc:
        log.info("xlsx read by openpyxl instead: %s", exc)
        return read_xlsx_package(zf, data, deadline)


_PIXEL_FORMATS = frozenset({"pdf", "image"})


def _parse_file(
    data: bytes, fmt: str, ref_date: date | None, deadline: Deadline, soffice: str, ocr: bool
) -> ParseResult:
    """A file that is no zip package: a PDF or picture, Flat OPC XML (made a package), or the other formats."""
    if fmt in _PIXEL_FORMATS:
        return _parse_pixels(data, fmt, ref_date, deadline, ocr)
    if fmt == "flatopc":
        package = package_from_flat_opc(data, deadline)
        result = _parse_package(package, ref_date, deadline, soffice, _Seen())
        return dataclasses.replace(result, detected_format="flatopc")
    return _parse(data, fmt, ref_date, deadline, soffice)


def _parse_pixels(data: bytes, fmt: str, ref_date: date | None, deadline: Deadline, ocr: bool) -> ParseResult:
    """A PDF (its text layer, else its scanned pages through OCR) or a picture (through OCR).

    One that cannot be opened at all is not_a_form (with the reason in the detail), as these files were before
    they were read: nothing shows a form was in it, and the pipeline then keeps it quietly beside a form or in mail
    about something else. Encrypted and too_large stay what they are."""
    try:
        return _read_pixels(data, fmt, ref_date, deadline, ocr)
    except JobFailed as exc:
        if exc.kind != FailureKind.CORRUPT.value:
            raise
        return ParseResult(failure=Failure(FailureKind.NOT_A_FORM, exc.detail), detected_format=fmt)


def _read_pixels(data: bytes, fmt: str, ref_date: date | None, deadline: Deadline, ocr: bool) -> ParseResult:
    if fmt == "image":
        small = too_small(data)
        if small is not None:
            detail = f"the picture is {small[0]}x{small[1]} pixels, too small to hold a legible form"
            return ParseResult(failure=Failure(FailureKind.NOT_A_FORM, detail), detected_format=fmt)
        return _read_pictures([data], fmt, ref_date, deadline, ocr)
    content = read_pdf(data, deadline, render_scans=ocr and ocr_installed())
    if content.blocks:
        result = _forms(content.blocks, fmt, ref_date, deadline)
        if result.ok or not content.scanned_pages:
            return result
    elif not content.scanned_pages:
        return ParseResult(failure=Failure(FailureKind.NOT_A_FORM, "the PDF holds no text"), detected_format=fmt)
    return _read_pictures(content.scans, fmt, ref_date, deadline, ocr)


def _read_pictures(
    pictures: Sequence[bytes], fmt: str, ref_date: date | None, deadline: Deadline, ocr: bool
) -> ParseResult:
    """Forms read by OCR from pictures (an image file, or a PDF's scanned pages); see parsers/ocr.py."""
    if not ocr:
        return ParseResult(failure=Failure(FailureKind.NOT_A_FORM, SKIPPED), detected_format=fmt,
                           pixels_pending=True)
    if not ocr_installed():
        return ParseResult(failure=Failure(FailureKind.NOT_A_FORM, NOT_INSTALLED), detected_format=fmt)
    pages = [read_picture(picture, deadline) for picture in pictures]
    raws, forms = pixel_forms(pages, ref_date or date.today(), ref_date is not None, deadline)
    if not raws:
        detail = f"OCR found fewer than {PIXEL_MIN_LABELS} of the form's six labels in the picture"
        return ParseResult(failure=Failure(FailureKind.NOT_A_FORM, detail), detected_format=fmt)
    if not forms:
        return ParseResult(failure=Failure(FailureKind.EMPTY_FORM, "every field of the form is empty"),
                           detected_format=fmt)
    return ParseResult(forms=forms, detected_format=fmt)


def _parse(data: bytes, fmt: str, ref_date: date | None, deadline: Deadline, soffice: str) -> ParseResult:
    blocks: list[Block]
    if fmt in _CORRUPT:
        return ParseResult(
            failure=Failure(FailureKind.CORRUPT, "the container cannot be opened"), detected_format=fmt.split("-")[0]
        )
    if fmt == "ooxml-encrypted" or (fmt in {"doc", "wps", "xls", "et"} and _ole_encrypted(data)):
        return ParseResult(failure=Failure(FailureKind.ENCRYPTED, "password-protected file"), detected_format=fmt)
    if fmt in WORD_FORMATS:
        blocks = read_docx(data, deadline)
    elif fmt in EXCEL_FORMATS:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            blocks = _read_xlsx(zf, data, deadline)
    elif fmt in LEGACY_SHEET_FORMATS:
        blocks = read_calamine(data, deadline)
    elif fmt in CONVERTED_FORMATS:
        blocks = read_docx(convert_to_docx(data, fmt, deadline, soffice), deadline)
    else:
        return ParseResult(
            failure=Failure(FailureKind.UNSUPPORTED_FORMAT, f"format {fmt!r} is not read"), detected_format=fmt
        )
    return _forms(blocks, fmt, ref_date, deadline)


def _forms(blocks: list[Block], fmt: str, ref_date: date | None, deadline: Deadline) -> ParseResult:
    """The forms found in the blocks; ref_date None reads years from today, and says so where a date has none."""
    deadline.check()
    raws = collect(blocks, deadline)
    if not raws:
        return ParseResult(
            failure=Failure(FailureKind.NOT_A_FORM, "no labelled 情况表 fields found"), detected_format=fmt
        )
    forms = read_forms(raws, ref_date or date.today(), year_known=ref_date is not None)
    if not forms:
        return ParseResult(
            failure=Failure(FailureKind.EMPTY_FORM, "every field of the form is empty"), detected_format=fmt
        )
    return ParseResult(forms=forms, detected_format=fmt)


def _ole_encrypted(data: bytes) -> bool:
    try:
        return bool(msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted())
    except (zipfile.BadZipFile, OSError, ValueError, AssertionError, KeyError, IndexError, TypeError) as exc:
        log.debug("msoffcrypto could not tell whether the file is encrypted: %s", exc)
        return False
    except Exception as exc:  # msoffcrypto raises its own FileFormatError for OLE files it does not know
        log.debug("msoffcrypto could not tell whether the file is encrypted: %s", exc)
        return False
