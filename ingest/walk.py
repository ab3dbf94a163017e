"""Walks a parsed mail's parts within caps: attachments (forwarded mails and zips opened), body text, and what a
cap left out.

Rules:
- every leaf part is looked at; a part is an attachment if it has a file name (filename= or name=, RFC 2047 /
  RFC 2231 / raw GBK) or a non-text type, whatever its Content-Disposition;
- message/rfc822 parts (also base64- or quoted-printable-encoded ones) and .eml attachments are opened and
  walked like the outer mail (origin "fwd N / ...");
- zips are unpacked (ingest.zips): members become attachments with origin "zip <name> / <member>" and the zip
  itself is not passed on; a zip that is a bomb, corrupt or encrypted is passed on as-is with a MailProblem of
  kind too_large, corrupt or encrypted and the zip's own origin.

Caps (Limits) keep memory bounded yet reach a form wherever a real client can put one. Forwarding depth and
multipart depth are counted apart, so a form forwarded ten times over is still found. Only what is kept counts
toward the attachment caps: text parts never do, and files with a name are kept before nameless parts (those are
set aside and kept afterwards while there is room, in their place in the mail). Whatever a cap cut off becomes one
MailProblem per cap, of kind too_complex, whose origin is where the cap first bit (never an attachment's origin)
and whose detail says in English what was left out, e.g. "stopped after 10000 parts; 4870 parts not read".
"""

from __future__ import annotations

import base64
import binascii
import email
import hashlib
import mimetypes
import posixpath
import quopri
import re
from dataclasses import dataclass, field
from email.message import Message
from email.policy import compat32
from typing import Any

from core.vocab import FailureKind
from ingest import zips
from ingest.headers import decode_bytes, decode_header, parse_params, raw_header, recover_bytes, scrub
from ingest.htmltext import html_to_text, tidy
from ingest.model import Attachment, MailProblem

# Non-text types that are structure or signatures, not files a branch attached.
NOT_ATTACHMENTS = frozenset({
    "message/delivery-status", "message/disposition-notification", "message/feedback-report",
    "application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature",
    "application/pgp-keys", "message/external-body",
})
FORWARDED_TYPES = frozenset({"message/rfc822", "message/global"})


@dataclass(frozen=True)
class Limits:
    """How far one mail is walked. The defaults bound memory to a few hundred MB whatever arrives."""

    forward_depth: int = 10  # forwarded mails inside forwarded mails (message/rfc822, .eml files, .eml in zips)
    nesting: int = 50  # multiparts inside multiparts along one branch, across the whole mail
    parts: int = 10_000  # leaf parts looked at in the whole mail, text parts included
    attachments: int = 1000  # attachments kept (each zip member counts); real mail with 328 exists
    kept_bytes: int = 256 * 1024 * 1024  # bytes of attachments kept


DEFAULT_LIMITS = Limits()


@dataclass
class _Cut:
    """What one cap left out: where it first bit, how many things, how many bytes."""

    origin: str
    count: int = 0
    size: int = 0


@dataclass(frozen=True)
class _Level:
    """Where a part sits: the origin prefix of its forwarded mail, and how deep it is on both counts."""

    prefix: str = ""
    forwards: int = 0
    nesting: int = 0


@dataclass(frozen=True)
class _SetAside:
    """A nameless non-text part, kept after the walk if there is room, in its place in the mail."""

    part: Message
    ctype: str
    name: str
    origin: str
    level: _Level
    order: int


@dataclass
class Collector:
    """What the walk gathers across the whole mail, forwarded mails included."""

    limits: Limits = DEFAULT_LIMITS
    hint: str | None = None  # the mail's own charset, for raw 8-bit headers and unlabelled text
    problems: list[MailProblem] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)  # plain text of each forwarded message
    html_sources: list[str] = field(default_factory=list)  # raw HTML kept for link search
    forwarded_subjects: list[str] = field(default_factory=list)
    forwards: int = 0
    parts: int = 0
    kept_bytes: int = 0
    names: set[str] = field(default_factory=set)
    cuts: dict[str, _Cut] = field(default_factory=dict)
    kept: list[tuple[tuple[int, int], Attachment]] = field(default_factory=list)  # (place in the mail, file)
    set_aside: list[_SetAside] = field(default_factory=list)
    order: int = 0

    def attachments(self) -> tuple[Attachment, ...]:
        """Everything kept, in the order of the mail."""
        return tuple(att for _key, att in sorted(self.kept, key=lambda item: item[0]))

    def next_order(self) -> int:
        self.order += 1
        return self.order

    def cut(self, cap: str, origin: str, count: int = 1, size: int = 0) -> None:
        entry = self.cuts.setdefault(cap, _Cut(origin))
        entry.count += count
        entry.size += size


