"""Frozen values that cross from the mail side into the pipeline: a raw message and its attachments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from core.vocab import FailureKind


@dataclass(frozen=True)
class RawMessage:
    """One message as fetched: where it came from and its RFC 822 bytes, untouched.

    (account, folder, uidvalidity, uid) is its identity in the store. source says where it was read, for logs and
    summaries: the file path for `intake import` (whose identity is the bytes, see ingest.files), "" for IMAP.
    """

    account: str
    folder: str
    uidvalidity: int
    uid: int
    raw: bytes
    internal_date: datetime | None = None
    source: str = ""


@dataclass(frozen=True)
class Attachment:
    """One file found in a message (leaf part, forwarded mail, or zip member), decoded name and bytes."""

    filename: str
    content_type: str
    data: bytes
    sha256: str
    origin: str = ""  # where it was found, e.g. "part 2", "fwd 1 / part 3", "zip 表格.zip / 情况表.docx"


@dataclass(frozen=True)
class MailProblem:
    """Something in a mail that must become a failure of its own, found while taking the mail apart.

    origin names an attachment (its Attachment.origin) when the problem is that file (a zip that is a bomb,
    corrupt or encrypted, passed on as-is and never parsed); any other origin (say "part 1.3" where a cap stopped
    the walk) is a problem of the message itself. detail says what happened, for the technical detail.
    """

    origin: str
    kind: FailureKind
    detail: str = ""


@dataclass(frozen=True)
class MailContent:
    """What mime.extract found in one message: decoded sender, subject, text, attachments and signals.

    problems lists what must be recorded as failures besides parsing (see MailProblem).
    headers holds the few headers classify needs, lower-case names, decoded values.
    sender_address is From's (Sender's when there is no From); reply_to_addresses (every Reply-To address) and
    sender_header_address (the Sender header's) are where a receipt may answer. Addresses are exact data (see
    ingest.addresses): escape them wherever they go.
    """

    message_id: str = ""
    sender_address: str = ""
    sender_name: str = ""
    subject: str = ""
    sent_at: datetime | None = None
    body_text: str = ""
    attachments: tuple[Attachment, ...] = ()
    cloud_links: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    is_report: bool = False
    problems: tuple[MailProblem, ...] = ()
    forwarded_subjects: tuple[str, ...] = ()
    reply_to_addresses: tuple[str, ...] = ()
    sender_header_address: str = ""
