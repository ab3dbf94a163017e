"""Build PDFs and pictures of the form for the parser tests: the bureau's template filled and exported by LibreOffice,
the same form drawn by reportlab (a second PDF producer, borders as thin filled boxes as Word draws them), pages
rendered to PNG (pypdfium2), phone-style photos (Pillow) and an activity photo that is no form."""

from __future__ import annotations

import io
import random
from collections.abc import Mapping
from pathlib import Path

import docx
import pypdfium2
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from tests.parsers.builders import FILLED, docx_bytes

SEED = Path(__file__).resolve().parents[2] / "samples" / "seed"
CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"

LONG_SUMMARY = (
    "4月28日上午，支部组织二十五名老党员走进苏州革命博物馆，重温入党誓词，观看红色电影《永不消逝的电波》，"
    "并围绕“助力火红年代”开展座谈交流，大家纷纷表示要发挥余热、传承红色基因。"
)
PDF_VALUES: dict[str, object] = {**FILLED, "简介": LONG_SUMMARY}
"""The form's values with a summary long enough to wrap over several lines of a PDF."""


def seed_form_docx(values: Mapping[str, object] = PDF_VALUES) -> bytes:
    """samples/seed/form-blank.docx with the values typed into its table (python-docx)."""
    document = docx.Document(str(SEED / "form-blank.docx"))
    table = document.tables[0]
    agenda = list(values["议程"])  # type: ignore[call-overload]
    table.cell(0, 1).text = str(values["党组织名称"])
    table.cell(0, 3).text = str(values["人数"])
    for row in range(4):
        table.cell(1 + row, 1).text = agenda[row] if row < len(agenda) else ""
    table.cell(5, 1).text = str(values["简介"])
    table.cell(6, 1).text = str(values["联系人"])
    table.cell(6, 3).text = str(values["联系方式"])
    return docx_bytes(document)


def reportlab_form_pdf(values: Mapping[str, object] = PDF_VALUES, encrypt: object = None) -> bytes:
    """The form drawn with reportlab: Adobe's STSong-Light CID font (no font file), borders as 0.6 pt filled boxes,
    the 议程 label alone in a cell merged over four rows, the summary wrapped to its cell."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4, encrypt=encrypt)
    width, height = A4
    page.setFont("STSong-Light", 16)
    page.drawCentredString(width / 2, height - 80, "“助力火红年代”主题党日活动情况表")
    cols = [70.0, 160.0, 350.0, 410.0, 525.0]
    heights = [30, 24, 24, 24, 24, 110, 30]
    tops = [height - 110.0]
    for h in heights:
        tops.append(tops[-1] - h)
    _borders(page, cols, tops)
    page.setFont("STSong-Light", 11)
    agenda = list(values["议程"])  # type: ignore[call-overload]
    cells: list[tuple[int, int, str]] = [
        (0, 0, "党组织名称"), (0, 1, str(values["党组织名称"])), (0, 2, "人  数"), (0, 3, str(values["人数"])),
        (5, 0, "简  介"), (5, 1, str(values["简介"])), (6, 0, "联系人"), (6, 1, str(values["联系人"])),
        (6, 2, "联系方式"), (6, 3, str(values["联系方式"])),
    ]
    cells += [(1 + i, 1, item) for i, item in enumerate(agenda)]
    for row, col, text in cells:
        right = cols[-1] if (col == 1 and 1 <= row <= 5) else cols[col + 1]
        _text(page, text, cols[col] + 6, right - 6, tops[row] - 17)
    page.drawString(cols[0] + 6, (tops[1] + tops[5]) / 2 - 4, "议  程")
    page.setFont("STSong-Light", 9)
    page.drawString(cols[0], tops[-1] - 20, "注：请在主题党日活动开展后一周内，报送市委老干部局组织指导处。")
    page.showPage()
    page.save()
    return out.getvalue()


def _borders(page: canvas.Canvas, cols: list[float], tops: list[float]) -> None:
    """Cell borders as thin filled rectangles; no rule between the 议程 rows in the label column, none between the
    value columns of the 议程 and 简介 rows (merged cells)."""
    thick = 0.6
    left, right = cols[0], cols[-1]
    for i, y in enumerate(tops):
        if 2 <= i <= 4:  # inside the 议程 label's merge: rules only under the items' cells
            page.rect(cols[1], y - thick / 2, right - cols[1], thick, stroke=0, fill=1)
        else:
            page.rect(left, y - thick / 2, right - left, thick, stroke=0, fill=1)
    for x in (cols[0], cols[1], cols[-1]):
        page.rect(x - thick / 2, tops[-1], thick, tops[0] - tops[-1], stroke=0, fill=1)
    for x in (cols[2], cols[3]):
        for row in (0, 6):
            page.rect(x - thick / 2, tops[row + 1], thick, tops[row] - tops[row + 1], stroke=0, fill=1)


def _text(page: canvas.Canvas, text: str, x0: float, x1: float, y: float) -> None:
    """Draw text from (x0, y), wrapping at x1 (character by character, as CJK text wraps)."""
    line = ""
    for ch in text:
        if pdfmetrics.stringWidth(line + ch, "STSong-Light", 11) > x1 - x0:
            page.drawString(x0, y, line)
            y -= 15
            line = ""
        line += ch
    if line:
        page.drawString(x0, y, line)


def render_png(pdf: bytes, dpi: int) -> bytes:
    """The PDF's first page as a grey PNG at dpi (pypdfium2)."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=dpi / 72, grayscale=True).to_pil()
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def image_only_pdf(png: bytes, dpi: int) -> bytes:
    """A PDF whose only page is the picture (no text layer): what a scanner's 'scan to PDF' makes."""
    out = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("L").save(out, format="PDF", resolution=float(dpi))
    return out.getvalue()


