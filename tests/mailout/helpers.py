"""Shared pieces for the mailout tests: a realistic reply built with compose, settings for a test SMTP server."""

from __future__ import annotations

import email
import email.policy
from dataclasses import replace
from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from core.settings import Settings
from mailout.compose import Attachment, compose
from tests.fixtures.smtp import SmtpServer

SHANGHAI = ZoneInfo("Asia/Shanghai")
WHEN = datetime(2020, 5, 15, 9, 30, tzinfo=SHANGHAI)
FROM = "中共苏州市委老干部局组织指导处 <szlgbjdjc@163.com>"
TO = ("limei@example.com",)
ORIGINAL_ID = "<20200514140500.1234@example.com>"


def reply(**over: object) -> EmailMessage:
    """A receipt-like reply to a branch: text + HTML, the blank form attached, threaded, marked auto-replied."""
    args: dict[str, object] = dict(
        sender=FROM,
        to=TO,
        subject="回执：教育局退休第三支部活动情况",
        text="您好，情况表已收到。\n中共苏州市委老干部局组织指导处",
        html="<p>您好，情况表已收到。</p>",
        attachments=(Attachment(b"PK\x03\x04 blank form", "情况表（空白）.docx", "application",
                                "vnd.openxmlformats-officedocument.wordprocessingml.document"),),
        date=WHEN,
        in_reply_to=ORIGINAL_ID,
        references=(ORIGINAL_ID,),
        headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
    )
    args.update(over)
    return compose(**args)  # type: ignore[arg-type]


def parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def smtp_settings(server: SmtpServer, **over: object) -> Settings:
    base = Settings(smtp_host=server.host, smtp_port=server.port, smtp_security=server.security,
                    smtp_user=server.user, smtp_password=server.password, smtp_timeout=10.0)
    return replace(base, **over)  # type: ignore[arg-type]
