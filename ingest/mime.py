"""Extracts what a mail carries: decoded sender, reply addresses, subject and date, plain body text, attachments
(forwarded mails and zips opened, within caps: see ingest.walk), cloud-attachment links. Never raises on malformed
mail: a mail the walk cannot read at all keeps its headers and says why in MailContent.problems.
"""

from __future__ import annotations

import email
import logging
import re
from datetime import datetime
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime

from core.vocab import FailureKind
from ingest.addresses import first_mailbox, mailboxes
from ingest.cloudlinks import find_cloud_links
from ingest.dates import plausible
from ingest.headers import decode_header, raw_header, scrub
from ingest.model import MailContent, MailProblem
from ingest.walk import DEFAULT_LIMITS, Collector, Limits, content_type, walk_mail

log = logging.getLogger(__name__)

KEPT_HEADERS = ("auto-submitted", "precedence", "list-id", "list-unsubscribe", "list-post", "mailing-list",
                "x-autoreply", "x-autorespond", "x-auto-response-suppress", "x-intake-digest", "return-path",
                "x-failed-recipients", "x-mailer", "content-type", "to", "x-loop", "feedback-id",
                "x-intake-receipt")

_CHARSET = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def charset_hint(raw: bytes) -> str | None:
    """The first charset a mail declares (e.g. iso-8859-1 or gb2312), if it is neither ASCII nor UTF-8."""
    for match in _CHARSET.finditer(raw[:262144]):
        label = match.group(1).decode("ascii", "replace")
        if label.lower().replace("_", "-") not in {"us-ascii", "ascii", "utf-8", "utf8"}:
            return label
    return None


def _sender(msg: Message, hint: str | None = None) -> tuple[str, str]:
    """(address, name) of From (else Sender); a From without any address keeps its word (MAILER-DAEMON)."""
    raw = raw_header(msg, "from") or raw_header(msg, "sender") or ""
    address, name = first_mailbox(raw, hint)
    if address:
        return address, name
    try:
        pairs = getaddresses([raw.replace("\r", " ").replace("\n", " ")])
    except Exception:
        pairs = []
    name, word = pairs[0] if pairs else ("", "")
    return scrub(decode_header(word, hint)).strip().strip("<>").lower(), decode_header(name, hint).strip('" ')


def _reply_to(msg: Message, hint: str | None) -> tuple[str, ...]:
    """Every Reply-To address: where a receipt answers (with the Sender header's, see _sender_header)."""
    return tuple(address for address, _name in mailboxes(raw_header(msg, "reply-to"), hint))


def _sender_header(msg: Message, hint: str | None) -> str:
    return first_mailbox(raw_header(msg, "sender"), hint)[0]


def _sent_at(msg: Message) -> datetime | None:
    raw = raw_header(msg, "date")
    if not raw:
        return None
    try:
        when = parsedate_to_datetime(" ".join(raw.split()))
    except Exception:  # any garbage: TypeError, ValueError, IndexError, OverflowError …
        return None
    return plausible(when)


def _message_id(msg: Message) -> str:
    raw = decode_header(raw_header(msg, "message-id"))
    return raw.split()[0][:500] if raw.split() else ""


def extract(raw: bytes, limits: Limits = DEFAULT_LIMITS) -> MailContent:
    """Everything the pipeline needs from one RFC 822 message. Never raises on malformed mail.

    limits: how far the parts are walked (ingest.walk.Limits); what they cut is listed in problems.
    """
    try:
        return _extract(raw, limits)
    except RecursionError:
        log.warning("mail nested too deeply to walk; reading headers only")
        return fallback_content(raw, MailProblem(
            "mail", FailureKind.TOO_COMPLEX, "nested too deeply to take apart; only its headers were read"))
    except Exception as exc:
        log.exception("could not walk a mail; reading headers only")
        return fallback_content(raw, MailProblem(
            "mail", FailureKind.INTERNAL_ERROR,
            f"could not take the mail apart ({type(exc).__name__}: {exc}); only its headers were read"))


def _extract(raw: bytes, limits: Limits) -> MailContent:
    msg = email.message_from_bytes(raw, policy=compat32)
    col = Collector(limits=limits, hint=charset_hint(raw))
    own_body = walk_mail(col, msg)
    bodies = [own_body, *col.bodies] if own_body else col.bodies
    attachments = col.attachments()
    address, name = _sender(msg, col.hint)
    top_type, _ = content_type(msg)
    headers = {
        key: decode_header(raw_header(msg, key), col.hint) for key in KEPT_HEADERS if raw_header(msg, key) is not None
    }
    plain_texts = [*bodies, *(a.filename for a in attachments)]
    return MailContent(
        message_id=_message_id(msg),
        sender_address=address,
        sender_name=name,
        subject=decode_header(raw_header(msg, "subject"), col.hint),
        sent_at=_sent_at(msg),
        body_text=scrub("\n\n".join(bodies)),
        attachments=attachments,
        cloud_links=find_cloud_links(*col.html_sources, *plain_texts),
        headers=headers,
        is_report=top_type == "multipart/report",
        problems=tuple(col.problems),
        forwarded_subjects=tuple(col.forwarded_subjects),
        reply_to_addresses=_reply_to(msg, col.hint),
        sender_header_address=_sender_header(msg, col.hint),
    )


def fallback_content(raw: bytes, problem: MailProblem | None = None) -> MailContent:
    """Headers only (sender, subject, date, Message-ID), for a mail the full walk could not read, with the problem
    that says why (never an attachment's: the pipeline makes it a failure of the message). Never raises."""
    problems = (problem,) if problem is not None else ()
    try:
        head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        msg = email.message_from_bytes(head + b"\n\n", policy=compat32)
        hint = charset_hint(raw)
        address, name = _sender(msg, hint)
        return MailContent(
            message_id=_message_id(msg),
            sender_address=address,
            sender_name=name,
            subject=decode_header(raw_header(msg, "subject"), hint),
            sent_at=_sent_at(msg),
            problems=problems,
            reply_to_addresses=_reply_to(msg, hint),
            sender_header_address=_sender_header(msg, hint),
        )
    except Exception:
        return MailContent(problems=problems)


__all__ = ["DEFAULT_LIMITS", "Limits", "charset_hint", "extract", "fallback_content"]