def phone_photo(png: bytes, angle: float = 3.0, seed: int = 7) -> bytes:
    """The page as a phone photographs it: turned a few degrees on a grey desk, unevenly lit, noisy, a little
    blurred, saved as JPEG."""
    page = Image.open(io.BytesIO(png)).convert("L")
    margin = page.width // 12
    desk = Image.new("L", (page.width + 2 * margin, page.height + 2 * margin), 120)
    desk.paste(page, (margin, margin))
    turned = desk.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=120)
    light = Image.linear_gradient("L").resize(turned.size).point(lambda v: 215 + v // 6)
    lit = Image.composite(turned, light, Image.new("L", turned.size, 200))
    rng = random.Random(seed)
    noise = Image.frombytes("L", lit.size, bytes(rng.randrange(0, 24) for _ in range(lit.width * lit.height)))
    noisy = Image.blend(lit, noise, 0.08).filter(ImageFilter.GaussianBlur(0.8))
    out = io.BytesIO()
    noisy.convert("RGB").save(out, format="JPEG", quality=85)
    return out.getvalue()


def activity_photo() -> bytes:
    """A photo of the activity, not of the form: a banner with the campaign's name, people, a caption naming one or
    two of the form's words (联系人, 人数) that a form would label."""
    image = Image.new("RGB", (1600, 1200), (170, 190, 210))
    draw = ImageDraw.Draw(image)
    draw.rectangle((100, 80, 1500, 260), fill=(190, 20, 30))
    banner = ImageFont.truetype(CJK_FONT, 80)
    draw.text((160, 120), "助力火红年代 主题党日活动", font=banner, fill=(255, 230, 120))
    rng = random.Random(3)
    for n in range(12):
        x = 120 + n * 115
        draw.ellipse((x, 520, x + 80, 600), fill=(rng.randrange(150, 230), 160, 130))
        draw.rectangle((x - 10, 600, x + 90, 900), fill=(rng.randrange(0, 80), 40, 90))
    caption = ImageFont.truetype(CJK_FONT, 40)
    draw.text((120, 1000), "全体党员合影  人数众多  联系人在前排", font=caption, fill=(20, 20, 20))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def raw_pdf(objects: list[bytes], root: int = 1) -> bytes:
    """A PDF written object by object (1-based numbers in list order), with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


def many_pages_pdf(pages: int) -> bytes:
    """A PDF of `pages` empty pages (each its own object)."""
    kids = b" ".join(b"%d 0 R" % (3 + n) for n in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages)]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"] * pages
    return raw_pdf(objects)


def content_bomb_pdf(inflated_mb: int) -> bytes:
    """A one-page PDF whose content stream inflates from about 1/1000 of its size to `inflated_mb` MB."""
    import zlib

    packer = zlib.compressobj(9)
    block = b" " * (1024 * 1024)
    stream = b"".join(packer.compress(block) for _ in range(inflated_mb)) + packer.flush()
    return raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ])


def with_javascript(pdf: bytes, script: bytes = b"app.alert('hi');") -> bytes:
    """The PDF with an incremental update whose catalog runs JavaScript when the file is opened (/OpenAction)."""
    import re

    catalog = re.search(rb"(\d+) 0 obj\s*<<((?:(?!endobj).)*?/Type\s*/Catalog(?:(?!endobj).)*?)>>\s*endobj", pdf, re.S)
    size = re.findall(rb"/Size (\d+)", pdf)
    start = re.findall(rb"startxref\s+(\d+)", pdf)
    assert catalog is not None and size and start
    root, action = int(catalog.group(1)), int(size[-1])
    out = bytearray(pdf)
    at_root = len(out)
    out += b"%d 0 obj\n<<%s /OpenAction %d 0 R >>\nendobj\n" % (root, catalog.group(2), action)
    at_action = len(out)
    out += b"%d 0 obj\n<< /S /JavaScript /JS (%s) >>\nendobj\n" % (action, script)
    xref = len(out)
    out += b"xref\n%d 1\n%010d 00000 n \n%d 1\n%010d 00000 n \n" % (root, at_root, action, at_action)
    out += b"trailer\n<< /Size %d /Root %d 0 R /Prev %s >>\nstartxref\n%d\n%%%%EOF\n" % (
        action + 1, root, start[-1], xref)
    return bytes(out)


def encrypted_form_pdf(user_password: str, owner_password: str = "owner") -> bytes:
    """The reportlab form encrypted by reportlab's standard security handler (an empty user password opens it)."""
    from reportlab.lib.pdfencrypt import StandardEncryption

    return reportlab_form_pdf(encrypt=StandardEncryption(user_password, ownerPassword=owner_password))


def many_words_pdf(words: int) -> bytes:
    """A one-page PDF showing `words` separate one-letter words (Helvetica) in a grid of tiny type."""
    ops = b"".join(
        b"BT /F1 1 Tf %.1f %.1f Td (a) Tj ET\n" % (10 + (n % 120) * 4.5, 10 + (n // 120) * 3.3) for n in range(words)
    )
    return raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(ops) + ops + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ])
