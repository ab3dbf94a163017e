"""Text PDFs: the form exported by LibreOffice and drawn by reportlab reads exactly as the Word file it came from."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from parsers import parse
from parsers.grid import Rule, Word, page_blocks
from parsers.layout import TableBlock
from tests.fixtures.services import require_binary
from tests.parsers.builders import soffice_convert
from tests.parsers.pdfbuild import LONG_SUMMARY, PDF_VALUES, reportlab_form_pdf, seed_form_docx

REF = date(2026, 6, 1)


@pytest.fixture(scope="module")
def libreoffice_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bureau's template filled in and exported to PDF by LibreOffice (as 输出为PDF does)."""
    soffice = require_binary("soffice", "libreoffice-writer-nogui")
    return soffice_convert(soffice, seed_form_docx(), ".docx", "pdf", tmp_path_factory.mktemp("lo-profile"))


def test_reportlab_pdf_reads_exactly_as_the_word_form_it_copies() -> None:
    typed = parse(seed_form_docx(), "情况表.docx", REF)
    result = parse(reportlab_form_pdf(), "情况表.pdf", REF)
    assert result.failure is None, result.failure
    assert result.detected_format == "pdf"
    assert result.forms == typed.forms
    form = result.forms[0]
    assert form.summary == LONG_SUMMARY  # wrapped over four lines of the PDF, joined again
    assert form.agenda == tuple(PDF_VALUES["议程"])  # type: ignore[arg-type]
    assert form.warnings == ()


@pytest.mark.slow
def test_libreoffice_pdf_of_the_template_reads_exactly_as_the_word_file(libreoffice_pdf: bytes) -> None:
    typed = parse(seed_form_docx(), "情况表.docx", REF)
    result = parse(libreoffice_pdf, "情况表.pdf", REF)
    assert result.failure is None, result.failure
    assert result.forms == typed.forms
    form = result.forms[0]
    assert form.org_name == "苏州市姑苏区离退休干部第一党支部"  # wrapped in its cell
    assert form.headcount == 25
    assert form.contact_phone == "051265221234"
    assert form.activity_date == date(2026, 4, 28)
    assert form.warnings == ()


def test_pdf_without_a_form_is_not_a_form(tmp_path: Path) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path = tmp_path / "notice.pdf"
    page = canvas.Canvas(str(path))
    page.setFont("STSong-Light", 12)
    page.drawString(72, 700, "关于开展“助力火红年代”主题党日活动的通知")
    page.save()
    result = parse(path.read_bytes(), "通知.pdf", REF)
    assert result.failure is not None and result.failure.kind.value == "not_a_form"
    assert result.detected_format == "pdf"


def test_ruled_grid_merges_squares_with_no_rule_between_them_into_one_cell() -> None:
    words = [Word(12, 12, 40, 22, "议程"), Word(62, 12, 120, 22, "1. 学习"), Word(62, 32, 120, 42, "2. 参观")]
    rules = [Rule(10, y, 150, y) for y in (10, 30, 50)] + [Rule(x, 10, x, 50) for x in (10, 60, 150)]
    rules = [r for r in rules if not (r.top == 30 and r.x0 == 10)] + [Rule(60, 30, 150, 30)]
    page = page_blocks(words, rules)
    table = next(b for b in page.blocks if isinstance(b, TableBlock))
    assert table.rows[0][0] is table.rows[1][0]  # 议程 merged down over both rows
    assert [cell.text for cell in table.rows[1]] == ["议程", "2. 参观"]


def test_soft_wrapped_line_in_a_cell_is_joined_and_a_numbered_item_starts_a_new_line() -> None:
    words = [
        Word(2, 2, 40, 12, "简介"),
        Word(52, 2, 146, 12, "第一行写满了"), Word(52, 14, 90, 24, "接着写"),
        Word(52, 26, 146, 36, "1. 这一行也写满"), Word(52, 38, 90, 48, "2. 第二项"),
    ]
    rules = [Rule(0, 0, 150, 0), Rule(0, 50, 150, 50), Rule(0, 0, 0, 50), Rule(50, 0, 50, 50), Rule(150, 0, 150, 50)]
    table = page_blocks(words, rules).blocks[0]
    assert isinstance(table, TableBlock)
    assert table.rows[0][1].text == "第一行写满了接着写\n1. 这一行也写满\n2. 第二项"
