"""Decides whether a message gets a 回执 (receipt), of what kind and to whom; never to a robot (RFC 3834 §2).

A receipt is queued in the message's own transaction (store/receipts.py) and sent after commit (receipts/).
Mail that is ignored, or the same mail seen again, gets none and leaves no row; a message that would get one but
must not (a robot, a list, our own address, too old, over the day's limit) leaves a row SUPPRESSED with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.vocab import DIGEST_HEADER, RECEIPT_HEADER, MessageOutcome, ReceiptKind, ReceiptStatus
from ingest.model import MailContent

_ROBOT_LOCALS = re.compile(
    r"(?i)^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon|no[-_.]?reply|do[-_.]?not[-_.]?reply|donotreply"
    r"|bounces?|notifications?|auto[-_.]?reply|daemon|root|listserv|majordomo|owner-.+|.+-(?:owner|request|bounces))$"
)
# An address a mail server takes (RFC 5321 is ASCII; 163 refuses the rest): else the receipt has nowhere to go.
_ADDRESS = re.compile(r"^[!#-'*+\-/-9=?A-Z^-~.]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,63}$")


@dataclass(frozen=True)
class ReceiptDecision:
    """A receipt to queue: its kind, to whom, and whether it goes (QUEUED) or not (SUPPRESSED, with the reason)."""

    kind: ReceiptKind
    to: str
    status: ReceiptStatus
    reason: str = ""


def receipt_kind(outcome: MessageOutcome, made: int, failures: int, duplicates: int) -> ReceiptKind | None:
    """What the receipt tells: the forms read (with any failures beside them), what is wrong, or a repeat."""
    if outcome in {MessageOutcome.IGNORED, MessageOutcome.SKIPPED, MessageOutcome.PENDING}:
        return None
    if made:
        return ReceiptKind.REPORT
    if failures:
        return ReceiptKind.FAILURE
    if duplicates:
        return ReceiptKind.DUPLICATE
    return None


def robot_reason(content: MailContent, to: str, own_addresses: frozenset[str]) -> str:
    """Why the sender must get no automatic answer (RFC 3834 §2 and common practice), or "" when it may."""
    headers = {k.lower(): v for k, v in content.headers.items()}
    auto = headers.get("auto-submitted", "").strip().lower()
    reasons = (
        ("auto_submitted", bool(auto) and not auto.startswith("no")),
        ("precedence", headers.get("precedence", "").strip().lower() in {"bulk", "junk", "list"}),
        ("mailing_list", "list-id" in headers or "list-unsubscribe" in headers),
        ("null_return_path", "return-path" in headers and headers["return-path"].strip() in {"", "<>"}),
        ("our_mail", RECEIPT_HEADER.lower() in headers or DIGEST_HEADER.lower() in headers),
        ("no_address", not _ADDRESS.match(to)),
        ("robot_address", bool(_ROBOT_LOCALS.match(to.split("@", 1)[0]))),
        ("own_address", to in own_addresses),
    )
    return next((name for name, hit in reasons if hit), "")


def reply_address(content: MailContent) -> str:
    """Where an answer goes (RFC 5322 §3.6.3): the first Reply-To address, else the sender's; lower-cased."""
    first = content.reply_to_addresses[0] if content.reply_to_addresses else content.sender_address
    return (first or "").strip().lower()


def decide(
    kind: ReceiptKind, content: MailContent, to: str, *, mode: str, own_addresses: frozenset[str],
    received_at: datetime, now: datetime, max_age_hours: float, sent_today: int, daily_limit: int,
) -> ReceiptDecision | None:
    """The receipt to `to` (reply_address) for one message under the settings, or None when the mode sends none
    of this kind."""
    if mode == "off" or (mode == "failures" and kind is not ReceiptKind.FAILURE):
        return None
    reason = robot_reason(content, to, own_addresses)
    if not reason and received_at < now - timedelta(hours=max_age_hours):
        reason = "too_old"
    if not reason and sent_today >= daily_limit:
        reason = "daily_limit"
    return ReceiptDecision(kind, to, ReceiptStatus.SUPPRESSED if reason else ReceiptStatus.QUEUED, reason)
