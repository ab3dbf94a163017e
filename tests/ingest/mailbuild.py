"""Helpers for the mail-side tests: raw mails with the encodings branches' clients really send, and odd zips."""

from __future__ import annotations

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
