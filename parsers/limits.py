"""Caps that keep a hostile file from exhausting memory or time: zip-bomb checks, part reads, deadlines."""

from __future__ import annotations

import copy
import io
import struct
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

MAX_INPUT_BYTES = 40 * 1024 * 1024
"""Larger attachments are refused before any parsing."""

MAX_PART_BYTES = 64 * 1024 * 1024
"""The largest uncompressed size accepted for one zip member."""

MAX_TOTAL_BYTES = 160 * 1024 * 1024
"""The largest uncompressed size accepted for a whole zip package."""

MAX_RATIO = 120
"""Compression ratio above which a big member is treated as a zip bomb (real XML compresses about 10-30x)."""

RATIO_FLOOR_BYTES = 2 * 1024 * 1024
"""Members smaller than this are never refused for their ratio alone."""

MAX_MEMBERS = 5000

MAX_LIVE_NODES = 400_000
"""XML nodes one parse may hold in memory at once: a part read whole, or what a streamed part has not yet handed
on. Nodes are counted as the bytes '<' and '=' (an element, a text run, an attribute); lxml takes at most about
250 bytes a node, so this keeps a tree near 100 MB. An honest form's largest part holds a few thousand; a styles
part bloated by years of copy-paste about 300k (and styles are streamed)."""

WHOLE_PART_BYTES = 4 * 1024 * 1024
"""Parts declared at most this big are read into memory and parsed in one call; bigger ones are streamed."""

STREAM_CHUNK = 256 * 1024
"""Bytes inflated and fed to a streaming XML parser at a time."""

MAX_PAGE_WORDS = 20_000
"""Words (text runs, OCR boxes) on one PDF page or picture; a form page has a few hundred."""

MAX_PAGE_RULES = 2_000
"""Ruling lines on one page; a form's table has a few dozen (a scan's noise adds some hundreds)."""

MAX_GRID_SQUARES = 20_000
"""Squares of one ruled table (rows x columns); a form has about fifty."""

DEFAULT_TIMEOUT = 30.0
"""Seconds one parse may take, LibreOffice conversion included."""

_CHUNK = 1024 * 1024


class LimitExceeded(Exception):
    """A size, ratio or time cap was hit: the file is reported as too_large."""


class JobFailed(Exception):
    """A reader in a child process (parsers/worker.py) answered with a failure kind (encrypted, too_large, corrupt)
    and a detail."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class HostileContent(Exception):
    """The file holds something never found in honest office files (a DTD, an entity declaration)."""


@dataclass
class Deadline:
    """A point in monotonic time a parse must finish by; check() between steps."""

    expires_at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        return self.expires_at - time.monotonic()

    def check(self) -> None:
        if time.monotonic() > self.expires_at:
            raise LimitExceeded("parse time limit exceeded")


def node_cost(xml: bytes) -> int:
    """An upper bound of the nodes (elements, text runs, attributes) lxml builds for these XML bytes."""
    return xml.count(b"<") + xml.count(b"=")


def check_input_size(data: bytes) -> None:
    if len(data) > MAX_INPUT_BYTES:
        raise LimitExceeded(f"attachment is {len(data)} bytes, over the {MAX_INPUT_BYTES} byte cap")


def check_zip(zf: zipfile.ZipFile) -> None:
    """Refuse a package whose declared sizes or ratios are those of a zip bomb, before any member is read."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise LimitExceeded(f"zip has {len(infos)} members, over the cap of {MAX_MEMBERS}")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > MAX_PART_BYTES:
            raise LimitExceeded(f"zip member {info.filename!r} declares {info.file_size} bytes uncompressed")
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise LimitExceeded(
                f"zip member {info.filename!r} has compression ratio {info.file_size // max(info.compress_size, 1)}"
            )
    if total > MAX_TOTAL_BYTES:
        raise LimitExceeded(f"zip declares {total} bytes uncompressed in all, over the cap")


