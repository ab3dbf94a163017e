"""Writes MIME text by hand the way Chinese webmail and mail clients do: encoded words, RFC 2231, base64 parts."""

from __future__ import annotations

import base64
import quopri
from datetime import datetime
from urllib.parse import quote

CRLF = "\r\n"
MAILBOX = "szlgbjdjc@163.com"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- header and body encoding helpers ---


def b64_lines(data: bytes, width: int = 76) -> str:
    """Base64 in lines of width characters, CRLF-ended, as mail programs write it."""
    text = base64.b64encode(data).decode("ascii")
    return "".join(text[i : i + width] + CRLF for i in range(0, len(text), width))


def qp_lines(text: str, charset: str) -> str:
    """Quoted-printable of text (LF-separated lines) with CRLF line ends."""
    encoded = quopri.encodestring(text.encode(charset)).decode("ascii")
    return encoded.replace("\n", CRLF) + ("" if encoded.endswith("\n") else CRLF)


def encoded_words(text: str, charset: str, max_bytes: int = 45) -> list[str]:
    """RFC 2047 B encoded words of text, split on character boundaries so each word stays under 76 characters."""
    words: list[str] = []
    chunk = ""
    for char in text:
        if len((chunk + char).encode(charset)) > max_bytes:
            words.append(chunk)
            chunk = ""
        chunk += char
    words.append(chunk)
    return [f"=?{charset}?B?{base64.b64encode(w.encode(charset)).decode('ascii')}?=" for w in words if w]


def header_words(name: str, text: str, charset: str) -> str:
    """A header whose value is RFC 2047 encoded words, folded one word per line."""
    return f"{name}: " + (CRLF + " ").join(encoded_words(text, charset))


def rfc2231(param: str, value: str, continuation: int = 0) -> str:
    """RFC 2231 extended parameter in UTF-8: one name*=utf-8''... or, when continuation is set, name*0*= ... pieces."""
    encoded = quote(value, safe="")
    if not continuation:
        return f"{param}*=utf-8''{encoded}"
    pieces: list[str] = []
    rest = encoded
    while rest:
        cut = min(continuation, len(rest))
        while "%" in rest[max(0, cut - 2) : cut] and cut < len(rest):  # never split a %XX escape
            cut -= 1
        pieces.append(rest[:cut])
        rest = rest[cut:]
    parts = [f"{param}*0*=utf-8''{pieces[0]}"]
    parts += [f"{param}*{i}*={piece}" for i, piece in enumerate(pieces[1:], start=1)]
    return (";" + CRLF + "\t").join(parts)


def part(headers: list[str], body: str) -> str:
    """One MIME entity: header lines, a blank line, the body (already CRLF-terminated)."""
    return CRLF.join(headers) + CRLF + CRLF + body


def multipart(boundary: str, parts: list[str], preamble: str = "") -> str:
    """The body of a multipart entity: optional preamble, each part between boundaries, the closing boundary."""
    body = preamble
    for entity in parts:
        body += f"--{boundary}{CRLF}{entity}{CRLF}"
    return body + f"--{boundary}--{CRLF}"


def text_part(text: str, charset: str, subtype: str = "plain", encoding: str = "base64") -> str:
    """A text/plain or text/html leaf in the given charset and transfer encoding."""
    body = b64_lines(text.replace("\n", CRLF).encode(charset)) if encoding == "base64" else qp_lines(text, charset)
    return part([f'Content-Type: text/{subtype}; charset="{charset}"', f"Content-Transfer-Encoding: {encoding}"], body)


def html_of(text: str) -> str:
    """The HTML twin of a short plain-text mail body, the way webmail composes it."""
    lines = "".join(f"<div>{line or '<br>'}</div>" for line in text.split("\n"))
    return f'<div style="line-height:1.7;font-size:14px;font-family:Arial">{lines}</div>'


def message(headers: list[str], body: str) -> bytes:
    """A whole RFC 5322 message, CRLF line ends."""
    return (CRLF.join(headers) + CRLF + CRLF + body).encode("ascii")


def date_header(when: datetime, suffix: str = "") -> str:
    """An RFC 5322 Date in China Standard Time (+0800); the names are fixed English, whatever the locale."""
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    stamp = f"{days[when.weekday()]}, {when.day} {months[when.month - 1]} {when.year} {when:%H:%M:%S} +0800"
    return stamp + suffix


# --- the senders' mail programs ---


