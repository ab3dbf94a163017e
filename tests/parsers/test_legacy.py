"""Legacy formats: .doc/.wps/RTF/Word 2003 XML/.odt through LibreOffice, .xls/.et/.ods through python-calamine."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from parsers import FailureKind, parse
from tests.fixtures.services import require_binary
from tests.parsers.builders import docx_from_body, form_table, form_table_flat, form_xlsx, soffice_convert
from tests.parsers.test_word import assert_filled_values

pytestmark = pytest.mark.slow  # LibreOffice conversions: part of CI, not of the quick set

REF = date(2026, 6, 1)

WORD_TARGETS = {
    "doc": (".doc", "doc:MS Word 97"),
    "rtf": (".rtf", "rtf:Rich Text Format"),
    "wordml": (".xml", "xml:MS Word 2003 XML"),
    "odt": (".odt", "odt:writer8"),
}
SHEET_TARGETS = {"xls": (".xls", "xls:MS Excel 97"), "ods": (".ods", "ods:calc8")}


@pytest.fixture(scope="module")
def soffice() -> str:
    return require_binary("soffice", "libreoffice-writer-nogui libreoffice-calc-nogui")


@pytest.fixture(scope="module")
def legacy_files(soffice: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The filled form saved by LibreOffice in every legacy format (one profile for all conversions)."""
    profile = tmp_path_factory.mktemp("lo-profile")
    word = docx_from_body(form_table())
    sheet = form_xlsx()
    files = {
        fmt: soffice_convert(soffice, word, ".docx", to, profile)
        for fmt, (_, to) in WORD_TARGETS.items()
        if fmt != "wordml"
    }
    # LibreOffice's own Word 2003 XML export drops vertically merged cells, so that file is made without them.
    flat = docx_from_body(form_table_flat())
    files["wordml"] = soffice_convert(soffice, flat, ".docx", WORD_TARGETS["wordml"][1], profile)
    files |= {fmt: soffice_convert(soffice, sheet, ".xlsx", to, profile) for fmt, (_, to) in SHEET_TARGETS.items()}
    return files


@pytest.mark.parametrize("fmt", sorted(WORD_TARGETS))
def test_legacy_word_format_is_converted_and_read_exactly(legacy_files: dict[str, bytes], fmt: str) -> None:
    result = parse(legacy_files[fmt], f"情况表{WORD_TARGETS[fmt][0]}", REF)
    assert result.detected_format == fmt
    assert result.failure is None, result.failure
    assert len(result.forms) == 1
    assert_filled_values(result.forms[0])


def test_kingsoft_wps_file_is_a_word_binary_read_through_libreoffice(legacy_files: dict[str, bytes]) -> None:
    result = parse(legacy_files["doc"], "情况表.wps", REF)
    assert result.detected_format == "wps"
    assert_filled_values(result.forms[0])


def test_doc_named_docx_is_told_by_content(legacy_files: dict[str, bytes]) -> None:
    result = parse(legacy_files["doc"], "情况表.docx", REF)
    assert result.detected_format == "doc"
    assert_filled_values(result.forms[0])


@pytest.mark.parametrize(("fmt", "name"), [("xls", "情况表.xls"), ("xls", "情况表.et"), ("ods", "情况表.ods")])
def test_legacy_sheet_is_read_with_merges_and_whole_numbers(
    legacy_files: dict[str, bytes], fmt: str, name: str
) -> None:
    result = parse(legacy_files[fmt], name, REF)
    assert result.detected_format == ("et" if name.endswith(".et") else fmt)
    assert len(result.forms) == 1
    form = result.forms[0]
    assert form.org_name == "苏州市吴中区老干部党支部"
    assert form.headcount == 25
    assert form.contact_phone == "13913571234"
    assert form.agenda == ("1. 学习讲话精神", "2. 参观红色教育基地")
    assert form.activity_date == date(2026, 5, 12)


def test_without_soffice_the_failure_is_converter_missing_and_a_reparse_works_once_installed(
    legacy_files: dict[str, bytes], tmp_path: Path
) -> None:
    missing = parse(legacy_files["doc"], "情况表.doc", REF, soffice=str(tmp_path / "no-such" / "soffice"))
    assert missing.failure is not None
    assert missing.failure.kind is FailureKind.CONVERTER_MISSING
    assert missing.detected_format == "doc"
    again = parse(legacy_files["doc"], "情况表.doc", REF)
    assert again.failure is None
    assert_filled_values(again.forms[0])


def test_soffice_that_produces_nothing_is_a_failure_not_a_crash(legacy_files: dict[str, bytes], tmp_path: Path) -> None:
    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    result = parse(legacy_files["rtf"], "情况表.rtf", REF, soffice=str(fake))
    assert result.failure is not None
    assert result.failure.kind is FailureKind.CORRUPT
    assert "no .docx" in result.failure.detail


def test_hanging_soffice_is_killed_at_the_time_limit(legacy_files: dict[str, bytes], tmp_path: Path) -> None:
    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\nsleep 30\n")
    fake.chmod(0o755)
    result = parse(legacy_files["rtf"], "情况表.rtf", REF, soffice=str(fake), timeout=1.0)
    assert result.failure is not None
    assert result.failure.kind is FailureKind.TOO_LARGE
    assert "longer than" in result.failure.detail


def test_html_table_saved_as_xls_is_read_through_libreoffice(soffice: str) -> None:
    html = (
        '<html><head><meta charset="utf-8"></head><body><table border="1">'
        "<tr><td>党组织名称</td><td>苏州市姑苏区离退休干部第一党支部</td><td>人数</td><td>25人</td></tr>"
        '<tr><td rowspan="2">议程</td><td colspan="3">1. 重温入党誓词</td></tr>'
        '<tr><td colspan="3">2. 观看红色电影</td></tr>'
        '<tr><td>简介</td><td colspan="3">4月28日上午，支部组织老党员开展主题党日活动。</td></tr>'
        "<tr><td>联系人</td><td>王芳</td><td>联系方式</td><td>0512-65221234</td></tr>"
        "</table></body></html>"
    ).encode()
    result = parse(html, "情况表.xls", REF)
    assert result.detected_format == "html"
    assert_filled_values(result.forms[0])


def test_conversions_from_several_threads_take_turns_and_all_succeed(legacy_files: dict[str, bytes]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    jobs = [("rtf", "情况表.rtf"), ("doc", "情况表.doc"), ("odt", "情况表.odt")]
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda job: parse(legacy_files[job[0]], job[1], REF), jobs))
    for result in results:
        assert result.failure is None, result.failure
        assert_filled_values(result.forms[0])
