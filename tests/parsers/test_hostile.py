"""Hostile files: zip bombs (declared and lying sizes), XML entities, macros, and the per-parse time limit."""

from __future__ import annotations

import io
import itertools
import json
import random
import struct
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from parsers import FailureKind, parse
from parsers.limits import MAX_INPUT_BYTES, MAX_RATIO
from parsers.model import ParseResult
from tests.parsers.builders import (
    FILLED,
    docx_from_body,
    docx_with_body_bytes,
    form_table,
    form_xlsx,
    rewrite_zip,
    xlsx_with_sheet_rows,
)

REF = date(2026, 6, 1)
REPO = Path(__file__).resolve().parents[2]


def bomb_docx(path: Path, inflated_mb: int) -> None:
    """A real .docx whose document.xml inflates to `inflated_mb` MB of XML padding (about 1000:1)."""
    template = docx_from_body(form_table())
    with zipfile.ZipFile(io.BytesIO(template)) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                dst.writestr(info.filename, src.read(info.filename))
        document = src.read("word/document.xml")
        head, tail = document.split(b"<w:body>")
        with dst.open("word/document.xml", "w", force_zip64=True) as fh:
            fh.write(head + b"<w:body>")
            block = b" " * (1024 * 1024)
            for _ in range(inflated_mb):
                fh.write(block)
            fh.write(tail)


def lie_about_size(data: bytes, member: str, declared: int) -> bytes:
    """Patch a member's uncompressed size in both its local header and the central directory."""
    buf = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(member)
    struct.pack_into("<I", buf, info.header_offset + 22, declared)
    name = member.encode()
    central = buf.find(b"PK\x01\x02")
    while central != -1:
        name_len = struct.unpack_from("<H", buf, central + 28)[0]
        if bytes(buf[central + 46 : central + 46 + name_len]) == name:
            struct.pack_into("<I", buf, central + 24, declared)
            break
        central = buf.find(b"PK\x01\x02", central + 4)
    return bytes(buf)


