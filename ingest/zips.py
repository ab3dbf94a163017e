"""Unpacks zip archives found in mail, safely: GBK member names, and caps on size, ratio and member count.

A zip bomb must not blow memory: declared sizes are checked first, then every member is read in chunks and
stopped as soon as it passes its declared size or a cap. Problems are reported as failure-kind codes
("too_large", "corrupt", "encrypted") for the pipeline, never raised.
"""

from __future__ import annotations

import io
import logging
import posixpath
import zipfile
import zlib
from dataclasses import dataclass

log = logging.getLogger(__name__)

MAX_MEMBERS = 200  # members per archive (directories included)
MAX_MEMBER_BYTES = 40 * 1024 * 1024  # one unpacked member
MAX_TOTAL_BYTES = 120 * 1024 * 1024  # all members of one archive, nested archives included
MAX_RATIO = 100  # uncompressed / compressed, checked for members above RATIO_FLOOR_BYTES
RATIO_FLOOR_BYTES = 1024 * 1024
MAX_DEPTH = 3  # zip inside zip inside zip
_CHUNK = 256 * 1024
_UTF8_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1
JUNK_PREFIXES = ("__MACOSX/",)
JUNK_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


@dataclass(frozen=True)
class ZipMember:
    """One unpacked file: its decoded path inside the archive (nested archives joined with ' / ') and bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class ZipResult:
    """Members of a cleanly unpacked archive, or problem set to a failure-kind code and members empty."""

    members: tuple[ZipMember, ...] = ()
    problem: str | None = None  # "too_large" | "corrupt" | "encrypted"
    detail: str = ""


class _Problem(Exception):
    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def is_zip(data: bytes, filename: str = "") -> bool:
    """True for a zip archive that is not an Office file (.docx/.xlsx/... are zips too)."""
    if not data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return False
    lower = filename.lower()
    if lower.endswith((".docx", ".docm", ".dotx", ".xlsx", ".xlsm", ".xltx", ".pptx", ".wps", ".et", ".odt", ".ods",
                       ".ofd", ".jar", ".apk", ".epub")):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist()[:50])
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError, EOFError):
        return lower.endswith(".zip")
    office = {"[Content_Types].xml", "mimetype", "META-INF/manifest.xml"}
    return not (names & office)


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's path as the author saw it: UTF-8 when flagged, else the raw bytes as UTF-8 or GB18030."""
    name = info.filename
    if info.flag_bits & _UTF8_FLAG:
        return name
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:
        return name
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return raw.decode("gb18030", errors="replace")


def _is_junk(name: str) -> bool:
    base = posixpath.basename(name.rstrip("/"))
    return name.startswith(JUNK_PREFIXES) or base in JUNK_NAMES or base.startswith("._") or name.endswith("/")


def unpack(data: bytes, filename: str = "archive.zip") -> ZipResult:
    """Unpack every file in the archive (and in zips inside it), or say why not. Never raises."""
    budget = [MAX_TOTAL_BYTES]
    try:
        members = _unpack(data, "", 1, budget)
    except _Problem as problem:
        log.info("zip %r: %s (%s)", filename, problem.kind, problem.detail)
        return ZipResult(problem=problem.kind, detail=problem.detail)
    return ZipResult(members=tuple(members))


def _unpack(data: bytes, prefix: str, depth: int, budget: list[int]) -> list[ZipMember]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError, EOFError) as exc:
        raise _Problem("corrupt", f"not a readable zip: {exc}") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise _Problem("too_large", f"{len(infos)} members (at most {MAX_MEMBERS})")
        declared = sum(i.file_size for i in infos)
        if declared > budget[0]:
            raise _Problem("too_large", f"declares {declared} bytes unpacked (at most {MAX_TOTAL_BYTES})")
        out: list[ZipMember] = []
        for info in infos:
            name = member_name(info)
            if _is_junk(name):
                continue
            if info.flag_bits & _ENCRYPTED_FLAG:
                raise _Problem("encrypted", f"member {name!r} is encrypted")
            if info.file_size > MAX_MEMBER_BYTES:
                raise _Problem("too_large", f"member {name!r} declares {info.file_size} bytes")
            if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                ratio = info.file_size / max(info.compress_size, 1)
                raise _Problem("too_large", f"member {name!r} compresses {ratio:.0f}:1")
            content = _read_member(zf, info, name, budget)
            full = f"{prefix}{name}"
            if is_zip(content, name) and depth < MAX_DEPTH:
                out.extend(_unpack(content, f"{full} / ", depth + 1, budget))
            else:
                out.append(ZipMember(full, content))
        return out


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, budget: list[int]) -> bytes:
    limit = min(info.file_size, MAX_MEMBER_BYTES, budget[0])
    buf = bytearray()
    try:
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                buf += chunk
                if len(buf) > limit:
                    raise _Problem(
                        "too_large", f"member {name!r} unpacks past {limit} bytes (declared {info.file_size})"
                    )
    except _Problem:
        raise
    except RuntimeError as exc:  # zipfile raises RuntimeError for a password-protected member
        raise _Problem("encrypted", f"member {name!r}: {exc}") from None
    except NotImplementedError as exc:
        raise _Problem("corrupt", f"member {name!r}: unsupported compression ({exc})") from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
        raise _Problem("corrupt", f"member {name!r}: {exc}") from None
    budget[0] -= len(buf)
    return bytes(buf)
