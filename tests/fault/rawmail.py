"""Raw mail surgery for the mutator, byte for byte: read and set headers, wrap a mail's content in a multipart, and
the byte-stable files it attaches (branch forms, zip bombs) so that one seed always gives the same mails."""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import re
import zipfile
from collections.abc import Sequence

from tests.builders import DOCX, form_docx
from tests.ingest.mailbuild import raw_part
from tests.parsers.builders import form_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIXED_ZIP_TIME = (2020, 5, 13, 9, 30, 0)
FORMS = 12  # distinct branch forms the mutator attaches


# -- raw header surgery --------------------------------------------------------------------------------------------

_BLANK = re.compile(rb"\r?\n\r?\n|\r\r")
_FIELD_SPLIT = re.compile(rb"\r?\n(?![ \t])")


def split_mail(raw: bytes) -> tuple[bytes, bytes, bytes]:
    """(header block, the blank line, body); a mail without a blank line is all header."""
    match = _BLANK.search(raw)
    if match is None:
        return raw, b"", b""
    return raw[: match.start()], raw[match.start() : match.end()], raw[match.end() :]


def _eol(raw: bytes) -> bytes:
    return b"\r\n" if b"\r\n" in raw[:4096] else b"\n"


def _name_of(field: bytes) -> bytes:
    return field.split(b":", 1)[0].strip().lower() if b":" in field else b""


def header_value(raw: bytes, name: str) -> bytes | None:
    """The first raw value of a header (continuation lines kept), None when absent."""
    head, _sep, _body = split_mail(raw)
    for field in _FIELD_SPLIT.split(head):
        if _name_of(field) == name.lower().encode():
            return field.split(b":", 1)[1].strip()
    return None


def set_header(raw: bytes, name: str, value: bytes | None) -> bytes:
    """Every occurrence of a header replaced by one `name: value` where the first was (at the top if none);
    value None removes it."""
    head, sep, body = split_mail(raw)
    eol = _eol(raw)
    fields = _FIELD_SPLIT.split(head) if head else []
    key = name.lower().encode()
    kept = [f for f in fields if _name_of(f) != key]
    at = next((i for i, f in enumerate(fields) if _name_of(f) == key), 0)
    if value is not None:
        kept.insert(min(at, len(kept)), name.encode() + b": " + value)
    return eol.join(kept) + (sep or eol + eol) + body


def _content_fields(raw: bytes) -> tuple[list[bytes], list[bytes], bytes]:
    """(the mail's own headers, its Content-* and MIME-Version headers, body): to wrap the content in a new part."""
    head, _sep, body = split_mail(raw)
    fields = _FIELD_SPLIT.split(head) if head else []
    content = [f for f in fields if _name_of(f).startswith(b"content-") or _name_of(f) == b"mime-version"]
    own = [f for f in fields if f not in content]
    return own, content, body


def wrap_multipart(raw: bytes, before: Sequence[bytes] = (), after: Sequence[bytes] = (),
                   boundary: bytes = b"=_fault_wrap_=") -> bytes:
    """The mail's content becomes one part of a new multipart/mixed, between the parts `before` and `after`."""
    own, content, body = _content_fields(raw)
    inner = b"\r\n".join(f for f in content if _name_of(f) != b"mime-version")
    inner_part = (inner or b"Content-Type: text/plain; charset=utf-8") + b"\r\n\r\n" + body
    parts = [*before, inner_part, *after]
    out = b"\r\n".join([*own, b"MIME-Version: 1.0", b'Content-Type: multipart/mixed; boundary="' + boundary + b'"'])
    out += b"\r\n\r\n"
    for part in parts:
        out += b"--" + boundary + b"\r\n" + part + b"\r\n"
    return out + b"--" + boundary + b"--\r\n"


# -- stable files to attach ----------------------------------------------------------------------------------------

_ISO_TIME = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")


def stable_zip(data: bytes) -> bytes:
    """The same zip (docx, xlsx) with fixed member times and fixed document dates: byte-stable across runs."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = src.read(info.filename)
            if info.filename.startswith("docProps/"):
                member = _ISO_TIME.sub(b"2020-05-13T09:30:00Z", member)
            dst.writestr(zipfile.ZipInfo(info.filename, FIXED_ZIP_TIME), member, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def zip_of(members: Sequence[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name, FIXED_ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


ORGS = ("苏州市财政局离退休干部党支部", "苏州市民政局离退休干部党支部", "姑苏区双塔街道老干部党支部",
        "吴中区教育局退休教师党支部", "相城区元和街道老干部党支部", "工业园区湖西社区离退休党支部")


def gbk_zip(members: Sequence[tuple[str, bytes]]) -> bytes:
    """zip_of with member names in GBK and the UTF-8 flag clear, as Windows' built-in compressor writes them."""
    placeholders = [(f"{i:x}".rjust(len(name.encode("gbk")), "Q").encode("ascii"), name.encode("gbk"))
                    for i, (name, _data) in enumerate(members)]
    data = zip_of([(p.decode("ascii"), d) for (p, _raw), (_name, d) in zip(placeholders, members, strict=True)])
    for placeholder, raw in placeholders:
        data = data.replace(placeholder, raw)  # in the local header and the central directory
    return data


@functools.cache
def branch_form(index: int) -> tuple[str, bytes, str]:
    """(file name, bytes, type) of a filled form from branch `index`: .docx for even, .xlsx for odd."""
    org = ORGS[index % len(ORGS)]
    if index % 2 == 0:
        return "主题党日活动情况表.docx", stable_zip(form_docx(org=org, phone=f"139{index:08d}")), DOCX
    values = [("B2", org), ("D2", 20 + index), ("D8", f"138{index:08d}")]
    return "情况表.xlsx", stable_zip(form_xlsx(values)), XLSX


@functools.cache
def zip_bomb(inflated_mb: int) -> bytes:
    """A zip whose one member (情况表.docx) inflates from about 1 KB per MB to `inflated_mb` MB of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo("情况表.docx", FIXED_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as fh:
            block = bytes(1 << 20)
            for _ in range(inflated_mb):
                fh.write(block)
    return out.getvalue()


@functools.cache
def bomb_docx_bytes(inflated_mb: int) -> bytes:
    """A real .docx whose document.xml inflates to `inflated_mb` MB of white space."""
    _name, data, _ctype = branch_form(0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                dst.writestr(zipfile.ZipInfo(info.filename, FIXED_ZIP_TIME), src.read(info.filename),
                             zipfile.ZIP_DEFLATED)
        head, tail = src.read("word/document.xml").split(b"<w:body>")
        member = zipfile.ZipInfo("word/document.xml", FIXED_ZIP_TIME)
        member.compress_type = zipfile.ZIP_DEFLATED
        with dst.open(member, "w", force_zip64=True) as fh:
            fh.write(head + b"<w:body>")
            for _ in range(inflated_mb):
                fh.write(b" " * (1 << 20))
            fh.write(tail)
    return out.getvalue()


def attachment_part(name: str, data: bytes, ctype: str) -> bytes:
    encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")
    return raw_part([("Content-Type", f'{ctype}; name="{name}"'),
                     ("Content-Disposition", f'attachment; filename="{name}"'),
                     ("Content-Transfer-Encoding", "base64")], encoded)


def form_hashes() -> frozenset[str]:
    """sha256 of every form the mutator attaches unchanged: each must become a report or a duplicate form."""
    return frozenset(hashlib.sha256(branch_form(i)[1]).hexdigest() for i in range(FORMS))
