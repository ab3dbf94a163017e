"""Helpers for the mail-side tests: raw mails with the encodings branches' clients really send, and odd zips."""

from __future__ import annotations

import base64
import io
import struct
import zipfile
from collections.abc import Sequence

CRLF = b"\r\n"


def raw_mail(headers: Sequence[tuple[str, bytes | str]], body: bytes | str = b"", boundary: str | None = None,
             parts: Sequence[bytes] = ()) -> bytes:
    """Assemble a mail byte for byte (no library re-encoding), so 8-bit and odd headers stay exactly as given."""
    out = bytearray()
    for name, value in headers:
        out += name.encode("ascii") + b": " + (value.encode("utf-8") if isinstance(value, str) else value) + CRLF
    if boundary:
        out += b"Content-Type: multipart/mixed; boundary=\"" + boundary.encode() + b"\"" + CRLF
    out += CRLF
    out += body.encode("utf-8") if isinstance(body, str) else body
    if boundary:
        for part in parts:
            out += CRLF + b"--" + boundary.encode() + CRLF + part
        out += CRLF + b"--" + boundary.encode() + b"--" + CRLF
    return bytes(out)


def raw_part(headers: Sequence[tuple[str, bytes | str]], body: bytes | str) -> bytes:
    return raw_mail(headers, body)


def zip_bytes(members: Sequence[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buf.getvalue()


def gbk_name_zip(members: Sequence[tuple[str, bytes]]) -> bytes:
    """A zip as Windows' built-in compressor writes it: member names in GBK, the UTF-8 flag (bit 11) clear."""
    placeholders = []
    for i, (name, _data) in enumerate(members):
        raw = name.encode("gbk")
        placeholders.append((f"{i:x}".rjust(len(raw), "Q").encode("ascii"), raw))
    data = zip_bytes([(p.decode("ascii"), d) for (p, _r), (_n, d) in zip(placeholders, members, strict=True)])
    for placeholder, raw in placeholders:
        assert data.count(placeholder) == 2  # local header and central directory
        data = data.replace(placeholder, raw)
    return data


def set_encrypted_flag(data: bytes) -> bytes:
    """Mark every member as encrypted (bit 0 of the general purpose flags), as a password-protected zip is."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (pos := out.find(signature, start)) != -1:
            flags = struct.unpack_from("<H", out, pos + offset)[0]
            struct.pack_into("<H", out, pos + offset, flags | 1)
            start = pos + 4
    return bytes(out)


def file_part(name: str | None, data: bytes, ctype: str = "application/octet-stream") -> bytes:
    """One base64 attachment part; name None gives a part without any file name, as some clients send."""
    headers: list[tuple[str, bytes | str]] = [("Content-Type", f'{ctype}; name="{name}"' if name else ctype)]
    if name:
        headers.append(("Content-Disposition", f'attachment; filename="{name}"'))
    headers.append(("Content-Transfer-Encoding", "base64"))
    return raw_part(headers, base64.encodebytes(data))


def tiny_text_parts(count: int) -> list[bytes]:
    """Empty and one-character text parts, the filler of a broken client or a hostile mail."""
    fillers = ["", "x", "\r\n", "."]
    return [raw_part([("Content-Type", "text/plain; charset=utf-8")], fillers[i % 4]) for i in range(count)]


def forwarded_as_attachment(inner: bytes, depth: int) -> bytes:
    """inner forwarded as a message/rfc822 attachment depth times over, each level with a line of its own."""
    mail = inner
    for level in range(depth):
        mail = raw_mail(
            [("From", f"office{level}@szlg.cn"), ("Subject", f"Fw: 第{level + 1}层转发"), ("MIME-Version", "1.0")],
            b"", f"=_level_{level}_=",
            [raw_part([("Content-Type", "text/plain; charset=utf-8")], f"第{level + 1}层转发"),
             raw_part([("Content-Type", "message/rfc822")], mail)],
        )
    return mail


def nested_multiparts(leaf: bytes, depth: int) -> bytes:
    """leaf (a part with its headers) inside depth multipart/mixed levels, the outermost being the mail."""
    part = leaf
    for level in range(depth - 1, 0, -1):
        part = raw_part([("Content-Type", f'multipart/mixed; boundary="=_n{level}_="')],
                        b"--=_n%d_=\r\n" % level + part + b"\r\n--=_n%d_=--\r\n" % level)
    return raw_mail([("From", "a@b.cn"), ("Subject", "情况表")], b"", "=_n0_=", [part])
