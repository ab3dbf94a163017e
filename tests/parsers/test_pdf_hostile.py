"""Hostile PDFs and pictures are contained like the office formats: a failure kind, bounded time and memory."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from datetime import date
from pathlib import Path

import pytest

from parsers import FailureKind, parse
from parsers.pdf import MAX_PDF_PAGES
from tests.parsers.pdfbuild import (
    content_bomb_pdf,
    encrypted_form_pdf,
    many_pages_pdf,
    many_words_pdf,
    reportlab_form_pdf,
    seed_form_docx,
    with_javascript,
)

REF = date(2026, 6, 1)
REPO = Path(__file__).resolve().parents[2]


def parse_measured(path: Path, timeout: float = 30.0) -> dict[str, object]:
    """Parse a file in a fresh interpreter: the failure kind and detail, the interpreter's resident peak and the
    largest resident peak of the reader processes it started (MB)."""
    code = (
        "import json, re, resource, sys\n"
        "from parsers import parse\n"
        f"r = parse(open(sys.argv[1], 'rb').read(), sys.argv[1], timeout={timeout})\n"
        "own = int(re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read()).group(1)) / 1024\n"
        "child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(json.dumps({'kind': r.failure.kind.value if r.failure else None, 'detail': r.failure.detail"
        " if r.failure else '', 'peak_mb': own, 'reader_peak_mb': child, 'format': r.detected_format}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(path)], cwd=REPO, capture_output=True, text=True,
                          check=True, timeout=120)
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_pdf_needing_a_password_is_encrypted() -> None:
    result = parse(encrypted_form_pdf("secret"), "情况表.pdf", REF)
    assert result.failure is not None and result.failure.kind is FailureKind.ENCRYPTED
    assert result.detected_format == "pdf"


def test_pdf_with_only_an_owner_password_opens_and_its_unmapped_text_goes_to_ocr() -> None:
    result = parse(encrypted_form_pdf(""), "情况表.pdf", REF, ocr=False)
    assert result.failure is not None and result.failure.kind is FailureKind.NOT_A_FORM
    assert result.pixels_pending  # the text layer maps to no characters: only the rendered page can be read


def test_javascript_in_a_pdf_is_never_run_and_the_form_is_read() -> None:
    typed = parse(seed_form_docx(), "情况表.docx", REF)
    result = parse(with_javascript(reportlab_form_pdf()), "情况表.pdf", REF)
    assert result.failure is None, result.failure
    assert result.forms == typed.forms


def test_pdf_with_a_broken_xref_table_is_still_read_exactly() -> None:
    pdf = reportlab_form_pdf()
    at = pdf.rfind(b"xref")
    broken = pdf[:at] + pdf[at:].replace(b"0000", b"9x9x")
    result = parse(broken, "情况表.pdf", REF)
    assert result.forms == parse(seed_form_docx(), "情况表.docx", REF).forms


def test_truncated_pdf_is_not_a_form_saying_it_cannot_be_opened() -> None:
    pdf = reportlab_form_pdf()
    result = parse(pdf[: len(pdf) // 2], "情况表.pdf", REF)
    assert result.failure is not None and result.failure.kind is FailureKind.NOT_A_FORM
    assert "cannot be opened" in result.failure.detail


@pytest.mark.slow
def test_pdf_of_fifty_thousand_pages_is_too_large_without_reading_them(tmp_path: Path) -> None:
    path = tmp_path / "pages.pdf"
    path.write_bytes(many_pages_pdf(50_000))
    outcome = parse_measured(path)
    assert outcome["kind"] == "too_large", outcome
    assert f"more than {MAX_PDF_PAGES} pages" in str(outcome["detail"])
    assert float(outcome["peak_mb"]) < 200, outcome  # type: ignore[arg-type]
    assert float(outcome["reader_peak_mb"]) < 300, outcome  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return content_bomb_pdf(1500)  # 1.5 GB of page content in 1.5 MB


@pytest.mark.slow
def test_pdf_decompression_bomb_is_too_large_within_the_reader_memory_cap(bomb: bytes, tmp_path: Path) -> None:
    path = tmp_path / "bomb.pdf"
    path.write_bytes(bomb)
    assert path.stat().st_size < 2 * 1024 * 1024
    outcome = parse_measured(path)
    assert outcome["kind"] == "too_large", outcome
    assert outcome["format"] == "pdf"
    assert float(outcome["peak_mb"]) < 200, outcome  # type: ignore[arg-type]
    assert float(outcome["reader_peak_mb"]) < 800, outcome  # type: ignore[arg-type]


@pytest.mark.slow
def test_pdf_reader_is_stopped_at_the_parse_deadline(bomb: bytes) -> None:
    result = parse(bomb, "bomb.pdf", REF, timeout=0.2)
    assert result.failure is not None and result.failure.kind is FailureKind.TOO_LARGE
    assert "took longer than" in result.failure.detail


@pytest.mark.slow
def test_pdf_page_of_tens_of_thousands_of_words_is_too_large() -> None:
    result = parse(many_words_pdf(30_000), "words.pdf", REF)
    assert result.failure is not None and result.failure.kind is FailureKind.TOO_LARGE, result.failure
    assert "over the caps" in result.failure.detail


def _png_header(width: int, height: int) -> bytes:
    """A PNG that declares width x height pixels and holds a few bytes of image data."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + \
        chunk(b"IEND", b"")


def test_picture_declaring_billions_of_pixels_is_too_large_before_it_is_decoded() -> None:
    result = parse(_png_header(100_000, 100_000), "照片.png", REF)
    assert result.failure is not None and result.failure.kind is FailureKind.TOO_LARGE
    assert result.detected_format == "image"


@pytest.mark.parametrize("data", [b"\xff\xd8\xff\xe0" + b"\x00garbage" * 50, _png_header(0, 0)])
def test_picture_that_cannot_be_decoded_is_not_a_form_saying_so(data: bytes) -> None:
    result = parse(data, "照片.jpg", REF)
    assert result.failure is not None and result.failure.kind is FailureKind.NOT_A_FORM
    assert "cannot be decoded" in result.failure.detail


def test_reader_error_in_the_child_comes_back_as_a_failure_kind() -> None:
    from parsers.limits import Deadline, JobFailed
    from parsers.worker import run_job

    with pytest.raises(JobFailed) as raised:
        run_job("no-such-task", b"", {}, Deadline.after(30))
    assert raised.value.kind == "corrupt"
    assert "unknown task" in raised.value.detail
