"""Reads mail from disk for `intake import`: .eml files, folders of them, Maildirs and mbox files.

An imported message's identity is its content, never its position or its path: folder = IMPORT_FOLDER,
uidvalidity = 0 and uid = content_uid(raw bytes), the first 60 bits of their sha256. So the same bytes imported
again (from the same path or a copy elsewhere) are skipped as already done, and different bytes are never taken
for done — a file added to a folder that sorts first, or a path reused for another mail, is imported. The path is
kept as RawMessage.source (an mbox entry as "path #n"). IMAP folders always have a UIDVALIDITY above 0, so an
import never meets a polled message's identity, whatever its folders are called.

Files are read in a stable order: a folder's .eml files and a Maildir's messages sorted by file name, an mbox in
file order. Outlook .msg files (OLE compound documents, not RFC 822) and attachment files given by mistake
(.docx, .pdf …) are skipped with a warning; unreadable paths too.
"""

from __future__ import annotations

import hashlib
import logging
import mailbox
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from ingest.dates import plausible
from ingest.model import RawMessage

log = logging.getLogger(__name__)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAIL_SUFFIXES = frozenset({".eml", ".msg", ".mbox", ".mbx"})
IMPORT_FOLDER = "(import)"  # the folder of every imported message; see the module docstring
IMPORT_UIDVALIDITY = 0


def content_uid(raw: bytes) -> int:
    """An imported message's UID: the first 15 hex digits (60 bits) of the sha256 of its bytes.

    Fits a signed 64-bit BIGINT; two different mails collide with odds of about n² / 2⁶¹ (one in a billion for
    fifty thousand imported mails). Never 0, which no IMAP UID is either.
    """
    return int(hashlib.sha256(raw).hexdigest()[:15], 16) or 1


def is_maildir(path: Path) -> bool:
    return path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir()


def is_mbox(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(5) == b"From "
    except OSError:
        return False


def _is_outlook_msg(data: bytes, path: Path) -> bool:
    return data.startswith(OLE_MAGIC) and path.suffix.lower() == ".msg"


# What an attachment file starts with (Office, zip, PDF, images): given to import by mistake, never a mail.
NOT_MAIL_MAGICS = (OLE_MAGIC, b"PK\x03\x04", b"%PDF", b"{\\rtf", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"Rar!",
                   b"7z\xbc\xaf")


def _mtime(path: Path) -> datetime | None:
    try:
        return plausible(datetime.fromtimestamp(path.stat().st_mtime, tz=UTC))
    except (OSError, OverflowError, ValueError):
        return None


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError as exc:
        log.warning("import: cannot read %s: %s", path, exc.strerror or exc)
        return None


def _files_in(folder: Path) -> list[Path]:
    """Mail files in a plain folder (and its sub-folders), sorted by path."""
    found = [p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in MAIL_SUFFIXES]
    return sorted(found)


def _maildir_files(folder: Path) -> list[Path]:
    found: list[Path] = []
    for sub in ("new", "cur"):
        found.extend(p for p in (folder / sub).iterdir() if p.is_file() and not p.name.startswith("."))
    return sorted(found, key=lambda p: (p.name, p.parent.name))


def _imported(account: str, raw: bytes, source: str, internal_date: datetime | None = None) -> RawMessage:
    return RawMessage(account=account, folder=IMPORT_FOLDER, uidvalidity=IMPORT_UIDVALIDITY, uid=content_uid(raw),
                      raw=raw, internal_date=internal_date, source=source)


def _from_files(files: Sequence[Path], account: str, maildir: bool = False) -> Iterator[RawMessage]:
    for path in files:
        if not maildir and is_mbox(path) and path.suffix.lower() != ".eml":
            yield from _from_mbox(path, account)
            continue
        data = _read(path)
        if data is None:
            continue
        if _is_outlook_msg(data, path):
            log.warning("import: %s is an Outlook .msg file, not an RFC 822 mail; skipped "
                        "(save it as .eml from Outlook to import it)", path)
            continue
        if data.startswith(NOT_MAIL_MAGICS):
            log.warning("import: %s is not a mail but a document or archive; skipped "
                        "(to read a form file use `intake parse`)", path)
            continue
        # A Maildir file's mtime is its delivery time; a loose .eml's is only when it was copied, so the
        # pipeline takes the mail's own Date header instead.
        yield _imported(account, data, str(path), _mtime(path) if maildir else None)


def _from_mbox(path: Path, account: str) -> Iterator[RawMessage]:
    try:
        box = mailbox.mbox(path, create=False)
    except (OSError, mailbox.Error) as exc:
        log.warning("import: cannot open mbox %s: %s", path, exc)
        return
    try:
        for number, key in enumerate(box.iterkeys(), 1):
            try:
                data = box.get_bytes(key)
            except Exception as exc:  # one broken entry must not stop the import
                log.warning("import: %s message %s unreadable: %s", path, key, exc)
                continue
            yield _imported(account, data, f"{path.resolve()} #{number}")
    finally:
        box.close()


def iter_paths(paths: Sequence[Path], account: str = "local") -> Iterator[RawMessage]:
    """Yield every message under the given paths, in the order given. Never raises for a bad path or file."""
    for given in paths:
        path = Path(given)
        if not path.exists():
            log.warning("import: %s does not exist; skipped", path)
            continue
        resolved = path.resolve()
        if is_maildir(resolved):
            yield from _from_files(_maildir_files(resolved), account, maildir=True)
        elif resolved.is_dir():
            yield from _from_files(_files_in(resolved), account)
        elif is_mbox(resolved) and resolved.suffix.lower() != ".eml":
            yield from _from_mbox(resolved, account)
        else:
            yield from _from_files([resolved], account)
