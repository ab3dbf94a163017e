"""Flat OPC Word XML (what Java OA and Party-building systems export, named .doc or .xml) is read directly."""

from __future__ import annotations

from datetime import date

import pytest

from parsers import FailureKind, parse
from parsers.detect import detect
from tests.parsers.builders import docx_from_body, flat_opc, form_table, form_xlsx
from tests.parsers.test_word import assert_filled_values

REF = date(2026, 6, 1)


@pytest.mark.parametrize("name", ["情况表.doc", "情况表.xml", "情况表"])
def test_flat_opc_word_xml_is_read_exactly_whatever_its_name(name: str) -> None:
    data = flat_opc(docx_from_body(form_table()))
    result = parse(data, name, REF)
    assert result.failure is None, result.failure
    assert result.detected_format == "flatopc"
    assert len(result.forms) == 1
    assert_filled_values(result.forms[0])
    assert result.forms[0].warnings == ()


def test_flat_opc_is_told_from_word_2003_xml() -> None:
    assert detect(flat_opc(docx_from_body(form_table())), "情况表.doc") == "flatopc"


def test_flat_opc_with_binary_parts_base64_keeps_them_and_reads_the_form() -> None:
    from tests.parsers.builders import rewrite_zip

    package = rewrite_zip(docx_from_body(form_table()), {}, add={"word/media/image1.png": b"\x89PNG\r\n\x1a\n" * 40})
    data = flat_opc(package)
    assert b"<pkg:binaryData>" in data
    result = parse(data, "情况表.doc", REF)
    assert_filled_values(result.forms[0])


def test_flat_opc_workbook_is_read_as_a_workbook() -> None:
    result = parse(flat_opc(form_xlsx(), progid="Excel.Sheet"), "情况表.xml", REF)
    assert result.failure is None, result.failure
    assert result.forms[0].org_name == "苏州市吴中区老干部党支部"


def test_flat_opc_declaring_entities_is_refused_never_expanded() -> None:
    data = flat_opc(docx_from_body(form_table()))
    hostile = data.replace(
        b"<pkg:package",
        b'<!DOCTYPE pkg:package [<!ENTITY a "aaaaaaaaaa"><!ENTITY x SYSTEM "file:///etc/passwd">]><pkg:package',
        1,
    ).replace("王芳".encode(), b"&a;&x;")
    result = parse(hostile, "情况表.doc", REF)
    assert result.failure is not None and result.failure.kind is FailureKind.CORRUPT
    assert "DTD" in result.failure.detail


@pytest.mark.parametrize("bad_name", ["/../../etc/passwd", "", "/[Content_Types].xml"])
def test_flat_opc_part_named_outside_the_package_is_corrupt(bad_name: str) -> None:
    data = flat_opc(docx_from_body(form_table()))
    hostile = data.replace(b'pkg:name="/word/document.xml"', f'pkg:name="{bad_name}"'.encode(), 1)
    result = parse(hostile, "情况表.doc", REF)
    assert result.failure is not None and result.failure.kind is FailureKind.CORRUPT


def test_flat_opc_part_given_twice_is_corrupt() -> None:
    data = flat_opc(docx_from_body(form_table()))
    hostile = data.replace(b'pkg:name="/word/styles.xml"', b'pkg:name="/word/document.xml"', 1)
    result = parse(hostile, "情况表.doc", REF)
    assert result.failure is not None and result.failure.kind is FailureKind.CORRUPT
    assert "twice" in result.failure.detail


def test_flat_opc_with_broken_base64_is_corrupt() -> None:
    from tests.parsers.builders import rewrite_zip

    package = rewrite_zip(docx_from_body(form_table()), {}, add={"word/media/image1.png": b"\x89PNG" * 10})
    data = flat_opc(package)
    start = data.index(b"<pkg:binaryData>") + len(b"<pkg:binaryData>")
    broken = data[:start] + b"@@not base64@@" + data[start:]
    result = parse(broken, "情况表.doc", REF)
    assert result.failure is not None and result.failure.kind is FailureKind.CORRUPT
