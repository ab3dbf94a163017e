"""Extracts what a mail carries: decoded sender and subject, plain body text, attachments (forwarded mails and
zips opened), cloud-attachment links. Never raises on malformed mail.

Rules:
- every leaf part is looked at; a part is an attachment if it has a file name (filename= or name=, RFC 2047 /
  RFC 2231 / raw GBK) or a non-text type, whatever its Content-Disposition;
- message/rfc822 parts (also base64- or quoted-printable-encoded ones) and .eml attachments are opened and
  walked like the outer mail (origin "fwd N / ...");
- zips are unpacked (ingest.zips): members become attachments with origin "zip <name> / <member>" and the zip
  itself is not passed on; a zip that is a bomb, corrupt or encrypted is passed on as-is and listed in
  MailContent.problems as a MailProblem with kind too_large, corrupt or encrypted.
"""

from __future__ import annotations

import base64
import binascii
import email
import hashlib
import logging
import mimetypes
import posixpath
import quopri
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime

from core.vocab import FailureKind
from ingest import zips
from ingest.cloudlinks import find_cloud_links
from ingest.dates import plausible
from ingest.headers import decode_bytes, decode_header, parse_params, recover_bytes, scrub
from ingest.htmltext import html_to_text, tidy
from ingest.model import Attachment, MailContent, MailProblem

log = logging.getLogger(__name__)

MAX_DEPTH = 8  # nesting of multiparts and forwarded mails
MAX_PARTS = 500  # leaf parts looked at per mail
KEPT_HEADERS = ("auto-submitted", "precedence", "list-id", "list-unsubscribe", "list-post", "mailing-list",
                "x-autoreply", "x-autorespond", "x-auto-response-suppress", "x-intake-digest", "return-path",
                "x-failed-recipients", "x-mailer", "content-type", "to", "x-loop", "feedback-id")
# Non-text types that are structure or signatures, not files a branch attached.
NOT_ATTACHMENTS = frozenset({
    "message/delivery-status", "message/disposition-notification", "message/feedback-report",
    "application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature",
    "application/pgp-keys", "message/external-body",
})
FORWARDED_TYPES = frozenset({"message/rfc822", "message/global"})


@dataclass
class _Collector:
    """What the walk gathers across the whole mail, forwarded mails included."""

    attachments: list[Attachment] = field(default_factory=list)
    problems: list[MailProblem] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)  # plain text per message, outer first
    html_sources: list[str] = field(default_factory=list)  # raw HTML kept for link search
    forwarded_subjects: list[str] = field(default_factory=list)
    forwards: int = 0
    parts: int = 0
    names: set[str] = field(default_factory=set)
    hint: str | None = None  # the mail's own charset, for raw 8-bit headers and unlabelled text


_CHARSET = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def charset_hint(raw: bytes) -> str | None:
    """The first charset a mail declares (e.g. iso-8859-1 or gb2312), if it is neither ASCII nor UTF-8."""
    for match in _CHARSET.finditer(raw[:262144]):
        label = match.group(1).decode("ascii", "replace")
        if label.lower().replace("_", "-") not in {"us-ascii", "ascii", "utf-8", "utf8"}:
            return label
    return None


def _raw_header(msg: Message, name: str) -> str | None:
    """The first raw value of a header (8-bit bytes kept as surrogate escapes); None if absent."""
    lname = name.lower()
    try:
        for key, value in msg.raw_items():
            if str(key).lower() == lname:
                return str(value)
    except Exception:  # a header object we cannot read is as good as absent
        return None
    return None


def _content_type(part: Message, hint: str | None = None) -> tuple[str, dict[str, str]]:
    ctype, params = parse_params(_raw_header(part, "content-type"), hint)
    if "/" not in ctype:
        return "text/plain", params  # RFC 2045 default, also for garbage values
    return ctype.split()[0] if ctype.split() else "text/plain", params


def _filename(part: Message, ctype_params: dict[str, str], hint: str | None) -> str:
    _disp, disp_params = parse_params(_raw_header(part, "content-disposition"), hint)
    name = disp_params.get("filename") or ctype_params.get("name") or ""
    name = name.replace("\\", "/")
    name = posixpath.basename(name.rstrip("/")) or name
    return scrub(" ".join(name.split()))


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


