"""Reads the addresses in From, Sender and Reply-To the ways clients write them, decoding before parsing.

Some clients put the name and the address inside one encoded-word (From: =?utf-8?b?<"公安局老干部处
<gaj_lgc@163.com>">?=); parsing the raw header sees one opaque word, so an address that is not plainly one is
decoded first and then parsed again. A name encoded on its own is parsed first and decoded afterwards, so a comma
inside it ("张三, 李四") cannot split one mailbox in two.

An address is data, kept exactly as written apart from letter case (lower-cased, as 163/126/QQ treat it): a local
part with characters such as ?cc=…&body=… stays in it, and one that is not an RFC 5322 dot-atom (it holds "@",
spaces or quotes) is kept quoted, so the result is always one mailbox at one domain and can never change meaning
in a link or a reply. A value with no address at all gives nothing.
"""

from __future__ import annotations

import re
from email.utils import getaddresses

from ingest.headers import decode_header, scrub

_ATEXT = r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\U0010ffff]+"
_DOT_ATOM = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
_ANGLE = re.compile(r"\A\s*(.*?)\s*<([^<>]*)>\s*\Z", re.DOTALL)
_ANGLE_ANYWHERE = re.compile(r"<([^<>\s]*@[^<>\s]*)>")
_BARE = re.compile(r"[^\s<>(),;:\"\[\]]+@[^\s<>(),;:\"\[\]@]+")


def mailboxes(raw: str | None, hint: str | None = None) -> list[tuple[str, str]]:
    """Every (address, display name) in a raw header value (compat32, 8-bit bytes as surrogates), in order.

    Each comma-separated item of the form "name <address>" is taken as exactly that, whatever the name holds
    ("henry@example.com <ivan@example.com>" is ivan's mailbox, never two); other items go to the stdlib parser.
    """
    if not raw:
        return []
    text = str(raw).replace("\r", " ").replace("\n", " ")
    found: list[tuple[str, str]] = []
    for item in _items(text):
        angle = _ANGLE.match(item)
        address = decode_header(angle.group(2), hint).strip() if angle else ""
        if angle and _is_address(address):
            found.append((_normal(address), _clean_name(decode_header(angle.group(1), hint))))
            continue
        try:
            pairs = getaddresses([item])
        except Exception:  # an item the stdlib cannot split: the decoded text is read below
            pairs = []
        found.extend(got for name, addr in pairs if (got := _from_pair(name, addr, hint)) is not None)
    return found or _from_decoded(decode_header(text, hint))


def _items(text: str) -> list[str]:
    """text split at the commas that are outside quotes, angle brackets and comments."""
    items: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    depth = 0  # inside <…> or (…)
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif not quoted and ch in "<(":
            depth += 1
        elif not quoted and ch in ">)" and depth:
            depth -= 1
        elif ch == "," and not quoted and not depth:
            items.append("".join(current))
            current = []
            continue
        current.append(ch)
    items.append("".join(current))
    return [item for item in items if item.strip()]


def first_mailbox(raw: str | None, hint: str | None = None) -> tuple[str, str]:
    """The first (address, display name) of a header value, or ("", "")."""
    found = mailboxes(raw, hint)
    return found[0] if found else ("", "")


def _from_pair(name: str, addr: str, hint: str | None) -> tuple[str, str] | None:
    decoded_name = _clean_name(decode_header(name, hint))
    decoded = decode_header(addr, hint).strip()
    if _is_address(decoded):
        return _normal(decoded), decoded_name
    if "@" in decoded:  # a whole "name <address>" inside one encoded-word
        inner = _from_decoded(decoded)
        if inner:
            address, inner_name = inner[0]
            return address, inner_name or decoded_name
    return None


def _from_decoded(text: str) -> list[tuple[str, str]]:
    """Mailboxes in already decoded text: "name <address>" whole, else a list, else any address-like token."""
    match = _ANGLE.match(text)
    if match and _is_address(match.group(2).strip()):
        return [(_normal(match.group(2).strip()), _clean_name(match.group(1)))]
    try:
        pairs = getaddresses([text])
    except Exception:
        pairs = []
    found = [(_normal(a.strip()), _clean_name(n)) for n, a in pairs if _is_address(a.strip())]
    if found:
        return found
    loose = _ANGLE_ANYWHERE.search(text) or _BARE.search(text)
    return [(_normal(loose.group(loose.lastindex or 0)), "")] if loose else []


def _clean_name(name: str) -> str:
    return scrub(name).strip().strip('"').strip()


def _is_address(text: str) -> bool:
    local, at, domain = text.rpartition("@")
    return bool(at and local and domain) and not any(ch.isspace() or ch in "<>" for ch in domain) \
        and not re.search(r"[<>]", local) and (local.startswith('"') or not any(ch.isspace() for ch in local))


def _normal(address: str) -> str:
    """Lower-cased, with a local part that is not a dot-atom quoted (so "@" or "?" inside stays inside)."""
    local, _, domain = scrub(address).strip().strip("<>").rpartition("@")
    if not (local.startswith('"') and local.endswith('"') and len(local) > 1) and not _DOT_ATOM.fullmatch(local):
        local = '"' + local.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{local}@{domain}".lower()
