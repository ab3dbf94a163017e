"""Builders for the store tests: real RFC 822 mails, real .docx forms, and the store's input values."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import lru_cache
from itertools import count

from docx import Document

from ingest.model import Attachment
from parsers.model import ParsedForm
from store.records import MessageIn

_uids = count(1)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BASE_TIME = datetime(2026, 5, 10, 2, 30, tzinfo=UTC)  # 10:30 in Suzhou


def form(org: str = "苏州市姑苏区离退休干部第一党支部", headcount: int | None = 23,
         agenda: tuple[str, ...] = ("重温入党誓词", "学习党章"), summary: str = "组织老党员参观革命旧址。",
         person: str = "王建国", phone: str = "13912345678", activity: date | None = date(2026, 5, 8),
         headcount_text: str | None = None) -> ParsedForm:
    return ParsedForm(org_name=org, headcount=headcount,
                  headcount_text=headcount_text if headcount_text is not None else f"{headcount}人",
                  agenda=agenda, summary=summary, contact_person=person, contact_phone=phone,
                  activity_date=activity)


@lru_cache(maxsize=256)
def docx_bytes(f: ParsedForm) -> bytes:
    """A real one-table 情况表 .docx holding the form's values; the same form gives the same bytes.

    (Zip entries carry the time of saving, so without the cache two saves a second apart would differ.)
    """
    doc = Document()
    doc.add_heading("“助力火红年代”主题党日活动情况表", level=1)
    table = doc.add_table(rows=6, cols=2)
    rows = [("党组织名称", f.org_name), ("人数", f.headcount_text), ("议程", "；".join(f.agenda)),
            ("简介", f.summary), ("联系人", f.contact_person), ("联系方式", f.contact_phone)]
    for i, (label, value) in enumerate(rows):
        table.cell(i, 0).text = label
        table.cell(i, 1).text = value
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def email_bytes(subject: str, sender: str = "王建国 <branch1@example.cn>", body: str = "附件为情况表，请查收。",
                attachments: list[tuple[str, bytes]] | None = None, message_id: str | None = None,
                when: datetime = BASE_TIME) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "szlgbjdjc@163.com"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id or make_msgid(domain="example.cn")
    msg.set_content(body)
    for name, data in attachments or []:
        msg.add_attachment(data, maintype="application", subtype=DOCX.split("/")[1], filename=name)
    return msg.as_bytes()


def message_in(subject: str = "第一党支部主题党日情况表", *, uid: int | None = None, account: str = "szlgbjdjc@163.com",
               folder: str = "INBOX", uidvalidity: int = 1001, message_id: str | None = None,
               received_at: datetime = BASE_TIME, correction: bool = False, raw: bytes | None = None,
               sender_name: str = "王建国", sender_address: str = "branch1@example.cn",
               content_sha256: str = "") -> MessageIn:
    mid = message_id if message_id is not None else make_msgid(domain="example.cn")
    data = raw if raw is not None else email_bytes(subject, message_id=mid or None, when=received_at)
    return MessageIn(account=account, folder=folder, uidvalidity=uidvalidity,
                     uid=uid if uid is not None else next(_uids), message_id=mid, sender_address=sender_address,
                     sender_name=sender_name, subject=subject, sent_at=received_at - timedelta(minutes=1),
                     received_at=received_at, raw=data, correction=correction, content_sha256=content_sha256)


def attachment_in(data: bytes, filename: str = "情况表.docx") -> Attachment:
    return Attachment(filename=filename, content_type=DOCX, data=data, sha256=hashlib.sha256(data).hexdigest(),
                      origin="part 2")
