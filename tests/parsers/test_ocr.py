"""Forms read from pixels: scans at 150 and 300 dpi, a scanned PDF, a phone photo; an activity photo is no form;
every value is exact or withheld with a warning, and every such form says it was read from a picture."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from parsers import FailureKind, parse
from parsers.grid import Rule, Word, page_blocks
from parsers.limits import Deadline
from parsers.model import ParsedForm
from parsers.ocr import NOT_INSTALLED, PIXELS_WARNING, SKIPPED, pixel_forms
from tests.fixtures.services import require_binary
from tests.parsers.builders import soffice_convert
from tests.parsers.pdfbuild import activity_photo, image_only_pdf, phone_photo, render_png, seed_form_docx

REF = date(2026, 6, 1)
REPO = Path(__file__).resolve().parents[2]
FIELD_NAMES = {"org_name": "党组织名称", "headcount_text": "人数", "agenda": "议程", "summary": "简介",
               "contact_person": "联系人", "contact_phone": "联系方式"}


@pytest.fixture(scope="module")
def form_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    soffice = require_binary("soffice", "libreoffice-writer-nogui")
    return soffice_convert(soffice, seed_form_docx(), ".docx", "pdf", tmp_path_factory.mktemp("lo-profile"))


def _flat(value: object) -> str:
    return re.sub(r"\s+", "", "\n".join(value) if isinstance(value, tuple) else str(value))


def assert_exact_or_withheld(form: ParsedForm) -> None:
    """Each field equals the typed form's (white space aside: OCR sees none) or is empty with a warning naming it;
    the form says first that it was read from a picture, then each field's confidence."""
    typed = parse(seed_form_docx(), "情况表.docx", REF).forms[0]
    assert form.warnings[0] == PIXELS_WARNING
    assert form.warnings[1].startswith("识别可信度：")
    for name, label in FIELD_NAMES.items():
        assert label in form.warnings[1]
        got = _flat(getattr(form, name))
        if got != _flat(getattr(typed, name)):
            assert got == "", f"{label} read wrong: {got!r}"
            assert f"{label}识别可信度低" in " ".join(form.warnings), form.warnings
    for name in ("headcount_text", "contact_person", "contact_phone"):  # short clear fields: read, not withheld
        assert getattr(form, name) == getattr(typed, name)
    assert form.headcount == 25
    assert form.activity_date in (date(2026, 4, 28), None)


@pytest.mark.slow
@pytest.mark.parametrize("dpi", [150, 300])
def test_scan_of_the_form_is_read_exactly_or_withheld(form_pdf: bytes, dpi: int) -> None:
    result = parse(render_png(form_pdf, dpi), "扫描件.png", REF)
    assert result.failure is None, result.failure
    assert result.detected_format == "image"
    assert len(result.forms) == 1
    assert_exact_or_withheld(result.forms[0])


@pytest.mark.slow
def test_image_only_pdf_page_is_read_through_ocr(form_pdf: bytes) -> None:
    scanned = image_only_pdf(render_png(form_pdf, 150), 150)
    result = parse(scanned, "扫描件.pdf", REF)
    assert result.failure is None, result.failure
    assert result.detected_format == "pdf"
    assert_exact_or_withheld(result.forms[0])


@pytest.mark.slow
def test_skewed_noisy_phone_photo_is_straightened_and_read(form_pdf: bytes) -> None:
    photo = phone_photo(render_png(form_pdf, 200), angle=3.0)
    result = parse(photo, "IMG_0412.jpg", REF)
    assert result.failure is None, result.failure
    assert_exact_or_withheld(result.forms[0])


@pytest.mark.slow
def test_activity_photo_is_not_a_form() -> None:
    result = parse(activity_photo(), "合影.jpg", REF)
    assert result.failure is not None and result.failure.kind is FailureKind.NOT_A_FORM
    assert "fewer than 4" in result.failure.detail
    assert not result.forms