def _payload_bytes(part: Message) -> bytes:
    cte = (_raw_header(part, "content-transfer-encoding") or "").strip().strip(";").strip().lower()
    payload = part.get_payload()
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


def _part_text(part: Message, params: dict[str, str], hint: str | None) -> str:
    return decode_bytes(_payload_bytes(part), params.get("charset"), hint)


def _guess_name(ctype: str, index: int) -> str:
    ext = mimetypes.guess_extension(ctype, strict=False) or ".bin"
    return f"附件{index}{ext}"


def _add(col: _Collector, name: str, ctype: str, data: bytes, origin: str) -> None:
    base = origin
    n = 2
    while origin in col.names:
        origin = f"{base} #{n}"
        n += 1
    col.names.add(origin)
    col.attachments.append(
        Attachment(filename=name, content_type=ctype, data=data, sha256=hashlib.sha256(data).hexdigest(),
                   origin=origin)
    )


def _add_file(col: _Collector, name: str, ctype: str, data: bytes, origin: str, prefix: str, depth: int) -> None:
    """One attached file: a forwarded .eml is opened, a zip unpacked, anything else kept as it is."""
    lower = name.lower()
    if lower.endswith(".eml") or ctype in FORWARDED_TYPES:
        inner = _parse(data)
        if inner is not None and inner.keys():
            _forwarded(col, inner, prefix, depth)
            return
    if zips.is_zip(data, name):
        result = zips.unpack(data, name)
        if result.problem is None:
            for member in result.members:
                member_name = posixpath.basename(member.name) or member.name
                if member_name.lower().endswith(".eml"):
                    inner = _parse(member.data)
                    if inner is not None and inner.keys():
                        _forwarded(col, inner, prefix, depth)
                        continue
                guessed = mimetypes.guess_type(member_name, strict=False)[0] or "application/octet-stream"
                _add(col, scrub(member_name), guessed, member.data, f"{prefix}zip {name} / {scrub(member.name)}")
            return
        _add(col, name, ctype, data, origin)
        col.problems.append(MailProblem(col.attachments[-1].origin, FailureKind(result.problem), result.detail))
        return
    _add(col, name, ctype, data, origin)


def _parse(data: bytes) -> Message | None:
    try:
        return email.message_from_bytes(data, policy=compat32)
    except Exception:
        return None


def _inner_message(part: Message) -> Message | None:
    """The mail inside a message/rfc822 part, decoding a base64 / quoted-printable wrapper if there is one."""
    cte = (_raw_header(part, "content-transfer-encoding") or "").strip().lower()
    payload = part.get_payload()
    first = payload[0] if isinstance(payload, list) and payload else None
    inner = first if isinstance(first, Message) else None
    if cte in {"base64", "quoted-printable"}:
        try:
            if inner is not None:
                text = inner.as_bytes() if inner.keys() else recover_bytes(str(inner.get_payload()))
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


def _forwarded(col: _Collector, inner: Message, prefix: str, depth: int) -> None:
    col.forwards += 1
    fwd_prefix = f"{prefix}fwd {col.forwards} / "
    subject = decode_header(_raw_header(inner, "subject"), col.hint)
    if subject:
        col.forwarded_subjects.append(subject)
    body = _walk_message(col, inner, fwd_prefix, depth + 1)
    header = f"转发邮件主题：{subject}" if subject else ""
    text = "\n".join(t for t in (header, body) if t)
    if text:
        col.bodies.append(text)


def _walk_message(col: _Collector, msg: Message, prefix: str, depth: int) -> str:
    """Walk one message's parts; attachments go to col; return this message's own body text."""
    plains: list[str] = []
    htmls: list[str] = []
    _walk(col, msg, prefix, depth, "", plains, htmls)
    if plains:
        return tidy("\n\n".join(p for p in plains if p.strip()))
    return "\n\n".join(t for t in (html_to_text(h) for h in htmls) if t)