def walk_mail(col: Collector, msg: Message) -> str:
    """Walk the whole mail; return its own body text. Attachments, problems and forwarded bodies go to col."""
    body = _walk_message(col, msg, _Level())
    for aside in col.set_aside:
        data = _payload_bytes(aside.part)
        if data:
            _add_file(col, aside.name, aside.ctype, data, aside.origin, aside.level, aside.order)
    col.problems.extend(_cut_problems(col))
    return body


def _walk_message(col: Collector, msg: Message, level: _Level) -> str:
    """Walk one message's parts; attachments go to col; return this message's own body text."""
    plains: list[str] = []
    htmls: list[str] = []
    _walk(col, msg, level, "", plains, htmls)
    if plains:
        return tidy("\n\n".join(p for p in plains if p.strip()))
    return "\n\n".join(t for t in (html_to_text(h) for h in htmls) if t)


def _walk(col: Collector, part: Message, level: _Level, section: str, plains: list[str], htmls: list[str]) -> None:
    ctype, params = content_type(part, col.hint)
    payload = payload_of(part)
    origin = f"{level.prefix}part {section or '1'}"
    if ctype.startswith("multipart/") or (isinstance(payload, list) and ctype not in FORWARDED_TYPES):
        if isinstance(payload, list):
            if level.nesting >= col.limits.nesting:
                col.cut("nesting", origin, _count_leaves(part))
                return
            inner = _Level(level.prefix, level.forwards, level.nesting + 1)
            for i, sub in enumerate(payload, 1):
                if isinstance(sub, Message):
                    _walk(col, sub, inner, f"{section}.{i}" if section else str(i), plains, htmls)
            return
        ctype = "text/plain"  # "multipart" without a boundary: read it as text
    col.parts += 1
    if col.parts > col.limits.parts:
        col.cut("parts", origin)
        return
    if ctype in FORWARDED_TYPES:
        inner_msg = _inner_message(part)
        if inner_msg is not None:
            _forwarded(col, inner_msg, level, origin)
            return
    name = _filename(part, params, col.hint)
    if ctype not in NOT_ATTACHMENTS and (name or not ctype.startswith("text/")):
        _attachment(col, part, ctype, name, origin, level)
    elif ctype == "text/html":
        markup = decode_bytes(_payload_bytes(part), params.get("charset"), col.hint)
        htmls.append(markup)
        col.html_sources.append(markup)
    elif ctype in {"text/plain", "text/enriched", "text/richtext"} or ctype.startswith("message/"):
        plains.append(decode_bytes(_payload_bytes(part), params.get("charset"), col.hint))


def _attachment(col: Collector, part: Message, ctype: str, name: str, origin: str, level: _Level) -> None:
    """A named file is kept now; a nameless part is set aside, to be kept after the walk if there is room."""
    order = col.next_order()
    if len(col.kept) >= col.limits.attachments:
        col.cut("attachments", origin)  # not even decoded: there is no room for it
        return
    if not name:
        guessed = _guess_name(ctype, len(col.kept) + len(col.set_aside) + 1)
        col.set_aside.append(_SetAside(part, ctype, guessed, origin, level, order))
        return
    _add_file(col, name, ctype, _payload_bytes(part), origin, level, order)


