"""Decides what kind of mail this is: ignored (auto-reply, bounce, our digest, list mail), about the campaign,
or a correction of an earlier report."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from core.vocab import DIGEST_HEADER
from ingest.headers import parse_params
from ingest.model import MailContent

CAMPAIGN_WORDS = ("主题党日", "情况表", "火红年代", "党日活动", "主題黨日", "情況表", "黨日活動")
CORRECTION_WORDS = ("更正", "修改", "修正", "重新报送", "重报", "补充", "重新報送", "重報", "補充")

DIGEST_SUBJECT_MARK = "日报"

_BOUNCE_SENDERS = ("mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon")
_BOUNCE_SUBJECTS = re.compile(
    r"(?i)undeliver|returned mail|delivery status notification|delivery (?:has )?failed|failure notice"
    r"|mail delivery (?:failed|system)|non.?delivery|退信|投递失败|发送失败|无法投递|未能送达|退回"
)
_AUTO_SUBJECTS = re.compile(
    r"(?i)^\s*(?:自动回复|自動回覆|自动答复|auto(?:matic)?[ -]?repl(?:y|ies)|auto:|out of (?:the )?office|"
    r"autoreply|autoresponse|vacation|休假|不在办公室|已读[:：]|read:|已读回执|read receipt)"
)
_WS = re.compile(r"\s+")


def _compact(text: str) -> str:
    return _WS.sub("", text)


def _has_any(words: Iterable[str], *texts: str) -> bool:
    haystack = "\n".join(_compact(t) for t in texts if t)
    return any(word in haystack for word in words)


def ignore_reason(content: MailContent, own_addresses: Collection[str]) -> str | None:
    """Why the mail is not a branch's report: own_digest, bounce, auto_reply or mailing_list; None if none."""
    headers = {k.lower(): v for k, v in content.headers.items()}
    sender = content.sender_address.lower()
    own = {a.strip().lower() for a in own_addresses if a}
    # Our digest carries its header; a mail from our own address is ours only if it looks like the digest,
    # since staff may well send a form they got another way to the mailbox from the mailbox itself.
    if DIGEST_HEADER.lower() in headers or (sender and sender in own and DIGEST_SUBJECT_MARK in content.subject):
        return "own_digest"
    local = sender.split("@", 1)[0]
    _ctype, ct_params = parse_params(headers.get("content-type", ""))
    report_type = ct_params.get("report-type", "").lower()
    if content.is_report and report_type == "disposition-notification":
        return "auto_reply"  # a read receipt
    if (
        content.is_report
        or local in _BOUNCE_SENDERS
        or "x-failed-recipients" in headers
        or (headers.get("return-path", "").strip() in {"<>", ""} and "return-path" in headers
            and _BOUNCE_SUBJECTS.search(content.subject))
    ):
        return "bounce"
    auto_submitted = headers.get("auto-submitted", "").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return "auto_reply"
    if "x-autoreply" in headers or "x-autorespond" in headers:
        return "auto_reply"
    precedence = headers.get("precedence", "").strip().lower()
    if precedence == "auto_reply" or _AUTO_SUBJECTS.search(content.subject):
        return "auto_reply"
    if _BOUNCE_SUBJECTS.search(content.subject) and not content.attachments:
        return "bounce"
    if precedence in {"bulk", "junk", "list"} or "list-id" in headers or "mailing-list" in headers:
        return "mailing_list"
    return None


def mentions_campaign(content: MailContent) -> bool:
    """True when the subject, body, attachment names or forwarded subjects speak of the themed Party day."""
    names = [a.filename for a in content.attachments] + [a.origin for a in content.attachments]
    return _has_any(CAMPAIGN_WORDS, content.subject, content.body_text, *names, *content.forwarded_subjects)


def is_correction(content: MailContent) -> bool:
    """True when the subject or body says this corrects an earlier report (更正, 修改, 重新报送, 补充 …)."""
    return _has_any(CORRECTION_WORDS, content.subject, content.body_text)
