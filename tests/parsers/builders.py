"""Build real .docx and .xlsx files for the parser tests (python-docx, openpyxl) and convert them with LibreOffice."""

from __future__ import annotations

import io
import subprocess
import tempfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import docx
import openpyxl
from docx.oxml import parse_xml

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NSDECL = (
    f'xmlns:w="{W_NS}" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:v="urn:schemas-microsoft-com:vml" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
)

FILLED = {
    "党组织名称": "苏州市姑苏区离退休干部第一党支部",
    "人数": "25人",
    "议程": ["1. 重温入党誓词", "2. 观看红色电影"],
    "简介": "4月28日上午，支部组织老党员开展主题党日活动。",
    "联系人": "王芳",
    "联系方式": "0512-65221234",
}


def docx_bytes(document: docx.document.Document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_from_body(body_xml: str) -> bytes:
    """A .docx made by python-docx whose body is the given WordprocessingML (w: prefix, no namespace decls)."""
    document = docx.Document()
    body = document.element.body
    sect = body[-1]
    for child in list(body):
        if child is not sect:
            body.remove(child)
    wrapper = parse_xml(f"<w:body {NSDECL}>{body_xml}<w:p/></w:body>")
    for child in list(wrapper):
        sect.addprevious(child)
    return docx_bytes(document)


def p(text: str) -> str:
    return f'<w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


def tc(content: str, span: int = 1, vmerge: str | None = None) -> str:
    props = f'<w:tcW w:w="{2000 * span}" w:type="dxa"/>'
    if span > 1:
        props += f'<w:gridSpan w:val="{span}"/>'
    if vmerge == "restart":
        props += '<w:vMerge w:val="restart"/>'
    elif vmerge == "continue":
        props += "<w:vMerge/>"
    inner = content if content.startswith("<") else p(content)
    return f"<w:tc><w:tcPr>{props}</w:tcPr>{inner or '<w:p/>'}</w:tc>"


def tr(*cells: str, before: int = 0, after: int = 0) -> str:
    props = ""
    if before:
        props += f'<w:gridBefore w:val="{before}"/>'
    if after:
        props += f'<w:gridAfter w:val="{after}"/>'
    return f"<w:tr><w:trPr>{props}</w:trPr>{''.join(cells)}</w:tr>"


def tbl(*rows: str, cols: int = 4) -> str:
    grid = "".join('<w:gridCol w:w="2000"/>' for _ in range(cols))
    width = f'<w:tblW w:w="{2000 * cols}" w:type="dxa"/>'
    return f"<w:tbl><w:tblPr>{width}</w:tblPr><w:tblGrid>{grid}</w:tblGrid>{''.join(rows)}</w:tbl>"


def form_table(values: Mapping[str, object] | None = None, labels: dict[str, str] | None = None) -> str:
    """The notice's layout: 名称|x|人数|x, 议程 spanning rows (vMerge), 简介, 联系人|x|联系方式|x."""
    v = dict(FILLED if values is None else values)
    lab = {k: k for k in FILLED} | (labels or {})
    agenda = list(v.get("议程", []))  # type: ignore[call-overload]
    agenda += [""] * (4 - len(agenda))
    rows = [tr(tc(lab["党组织名称"]), tc(str(v.get("党组织名称", ""))), tc(lab["人数"]), tc(str(v.get("人数", ""))))]
    for i, item in enumerate(agenda):
        rows.append(tr(tc(lab["议程"] if i == 0 else "", vmerge="restart" if i == 0 else "continue"), tc(item, span=3)))
    rows.append(tr(tc(lab["简介"]), tc(str(v.get("简介", "")), span=3)))
    rows.append(
        tr(tc(lab["联系人"]), tc(str(v.get("联系人", ""))), tc(lab["联系方式"]), tc(str(v.get("联系方式", ""))))
    )
    return tbl(*rows)


def form_docx_high_level(values: dict[str, object] | None = None) -> bytes:
    """The form built with python-docx's public API: merged cells through cell.merge()."""
    v = dict(FILLED if values is None else values)
    document = docx.Document()
    document.add_paragraph("“助力火红年代”主题党日活动情况表")
    table = document.add_table(rows=7, cols=4)
    row = table.rows[0].cells
    row[0].text, row[1].text, row[2].text, row[3].text = "党组织名称", str(v["党组织名称"]), "人  数", str(v["人数"])
    agenda_label = table.cell(1, 0).merge(table.cell(4, 0))
    agenda_label.text = "议  程"
    agenda = list(v["议程"])  # type: ignore[call-overload]
    for i in range(4):
        merged = table.cell(1 + i, 1).merge(table.cell(1 + i, 3))
        merged.text = agenda[i] if i < len(agenda) else ""
    table.cell(5, 0).text = "简  介"
    table.cell(5, 1).merge(table.cell(5, 3)).text = str(v["简介"])
    row = table.rows[6].cells
    row[0].text, row[1].text, row[2].text, row[3].text = "联系人", str(v["联系人"]), "联系方式", str(v["联系方式"])
    document.add_paragraph("注：请在主题党日活动开展后一周内报送。联系人：施友成、刘杰，联系电话：65158951")
    return docx_bytes(document)


def xlsx_bytes(workbook: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def form_xlsx(values: Sequence[tuple[str, object]] | None = None, sheet_title: str = "情况表") -> bytes:
    """The form as a worksheet: labels in column A, values in B..D merged, 议程 label merged over four rows."""
    workbook = openpyxl.Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = sheet_title
    ws["A1"] = "“助力火红年代”主题党日活动情况表"
    ws.merge_cells("A1:D1")
    ws["A2"], ws["B2"], ws["C2"], ws["D2"] = "党组织名称", "苏州市吴中区老干部党支部", "人数", 25.0
    ws["A3"] = "议程"
    ws.merge_cells("A3:A6")
    for i, item in enumerate(["1. 学习讲话精神", "2. 参观红色教育基地"]):
        ws.cell(row=3 + i, column=2, value=item)
        ws.merge_cells(start_row=3 + i, start_column=2, end_row=3 + i, end_column=4)
    ws["A7"], ws["B7"] = "简介", "5月12日下午，支部在活动室集中学习。"
    ws.merge_cells("B7:D7")
    ws["A8"], ws["B8"], ws["C8"], ws["D8"] = "联系人", "李强", "联系电话", 13913571234
    if values:
        for ref, value in values:
            ws[ref] = value
    return xlsx_bytes(workbook)


def rewrite_zip(data: bytes, replace: dict[str, bytes], add: dict[str, bytes] | None = None) -> bytes:
    """A copy of a zip package with some members' bytes replaced (or added)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
        for name, content in (add or {}).items():
            dst.writestr(name, content)
    return out.getvalue()


def soffice_convert(soffice: str, data: bytes, suffix: str, target: str, profile: Path) -> bytes:
    """Convert a file with LibreOffice in a test-only profile (test setup); fails loudly if nothing came out."""
    with tempfile.TemporaryDirectory() as work:
        src = Path(work) / f"input{suffix}"
        src.write_bytes(data)
        subprocess.run(
            [soffice, "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
             "--convert-to", target, "--outdir", work, str(src)],
            check=True, capture_output=True, timeout=120, cwd=work,
        )
        ext = target.split(":")[0]
        out = Path(work) / f"input.{ext}"
        assert out.is_file(), f"LibreOffice did not convert {suffix} to {target}"
        return out.read_bytes()


def form_table_flat() -> str:
    """The form without vertical merges: the agenda's items are paragraphs of one cell."""
    v = FILLED
    agenda = "".join(p(item) for item in v["议程"])
    return tbl(
        tr(tc("党组织名称"), tc(str(v["党组织名称"])), tc("人数"), tc(str(v["人数"]))),
        tr(tc("议程"), tc(agenda, span=3)),
        tr(tc("简介"), tc(str(v["简介"]), span=3)),
        tr(tc("联系人"), tc(str(v["联系人"])), tc("联系方式"), tc(str(v["联系方式"]))),
    )


def docx_with_body_bytes(body: bytes | Iterable[bytes], stored: bool = False) -> bytes:
    """A real .docx (python-docx's template) whose document.xml body is the given raw bytes, written in pieces so
    that tens of MB need no second copy; stored (no compression) or deflated."""
    template = docx_from_body("")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(template)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                dst.writestr(info.filename, src.read(info.filename))
        head, tail = src.read("word/document.xml").split(b"<w:body>")
        method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        member = zipfile.ZipInfo("word/document.xml")
        member.compress_type = method
        with dst.open(member, "w", force_zip64=True) as fh:
            fh.write(head + b"<w:body>")
            for piece in [body] if isinstance(body, bytes) else body:
                fh.write(piece)
            fh.write(tail)
    return out.getvalue()


def xlsx_with_sheet_rows(rows: bytes | Iterable[bytes], before_rows: bytes = b"") -> bytes:
    """form_xlsx() with raw <row> (or other) XML appended inside its sheetData, and before_rows put first in it."""
    data = form_xlsx()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info.filename, src.read(info.filename))
        head, tail = src.read("xl/worksheets/sheet1.xml").split(b"</sheetData>")
        start, first_rows = head.split(b"<sheetData>")
        with dst.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(start + b"<sheetData>" + before_rows + first_rows)
            for piece in [rows] if isinstance(rows, bytes) else rows:
                fh.write(piece)
            fh.write(b"</sheetData>" + tail)
    return out.getvalue()


def xlsx_from_rows(rows: Sequence[Sequence[object]], merges: Sequence[str] = (), title: str = "情况表") -> bytes:
    """A one-sheet workbook holding the rows from A1 down, with the given ranges merged (openpyxl)."""
    workbook = openpyxl.Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = title
    for row in rows:
        ws.append(list(row))
    for ref in merges:
        ws.merge_cells(ref)
    return xlsx_bytes(workbook)


def docx_from_lines(lines: Sequence[str]) -> bytes:
    """A .docx of plain paragraphs, one a line (the form typed as text, no table)."""
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    return docx_bytes(document)


def flat_opc(package: bytes, progid: str = "Word.Document") -> bytes:
    """An office package as Flat OPC XML, the way Java OA systems export Word from Freemarker templates: every part
    inline in a pkg:package, XML parts as pkg:xmlData, the others base64 in pkg:binaryData."""
    import base64

    from lxml import etree

    types: dict[str, str] = {}
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        root = etree.fromstring(zf.read("[Content_Types].xml"))
        defaults = {el.get("Extension"): el.get("ContentType") for el in root if el.tag.endswith("Default")}
        overrides = {el.get("PartName"): el.get("ContentType") for el in root if el.tag.endswith("Override")}
        parts: list[str] = []
        for info in zf.infolist():
            if info.filename == "[Content_Types].xml":
                continue
            name = "/" + info.filename
            types[name] = overrides.get(name) or defaults.get(name.rsplit(".", 1)[-1], "application/octet-stream")
            body = zf.read(info.filename)
            if info.filename.endswith((".xml", ".rels")):
                xml = body.split(b"?>", 1)[1] if body.startswith(b"<?xml") else body
                data = f"<pkg:xmlData>{xml.decode('utf-8')}</pkg:xmlData>"
            else:
                data = f"<pkg:binaryData>{base64.encodebytes(body).decode('ascii')}</pkg:binaryData>"
            parts.append(f'<pkg:part pkg:name="{name}" pkg:contentType="{types[name]}">{data}</pkg:part>')
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<?mso-application progid="{progid}"?>\n'
        '<pkg:package xmlns:pkg="http://schemas.microsoft.com/office/2006/xmlPackage">'
        + "".join(parts)
        + "</pkg:package>"
    ).encode("utf-8")