def _forwarded(col: Collector, inner: Message, level: _Level, origin: str) -> None:
    if level.forwards >= col.limits.forward_depth:
        col.cut("forwards", origin)
        return
    col.forwards += 1
    inner_level = _Level(f"{level.prefix}fwd {col.forwards} / ", level.forwards + 1, level.nesting)
    subject = decode_header(raw_header(inner, "subject"), col.hint)
    if subject:
        col.forwarded_subjects.append(subject)
    body = _walk_message(col, inner, inner_level)
    header = f"转发邮件主题：{subject}" if subject else ""
    text = "\n".join(t for t in (header, body) if t)
    if text:
        col.bodies.append(text)


def _add_file(col: Collector, name: str, ctype: str, data: bytes, origin: str, level: _Level, order: int) -> None:
    """One attached file: a forwarded .eml is opened, a zip unpacked, anything else kept as it is."""
    if name.lower().endswith(".eml") or ctype in FORWARDED_TYPES:
        inner = _parse(data)
        if inner is not None and inner.keys():
            _forwarded(col, inner, level, origin)
            return
    if not zips.is_zip(data, name):
        _add(col, name, ctype, data, origin, (order, 0))
        return
    result = zips.unpack(data, name)
    if result.problem is not None:
        kept = _add(col, name, ctype, data, origin, (order, 0))
        if kept is not None:
            col.problems.append(MailProblem(kept.origin, FailureKind(result.problem), result.detail))
        return
    for index, member in enumerate(result.members, 1):
        member_name = posixpath.basename(member.name) or member.name
        if member_name.lower().endswith(".eml"):
            inner = _parse(member.data)
            if inner is not None and inner.keys():
                _forwarded(col, inner, level, f"{level.prefix}zip {name} / {scrub(member.name)}")
                continue
        guessed = mimetypes.guess_type(member_name, strict=False)[0] or "application/octet-stream"
        _add(col, scrub(member_name), guessed, member.data, f"{level.prefix}zip {name} / {scrub(member.name)}",
             (order, index))


def _add(col: Collector, name: str, ctype: str, data: bytes, origin: str, key: tuple[int, int]) -> Attachment | None:
    """Keep one file if the caps allow it (else count it as cut); its origin made unique."""
    if len(col.kept) >= col.limits.attachments:
        col.cut("attachments", origin, size=len(data))
        return None
    if col.kept_bytes + len(data) > col.limits.kept_bytes:
        col.cut("bytes", origin, size=len(data))
        return None
    base = origin
    n = 2
    while origin in col.names:
        origin = f"{base} #{n}"
        n += 1
    col.names.add(origin)
    col.kept_bytes += len(data)
    att = Attachment(filename=name, content_type=ctype, data=data, sha256=hashlib.sha256(data).hexdigest(),
                     origin=origin)
    col.kept.append((key, att))
    return att


def _cut_problems(col: Collector) -> list[MailProblem]:
    """One too_complex problem per cap that cut something, its origin never an attachment's."""
    lim = col.limits
    out = []
    for cap, cut in col.cuts.items():
        where = cut.origin
        if cap == "parts":
            detail = f"stopped after {lim.parts} parts; {cut.count} parts not read"
        elif cap == "nesting":
            detail = (f"multiparts nested more than {lim.nesting} deep; {_things(cut.count, 'part')} not read "
                      f"below {where}")
        elif cap == "forwards":
            detail = (f"forwarded mails nested more than {lim.forward_depth} deep; "
                      f"{_things(cut.count, 'forwarded mail')} not opened, first at {where}")
        elif cap == "attachments":
            detail = f"kept {lim.attachments} attachments; {cut.count} more not kept, first at {where}"
        else:
            detail = (f"kept {_size(col.kept_bytes)} of attachments (at most {_size(lim.kept_bytes)}); "
                      f"{_things(cut.count, 'more attachment')} ({_size(cut.size)}) not kept, first at {where}")
        origin = where if where not in col.names else f"cap: {where}"
        out.append(MailProblem(origin, FailureKind.TOO_COMPLEX, detail))
    return out


