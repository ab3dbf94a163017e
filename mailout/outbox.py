"""Write a composed mail to a folder instead of sending it: STEM.eml, and STEM.html when it has an HTML body.

Each file appears whole or not at all (written to a temporary file beside it, flushed, then renamed), so a
reader, or a crash, never sees half a mail.
"""

from __future__ import annotations

import email.policy
import logging
import os
import re
import tempfile
from email.message import EmailMessage
from pathlib import Path

log = logging.getLogger(__name__)

_STEM = re.compile(r"^[\w][\w.@+=-]{0,150}$")  # one file name, never a path, never hidden


def write_atomic(path: Path, data: bytes) -> Path:
    """Write data to path via a unique temporary file in the same folder, synced, then renamed over path."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def outbox_paths(folder: Path, stem: str) -> tuple[Path, Path]:
    """Where write_message puts STEM.eml and STEM.html; ValueError for a stem that is not one plain name."""
    if not _STEM.match(stem):
        raise ValueError(f"outbox file name {stem[:80]!r}: letters, digits and . _ - @ + = only, not starting with .")
    return folder / f"{stem}.eml", folder / f"{stem}.html"


def html_body(message: EmailMessage) -> str | None:
    """The text of the mail's HTML body, if it has one."""
    part = message.get_body(preferencelist=("html",))
    if part is None:
        return None
    content = part.get_content()
    return content if isinstance(content, str) else None


def write_message(message: EmailMessage, folder: Path, stem: str) -> tuple[Path, ...]:
    """Write the whole mail (attachments included) as STEM.eml, and its HTML body as STEM.html to open in a
    browser; return the paths written. The folder is made when missing; files of the same stem are replaced."""
    eml, page = outbox_paths(folder, stem)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [write_atomic(eml, message.as_bytes(policy=email.policy.SMTP))]
    html = html_body(message)
    if html is not None:
        paths.append(write_atomic(page, html.encode("utf-8")))
    else:
        page.unlink(missing_ok=True)  # an older mail's page of the same stem would no longer match the .eml
    log.info("mail %s written to %s", message.get("Message-ID", ""), eml)
    return tuple(paths)
