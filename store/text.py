"""Make any text safe for the database: no lone surrogates, no NUL characters.

Mail headers with raw 8-bit bytes (GBK subjects, say) come out of Python's email package with the bytes
smuggled in as lone surrogates (U+DC80..U+DCFF, "surrogateescape"). Neither SQLite nor PostgreSQL accepts
those, and dropping them would lose the Chinese text, so each run of smuggled bytes is decoded again: as
UTF-8 if it is valid UTF-8, else as GB18030 (a superset of GBK and GB2312), else with U+FFFD replacements.
"""

from __future__ import annotations

import re

_ESCAPED_RUN = re.compile("[\udc80-\udcff]+")
_OTHER_SURROGATE = re.compile("[\ud800-\udfff]")


def _decode_run(match: re.Match[str]) -> str:
    raw = bytes(ord(ch) - 0xDC00 for ch in match.group(0))
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


def clean_text(value: str | None) -> str:
    """Return value with smuggled 8-bit bytes decoded, other lone surrogates replaced and NULs removed."""
    if not value:
        return ""
    text = value
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = _ESCAPED_RUN.sub(_decode_run, text)
        text = _OTHER_SURROGATE.sub("\ufffd", text)
    return text


def clip(value: str | None, limit: int) -> str:
    """clean_text cut to a column's length (PostgreSQL refuses longer values; garbage mail has them)."""
    return clean_text(value)[:limit]


def format_sender(name: str, address: str) -> str:
    """The sender as staff read it: 显示名 <address>, or just the address."""
    name = name.strip()
    if name and address:
        return f"{name} <{address}>"
    return name or address
