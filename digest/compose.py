"""Assemble the digest mail: text with an HTML alternative, the 汇总表 attached, our own marker headers."""

from __future__ import annotations

import email.policy
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr

from digest.render import RenderedDigest

DIGEST_HEADER = "X-Intake-Digest"
DEFAULT_FROM_NAME = "主题党日情况表日报"
FALLBACK_FROM = "szlgb-intake@localhost"
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


class ComposeError(ValueError):
    """An address setting that cannot make a valid mail (names the setting)."""


def address_of(value: str) -> str:
    """The bare address of 'Name <a@b>' or 'a@b'; empty when there is none."""
    _, addr = parseaddr(value)
    return addr if "@" in addr else ""


def from_header(value: str) -> str:
    """The From header: the configured one, with a Chinese display name added when it has none."""
    name, addr = parseaddr(value or FALLBACK_FROM)
    if "@" not in addr:
        raise ComposeError(f"INTAKE_DIGEST_FROM: not an e-mail address: {value!r}")
    return formataddr((name or DEFAULT_FROM_NAME, addr))


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
    """
    frm = from_header(sender)
    domain = address_of(frm).rpartition("@")[2]
    to = [r.strip() for r in recipients if r.strip()]
    bad = [r for r in to if not address_of(r)]
    if bad:
        raise ComposeError(f"INTAKE_DIGEST_TO: not an e-mail address: {bad[0]!r}")

    msg = EmailMessage(policy=email.policy.SMTP)
    msg["Subject"] = rendered.subject
    msg["From"] = frm
    msg["To"] = ", ".join(to) if to else "undisclosed-recipients:;"
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(idstring="digest", domain=domain)
    msg[DIGEST_HEADER] = "1"
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(rendered.text, subtype="plain", charset="utf-8")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    msg.add_attachment(xlsx, maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=xlsx_name)
    return msg
