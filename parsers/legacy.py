"""Convert legacy word-processor files (.doc, .wps, RTF, Word 2003 XML, .odt) to .docx with LibreOffice headless.

One conversion at a time (a thread lock and a file lock), in a profile directory of our own, under a timeout
that kills the whole process group, and the output checked to exist: soffice exits 0 even when it fails.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from parsers.limits import Deadline, LimitExceeded

log = logging.getLogger(__name__)

_SUFFIX = {"doc": ".doc", "wps": ".wps", "rtf": ".rtf", "wordml": ".xml", "odt": ".odt", "html": ".html"}
_THREAD_LOCK = threading.Lock()
_PROFILE: Path | None = None
MAX_OUTPUT_BYTES = 40 * 1024 * 1024


class ConverterMissing(Exception):
    """LibreOffice (soffice) is not installed or not where it was said to be."""


class ConversionFailed(Exception):
    """soffice ran but produced no usable .docx (a damaged or unreadable file)."""


def find_soffice(soffice: str) -> str | None:
    if os.sep in soffice:
        return soffice if os.access(soffice, os.X_OK) else None
    return shutil.which(soffice)


def _profile_dir() -> Path:
    """A LibreOffice user profile owned by this program (per user), never the desktop user's; conversions take
    turns on it under the file lock."""
    global _PROFILE
    if _PROFILE is None:
        _PROFILE = Path(tempfile.gettempdir()) / f"szlgb-intake-lo-profile-{os.getuid()}"
    _PROFILE.mkdir(mode=0o700, exist_ok=True)
    return _PROFILE


@contextlib.contextmanager
def _one_at_a_time() -> Iterator[None]:
    lock_path = Path(tempfile.gettempdir()) / f"szlgb-intake-soffice-{os.getuid()}.lock"
    with _THREAD_LOCK, open(lock_path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def convert_to_docx(data: bytes, fmt: str, deadline: Deadline, soffice: str = "soffice") -> bytes:
    """The file converted to .docx bytes; raises ConverterMissing, ConversionFailed or LimitExceeded (timeout)."""
    binary = find_soffice(soffice)
    if binary is None:
        raise ConverterMissing(f"{soffice!r} not found; install LibreOffice (apt-get install libreoffice-writer-nogui)")
    with tempfile.TemporaryDirectory(prefix="szlgb-intake-convert-") as work:
        source = Path(work) / f"attachment{_SUFFIX.get(fmt, '.bin')}"
        source.write_bytes(data)
        outdir = Path(work) / "out"
        outdir.mkdir()
        with _one_at_a_time():
            remaining = deadline.remaining()
            if remaining <= 0:
                raise LimitExceeded("no time left for the LibreOffice conversion")
            command = [
                binary,
                "--headless",
                "--invisible",
                "--norestore",
                "--nologo",
                "--nodefault",
                "--nolockcheck",
                f"-env:UserInstallation={_profile_dir().as_uri()}",
                "--convert-to",
                "docx:MS Word 2007 XML",
                "--outdir",
                str(outdir),
                str(source),
            ]
            _run(command, remaining, work)
        target = outdir / "attachment.docx"
        if not target.is_file() or target.stat().st_size == 0:
            raise ConversionFailed(f"LibreOffice produced no .docx from the {fmt} file")
        if target.stat().st_size > MAX_OUTPUT_BYTES:
            raise LimitExceeded("converted document is too large")
        return target.read_bytes()


def _run(command: list[str], timeout: float, cwd: str) -> None:
    env = dict(os.environ, HOME=cwd, SAL_USE_VCLPLUGIN="svp")
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise LimitExceeded(f"LibreOffice conversion took longer than {timeout:.0f} s") from None
    if process.returncode != 0:
        log.warning("soffice exited %s: %s", process.returncode, output[-500:].decode("utf-8", "replace"))
