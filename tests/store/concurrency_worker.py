"""Run in a spawned process by test_concurrency: ingest the same messages and forms as a sibling process."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ingest.model import Attachment
from parsers.model import ParsedForm
from store.db import open_store
from store.dedup import record_attachment, record_form
from store.errors import AlreadyRecorded
from store.messages import record_message
from store.records import MessageIn

FORMS = 12
BASE = datetime(2026, 5, 10, 2, 0, tzinfo=UTC)


def shared_form(i: int) -> ParsedForm:
    return ParsedForm(org_name=f"并发测试第{i}党支部", headcount=10 + i, headcount_text=f"{10 + i}人",
                  agenda=("重温入党誓词", f"议程{i}"), summary=f"第{i}次活动。", contact_person="李四",
                  contact_phone=f"1390000{i:04d}", activity_date=date(2026, 5, 8))


def _message(i: int, folder: str, uid: int) -> MessageIn:
    raw = (f"From: branch{i}@example.cn\r\nSubject: form {i}\r\nMessage-ID: <form{i}@example.cn>\r\n"
           f"X-Copy: {folder}\r\n\r\nform {i}\r\n").encode()
    return MessageIn(account="szlgbjdjc@163.com", folder=folder, uidvalidity=77, uid=uid,
                     message_id=f"<form{i}@example.cn>", sender_address=f"branch{i}@example.cn", sender_name="",
                     subject=f"form {i}", sent_at=None, received_at=BASE + timedelta(minutes=i), raw=raw)


def _attachment(i: int, variant: str) -> Attachment:
    data = f"PK-fake-docx-{i}-{variant}".encode() * 50
    return Attachment(filename=f"情况表{i}.docx", content_type="application/octet-stream", data=data,
                      sha256=hashlib.sha256(data).hexdigest())


def ingest(url: str, worker: str, barrier: Any, results: Any) -> None:
    """For each form: a copy in this worker's own folder, then the same INBOX UID as the sibling.

    The copies differ in their raw bytes and file bytes, so only the form's content (fingerprint) collides.
    """
    factory = open_store(url)
    outcomes: Counter[str] = Counter()
    barrier.wait()
    for i in range(FORMS):
        for folder, uid in ((f"copy-{worker}", 1000 + i), ("INBOX", 1000 + i)):
            with factory() as session:
                try:
                    msg = record_message(session, _message(i, folder, uid))
                except AlreadyRecorded:
                    outcomes["already_recorded"] += 1
                    session.rollback()
                    continue
                att = record_attachment(session, msg.message_pk, _attachment(i, folder))
                result = record_form(session, msg.message_pk, att.attachment_pk, shared_form(i), False)
                outcomes[result.outcome] += 1
                session.commit()
    results.put((worker, dict(outcomes)))
