"""Frozen values that cross from the mail side into the pipeline: a raw message and its attachments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RawMessage:
    """One message as fetched: where it came from and its RFC 822 bytes, untouched."""

    account: str
    folder: str
    uidvalidity: int
    uid: int
    raw: bytes
    internal_date: datetime | None = None


@dataclass(frozen=True)
class Attachment:
    """One file found in a message (leaf part, forwarded mail, or zip member), decoded name and bytes."""

    filename: str
    content_type: str
    data: bytes
    sha256: str
    origin: str = ""  # where it was found, e.g. "part 2", "fwd 1 / part 3", "zip 表格.zip / 情况表.docx"
