"""Build real test inputs: a filled 情况表 .docx (python-docx) and branch mails (email.message)."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import docx

CST = timezone(timedelta(hours=8))


def form_docx(
    org: str = "苏州市财政局离退休干部党支部",
    headcount: str = "25",
    agenda: Sequence[str] = ("1. 重温入党誓词", "2. 参观苏州革命博物馆"),
    summary: str = "5月12日上午，支部25名老党员参观苏州革命博物馆。",
    contact: str = "李华",
    phone: str = "13913571234",
) -> bytes:
    """A filled form laid out like the notice's table: label cells on the left, values beside them."""
    document = docx.Document()
    document.add_paragraph("“助力火红年代”主题党日活动情况表")
    table = document.add_table(rows=0, cols=4)
    row = table.add_row().cells
    row[0].text, row[1].text, row[2].text, row[3].text = "党组织名称", org, "人  数", headcount
    first = True
    for item in agenda or ("",):
        row = table.add_row().cells
        row[0].text = "议  程" if first else ""
        merged = row[1].merge(row[3])
        merged.text = item
        first = False
    row = table.add_row().cells
    row[0].text = "简  介"
    row[1].merge(row[3]).text = summary
    row = table.add_row().cells
    row[0].text, row[1].text, row[2].text, row[3].text = "联系人", contact, "联系方式", phone
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def png_photo(width: int = 8, height: int = 8) -> bytes:
    """A small valid PNG, standing in for a photo of the activity."""
    raw = b"".join(
        b"\x00" + b"".join(bytes((x * 30 % 256, y * 30 % 256, 120)) for x in range(width)) for y in range(height)
    )

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def branch_mail(
    *,
    subject: str = "“助力火红年代”主题党日活动情况表",
    body: str = "您好，附件是我支部主题党日活动情况表，请查收。",
    sender: str = "财政局老干部处 <czj_lgb@163.com>",
    to: str = "szlgbjdjc@163.com",
    attachments: Sequence[tuple[str, bytes, str]] = (),
    when: datetime | None = None,
    message_id: str | None = None,
    headers: Sequence[tuple[str, str]] = (),
) -> bytes:
    """A branch's mail as its client would send it: UTF-8 text body, each attachment with a Chinese name."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when or datetime(2020, 5, 13, 9, 30, tzinfo=CST))
    msg["Message-ID"] = message_id or make_msgid(domain="163.com")
    for name, value in headers:
        msg[name] = value
    msg.set_content(body)
    for filename, data, ctype in attachments:
        maintype, _, subtype = ctype.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
