"""Builds the sample attachments byte for byte: filled-in Word and Excel forms, small JPEG photos, a GBK-named zip."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import docx
import openpyxl
from openpyxl.styles import Alignment

SEED = Path(__file__).resolve().parent / "seed"
UTF8_NAME_FLAG = 0x800


@dataclass(frozen=True)
class FormValues:
    """What one branch wrote into its 情况表."""

    org: str
    headcount: str
    agenda: tuple[str, ...]
    summary: str
    contact: str
    phone: str


def _zip_time(when: datetime) -> tuple[int, int, int, int, int, int]:
    return (when.year, when.month, when.day, when.hour, when.minute, when.second)


def _fix_core_dates(xml: bytes, when: datetime) -> bytes:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    for tag in (b"dcterms:created", b"dcterms:modified"):
        xml = re.sub(rb"(<" + tag + rb"[^>]*>)[^<]*(</" + tag + rb">)", rb"\g<1>" + stamp + rb"\g<2>", xml)
    return xml


def normalise_ooxml(data: bytes, when: datetime) -> bytes:
    """Rewrite an OOXML zip with fixed member times and core dates, so the same input gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _fix_core_dates(body, when)
            member = zipfile.ZipInfo(info.filename, date_time=_zip_time(when))
            member.compress_type = zipfile.ZIP_DEFLATED
            member.create_system = 0
            dst.writestr(member, body)
    return out.getvalue()


def word_form(values: FormValues, when: datetime, author: str, seed: str = "form-blank.docx") -> bytes:
    """The notice's Word form (a copy of a seed form, in memory) with one branch's values in its cells."""
    document = docx.Document(io.BytesIO((SEED / seed).read_bytes()))
    table = document.tables[0]
    table.cell(0, 1).text = values.org
    table.cell(0, 3).text = values.headcount
    for row in range(1, 5):
        index = row - 1
        table.cell(row, 1).text = values.agenda[index] if index < len(values.agenda) else ""
    table.cell(5, 1).text = values.summary
    table.cell(6, 1).text = values.contact
    table.cell(6, 3).text = values.phone
    props = document.core_properties
    props.author = author
    props.last_modified_by = author
    props.comments = ""
    props.revision = 3
    props.created = when
    props.modified = when
    buffer = io.BytesIO()
    document.save(buffer)
    return normalise_ooxml(buffer.getvalue(), when)


