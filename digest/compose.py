"""Assemble the digest mail from mailout's pieces: its From and To settings, the 汇总表 attached, our marker headers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid

from digest.render import RenderedDigest
from mailout.compose import Attachment, ComposeError, compose, mailbox

__all__ = ["DEFAULT_FROM_NAME", "DIGEST_HEADER", "FALLBACK_FROM", "ComposeError", "compose_digest", "from_header"]

from core.vocab import DIGEST_HEADER

DEFAULT_FROM_NAME = "主题党日情况表日报"
FALLBACK_FROM = "szlgb-intake@localhost"
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
MARKERS = {DIGEST_HEADER: "1", "Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}


def from_header(value: str) -> str:
    """The From header as text: the configured one, with a Chinese display name added when it has none.

    ComposeError naming INTAKE_DIGEST_FROM when it is no usable address.
    """
    return str(mailbox(value or FALLBACK_FROM, "INTAKE_DIGEST_FROM", DEFAULT_FROM_NAME))


def compose_digest(
    rendered: RenderedDigest,
    *,
    sender: str,
    recipients: Sequence[str],
    xlsx: bytes,
    xlsx_name: str,
    now: datetime,
) -> EmailMessage:
    """The digest mail. Message-ID is made for the sender's domain; now (aware) becomes the Date header.

    Keep xlsx_name short (see render.xlsx_filename): a Chinese name longer than one RFC 2231 line gets split
    into filename*0*/filename*1* continuations, which some mobile clients show garbled.
    Raises ComposeError naming INTAKE_DIGEST_FROM or INTAKE_DIGEST_TO when a setting is no usable address.
    """
    frm = mailbox(sender or FALLBACK_FROM, "INTAKE_DIGEST_FROM", DEFAULT_FROM_NAME)
    to = [str(mailbox(r, "INTAKE_DIGEST_TO")) for r in recipients if r.strip()]
    return compose(
        sender=str(frm),
        to=to,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        attachments=(Attachment(xlsx, xlsx_name, *XLSX_TYPE),),
        date=now,
        message_id=make_msgid(idstring="digest", domain=frm.domain),
        headers=MARKERS,
    )
