"""Make any text safe for the database and for matching: no lone surrogates, NULs or bidi overrides; keys without
invisible format characters.

Mail headers with raw 8-bit bytes (GBK subjects, say) come out of Python's email package with the bytes
smuggled in as lone surrogates (U+DC80..U+DCFF, "surrogateescape"). Neither SQLite nor PostgreSQL accepts
those, and dropping them would lose the Chinese text, so each run of smuggled bytes is decoded again: as
UTF-8 if it is valid UTF-8, else as GB18030 (a superset of GBK and GB2312), else with U+FFFD replacements.
"""

from __future__ import annotations

import re
import unicodedata

_ESCAPED_RUN = re.compile("[\udc80-\udcff]+")
_OTHER_SURROGATE = re.compile("[\ud800-\udfff]")
# Embedding, override and isolate controls reorder what a person reads ("‮gpj.exe" shows as "exe.jpg"):
# never kept in any text we store or show.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Unicode category Cf (format characters: soft hyphen, zero-width space/joiners, marks, BOM, tags ...), as of the
# Unicode data of Python 3.11; tests/store/test_text.py checks it against unicodedata.
FORMAT_CHARACTERS = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)


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
    if _BIDI_CONTROLS.search(text):
        text = _BIDI_CONTROLS.sub("", text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = _ESCAPED_RUN.sub(_decode_run, text)
        text = _OTHER_SURROGATE.sub("\ufffd", text)
    return text


def match_key(value: str | None) -> str:
    """The comparison key of a text: cleaned, NFKC, format characters (zero-width space and joiner, BOM, bidi
    controls: Unicode category Cf) dropped, white space folded away (spacing in Chinese text carries nothing)."""
    text = clean_text(value)
    if not text.isascii():
        text = FORMAT_CHARACTERS.sub("", unicodedata.normalize("NFKC", text))
    return "".join(text.split())


def clip(value: str | None, limit: int) -> str:
    """clean_text cut to a column's length (PostgreSQL refuses longer values; garbage mail has them)."""
    return clean_text(value)[:limit]


def format_sender(name: str, address: str) -> str:
    """The sender as staff read it: 显示名 <address>, or just the address."""
    name = name.strip()
    if name and address:
        return f"{name} <{address}>"
    return name or address
