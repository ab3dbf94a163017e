"""Shared pieces for the digest tests: a composed sample digest and settings pointing at a test SMTP server."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from core.settings import Settings
from digest.compose import compose_digest
from digest.render import render_digest, xlsx_filename
from digest.xlsx import summary_xlsx_bytes
from store.records import DigestFacts
from tests.digest.factories import DIGEST_AT, SHANGHAI, facts
from tests.fixtures.smtp import SmtpServer
from tests.mailout.helpers import smtp_settings

FROM = "组织指导处 <szlgbjdjc@163.com>"
TO = ("zzzdc@example.gov.cn", "leader@example.gov.cn")


def sample_message(the_facts: DigestFacts | None = None) -> EmailMessage:
    f = the_facts or facts()
    rows = f.new_reports
    rendered = render_digest(f, SHANGHAI, DIGEST_AT, len(rows))
    return compose_digest(rendered, sender=FROM, recipients=TO, xlsx=summary_xlsx_bytes(rows, SHANGHAI),
                          xlsx_name=xlsx_filename(f.day), now=DIGEST_AT)


def parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def settings_for(server: SmtpServer, **over: object) -> Settings:
    """smtp_settings for the server, with the digest's sender and recipients."""
    return smtp_settings(server, **{"digest_from": FROM, "digest_to": TO, **over})
