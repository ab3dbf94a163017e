"""The format is told by content, never by the file name: every kind of attachment lands in the right reader."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest

from parsers import FailureKind, parse
from parsers.detect import detect
from tests.parsers.builders import docx_from_body, docx_from_lines, form_table, form_xlsx

REF = date(2026, 6, 1)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32


def test_docx_named_xls_is_read_as_word() -> None:
    result = parse(docx_from_body(form_table()), "情况表.xls", REF)
    assert result.detected_format == "docx"
    assert result.forms[0].contact_person == "王芳"


def test_xlsx_named_doc_is_read_as_excel() -> None:
    result = parse(form_xlsx(), "情况表.doc", REF)
    assert result.detected_format == "xlsx"
    assert result.forms[0].contact_person == "李强"


def test_file_without_a_name_is_still_read() -> None:
    assert parse(docx_from_body(form_table()), "", REF).forms[0].org_name.endswith("第一党支部")


@pytest.mark.parametrize(
    ("data", "name", "fmt"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "情况表.docx", "pdf"),
        (PNG, "情况表.doc", "image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "扫描件.xlsx", "image"),
        (b"GIF89a\x01\x00\x01\x00", "a.gif", "image"),
    ],
)
def test_pdfs_and_images_are_told_by_content_and_a_cut_off_one_is_not_a_form(data: bytes, name: str, fmt: str) -> None:
    result = parse(data, name, REF)
    assert result.detected_format == fmt
    assert result.failure is not None and result.failure.kind is FailureKind.NOT_A_FORM


def test_plain_zip_and_unknown_bytes_are_unsupported_format() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("readme.txt", "hello")
    for data, fmt in ((out.getvalue(), "zip"), (b"\x00\x01garbage" * 10, "unknown")):
        result = parse(data, "附件.docx", REF)
        assert result.detected_format == fmt
        assert result.failure is not None and result.failure.kind is FailureKind.UNSUPPORTED_FORMAT


def test_truncated_docx_is_corrupt() -> None:
    data = docx_from_body(form_table())
    result = parse(data[: len(data) // 2], "情况表.docx", REF)
    assert result.failure is not None and result.failure.kind is FailureKind.CORRUPT


def test_package_with_broken_xml_is_corrupt_with_the_error_in_the_detail() -> None:
    data = docx_from_body(form_table())
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            dst.writestr(info.filename, content[:-40] if info.filename == "word/document.xml" else content)
    result = parse(out.getvalue(), "情况表.docx", REF)
    assert result.failure is not None
    assert result.failure.kind is FailureKind.CORRUPT
    assert "XMLSyntaxError" in result.failure.detail


def test_rtf_and_word_2003_xml_are_told_by_their_first_bytes() -> None:
    assert detect(b"{\\rtf1\\ansi\\deff0 hello}", "情况表.doc") == "rtf"
    wordml = b'<?xml version="1.0"?><?mso-application progid="Word.Document"?><w:wordDocument ' \
        b'xmlns:w="http://schemas.microsoft.com/office/word/2003/wordml">'
    assert detect(wordml, "情况表.doc") == "wordml"


@pytest.mark.parametrize("name", ["tika_testWORD_protected_passtika.docx", "tika_testEXCEL_protected_passtika.xlsx"])
def test_password_protected_ooxml_is_encrypted(corpus_dir: Path, name: str) -> None:
    result = parse((corpus_dir / "office" / name).read_bytes(), name, REF)
    assert result.detected_format == "ooxml-encrypted"
    assert result.failure is not None and result.failure.kind is FailureKind.ENCRYPTED
    assert result.failure.message == "附件已加密，请联系报送单位去掉密码后重新发送"


def test_office_binaries_are_told_apart_by_their_ole_streams(corpus_dir: Path) -> None:
    office = corpus_dir / "office"
    assert detect((office / "tika_testWORD.doc").read_bytes(), "x.bin") == "doc"
    assert detect((office / "tika_testEXCEL_95.xls").read_bytes(), "x.bin") == "xls"
    assert detect((office / "tika_testWORD.doc").read_bytes(), "x.wps") == "wps"
    assert detect((office / "easypoitest_import_check.xls").read_bytes(), "x.et") == "et"


def test_every_failure_carries_a_chinese_message_for_staff() -> None:
    result = parse(docx_from_lines(["会议纪要", "今天天气晴"]), "纪要.docx", REF)
    assert result.failure is not None
    assert result.failure.message == FailureKind.NOT_A_FORM.message
    assert "情况表" in result.failure.message


def test_empty_attachment_is_corrupt() -> None:
    result = parse(b"", "情况表.docx", REF)
    assert result.failure is not None and result.failure.kind is FailureKind.CORRUPT