def _walk(
    col: _Collector, part: Message, prefix: str, depth: int, section: str, plains: list[str], htmls: list[str]
) -> None:
    if depth > MAX_DEPTH or col.parts > MAX_PARTS:
        return
    ctype, params = _content_type(part, col.hint)
    payload = part.get_payload()
    if ctype.startswith("multipart/") or (isinstance(payload, list) and ctype not in FORWARDED_TYPES):
        if isinstance(payload, list):
            for i, sub in enumerate(payload, 1):
                if isinstance(sub, Message):
                    _walk(col, sub, prefix, depth + 1, f"{section}.{i}" if section else str(i), plains, htmls)
            return
        ctype = "text/plain"  # "multipart" without a boundary: read it as text
    col.parts += 1
    origin = f"{prefix}part {section or '1'}"
    if ctype in FORWARDED_TYPES:
        inner = _inner_message(part)
        if inner is not None:
            _forwarded(col, inner, prefix, depth)
            return
    name = _filename(part, params, col.hint)
    maintype = ctype.split("/", 1)[0]
    if ctype not in NOT_ATTACHMENTS and (name or maintype != "text"):
        data = _payload_bytes(part)
        if not data and not name:
            return
        _add_file(col, name or _guess_name(ctype, len(col.attachments) + 1), ctype, data, origin, prefix, depth)
        return
    if ctype == "text/html":
        markup = _part_text(part, params, col.hint)
        htmls.append(markup)
        col.html_sources.append(markup)
    elif ctype in {"text/plain", "text/enriched", "text/richtext"} or ctype.startswith("message/"):
        plains.append(_part_text(part, params, col.hint))


def _sender(msg: Message, hint: str | None = None) -> tuple[str, str]:
    raw = _raw_header(msg, "from") or _raw_header(msg, "sender") or ""
    try:
        pairs = getaddresses([raw.replace("\r", " ").replace("\n", " ")])
    except Exception:
        pairs = []
    name, address = pairs[0] if pairs else ("", "")
    address = scrub(decode_header(address, hint)).strip().strip("<>").lower()
    if "@" not in address:
        match = re.search(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", decode_header(raw, hint))
        address = match.group(0).lower() if match else address
    return address, decode_header(name, hint).strip().strip('"').strip()


def _sent_at(msg: Message) -> datetime | None:
    raw = _raw_header(msg, "date")
    if not raw:
        return None
    try:
        when = parsedate_to_datetime(" ".join(raw.split()))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return plausible(when)


def _message_id(msg: Message) -> str:
    raw = decode_header(_raw_header(msg, "message-id"))
    return raw.split()[0][:500] if raw.split() else ""


def extract(raw: bytes) -> MailContent:
    """Everything the pipeline needs from one RFC 822 message. Never raises on malformed mail."""
    try:
        return _extract(raw)
    except RecursionError:
        log.warning("mail nested too deeply; reading headers only")
    except Exception:
        log.exception("could not walk a mail; reading headers only")
    return fallback_content(raw)


def _extract(raw: bytes) -> MailContent:
    msg = email.message_from_bytes(raw, policy=compat32)
    col = _Collector(hint=charset_hint(raw))
    own_body = _walk_message(col, msg, "", 0)
    bodies = [own_body, *col.bodies] if own_body else col.bodies
    address, name = _sender(msg, col.hint)
    top_type, _ = _content_type(msg)
    headers = {
        key: decode_header(_raw_header(msg, key), col.hint) for key in KEPT_HEADERS if _raw_header(msg, key) is not None
    }
    plain_texts = [*bodies, *(a.filename for a in col.attachments)]
    return MailContent(
        message_id=_message_id(msg),
        sender_address=address,
        sender_name=name,
        subject=decode_header(_raw_header(msg, "subject"), col.hint),
        sent_at=_sent_at(msg),
        body_text=scrub("\n\n".join(bodies)),
        attachments=tuple(col.attachments),
        cloud_links=find_cloud_links(*col.html_sources, *plain_texts),
        headers=headers,
        is_report=top_type == "multipart/report",
        problems=tuple(col.problems),
        forwarded_subjects=tuple(col.forwarded_subjects),
    )


def fallback_content(raw: bytes) -> MailContent:
    """Headers only (sender, subject, date, Message-ID), for a mail the full walk could not read. Never raises."""
    try:
        head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        msg = email.message_from_bytes(head + b"\n\n", policy=compat32)
        hint = charset_hint(raw)
        address, name = _sender(msg, hint)
        return MailContent(
            message_id=_message_id(msg),
            sender_address=address,
            sender_name=name,
            subject=decode_header(_raw_header(msg, "subject"), hint),
            sent_at=_sent_at(msg),
        )
    except Exception:
        return MailContent()
