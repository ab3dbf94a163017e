"""A seeded mail mutator: from real mails, hostile variants of their headers, MIME structure and attachment bytes.

Every operation works on raw bytes (never a re-encoding library that would tidy what it is meant to break) and
draws every choice from the one random.Random it is given, so a seed gives the same mails byte for byte. Files the
mutator builds (forms, zips) are made byte-stable (fixed zip times, fixed document dates) for the same reason.

plan(seed, originals, count) gives `count` mutants: mutant i starts from originals[i % n] (in a seeded order) with
OPS[i % len(OPS)] as its main operation, so every mail and every operation is used once `count` reaches both
sizes; up to two cheap operations are added on top. Heavy operations (megabyte headers, thousands of parts, zip
bombs) are only ever a main operation, so their number is bounded by count / len(OPS).
"""

from __future__ import annotations

import base64
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tests.builders import DOCX
from tests.fault.rawmail import (
    FORMS,
    attachment_part,
    bomb_docx_bytes,
    branch_form,
    gbk_zip,
    header_value,
    set_header,
    split_mail,
    wrap_multipart,
    zip_bomb,
    zip_of,
)
from tests.ingest.mailbuild import forwarded_as_attachment

REPO = Path(__file__).resolve().parents[2]
ENCRYPTED_DOCX = REPO / "tests" / "data" / "public" / "office" / "tika_testWORD_protected_passtika.docx"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CAMPAIGN_SUBJECT = "“助力火红年代”主题党日活动情况表"
# INTERNALDATEs the mutants are appended with (None: the server's now), a handful of days for the digests.
# 1980 and 2999 are no plausible INTERNALDATE: the product falls back to the Date header, then to now.
DAYS = (None, None, datetime(2026, 5, 11, 1, 0, tzinfo=UTC), datetime(2026, 5, 12, 23, 30, tzinfo=UTC),
        datetime(2026, 5, 14, 8, 0, tzinfo=UTC), datetime(1980, 1, 1, tzinfo=UTC), datetime(2999, 12, 31, tzinfo=UTC))


@dataclass(frozen=True)
class Scale:
    """How big the heavy operations go: CI keeps them small enough for its time budget, the bench goes further."""

    subject_bytes: tuple[int, int] = (1 << 20, 2 << 20)  # a Subject of 1-2 MB
    parts: tuple[int, int] = (1000, 3000)  # parts of a wide mail
    bomb_mb: int = 300  # what one zip bomb member inflates to

    @classmethod
    def full(cls) -> Scale:
        """Issue 10's sizes: a 1-10 MB Subject, up to 12,000 parts (past the walk's 10,000 cap)."""
        return cls(subject_bytes=(1 << 20, 10 << 20), parts=(1000, 12_000), bomb_mb=1000)


@dataclass(frozen=True)
class Mutant:
    """One mutated mail: its bytes, the mail it came from, the operations applied and its INTERNALDATE."""

    raw: bytes
    source: str
    ops: tuple[str, ...]
    when: datetime | None


@dataclass
class Pool:
    """What operations may borrow from the other mails: their Message-IDs and (for resends) their bytes."""

    message_ids: list[bytes]
    originals: list[bytes]
    scale: Scale


Op = Callable[[random.Random, bytes, Pool], bytes]


# -- header operations ---------------------------------------------------------------------------------------------

HOSTILE_DATES = (
    b"Fri, 31 Dec 9999 23:59:59 +0000", b"Fri, 31 Dec 9999 23:59:59 -1200", b"Mon, 01 Jan 0001 00:00:00 +1400",
    b"Mon, 01 Jan 0001 00:00:00 -0000", b"Sat, 13 May 2026 09:30:00 +9959", b"Wed, 13 May 2026 09:30:00 -9999",
    b"Wed, 13 May 2026 09:30:00 +99999999999", b"Thu, 32 Foo 2026 25:61:61 +0000", b"13/05/2026", b"",
    b"\xff\xfe\x00\x01", b"Wed, 13 May 99999999999999999999 09:30:00 +0800", b"Wed, 13 May 1969 09:30:00 +0800",
    b"Tue, 19 Jan 2038 03:14:08 +0000", b"Wed, 13 May 2226 09:30:00 +0800", b"=?utf-8?B?MjAyNuW5tDXmnIgxM+aXpQ==?=",
)


