"""Parts bigger than WHOLE_PART_BYTES are streamed, and a streamed part reads exactly as the same part read whole."""

from __future__ import annotations

import io
import random
import zipfile
from datetime import date

from parsers import parse
from parsers.limits import MAX_LIVE_NODES, MAX_RATIO, WHOLE_PART_BYTES
from tests.parsers.builders import (
    docx_from_body,
    docx_with_body_bytes,
    form_table,
    p,
    rewrite_zip,
    tc,
    tr,
    xlsx_with_sheet_rows,
)
from tests.parsers.test_real_world import wps_xlsx

REF = date(2026, 6, 1)


def padding(megabytes: float, seed: int) -> bytes:
    """XML comments of random hex: nothing a reader keeps, and compressing only about 2:1 (no ratio cap)."""
    rng = random.Random(seed)
    return b"".join(b"<!--" + rng.randbytes(32 * 1024).hex().encode() + b"-->" for _ in range(int(megabytes * 16)))


def body_of(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        document = zf.read("word/document.xml")
    return document.split(b"<w:body>", 1)[1].rsplit(b"<w:sectPr", 1)[0]


def declared_size(data: bytes, member: str) -> tuple[int, int]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(member)
    return info.file_size, info.compress_size


def test_streamed_docx_reads_the_form_exactly_as_the_small_one() -> None:
    small = docx_from_body(p("“助力火红年代”主题党日活动情况表") + form_table())
    body = body_of(small)
    big = docx_with_body_bytes([padding(3, 1), body, padding(3, 2)])
    size, compressed = declared_size(big, "word/document.xml")
    assert size > WHOLE_PART_BYTES and size < MAX_RATIO * compressed
    assert parse(big, "情况表.docx", REF) == parse(small, "情况表.docx", REF)
    assert parse(big, "情况表.docx", REF).forms[0].contact_person == "王芳"


def test_deleted_text_after_megabytes_of_plain_document_is_still_left_out() -> None:
    """The careful walk (deletions, text boxes) is switched on where the streamed document first needs it."""
    deleted = '<w:p><w:r><w:t>王芳</w:t></w:r><w:del w:id="1" w:author="x"><w:r><w:t>李四</w:t></w:r></w:del></w:p>'
    table = form_table().replace(p("王芳"), deleted)
    assert table.count("<w:t>李四") == 1
    big = docx_with_body_bytes([padding(5, 3), body_of(docx_from_body(table))])
    form = parse(big, "情况表.docx", REF).forms[0]
    assert form.contact_person == "王芳"


def test_streamed_docx_with_many_forms_gives_every_form_in_order() -> None:
    names = [f"姑苏区第{n}党支部" for n in range(1, 41)]
    forms = b"".join(
        body_of(docx_from_body(form_table({"党组织名称": name, "人数": "25人", "议程": ["学习"], "简介": "5月8日学习",
                                             "联系人": "王芳", "联系方式": "13812345678"})))
        + padding(0.2, n)
        for n, name in enumerate(names)
    )
    big = docx_with_body_bytes(forms)
    assert declared_size(big, "word/document.xml")[0] > WHOLE_PART_BYTES
    assert [f.org_name for f in parse(big, "情况表.docx", REF).forms] == names


def test_streamed_sheet_reads_the_form_exactly_as_the_small_one() -> None:
    small = xlsx_with_sheet_rows(b"")
    big = xlsx_with_sheet_rows(padding(3, 4), before_rows=padding(3, 5))
    assert declared_size(big, "xl/worksheets/sheet1.xml")[0] > WHOLE_PART_BYTES
    assert parse(big, "情况表.xlsx", REF) == parse(small, "情况表.xlsx", REF)
    assert parse(big, "情况表.xlsx", REF).forms[0].contact_person == "李强"


def test_streamed_shared_strings_read_as_the_small_ones() -> None:
    small = wps_xlsx()
    with zipfile.ZipFile(io.BytesIO(small)) as zf:
        strings = zf.read("xl/sharedStrings.xml")
    head, rest = strings.split(b"<si>", 1)
    big = rewrite_zip(small, {"xl/sharedStrings.xml": head + padding(5, 6) + b"<si>" + rest})
    assert declared_size(big, "xl/sharedStrings.xml")[0] > WHOLE_PART_BYTES
    assert parse(big, "情况表.xlsx", REF) == parse(small, "情况表.xlsx", REF)


def test_one_table_of_more_nodes_than_the_live_cap_is_too_large_while_it_streams() -> None:
    rows = "".join(tr(tc("序号"), tc(str(n))) for n in range(20_000)).encode()
    big = docx_with_body_bytes([b"<w:tbl>", rows, b"</w:tbl>"])
    size, compressed = declared_size(big, "word/document.xml")
    assert size > WHOLE_PART_BYTES and size < MAX_RATIO * compressed
    result = parse(big, "情况表.docx", REF)
    assert result.failure is not None and result.failure.kind.value == "too_large"
    assert f"more than {MAX_LIVE_NODES} XML nodes in one element" in result.failure.detail