def _open_uncapped(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> IO[bytes]:
    """Open a member so that reading goes on past its declared size: the only way to see a lying header."""
    probe = copy.copy(info)
    probe.file_size = MAX_PART_BYTES + 1
    return zf.open(probe)


def read_member(zf: zipfile.ZipFile, name: str, deadline: Deadline | None = None) -> bytes:
    """Read one zip member in chunks, stopping as soon as it inflates past its declared size or the cap."""
    info = zf.getinfo(name)
    cap = min(info.file_size, MAX_PART_BYTES)
    if info.compress_size <= _SMALL_COMPRESSED:
        small = _read_small(zf, info, cap)
        if small is not None:
            return small
    return b"".join(member_chunks(zf, name, deadline))


def member_chunks(zf: zipfile.ZipFile, name: str, deadline: Deadline | None = None) -> Iterator[bytes]:
    """One zip member's bytes as they inflate, in chunks, stopping as soon as it inflates past its declared size or
    the cap, so nothing bigger than a chunk is held here."""
    info = zf.getinfo(name)
    cap = min(info.file_size, MAX_PART_BYTES)
    got = 0
    with _open_uncapped(zf, info) as fh:
        while chunk := fh.read(STREAM_CHUNK):
            got += len(chunk)
            if got > cap:
                raise LimitExceeded(f"zip member {name!r} inflates past its declared size {info.file_size}")
            yield chunk
            if deadline is not None:
                deadline.check()


_SMALL_COMPRESSED = 4 * 1024 * 1024
"""Members whose compressed bytes are at most this are inflated in one bounded call instead of a stream."""

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_MAGIC = b"PK\x03\x04"


def _read_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes | None:
    """A stored or deflated, unencrypted member read straight from the package bytes and inflated with an output
    bound of cap + 1 bytes, so a lying size or a bomb is caught without inflating more than that; the CRC-32 is
    checked as zipfile does. None when the member needs zipfile's general reader (other methods, encryption, a
    local header that disagrees with the directory, a package not read from memory)."""
    fp = zf.fp
    if (
        not isinstance(fp, io.BytesIO)
        or info.flag_bits & 0x1
        or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
    ):
        return None
    with fp.getbuffer() as buffer:
        start = info.header_offset
        header = bytes(buffer[start : start + _LOCAL_HEADER.size])
        if len(header) != _LOCAL_HEADER.size:
            return None
        fields = _LOCAL_HEADER.unpack(header)
        if fields[0] != _LOCAL_MAGIC or fields[4] != info.compress_type:
            return None
        begin = start + _LOCAL_HEADER.size + fields[10] + fields[11]
        with buffer[begin : begin + info.compress_size] as raw:
            if len(raw) != info.compress_size:
                raise zipfile.BadZipFile(f"zip member {info.filename!r} is truncated")
            if info.compress_type == zipfile.ZIP_STORED:
                if len(raw) > cap:
                    raise LimitExceeded(f"zip member {info.filename!r} is bigger than its declared size")
                out = bytes(raw)
            else:
                inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                out = inflater.decompress(raw, cap + 1)
                if len(out) > cap:
                    raise LimitExceeded(f"zip member {info.filename!r} inflates past its declared size {cap}")
                if not inflater.eof:
                    raise zipfile.BadZipFile(f"zip member {info.filename!r} ends before its deflate stream does")
    if zlib.crc32(out) != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
    return out


def verify_members(zf: zipfile.ZipFile, deadline: Deadline | None = None) -> None:
    """Inflate every member without keeping it, proving each is no bigger than declared, holds no DTD and no more
    XML nodes than MAX_LIVE_NODES (for readers we do not control, such as openpyxl, which trust the declared sizes
    and build a whole tree or an object per cell)."""
    for info in zf.infolist():
        if info.is_dir():
            continue
        got = 0
        nodes = 0
        xml = info.filename.endswith((".xml", ".rels", ".vml"))
        tail = b""
        with _open_uncapped(zf, info) as fh:
            while chunk := fh.read(_CHUNK):
                got += len(chunk)
                refuse_dtd(tail + chunk, info.filename)
                tail = chunk[-9:]
                nodes += node_cost(chunk) if xml else 0
                if nodes > MAX_LIVE_NODES:
                    raise LimitExceeded(f"zip member {info.filename!r} holds more than {MAX_LIVE_NODES} XML nodes")
                if got > min(info.file_size, MAX_PART_BYTES):
                    raise LimitExceeded(
                        f"zip member {info.filename!r} inflates past its declared size {info.file_size}"
                    )
                if deadline is not None:
                    deadline.check()


def refuse_dtd(xml: bytes, part: str) -> None:
    """Office XML never carries a DTD; one that does is hostile (entity expansion, external entities)."""
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise HostileContent(f"{part} declares a DTD or entities")