def parse_in_child(path: Path) -> dict[str, object]:
    """Parse a file in a fresh interpreter and report the failure kind, the detected format and the peak resident
    memory in MB."""
    code = (
        "import json, re, sys\n"
        "from parsers import parse\n"
        "r = parse(open(sys.argv[1], 'rb').read(), sys.argv[1])\n"
        # VmHWM is this process image's own peak; ru_maxrss would carry the forking pytest's peak over exec.
        "status = open('/proc/self/status').read()\n"
        "peak = int(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1)) / 1024\n"
        "print(json.dumps({'kind': r.failure.kind.value if r.failure else None, 'peak_mb': peak,"
        " 'format': r.detected_format, 'detail': r.failure.detail if r.failure else ''}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(path)], cwd=REPO, capture_output=True, text=True, check=True, timeout=120
    )
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_zip_bomb_is_too_large_with_peak_memory_under_200_mb(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    bomb_docx(path, 400)
    assert path.stat().st_size < 2 * 1024 * 1024
    outcome = parse_in_child(path)
    assert outcome["kind"] == "too_large", outcome
    assert outcome["format"] == "docx", outcome
    assert float(outcome["peak_mb"]) < 200, outcome  # type: ignore[arg-type]


def tiny_elements_docx(path: Path) -> None:
    """A docx just under the input cap whose document.xml is stored (not compressed) and holds nothing but about
    6.5 million empty paragraphs: no ratio or size cap catches it, and a whole lxml tree of it took 1.6 GB."""
    unit = b"<w:p/>"
    count = (MAX_INPUT_BYTES - 1024 * 1024) // len(unit)
    path.write_bytes(docx_with_body_bytes((unit * 100_000 for _ in range(count // 100_000)), stored=True))


def million_rows_xlsx(path: Path) -> None:
    """A 7 MB workbook whose sheet holds a million numbered rows (about 54 MB of XML, ratio 7): read whole it took
    1.1 GB before the cell cap refused it."""
    rows = (
        b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (r, r, r) for r in range(start, start + 10_000))
        for start in range(10, 1_000_010, 10_000)
    )
    path.write_bytes(xlsx_with_sheet_rows(rows))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("builder", "name", "fmt"), [(tiny_elements_docx, "tiny.docx", "docx"), (million_rows_xlsx, "rows.xlsx", "xlsx")]
)
def test_file_of_millions_of_tiny_elements_is_too_large_with_peak_memory_under_300_mb(
    tmp_path: Path, builder: Callable[[Path], None], name: str, fmt: str
) -> None:
    path = tmp_path / name
    builder(path)
    assert path.stat().st_size < MAX_INPUT_BYTES
    outcome = parse_in_child(path)
    assert outcome["kind"] == "too_large", outcome
    assert outcome["format"] == fmt, outcome
    assert float(outcome["peak_mb"]) < 300, outcome  # type: ignore[arg-type]


def test_member_inflating_past_its_declared_size_is_too_large_before_it_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "big.docx"
    bomb_docx(path, 3)
    lying = lie_about_size(path.read_bytes(), "word/document.xml", 50_000)
    path.write_bytes(lying)
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("word/document.xml").file_size == 50_000
    outcome = parse_in_child(path)
    assert outcome["kind"] == "too_large", outcome
    assert "declared size" in str(outcome["detail"])


def padded_lying_workbook() -> bytes:
    """A workbook whose sheet XML inflates to 3 MB while its headers say 1000 bytes."""
    data = form_xlsx()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml")
    bloated = sheet.replace(b"<sheetData>", b" " * 3_000_000 + b"<sheetData>")
    padded = rewrite_zip(data, {"xl/worksheets/sheet1.xml": bloated})
    return lie_about_size(padded, "xl/worksheets/sheet1.xml", 1000)


def test_lying_sizes_in_a_workbook_are_too_large() -> None:
    result = parse(padded_lying_workbook(), "情况表.xlsx", REF)
    assert result.failure is not None and result.failure.kind is FailureKind.TOO_LARGE


def test_openpyxl_fallback_checks_every_member_before_openpyxl_reads_it() -> None:
    from parsers.excel import read_xlsx
    from parsers.limits import Deadline, LimitExceeded

    with pytest.raises(LimitExceeded):
        read_xlsx(padded_lying_workbook(), Deadline.after(30))


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
    b'<!ENTITY x SYSTEM "file:///etc/passwd">]>'
)


def test_xml_entities_in_a_docx_are_refused_never_expanded_or_resolved() -> None:
    data = docx_from_body(form_table())
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        document = zf.read("word/document.xml")
    body = document.split(b"?>", 1)[1].replace("王芳".encode(), b"&d;&x;")
    result = parse(rewrite_zip(data, {"word/document.xml": LAUGHS + body}), "情况表.docx", REF)
    assert result.failure is not None
    assert result.failure.kind is FailureKind.CORRUPT
    assert "DTD" in result.failure.detail
    assert "root:" not in result.failure.detail


def test_xml_entities_in_a_workbook_are_refused() -> None:
    data = form_xlsx()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        strings = zf.read("xl/worksheets/sheet1.xml")
    if strings.startswith(b"<?xml"):
        strings = strings.split(b"?>", 1)[1]
    hostile = LAUGHS.replace(b"w:document", b"worksheet") + strings.replace(b"</worksheet>", b"&d;&x;</worksheet>")
    result = parse(rewrite_zip(data, {"xl/worksheets/sheet1.xml": hostile}), "情况表.xlsx", REF)
    assert result.failure is not None
    assert result.failure.kind is FailureKind.CORRUPT
    assert "DTD" in result.failure.detail
    assert not result.forms


def test_openpyxl_itself_refuses_entities_through_defusedxml() -> None:
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True


def test_macro_enabled_document_is_read_without_running_its_macros() -> None:
    data = docx_from_body(form_table())
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        types = zf.read("[Content_Types].xml")
    types = types.replace(
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        b"application/vnd.ms-word.document.macroEnabled.main+xml",
    )
    docm = rewrite_zip(data, {"[Content_Types].xml": types}, add={"word/vbaProject.bin": b"Sub AutoOpen(): End Sub"})
    result = parse(docm, "情况表.docm", REF)
    assert result.detected_format == "docm"
    assert result.forms[0].contact_person == "王芳"


def big_docx() -> bytes:
    names = (f"苏州市姑苏区离退休干部第{n}党支部" for n in range(300))
    return docx_from_body("".join(form_table(dict(FILLED, 党组织名称=name)) for name in names))


def test_parse_past_its_time_limit_is_too_large() -> None:
    data = big_docx()
    assert len(parse(data, "多表.docx", REF).forms) == 300
    result = parse(data, "多表.docx", REF, timeout=0.0)
    assert result.failure is not None
    assert result.failure.kind is FailureKind.TOO_LARGE
    assert "time limit" in result.failure.detail


def test_time_limit_works_when_parse_runs_in_a_worker_thread() -> None:
    data = big_docx()
    results: list[ParseResult] = []
    worker = threading.Thread(target=lambda: results.append(parse(data, "多表.docx", REF, timeout=0.0)))
    worker.start()
    worker.join(60)
    assert results and results[0].failure is not None
    assert results[0].failure.kind is FailureKind.TOO_LARGE


def test_oversized_attachment_is_refused_before_reading() -> None:
    result = parse(b"PK\x03\x04" + b"\x00" * (41 * 1024 * 1024), "巨大.docx", REF)
    assert result.failure is not None and result.failure.kind is FailureKind.TOO_LARGE


# Every hostile package is too_large or corrupt (never unsupported_format), and says what it is --------------------


def ratio_docx() -> bytes:
    """A docx whose 3 MB document.xml compresses about 284:1: empty paragraphs with a digit now and then."""
    rng = random.Random(284)
    pieces, size = [], 0
    while size < 3_000_000:
        piece = b"<w:p/>" * 210 + b"%d" % rng.randrange(10)
        pieces.append(piece)
        size += len(piece)
    return docx_with_body_bytes(b"".join(pieces))


def billion_laughs_docx() -> bytes:
    names = ["lol", *(f"lol{n}" for n in range(1, 10))]
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY {name} "{f"&{below};" * 10}">' for below, name in itertools.pairwise(names)
    )
    data = docx_from_body(form_table())
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        document = zf.read("word/document.xml").split(b"?>", 1)[1]
    laughs = f'<?xml version="1.0"?><!DOCTYPE w:document [{entities}]>'.encode()
    return rewrite_zip(data, {"word/document.xml": laughs + document.replace("王芳".encode(), b"&lol9;")})


def dtd_docx() -> bytes:
    data = docx_from_body(form_table())
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        document = zf.read("word/document.xml").split(b"?>", 1)[1]
    dtd = b'<?xml version="1.0"?><!DOCTYPE w:document SYSTEM "http://example.com/x.dtd">'
    return rewrite_zip(data, {"word/document.xml": dtd + document})


def wide_sheet_xlsx() -> bytes:
    """310,000 filled cells in one sheet, past the 300,000-cell cap."""
    letters = [chr(65 + c) for c in range(10)]
    rows = b"".join(
        b"<row r=\"%d\">" % r + b"".join(b'<c r="%s%d"><v>%d</v></c>' % (col.encode(), r, r) for col in letters)
        + b"</row>"
        for r in range(10, 31_010)
    )
    return xlsx_with_sheet_rows(rows)


def plain_zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("a.txt", "w", force_zip64=True) as fh:
        for _ in range(100):
            fh.write(b"\0" * 1024 * 1024)
    return out.getvalue()


HOSTILE = [
    ("zip bomb", lambda: plain_zip_bomb(), "bomb.zip", FailureKind.TOO_LARGE, "zip"),
    ("docx with a DTD", dtd_docx, "情况表.docx", FailureKind.CORRUPT, "docx"),
    ("part with compression ratio 284", ratio_docx, "情况表.docx", FailureKind.TOO_LARGE, "docx"),
    ("sheet of more than 300k cells", wide_sheet_xlsx, "情况表.xlsx", FailureKind.TOO_LARGE, "xlsx"),
    ("billion laughs docx", billion_laughs_docx, "情况表.docx", FailureKind.CORRUPT, "docx"),
    ("workbook lying about its sizes", lambda: padded_lying_workbook(), "情况表.xlsx", FailureKind.TOO_LARGE, "xlsx"),
]


@pytest.mark.parametrize(("build", "name", "kind", "fmt"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_hostile_package_is_too_large_or_corrupt_and_names_its_format(
    build: Callable[[], bytes], name: str, kind: FailureKind, fmt: str
) -> None:
    result = parse(build(), name, REF)
    assert result.failure is not None and result.failure.kind is kind, result.failure
    assert result.detected_format == fmt
    assert not result.forms


def test_ratio_docx_really_has_a_ratio_near_284() -> None:
    with zipfile.ZipFile(io.BytesIO(ratio_docx())) as zf:
        info = zf.getinfo("word/document.xml")
    ratio = info.file_size / info.compress_size
    assert MAX_RATIO < 250 < ratio < 320