def coremail(
    when: datetime, sender: tuple[str, str], subject: str, text: str, attachments: list[str], mid: str, boundary: str
) -> bytes:
    """A 163/126 webmail (Coremail) message: GBK display name and subject, GBK body, attachments after it."""
    name, address = sender
    domain = address.split("@")[1]
    alternative = f"----=_Part_{boundary}_alt"
    body_parts = [
        part(
            [f'Content-Type: multipart/alternative; {CRLF}\tboundary="{alternative}"'],
            multipart(alternative, [text_part(text, "GBK"), text_part(html_of(text), "GBK", "html")]),
        ),
        *attachments,
    ]
    headers = [
        f"Received: from {address.replace('@', '$')} ( [58.211.84.{17 + when.day} ] ) by"
        f" ajax-webmail-wmsvr{40 + when.month}.{domain}{CRLF} (Coremail) ; {date_header(when, ' (CST)')}",
        f"Date: {date_header(when, ' (CST)')}",
        header_words("From", name, "GBK") + f" <{address}>",
        f"To: {MAILBOX}",
        f"Message-ID: <{mid}>",
        header_words("Subject", subject, "GBK"),
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; {CRLF}\tboundary="----=_Part_{boundary}"',
        "X-Originating-IP: [58.211.84.113]",
        "X-Priority: 3",
        "X-Mailer: Coremail Webmail Server Version XT5.0.10 build 20190724(cb9a0d9c)",
    ]
    return message(headers, multipart(f"----=_Part_{boundary}", body_parts))


def gbk_attachment(filename: str, content_type: str, data: bytes, charset: str = "GBK") -> str:
    """An attachment whose name is an RFC 2047 encoded word inside quotes (163, Foxmail, Outlook do this)."""
    word = f"=?{charset}?B?{base64.b64encode(filename.encode(charset)).decode('ascii')}?="
    return part(
        [
            f'Content-Type: {content_type}; {CRLF}\tname="{word}"',
            "Content-Transfer-Encoding: base64",
            f'Content-Disposition: attachment; {CRLF}\tfilename="{word}"',
        ],
        b64_lines(data),
    )


def qq_mail(
    when: datetime,
    sender: tuple[str, str],
    subject: str,
    attachment: tuple[str, bytes],
    mid: str,
    boundary: str,
    split: int = 0,
) -> bytes:
    """A QQ Mail message: UTF-8 subject, body 见附件, the form named with RFC 2231 filename*=utf-8''...

    split > 0 cuts the encoded name into RFC 2231 continuations (name*0*=, name*1*=...) of about that length.
    """
    filename, data = attachment
    text = "见附件"
    html = "<div>见附件</div>"
    name_param = rfc2231("name", filename, split)
    attach = part(
        [
            f'Content-Type: application/octet-stream;{CRLF}\tcharset="utf-8";{CRLF}\t{name_param}',
            f"Content-Disposition: attachment; {rfc2231('filename', filename, split)}",
            "Content-Transfer-Encoding: base64",
        ],
        b64_lines(data),
    )
    alternative = f"----=_NextPart_{boundary}_ALT"
    outer = f"----=_NextPart_{boundary}"
    headers = [
        "X-QQ-FEAT: 3gRsDdEhCJ8yRbLTQoHmTvzZgD8TBxYyGv2x6kH0WjU=",
        "X-QQ-SSF: 00000000000000F000000000000000Z",
        f"X-QQ-XMAILINFO: {boundary.replace('_', '')}",
        "X-QQ-mid: webmail802t" + boundary[:8].lower() + "1591171233",
        header_words("From", sender[0], "utf-8") + f" <{sender[1]}>",
        f'To: "szlgbjdjc" <{MAILBOX}>',
        header_words("Subject", subject, "utf-8"),
        "Mime-Version: 1.0",
        f'Content-Type: multipart/mixed;{CRLF}\tboundary="{outer}"',
        "Content-Transfer-Encoding: 8Bit",
        f"Date: {date_header(when)}",
        "X-Priority: 3",
        f"Message-ID: <{mid}>",
        "X-QQ-MIME: TCMime 1.0 by Tencent",
        "X-Mailer: QQMail 2.x",
        "X-QQ-Mailer: QQMail 2.x",
    ]
    body = multipart(
        outer,
        [
            part(
                [f'Content-Type: multipart/alternative;{CRLF}\tboundary="{alternative}"'],
                multipart(alternative, [text_part(text, "utf-8"), text_part(html, "utf-8", "html")]),
            ),
            attach,
        ],
        preamble="This is a multi-part message in MIME format." + CRLF + CRLF,
    )
    return message(headers, body)