def _things(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _size(n: int) -> str:
    return f"{n} bytes" if n < 1024 * 1024 else f"{n / (1024 * 1024):.1f} MiB"


def _count_leaves(part: Message) -> int:
    """Leaf parts under part, counted without recursion (the tree may be deeper than Python's stack)."""
    count = 0
    stack = [part]
    while stack:
        payload = payload_of(stack.pop())
        if isinstance(payload, list):
            stack.extend(p for p in payload if isinstance(p, Message))
        else:
            count += 1
    return count


# -- one part's type, name and bytes -------------------------------------------------------------------------

def content_type(part: Message, hint: str | None = None) -> tuple[str, dict[str, str]]:
    """The part's lower-case type (text/plain when missing or garbage, as RFC 2045 says) and its parameters."""
    ctype, params = parse_params(raw_header(part, "content-type"), hint)
    if "/" not in ctype:
        return "text/plain", params
    return ctype.split()[0] if ctype.split() else "text/plain", params


def _filename(part: Message, ctype_params: dict[str, str], hint: str | None) -> str:
    _disp, disp_params = parse_params(raw_header(part, "content-disposition"), hint)
    name = disp_params.get("filename") or ctype_params.get("name") or ""
    name = name.replace("\\", "/")
    name = posixpath.basename(name.rstrip("/")) or name
    return scrub(" ".join(name.split()))


def _guess_name(ctype: str, index: int) -> str:
    ext = mimetypes.guess_extension(ctype, strict=False) or ".bin"
    return f"附件{index}{ext}"


_BASE64_LINE = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def _strict_base64(text: str) -> bytes | None:
    """Decode only the lines that are base64, skipping stray header lines that fell into the body."""
    compact = "".join(text.split())
    if len(compact) % 4 == 0:
        try:
            return base64.b64decode(compact, validate=True)  # the usual case, all in C
        except (binascii.Error, ValueError):
            pass
    lines = [line.strip() for line in text.splitlines()]
    kept = "".join(line for line in lines if line and _BASE64_LINE.fullmatch(line))
    if not kept:
        return None
    kept = kept.replace("=", "")
    if len(kept) % 4 == 1:
        kept = kept[:-1]  # one stray character cannot be decoded; drop it
    kept += "=" * (-len(kept) % 4)
    try:
        return base64.b64decode(kept)
    except (binascii.Error, ValueError):
        return None


def payload_of(part: Message) -> Any:
    """part.get_payload(): a list of parts, or the undecoded text. The stdlib decodes a leaf's 8-bit text in the
    declared charset even for this, and a label naming no charset ("undefined", "idna", "punycode") raises
    UnicodeError there: the label is then dropped from this parsed copy (the raw mail is untouched) and read again."""
    try:
        return part.get_payload()
    except UnicodeError:
        part.del_param("charset")
        return part.get_payload()


def _payload_bytes(part: Message) -> bytes:
    cte = (raw_header(part, "content-transfer-encoding") or "").strip().strip(";").strip().lower()
    payload = payload_of(part)
    if cte == "base64" and isinstance(payload, str):
        strict = _strict_base64(payload)
        if strict is not None:
            return strict
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    if isinstance(payload, str):
        return recover_bytes(payload)
    return b""


def _parse(data: bytes) -> Message | None:
    try:
        return email.message_from_bytes(data, policy=compat32)
    except Exception:
        return None


def _inner_message(part: Message) -> Message | None:
    """The mail inside a message/rfc822 part, decoding a base64 / quoted-printable wrapper if there is one."""
    cte = (raw_header(part, "content-transfer-encoding") or "").strip().lower()
    payload = payload_of(part)
    first = payload[0] if isinstance(payload, list) and payload else None
    inner = first if isinstance(first, Message) else None
    if cte in {"base64", "quoted-printable"}:
        try:
            if inner is not None:
                text = inner.as_bytes() if inner.keys() else recover_bytes(str(payload_of(inner)))
            else:
                text = recover_bytes(str(payload))
            decoded = base64.b64decode(re.sub(rb"[^A-Za-z0-9+/=]", b"", text) + b"==") if cte == "base64" \
                else quopri.decodestring(text)
        except (binascii.Error, ValueError, TypeError, LookupError):
            return inner
        return _parse(decoded)
    if inner is not None:
        return inner
    if isinstance(payload, str) and payload.strip():
        return _parse(recover_bytes(payload))
    return None
