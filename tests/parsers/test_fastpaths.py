"""The fast paths give what the general ones give: one-pass table reading, and zip members inflated in one call."""

from __future__ import annotations

import io
import struct
import zipfile
from datetime import date

import pytest
from lxml import etree

from parsers import FailureKind, parse
from parsers.layout import Block, TableBlock, TextBlock
from parsers.limits import Deadline, read_member
from parsers.word import _BODY, _Walker
from tests.parsers.builders import (
    FILLED,
    NSDECL,
    docx_from_body,
    form_table,
    form_table_flat,
    form_xlsx,
    p,
    tbl,
    tc,
    tr,
)

REF = date(2026, 6, 1)


def shape(blocks: list[Block]) -> list[object]:
    """Texts of every block, and for tables which grid positions share one cell."""
    out: list[object] = []
    for block in blocks:
        if isinstance(block, TextBlock):
            out.append(block.text)
            continue
        assert isinstance(block, TableBlock)
        seen: dict[int, int] = {}
        out.append([[(cell.text, seen.setdefault(id(cell), len(seen))) for cell in row] for row in block.rows])
    return out


def both_walks(body_xml: str) -> tuple[list[object], list[object]]:
    body = etree.fromstring(f"<w:body {NSDECL}>{body_xml}</w:body>".encode())
    assert body.tag == _BODY
    deadline = Deadline.after(30)
    return shape(_Walker(deadline, fast=True).blocks(body)), shape(_Walker(deadline, fast=False).blocks(body))


TABLE_BODIES = {
    "notice layout with vMerge and gridSpan": form_table(),
    "agenda as paragraphs of one cell": form_table_flat(),
    "gridBefore and gridAfter": tbl(
        tr(tc("党组织名称"), tc("甲支部"), tc("人数"), tc("25"), after=1),
        tr(tc("议程", vmerge="restart"), tc("1. 学习", span=3), before=1),
        tr(tc("", vmerge="continue"), tc("2. 参观", span=3), before=1),
        cols=5,
    ),
    "tabs, breaks and a no-break hyphen in runs": tbl(
        tr(
            tc("议程"),
            tc('<w:p><w:r><w:t>1. 学习</w:t><w:br/><w:t>2. 参观</w:t><w:tab/><w:t>0512</w:t>'
               "<w:noBreakHyphen/><w:t>65221234</w:t></w:r></w:p>"),
        ),
        cols=2,
    ),
    "a row and a cell wrapped in content controls": tbl(
        f"<w:sdt><w:sdtPr/><w:sdtContent>{tr(tc('联系人'), tc('王芳'))}</w:sdtContent></w:sdt>",
        tr(tc("联系方式"), f"<w:customXml w:element='x'>{tc('0512-65221234')}</w:customXml>"),
        cols=2,
    ),
    "empty cells and empty paragraphs": tbl(
        tr(tc(""), tc("<w:p/><w:p/>")), tr(tc("简介"), tc(p("") + p("甲"))), cols=2
    ),
}


@pytest.mark.parametrize("body", TABLE_BODIES.values(), ids=TABLE_BODIES.keys())
def test_one_pass_table_reader_gives_the_general_readers_grid(body: str) -> None:
    fast, general = both_walks(p("标题") + body)
    assert fast == general


def test_a_tracked_change_of_cell_properties_never_lends_its_old_span_to_the_cell() -> None:
    old_span = (
        '<w:tc><w:tcPr><w:tcW w:w="2000" w:type="dxa"/><w:tcPrChange w:id="9" w:author="a">'
        '<w:tcPr><w:gridSpan w:val="3"/><w:vMerge w:val="restart"/></w:tcPr></w:tcPrChange></w:tcPr>'
        f"{p('苏州市姑苏区离退休干部第一党支部')}</w:tc>"
    )
    body = form_table().replace(tc(str(FILLED["党组织名称"])), old_span, 1)
    assert "tcPrChange" in body
    fast, general = both_walks(body)
    assert fast == general
    form = parse(docx_from_body(body), "情况表.docx", REF).forms[0]
    assert form.org_name == FILLED["党组织名称"]
    assert form.headcount == 25


def test_small_member_read_in_one_call_matches_zipfile() -> None:
    data = form_xlsx()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            assert read_member(zf, info.filename) == zf.read(info.filename)
    stored = io.BytesIO()
    with zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("word/document.xml", "<x>苏州</x>")
    with zipfile.ZipFile(stored) as zf:
        assert read_member(zf, "word/document.xml") == "<x>苏州</x>".encode()


def _corrupt_member(data: bytes, member: str, how: str) -> bytes:
    buf = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(member)
    name_len, extra_len = struct.unpack_from("<HH", buf, info.header_offset + 26)
    start = info.header_offset + 30 + name_len + extra_len
    if how == "flip a byte":
        buf[start + info.compress_size // 2] ^= 0x55
    else:  # cut the deflate stream short: shrink its declared compressed size in the central directory
        central = buf.find(b"PK\x01\x02")
        while central != -1:
            n = struct.unpack_from("<H", buf, central + 28)[0]
            if bytes(buf[central + 46 : central + 46 + n]) == member.encode():
                struct.pack_into("<I", buf, central + 20, info.compress_size // 2)
                break
            central = buf.find(b"PK\x01\x02", central + 4)
    return bytes(buf)


@pytest.mark.parametrize("how", ["flip a byte", "cut the stream short"])
def test_damaged_document_part_is_corrupt_never_a_wrong_form(how: str) -> None:
    data = _corrupt_member(docx_from_body(form_table()), "word/document.xml", how)
    result = parse(data, "情况表.docx", REF)
    assert result.forms == ()
    assert result.failure is not None and result.failure.kind is FailureKind.CORRUPT