def op_date(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """Date: year 9999 or 0001, an offset no zone has, garbage, empty or missing."""
    if rng.random() < 0.1:
        return set_header(raw, "Date", None)
    return set_header(raw, "Date", rng.choice(HOSTILE_DATES))


_CHARSET_PARAM = re.compile(rb"""(charset\s*=\s*)("?)([^";\s]*)("?)""", re.IGNORECASE)
BAD_CHARSETS = (b"x-unknown-9", b"utf-99", b"gbk", b"utf-8", b"us-ascii", b"utf-16", b"utf-7", b"iso-2022-jp",
                b"unicode-1-1-utf-7", b"", b"\xff\xfe", b"koi8-r", b"x-mac-chinesesimp", b"idna", b"rot13", b"base64",
                b"punycode", b"undefined", b"unicode_escape", b"utf-32", b"hex", b"uu", b"cp65001", b"mbcs")


def op_charset(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """Every declared charset replaced by an unknown or a wrong one; else the body declared in one."""
    if not _CHARSET_PARAM.search(raw):
        return set_header(raw, "Content-Type", b"text/plain; charset=" + rng.choice(BAD_CHARSETS))
    return _CHARSET_PARAM.sub(lambda m: m.group(1) + m.group(2) + rng.choice(BAD_CHARSETS) + m.group(4), raw)


BAD_WORDS = (
    b"=?x-bogus?B?5oOF5Ya16KGo?=", b"=?utf-8?B?//79/A==?=", b"=?gb2312?Q?=FF=FE=A1?=", b"=?utf-8?B?!!!?=",
    b"=?utf-8?Q?=E6=83?= =?gbk?B?x+m/9rHt?=", b"=?utf-16?B?2D3eAA==?=", b"=?utf-8*zh?B?5oOF5Ya16KGo?=",
    b"=?idna?Q?xn--?=", b"=?utf-7?Q?+2D3eAA-?=", b"=?GBK?B?\xff\xfe?=", b"=??B?5oOF?=", b"=?utf-8?X?abc?=",
    b"=?punycode?Q?a_b?=", b"=?undefined?Q?abc?=", b"=?unicode_escape?Q?=5Cu12?=", b"=?zlib?B?eJw=?=",
)


def op_encoded_word(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """Subject, From or a file name as encoded-words in unknown charsets, invalid bytes or broken base64."""
    word = rng.choice(BAD_WORDS) + b" " + rng.choice(BAD_WORDS)
    target = rng.choice(("Subject", "From", "filename"))
    if target == "filename":
        return re.sub(rb'((?:file)?name\s*=\s*)"?[^";\r\n]*"?', lambda m: m.group(1) + b'"' + word + b'"', raw,
                      count=1, flags=re.IGNORECASE)
    if target == "From":
        return set_header(raw, "From", word + b" <" + rng.choice((b"a@b.cn", b"", b"@", b"x")) + b">")
    return set_header(raw, "Subject", word)


RFC2231_VALUES = (
    "filename*=UTF-8''情况表.docx".encode(), "filename*=GBK''情况表.docx".encode("gbk"),
    b"filename*=utf-8''%E6%83%85%E5%86%B5%E8%A1%A8\x8b.docx", b"filename*=utf-8''%E6%8",
    b"filename*=utf-8''%ZZ%GG.docx", b"filename*1*=%E8%A1%A8.docx; filename*0*=utf-8''%E6%83%85%E5%86%B5",
    b"filename*0*=x-unknown''%E6; filename*2*=%85.docx", b"filename*=''", b"filename*=undefined'zh'%E6%83%85.docx",
    b'filename*0="a"; filename*1*=%E6%83%85; filename*99=b', b"filename*=utf-8'zh'" + b"%E6%83%85" * 20_000,
)


def op_rfc2231(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """A file name in RFC 2231 form sent wrong: raw 8-bit bytes, a cut or bad %XX, segments out of order or
    missing, an unknown charset, 180 KB of it."""
    value = rng.choice(RFC2231_VALUES)
    raw, count = re.subn(rb'(?i)filename\*?\s*=\s*("[^"\r\n]*"|[^;\r\n]*)', lambda _m: value, raw, count=1)
    if count:
        return raw
    name, data, ctype = branch_form(rng.randrange(FORMS))
    part = attachment_part(name, data, ctype).replace(f'filename="{name}"'.encode(), value, 1)
    return set_header(wrap_multipart(raw, after=[part]), "Subject", CAMPAIGN_SUBJECT.encode())


def op_message_id_reuse(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """The Message-ID of another mail of the corpus (a copied draft, a broken client)."""
    return set_header(raw, "Message-ID", rng.choice(pool.message_ids))


def op_message_id_odd(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """Message-ID empty, missing, 5000 characters, with NUL, white space, or only <>."""
    value = rng.choice((b"", None, b"<" + b"x" * 5000 + b"@163.com>", b"<a\x00b@163.com>", b"<a b c>", b"<>",
                        b"\xff\xfe@\x80", b"<" + b"\xe6\x83\x85" * 400 + b"@163.com>"))
    return set_header(raw, "Message-ID", value)


def op_long_subject(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """A Subject of megabytes: one unfolded line, folded lines, or encoded-words."""
    size = rng.randint(*pool.scale.subject_bytes)
    style = rng.choice(("line", "folded", "words"))
    if style == "line":
        value = (CAMPAIGN_SUBJECT.encode() + b"A" * size)[:size]
    elif style == "folded":
        value = b"\r\n ".join([b"x" * 70] * (size // 73))
    else:
        value = b" ".join([b"=?utf-8?B?5oOF5Ya16KGo?="] * (size // 25))
    return set_header(raw, "Subject", value)


def op_long_values(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """A 100 KB From, file name or Content-Type, or 20,000 header lines."""
    choice = rng.choice(("from", "filename", "ctype", "many"))
    if choice == "from":
        return set_header(raw, "From", b'"' + "张".encode() * 30_000 + b'" <' + b"a" * 10_000 + b"@163.com>")
    if choice == "filename":
        name = "情况表".encode() * 30_000 + b".docx"
        return wrap_multipart(raw, after=[attachment_part(name.decode(), branch_form(2)[1], DOCX)])
    if choice == "ctype":
        return set_header(raw, "Content-Type", b"multipart/mixed; " + b"x=y; " * 20_000 + b'boundary="b"')
    head, sep, body = split_mail(raw)
    fillers = b"\r\n".join(b"X-Filler-%d: %d" % (i, i) for i in range(20_000))
    return head + b"\r\n" + fillers + (sep or b"\r\n\r\n") + body


def op_line_endings(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """Bare LF, bare CR, CR CR LF, lines mixed at random, or no blank line between header and body."""
    style = rng.choice(("lf", "cr", "crcrlf", "mixed", "no_blank", "lf_in_header"))
    lines = re.split(rb"\r\n|\n|\r", raw)
    if style == "lf":
        return b"\n".join(lines)
    if style == "cr":
        return b"\r".join(lines)
    if style == "crcrlf":
        return b"\r\r\n".join(lines)
    if style == "mixed":
        out = bytearray()
        for line in lines:
            out += line + rng.choice((b"\r\n", b"\n", b"\r", b"\n\r"))
        return bytes(out)
    if style == "no_blank":
        head, _sep, body = split_mail(raw)
        return head + b"\r\n" + body
    return set_header(raw, "Subject", b"line one\nline two\rline three\r\n\r\nnot a body")


def op_nul(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """NUL bytes in the Subject, the From and at random places in the body."""
    raw = set_header(raw, "Subject", b"\x00" + CAMPAIGN_SUBJECT.encode() + b"\x00\x00")
    raw = set_header(raw, "From", b"a\x00b <a\x00b@163.com>")
    out = bytearray(raw)
    for _ in range(rng.randint(1, 20)):
        out.insert(rng.randrange(len(out) + 1), 0)
    return bytes(out)


def op_invalid_bytes(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """8-bit bytes that are no valid UTF-8 (nor GBK) in the headers and anywhere in the mail."""
    raw = set_header(raw, "Subject", CAMPAIGN_SUBJECT.encode() + b"\xff\xfe\x80\xc0\xaf\xed\xa0\x80")
    raw = set_header(raw, "From", b"\x81\x30\xff <\xe6\x83@163.com>")
    out = bytearray(raw)
    for _ in range(rng.randint(1, 40)):
        out.insert(rng.randrange(len(out) + 1), rng.randint(0x80, 0xFF))
    return bytes(out)


def op_addresses(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """From with ?cc=&body= in the local part, the whole From in one encoded-word, or no address at all."""
    choice = rng.choice((
        b"<x?cc=boss@example.org&body=hi@163.com>",
        b"=?utf-8?b?" + base64.b64encode("公安局老干部处 <gaj_lgc@163.com>".encode()) + b"?=",
        b"MAILER-DAEMON", b"<<<>>>", b'"\\" <@>', b"a@b@c@d", b"undisclosed-recipients:;",
    ))
    raw = set_header(raw, "From", choice)
    return set_header(raw, "Reply-To", rng.choice((choice, b"x@y, , ,", b"=?utf-8?B?//79?=")))


# -- MIME structure ------------------------------------------------------------------------------------------------

_BOUNDARY = re.compile(rb"""boundary\s*=\s*"?([^";\r\n]+)"?""", re.IGNORECASE)


def _boundaries(rng: random.Random, raw: bytes, pool: Pool) -> tuple[bytes, bytes]:
    """(mail, one of its boundaries), making the mail multipart (a form beside it) when it is not."""
    found = [m.group(1).strip() for m in _BOUNDARY.finditer(raw)]
    found = [b for b in found if b and raw.count(b"--" + b) > 0]
    if not found:
        raw = wrap_multipart(raw, after=[attachment_part(*branch_form(rng.randrange(FORMS)))])
        found = [b"=_fault_wrap_="]
    return raw, rng.choice(found)


def op_boundary_removed(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """The closing delimiter, every delimiter, or the boundary parameter itself removed."""
    raw, boundary = _boundaries(rng, raw, pool)
    style = rng.choice(("closing", "all", "param"))
    if style == "closing":
        return raw.replace(b"--" + boundary + b"--", b"")
    if style == "all":
        return re.sub(rb"(?m)^--" + re.escape(boundary) + rb"(--)?[ \t]*\r?$\n?", b"", raw)
    return raw.replace(b"boundary=\"" + boundary + b"\"", b"").replace(b"boundary=" + boundary, b"")


def op_boundary_duplicated(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """A delimiter line doubled, or the closing delimiter repeated before every part."""
    raw, boundary = _boundaries(rng, raw, pool)
    line = b"--" + boundary
    if rng.random() < 0.5:
        return raw.replace(line + b"\r\n", line + b"\r\n" + line + b"\r\n", 1).replace(
            line + b"\n", line + b"\n" + line + b"\n", 1)
    return raw.replace(line, line + b"--\r\n" + line, rng.randint(1, 3))


def op_boundary_mismatched(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """The declared boundary no longer the one used: longer, a prefix, another case, or another boundary's."""
    raw, boundary = _boundaries(rng, raw, pool)
    new = rng.choice((boundary + b"x", boundary[:-1] or b"-", boundary.swapcase(), b"", b"--" + boundary,
                      b"\xff" + boundary))
    return _BOUNDARY.sub(lambda m: b'boundary="' + new + b'"', raw, count=1)


def op_nest_deep(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """The content inside 5 to 60 multipart/mixed levels (past the walk's nesting cap of 50)."""
    depth = rng.choice((5, 20, 49, 51, 60))
    for level in range(depth):
        raw = wrap_multipart(raw, boundary=b"=_fault_nest_%d_=" % level)
    return raw


def op_forward_deep(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """The mail forwarded as message/rfc822 3 to 12 levels deep (ten deep is within the cap, eleven is not)."""
    depth = rng.choice((3, 9, 10, 10, 11, 12))
    wrapped = forwarded_as_attachment(raw, depth)
    return set_header(wrapped, "Subject", ("Fw: " + CAMPAIGN_SUBJECT).encode())


def op_many_parts(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """Thousands of tiny parts before the mail's own content (a form among them, last)."""
    count = rng.randint(*pool.scale.parts)
    filler = [b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + (b"x" if i % 2 else b"")
              for i in range(count)]
    return wrap_multipart(raw, before=filler, after=[attachment_part(*branch_form(rng.randrange(FORMS)))])


def op_no_boundary_param(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """Content-Type: multipart/mixed with no boundary, or a multipart declared on a plain body."""
    return set_header(raw, "Content-Type", rng.choice((b"multipart/mixed", b"multipart/alternative; boundary=",
                                                        b"message/rfc822", b"multipart/signed; boundary=\"\"")))


# -- attachment bytes ----------------------------------------------------------------------------------------------

_B64_BLOCK = re.compile(rb"(?m)(?:^[A-Za-z0-9+/]{40,}={0,2}\r?\n){3,}(?:^[A-Za-z0-9+/]*={0,2}\r?\n)?")


def lenient_b64decode(text: bytes) -> bytes:
    """What a mail reader makes of a base64 body: white space and padding ignored, a dangling character dropped."""
    chars = re.sub(rb"[^A-Za-z0-9+/]", b"", text)
    chars = chars[: len(chars) - 1] if len(chars) % 4 == 1 else chars
    return base64.b64decode(chars + b"=" * (-len(chars) % 4))


def _with_attachment(rng: random.Random, raw: bytes, change: Callable[[bytes], bytes]) -> bytes:
    """Decode one base64 block of the mail (most often its largest), change the bytes, encode them back in its
    place. A mail without one gets a branch's form attached first, so there is always a file to break."""
    blocks = list(_B64_BLOCK.finditer(raw))
    if not blocks:
        raw = wrap_multipart(raw, after=[attachment_part(*branch_form(rng.randrange(FORMS)))])
        raw = set_header(raw, "Subject", CAMPAIGN_SUBJECT.encode())
        blocks = list(_B64_BLOCK.finditer(raw))
    block = max(blocks, key=lambda m: m.end() - m.start()) if rng.random() < 0.7 else rng.choice(blocks)
    eol = b"\r\n" if block.group(0).endswith(b"\r\n") else b"\n"
    data = lenient_b64decode(block.group(0))
    encoded = base64.encodebytes(change(data)).replace(b"\n", eol)
    return raw[: block.start()] + encoded + raw[block.end() :]


def op_truncate(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """An attachment cut short anywhere (to nothing at all, sometimes)."""
    return _with_attachment(rng, raw, lambda data: data[: rng.randrange(len(data) + 1)])


def op_flip(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """1 to 64 bytes of an attachment flipped."""
    def flip(data: bytes) -> bytes:
        out = bytearray(data)
        for _ in range(rng.randint(1, 64) if out else 0):
            out[rng.randrange(len(out))] ^= rng.randint(1, 255)
        return bytes(out)
    return _with_attachment(rng, raw, flip)


def op_rezip(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """An attachment packed into a zip (GBK member names, zip in zip, or three files beside it)."""
    def rezip(data: bytes) -> bytes:
        style = rng.choice(("plain", "gbk", "nested", "crowd"))
        if style == "gbk":
            return gbk_zip([("情况表.docx", data)])
        if style == "nested":
            return zip_of([("内层.zip", zip_of([("情况表.docx", data)]))])
        if style == "crowd":
            return zip_of([("a.txt", b"x"), ("__MACOSX/._x", b"\x00"), ("情况表.docx", data), ("b.docx", data[:100])])
        return zip_of([("情况表.docx", data)])
    return _with_attachment(rng, raw, rezip)


def op_zip_bomb(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """An attachment replaced by a zip bomb or a .docx whose XML inflates to hundreds of MB."""
    bomb = zip_bomb(pool.scale.bomb_mb) if rng.random() < 0.5 else bomb_docx_bytes(min(pool.scale.bomb_mb, 400))
    return _with_attachment(rng, raw, lambda _data: bomb)


def op_ole_encrypted(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """An attachment replaced by an encrypted Office file, its OLE head only, or OLE magic before junk."""
    real = ENCRYPTED_DOCX.read_bytes()
    choice = rng.choice((real, real[:4096], OLE_MAGIC + rng.randbytes(4096), OLE_MAGIC + bytes(504)))
    return _with_attachment(rng, raw, lambda _data: choice)


# -- copies --------------------------------------------------------------------------------------------------------

def op_resend(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """Another mail of the corpus as it was (an exact resend), or this one with one byte more at the end."""
    if rng.random() < 0.5:
        return rng.choice(pool.originals)
    return raw + b"\r\n"


def op_add_form(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """A branch's form attached beside whatever the mail holds (the same form often goes to several mails)."""
    return wrap_multipart(raw, after=[attachment_part(*branch_form(rng.randrange(FORMS)))],
                          boundary=b"=_fault_form_%d_=" % rng.randrange(1000))


def op_campaign(rng: random.Random, raw: bytes, pool: Pool) -> bytes:
    """A Subject that names the campaign, so the mail's files count (failures are listed, not ignored)."""
    return set_header(raw, "Subject", CAMPAIGN_SUBJECT.encode())


OPS: dict[str, Op] = {
    "date": op_date, "charset": op_charset, "encoded_word": op_encoded_word, "rfc2231": op_rfc2231,
    "message_id_reuse": op_message_id_reuse, "message_id_odd": op_message_id_odd, "long_subject": op_long_subject,
    "long_values": op_long_values, "line_endings": op_line_endings, "nul": op_nul,
    "invalid_bytes": op_invalid_bytes, "addresses": op_addresses, "boundary_removed": op_boundary_removed,
    "boundary_duplicated": op_boundary_duplicated, "boundary_mismatched": op_boundary_mismatched,
    "nest_deep": op_nest_deep, "forward_deep": op_forward_deep, "many_parts": op_many_parts,
    "no_boundary_param": op_no_boundary_param, "truncate": op_truncate, "flip": op_flip, "rezip": op_rezip,
    "zip_bomb": op_zip_bomb, "ole_encrypted": op_ole_encrypted, "resend": op_resend, "campaign": op_campaign,
    "add_form": op_add_form,
}
HEAVY = frozenset({"long_subject", "long_values", "many_parts", "zip_bomb", "nest_deep", "forward_deep"})
CHEAP = tuple(name for name in OPS if name not in HEAVY and name != "resend")


def message_id_of(raw: bytes) -> bytes:
    return header_value(raw, "Message-ID") or b""


def plan(seed: int, originals: Sequence[tuple[str, bytes]], count: int, scale: Scale | None = None) -> list[Mutant]:
    """`count` mutants of the originals (name, bytes), the same bytes for the same seed (see the module doc)."""
    rng = random.Random(seed)
    order = list(originals)
    rng.shuffle(order)
    names = list(OPS)
    rng.shuffle(names)
    pool = Pool([m for m in (message_id_of(raw) for _n, raw in order) if m], [raw for _n, raw in order],
                scale or Scale())
    mutants = []
    for i in range(count):
        source, raw = order[i % len(order)]
        ops = [names[i % len(names)], *rng.sample(CHEAP, k=rng.choice((0, 0, 1, 2)))]
        for name in ops:
            raw = OPS[name](rng, raw, pool)
        if not raw.strip(b"\r\n\t "):
            raw = b"X-Fault: empty\r\n\r\n"  # no IMAP server stores a zero-byte message
        mutants.append(Mutant(raw, source, tuple(ops), rng.choice(DAYS)))
    return mutants


def load_originals(repo: Path = REPO) -> list[tuple[str, bytes]]:
    """Every .eml of the public corpus and of samples/mail (the corpus's two Outlook .msg files are no mail)."""
    paths = sorted((repo / "tests" / "data" / "public" / "mail").glob("*.eml"))
    paths += sorted((repo / "samples" / "mail").glob("*.eml"))
    return [(str(p.relative_to(repo)), p.read_bytes()) for p in paths]