def test_picture_is_left_unread_when_the_caller_asks_for_no_ocr() -> None:
    result = parse(activity_photo(), "合影.jpg", REF, ocr=False)
    assert result.failure is not None and result.failure.kind is FailureKind.NOT_A_FORM
    assert result.failure.detail == SKIPPED
    assert result.pixels_pending


def test_scanned_pdf_is_left_unread_when_the_caller_asks_for_no_ocr() -> None:
    scanned = image_only_pdf(render_png(_tiny_pdf(), 100), 100)
    result = parse(scanned, "扫描件.pdf", REF, ocr=False)
    assert result.failure is not None and result.failure.detail == SKIPPED
    assert result.pixels_pending and result.detected_format == "pdf"


def test_typed_forms_never_say_they_wait_for_ocr() -> None:
    result = parse(seed_form_docx(), "情况表.docx", REF, ocr=False)
    assert result.ok and not result.pixels_pending


def test_without_the_ocr_extra_a_picture_is_not_a_form_saying_so(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(activity_photo())
    code = (
        "import json, sys\n"
        "sys.modules['rapidocr_onnxruntime'] = None  # as if the [ocr] extra were not installed\n"
        "from parsers import parse\n"
        "r = parse(open(sys.argv[1], 'rb').read(), 'photo.jpg')\n"
        "print(json.dumps({'kind': r.failure.kind.value, 'detail': r.failure.detail}, ensure_ascii=False))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], cwd=REPO, capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert json.loads(out) == {"kind": "not_a_form", "detail": NOT_INSTALLED}


def _tiny_pdf() -> bytes:
    from tests.parsers.pdfbuild import reportlab_form_pdf

    return reportlab_form_pdf()


def _ocr_page(scores: dict[str, float]) -> list[Word]:
    """The form's text boxes as OCR would give them, each with a score (1.0 unless named)."""
    rows = [
        [("党组织名称", 10), ("苏州市吴中区老干部党支部", 110), ("人数", 310), ("25人", 410)],
        [("议程", 10), ("1.学习讲话精神", 110)],
        [("简介", 10), ("5月12日下午，支部集中学习。", 110)],
        [("联系人", 10), ("李强", 110), ("联系电话", 310), ("13913571234", 410)],
    ]
    return [Word(x + 2, 20 * r + 4, x + 80, 20 * r + 16, text, scores.get(text, 1.0))
            for r, row in enumerate(rows) for text, x in row]


def _ruled(rows: int) -> list[Rule]:
    return [Rule(0, 20 * r, 500, 20 * r) for r in range(rows + 1)] + [
        Rule(x, 0, x, 20 * rows) for x in (0, 100, 300, 400, 500)]


def test_field_under_the_confidence_threshold_is_withheld_with_a_warning_never_guessed() -> None:
    page = page_blocks(_ocr_page({"13913571234": 0.62}), _ruled(4))
    raws, forms = pixel_forms([page], REF, True, Deadline.after(10))
    assert len(raws) == 1
    form = forms[0]
    assert form.org_name == "苏州市吴中区老干部党支部"
    assert form.headcount == 25
    assert form.contact_person == "李强"
    assert form.contact_phone == ""
    assert form.warnings[0] == PIXELS_WARNING
    assert form.warnings[1] == "识别可信度：党组织名称 100%、人数 100%、议程 100%、简介 100%、联系人 100%、联系方式 62%"
    assert "联系方式识别可信度低（62%），未读取，请核对原图" in form.warnings
    assert "联系方式未填写" not in form.warnings


def test_picture_with_fewer_than_four_labels_gives_no_form() -> None:
    words = [w for w in _ocr_page({}) if w.text not in {"议程", "简介", "联系人"}]
    raws, forms = pixel_forms([page_blocks(words, _ruled(4))], REF, True, Deadline.after(10))
    assert raws == [] and forms == ()