def excel_form(values: FormValues, when: datetime, author: str) -> bytes:
    """The same form laid out in a worksheet: labels in columns A and C, values beside, 议程 merged down column A."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "情况表"
    wrap = Alignment(wrap_text=True, vertical="center")
    sheet.merge_cells("A1:D1")
    sheet["A1"] = "“助力火红年代”主题党日活动情况表"
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet["A2"], sheet["B2"], sheet["C2"] = "党组织名称", values.org, "人  数"
    sheet["D2"] = int(values.headcount) if values.headcount.isdigit() else values.headcount
    sheet.merge_cells("A3:A6")
    sheet["A3"] = "议  程"
    sheet["A3"].alignment = wrap
    for offset in range(4):
        row = 3 + offset
        sheet.merge_cells(f"B{row}:D{row}")
        sheet[f"B{row}"] = values.agenda[offset] if offset < len(values.agenda) else None
    sheet["A7"] = "简  介"
    sheet.merge_cells("B7:D7")
    sheet["B7"] = values.summary
    sheet["B7"].alignment = wrap
    sheet.row_dimensions[7].height = 90
    sheet["A8"], sheet["B8"], sheet["C8"], sheet["D8"] = "联系人", values.contact, "联系方式", values.phone
    sheet.merge_cells("A10:D10")
    sheet["A10"] = "注：请在主题党日活动开展后一周内，报送市委老干部局组织指导处。"
    for column, width in zip("ABCD", (14, 30, 12, 18), strict=True):
        sheet.column_dimensions[column].width = width
    book.properties.creator = author
    book.properties.lastModifiedBy = author
    book.properties.created = when
    book.properties.modified = when
    buffer = io.BytesIO()
    book.save(buffer)
    return normalise_ooxml(buffer.getvalue(), when)


# --- JPEG: a baseline JFIF whose 8x8 blocks are flat colours (DC coefficients only), valid for any decoder ---

_DC_BITS = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)  # the standard luminance DC table (ITU T.81 K.3)
_DC_VALUES = tuple(range(12))
_AC_BITS = (1,) + (0,) * 15  # one code, "0", for end-of-block: every block has no AC energy
_AC_VALUES = (0x00,)


def _huffman_codes(bits: tuple[int, ...], values: tuple[int, ...]) -> dict[int, tuple[int, int]]:
    codes: dict[int, tuple[int, int]] = {}
    code, index = 0, 0
    for length in range(1, 17):
        for _ in range(bits[length - 1]):
            codes[values[index]] = (code, length)
            code += 1
            index += 1
        code <<= 1
    return codes


class _BitWriter:
    def __init__(self) -> None:
        self.out = bytearray()
        self.acc = 0
        self.count = 0

    def write(self, value: int, length: int) -> None:
        for shift in range(length - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> shift) & 1)
            self.count += 1
            if self.count == 8:
                self._emit()

    def _emit(self) -> None:
        self.out.append(self.acc)
        if self.acc == 0xFF:
            self.out.append(0x00)
        self.acc, self.count = 0, 0

    def finish(self) -> bytes:
        while self.count:
            self.write(1, 1)
        return bytes(self.out)


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + (len(payload) + 2).to_bytes(2, "big") + payload


def _ycc(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    r, g, b = rgb
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
    return tuple(max(0, min(255, round(v))) for v in (y, cb, cr))  # type: ignore[return-value]


def jpeg_photo(blocks: list[list[tuple[int, int, int]]]) -> bytes:
    """A small real JPEG: each entry of blocks (rows of RGB colours) becomes one flat 8x8 block of the picture."""
    height, width = 8 * len(blocks), 8 * len(blocks[0])
    jfif = b"JFIF\x00\x01\x01\x01\x00\x48\x00\x48\x00\x00"
    dqt = b"\x00" + b"\x01" * 64
    sof = b"\x08" + height.to_bytes(2, "big") + width.to_bytes(2, "big") + b"\x03\x01\x11\x00\x02\x11\x00\x03\x11\x00"
    dht = b"\x00" + bytes(_DC_BITS) + bytes(_DC_VALUES) + b"\x10" + bytes(_AC_BITS) + bytes(_AC_VALUES)
    sos = b"\x03\x01\x00\x02\x00\x03\x00\x00\x3f\x00"
    dc_codes, eob = _huffman_codes(_DC_BITS, _DC_VALUES), _huffman_codes(_AC_BITS, _AC_VALUES)[0]
    bits = _BitWriter()
    previous = [0, 0, 0]
    for row in blocks:
        for colour in row:
            for component, level in enumerate(_ycc(colour)):
                dc = (level - 128) * 8  # the DC term of a flat 8x8 block, quantiser 1
                diff = dc - previous[component]
                previous[component] = dc
                size = abs(diff).bit_length()
                bits.write(*dc_codes[size])
                if size:
                    bits.write(diff if diff >= 0 else diff + (1 << size) - 1, size)
                bits.write(*eob)
    return (
        b"\xff\xd8"
        + _segment(0xE0, jfif)
        + _segment(0xDB, dqt)
        + _segment(0xC0, sof)
        + _segment(0xC4, dht)
        + _segment(0xDA, sos)
        + bits.finish()
        + b"\xff\xd9"
    )


def scene(variant: int, columns: int = 16, rows: int = 12) -> list[list[tuple[int, int, int]]]:
    """Colours for a small 'activity photo': sky, a red banner, a row of people, a floor; variant shifts things."""
    picture: list[list[tuple[int, int, int]]] = []
    for y in range(rows):
        line: list[tuple[int, int, int]] = []
        for x in range(columns):
            if y < 4:
                colour = (120 + 8 * y, 170 + 6 * y, 225 - 4 * x // 2)
            elif y == 4 and 3 + variant <= x <= 12 - variant:
                colour = (200, 24, 32)
            elif 6 <= y <= 8 and (x + variant) % 3 != 0:
                colour = (60 + 10 * ((x * 7 + y) % 5), 55, 50 + 12 * (x % 3))
            else:
                colour = (150 + 5 * ((x + y) % 4), 130, 100 - 3 * (y % 3))
            line.append(colour)
        picture.append(line)
    return picture


class _GbkZipInfo(zipfile.ZipInfo):
    """A zip member whose name is stored in GBK with the UTF-8 flag cleared, as Chinese Windows archivers write."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.filename.encode("gbk"), self.flag_bits & ~UTF8_NAME_FLAG


def gbk_zip(members: list[tuple[str, bytes]], when: datetime) -> bytes:
    """A zip archive whose member names are GBK bytes without the UTF-8 flag (WinRAR / 360压缩 on Chinese Windows)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, body in members:
            member = _GbkZipInfo(name, date_time=_zip_time(when))
            member.compress_type = zipfile.ZIP_DEFLATED
            member.create_system = 0
            archive.writestr(member, body)
    return out.getvalue()
