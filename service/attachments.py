"""Parse attachment files named on the command line (`intake parse`); a mail file given instead is told apart."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ingest.files import MAIL_SUFFIXES
from parsers import ParseResult, parse

# The first lines of an RFC 822 message: header fields, and among them at least one that only mail has.
_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:[ \t]")
_MAIL_HEADERS = re.compile(rb"^(from|to|subject|date|message-id|received|return-path|mime-version|delivered-to):",
                           re.IGNORECASE)
_HEAD_BYTES = 4096


class MailNotAttachment(ValueError):
    """A file given to `intake parse` is a whole mail (.eml, mbox, Outlook .msg): it is imported, not parsed."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} is a mail, not an attachment")
        self.path = path


@dataclass(frozen=True)
class ParsedFile:
    path: Path
    result: ParseResult


def looks_like_mail(path: Path, head: bytes) -> bool:
    """A mail by its name (.eml, .msg, .mbox, .mbx), an mbox's "From " line, or a block of mail header lines."""
    if path.suffix.lower() in MAIL_SUFFIXES or head.startswith(b"From "):
        return True
    lines = head.split(b"\n\n", 1)[0].replace(b"\r\n", b"\n").split(b"\n")[:20]
    headers = [line for line in lines if _HEADER_LINE.match(line)]
    return len(headers) >= 2 and any(_MAIL_HEADERS.match(line) for line in headers)


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(_HEAD_BYTES)


def parse_files(paths: Sequence[Path], *, soffice: str, received: date | None = None) -> list[ParsedFile]:
    """Parse each file; received is the day its mail arrived, which gives the year of a date written without one.

    Raises MailNotAttachment before parsing anything when one of the files is a mail; OSError when one cannot be
    read.
    """
    for path in paths:
        if looks_like_mail(path, _head(path)):
            raise MailNotAttachment(path)
    return [ParsedFile(path, parse(path.read_bytes(), path.name, received, soffice=soffice)) for path in paths]
