"""Build any outgoing mail safely: text with an HTML alternative, attachments, and headers that cannot be forged.

Every header value is checked before it is set: a CR or LF in an address, Message-ID or extra header is refused
with ComposeError naming the header (a value from outside never adds a header of its own). The Subject is made
one line and cut to SUBJECT_LIMIT characters; the SMTP policy then encodes (RFC 2047) and folds every header to
78 columns, so the mail is 7-bit and any server takes it.
"""

from __future__ import annotations

import email.policy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.errors import HeaderDefect
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from core.text import one_line

SUBJECT_LIMIT = 200
"""Characters of a Subject: a long one from outside (a 10 MB one has been seen) is cut with an ellipsis."""

_FIELD_NAME = re.compile(r"^[!-9;-~]+$")  # RFC 5322 ftext: printable ASCII except ":"
_MSG_ID = re.compile(r"^<[!-;=?-~]+@[!-;=?-~]+>$")  # <left@right>: printable ASCII, no "<", ">" or spaces inside
OWN_HEADERS = frozenset({"from", "to", "cc", "subject", "date", "message-id", "in-reply-to", "references",
                         "mime-version", "content-type", "content-transfer-encoding"})


class ComposeError(ValueError):
    """A value that cannot make a valid mail; the text names the header (or the setting) it was meant for."""


@dataclass(frozen=True)
class Attachment:
    """A file to attach. Keep filename short: a long non-ASCII name is split into RFC 2231 continuations,
    which some mobile clients show garbled."""

    data: bytes
    filename: str
    maintype: str = "application"
    subtype: str = "octet-stream"


def header_text(text: str, limit: int) -> str:
    """Outside text for a header (Subject, a display name): one line, cut, and "=?" broken with a space, visibly,
    since it would be read back as the start of an RFC 2047 encoded word when the header is folded (an empty
    charset made the stdlib raise)."""
    return one_line(text.replace("=?", "= ?"), limit)


def address_of(value: str) -> str:
    """The bare address of 'Name <a@b>' or 'a@b'; empty when there is none."""
    _, addr = parseaddr(value)
    return addr if "@" in addr else ""


def _refuse_breaks(header: str, value: str) -> str:
    if "\r" in value or "\n" in value or "\x00" in value:
        raise ComposeError(f"{header}: a line break (or NUL) in a header value is refused: {value[:80]!r}")
    return value


def mailbox(value: str, header: str, default_name: str = "") -> Address:
    """'Name <a@b>' or 'a@b' as one address for From/To/Cc, with default_name when it has none.

    ComposeError (naming header) for a line break, no address, or an address SMTP cannot carry (non-ASCII).
    """
    _refuse_breaks(header, value)
    name, addr = parseaddr(value)
    if "@" not in addr:
        raise ComposeError(f"{header}: not an e-mail address: {value[:200]!r}")
    try:
        address = Address(display_name=header_text(name, 120) or default_name, addr_spec=addr)
        address.addr_spec.encode("ascii")
    except (ValueError, HeaderDefect, UnicodeEncodeError) as exc:
        raise ComposeError(f"{header}: not an address a mail server takes: {addr[:200]!r} ({exc})") from None
    return address


def check_msg_id(value: str, header: str) -> str:
    """A Message-ID as <left@right>, stripped; ComposeError naming header otherwise."""
    _refuse_breaks(header, value)
    msg_id = value.strip()
    if not _MSG_ID.match(msg_id) or len(msg_id) > 998:
        raise ComposeError(f"{header}: not a Message-ID <left@right>: {value[:200]!r}")
    return msg_id


def domain_of(address: Address) -> str:
    return address.domain or "localhost"


def _set_headers(msg: EmailMessage, headers: Mapping[str, str]) -> None:
    for name, value in headers.items():
        if not _FIELD_NAME.match(name) or name.lower() in OWN_HEADERS:
            raise ComposeError(f"{name[:80]!r}: not a header name compose takes as an extra header")
        msg[name] = _refuse_breaks(name, value)


def compose(
    *,
    sender: str,
    to: Sequence[str],
    subject: str,
    text: str,
    date: datetime,
    html: str | None = None,
    attachments: Sequence[Attachment] = (),
    cc: Sequence[str] = (),
    message_id: str | None = None,
    in_reply_to: str = "",
    references: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
    sender_name: str = "",
) -> EmailMessage:
    """One mail: text/plain (with an HTML alternative when html is given) and the attachments after it.

    sender and every recipient: 'Name <a@b>' or 'a@b' (sender_name is used when the sender has no name). date
    must be aware. message_id defaults to a new one on the sender's domain. in_reply_to and references thread a
    reply (RFC 5322 §3.6.4). headers: extra ones such as Auto-Submitted; they may not replace the ones above.
    Raises ComposeError naming the header for any value that would break or forge the mail.
    """
    frm = mailbox(sender, "From", sender_name)
    recipients = [mailbox(r, "To") for r in to if r.strip()]
    copies = [mailbox(r, "Cc") for r in cc if r.strip()]
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["Subject"] = header_text(subject, SUBJECT_LIMIT)
    msg["From"] = frm
    msg["To"] = recipients if recipients else "undisclosed-recipients:;"
    if copies:
        msg["Cc"] = copies
    msg["Date"] = format_datetime(date)
    if message_id is None:
        message_id = make_msgid(domain=domain_of(frm))
    msg["Message-ID"] = check_msg_id(message_id, "Message-ID")
    if in_reply_to:
        msg["In-Reply-To"] = check_msg_id(in_reply_to, "In-Reply-To")
    if references:
        msg["References"] = " ".join(check_msg_id(r, "References") for r in references)
    _set_headers(msg, headers or {})
    msg.set_content(text, subtype="plain", charset="utf-8")
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8")
    for item in attachments:
        msg.add_attachment(item.data, maintype=item.maintype, subtype=item.subtype, filename=item.filename)
    return msg


def envelope(message: EmailMessage) -> tuple[str, list[str]]:
    """The SMTP envelope a composed mail implies: the From address, and every To and Cc address in order."""
    senders = getattr(message.get("From"), "addresses", ())
    sender = senders[0].addr_spec if senders else ""
    seen: dict[str, None] = {}
    for header in ("To", "Cc"):
        for value in message.get_all(header, []):
            for address in getattr(value, "addresses", ()):
                if address.addr_spec and "@" in address.addr_spec:
                    seen.setdefault(address.addr_spec, None)
    return sender, list(seen)
