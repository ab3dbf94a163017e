"""The pipeline's named steps, in order: each takes the message's state, adds to it, or raises Stop.

seen? → extract → record message → duplicate? → ignore? → parse → record attachments → record forms →
record failures → close settled; then, always, settle sets the message's outcome (once) and queue receipt
queues its 回执. pipeline.py runs them and catches what raises.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime

from core.vocab import FailureKind, FormOutcome, IgnoreReason, MessageOutcome
from ingest import classify, mime, replies
from ingest.dates import plausible
from ingest.model import MailContent
from ingest.state import AttachmentWork, MessageState, Processed, Stop
from store import dedup, failures, messages, receipts
from store.queries import day_bounds
from store.records import FormResult, MessageIn

log = logging.getLogger(__name__)

REPEATED_FILE_NOTE = "与此前收到的附件完全相同，仍无法解析；"
UNREADABLE_LISTED = 5  # past this many unreadable files in one mail, they are one failure naming the first few


def seen(state: MessageState) -> None:
    """Ladder step 1: this (account, folder, UIDVALIDITY, UID) was done before: leave it alone."""
    raw = state.raw
    if messages.already_done(state.session, raw.account, raw.folder, raw.uidvalidity, raw.uid):
        state.counts.skipped = 1
        raise Stop(MessageOutcome.SKIPPED)


def extract(state: MessageState) -> None:
    """Take the mail apart (headers, text, attachments, problems) and decide when it was received."""
    content = mime.extract(state.raw.raw)
    state.content = content
    state.correction = classify.is_correction(content)
    now = datetime.now(UTC)
    state.received_at = plausible(state.raw.internal_date, now) or plausible(content.sent_at, now) or now
    by_origin = {a.origin or a.filename for a in content.attachments}
    problems = {p.origin: p for p in content.problems}
    state.work = [AttachmentWork(a, problem=problems.get(a.origin or a.filename)) for a in content.attachments]
    state.message_problems = [p for p in content.problems if p.origin not in by_origin]


def mail_fingerprint(content: MailContent) -> str:
    """What the mail says, for ladder step 2: its files' hashes, or (without files) its sender, subject and text."""
    files = sorted(a.sha256 for a in content.attachments)
    # Without files, two branches' mails copied from one draft differ only in who sent them: the sender counts.
    said: list[str | list[str]] = (["files", files] if files
                                   else ["text", content.sender_address, content.subject, content.body_text])
    return hashlib.sha256(json.dumps(said, ensure_ascii=False).encode("utf-8", "replace")).hexdigest()


def record_message(state: MessageState) -> None:
    """Keep the message, raw bytes included; note the same mail received before (ladder step 2)."""
    if state.message_pk is not None:
        return  # handled again (a rerun): its record exists
    raw, content = state.raw, state.content
    assert state.received_at is not None
    result = messages.record_message(state.session, MessageIn(
        account=raw.account, folder=raw.folder, uidvalidity=raw.uidvalidity, uid=raw.uid,
        message_id=content.message_id, sender_address=content.sender_address, sender_name=content.sender_name,
        subject=content.subject, sent_at=content.sent_at, received_at=state.received_at, raw=raw.raw,
        correction=state.correction, content_sha256=mail_fingerprint(content),
    ))
    state.message_pk = result.message_pk
    state.duplicate_of = result.duplicate_of


def duplicate(state: MessageState) -> None:
    """The same mail arrived before: keep its files, nothing more."""
    if state.duplicate_of is None:
        return
    record_attachments(state)
    state.duplicates = 1
    log.info("%s: the same mail as message %s", state.tag, state.duplicate_of)
    raise Stop(MessageOutcome.DUPLICATE, f"message {state.duplicate_of}")


def ignore(state: MessageState) -> None:
    """An auto-reply, a bounce, our own digest or list mail: keep its files, report nothing."""
    reason = classify.ignore_reason(state.content, state.ctx.own_addresses)
    if reason is None:
        return
    record_attachments(state)
    state.ignore_reason = IgnoreReason(reason)
    raise Stop(MessageOutcome.IGNORED, reason)


def parse(state: MessageState) -> None:
    """Read the forms out of every attachment that is not already known to be broken; pictures (scans, phone
    photos, image-only PDF pages) go through OCR only when no typed form came with them."""
    assert state.received_at is not None
    ref_date = state.received_at.astimezone(state.ctx.tz).date()
    ctx = state.ctx
    for work in state.work:
        if work.problem is None and work.result is None:
            att = work.attachment
            work.result = ctx.parse(att.data, att.filename, ref_date, soffice=ctx.soffice, timeout=ctx.parse_timeout,
                                    ocr=False)
    if any(w.result is not None and w.result.ok for w in state.work):
        return  # a typed form: the photos beside it are kept as photos, not read (seconds and 500 MB each)
    for work in state.work:
        if work.result is not None and work.result.pixels_pending:
            att = work.attachment
            work.result = ctx.parse(att.data, att.filename, ref_date, soffice=ctx.soffice, timeout=ctx.parse_timeout,
                                    ocr=True)


def record_attachments(state: MessageState) -> None:
    """Keep every file (ladder step 3: the same bytes from an earlier mail are noted as a repeat)."""
    assert state.message_pk is not None
    for work in state.work:
        if work.pk is None:
            fmt = work.result.detected_format if work.result is not None else ""
            stored = dedup.record_attachment(state.session, state.message_pk, work.attachment, fmt)
            work.pk, work.duplicate_of = stored.attachment_pk, stored.duplicate_of


def record_forms(state: MessageState) -> None:
    """Every form found goes up the dedup ladder (steps 4-5): a new report, a new version, or a duplicate."""
    assert state.message_pk is not None
    for work in state.work:
        if work.result is None or not work.result.ok:
            continue
        assert work.pk is not None
        results: list[FormResult] = []
        if work.duplicate_of is not None:  # a file sent again is the forms it gave then
            results = dedup.record_repeated_attachment(state.session, state.message_pk, work.pk,
                                                       work.duplicate_of)
        if not results:
            results = [dedup.record_form(state.session, state.message_pk, work.pk, form, state.correction)
                       for form in work.result.forms]
            state.orgs_read.extend(form.org_name for form in work.result.forms)
        for res in results:
            if res.outcome is FormOutcome.NEW_REPORT:
                state.counts.new_reports += 1
                state.made += 1
            elif res.outcome is FormOutcome.NEW_VERSION:
                state.counts.new_versions += 1
                state.made += 1
            else:
                state.duplicates += 1


def record_failures(state: MessageState) -> None:
    """Each file that could not be read is a failure of its kind; a mail that gave nothing says why.

    A parser's kind reaches staff unchanged whatever the mail says. Only files nobody can read as a form (an
    image, a .txt, an empty or unknown file) depend on the mail: beside a form or in mail about something else
    they are kept, not listed (see _nothing_found).
    """
    not_forms: list[AttachmentWork] = []
    unreadable: list[AttachmentWork] = []
    for work in state.work:
        kind, detail = _failure_of(work)
        if kind is None:
            continue
        if kind is FailureKind.NOT_A_FORM:
            not_forms.append(work)
        elif kind is FailureKind.UNSUPPORTED_FORMAT or not work.attachment.data:
            unreadable.append(work)
        else:
            _fail(state, work.pk, kind, detail)
    for problem in state.message_problems:
        _fail(state, None, problem.kind, f"{problem.origin}: {problem.detail}")
    if state.made == state.duplicates == state.failures == 0:
        _nothing_found(state, not_forms, unreadable)


def close_settled(state: MessageState) -> None:
    """A valid report settles the open failures of earlier mail from the same sender or naming the same branch:
    closed as 已由 X月X日 收到的邮件解决 (the digest lists them apart from what staff closed)."""
    if state.made == 0 or state.reparsing is not None or state.message_pk is None:
        return
    assert state.received_at is not None
    local = state.received_at.astimezone(state.ctx.tz)
    subject = " ".join(state.content.subject.split())[:80]
    note = f"已由 {local.month}月{local.day}日 收到的邮件解决：{subject}"
    closed = failures.resolve_by_later_report(state.session, state.message_pk, state.content.sender_address,
                                              state.orgs_read, note)
    if closed:
        log.info("%s: settles failures %s", state.tag, closed)


def _failure_of(work: AttachmentWork) -> tuple[FailureKind | None, str]:
    if work.problem is not None:
        detail = work.attachment.origin
        return work.problem.kind, f"{detail}: {work.problem.detail}" if work.problem.detail else detail
    result = work.result
    if result is None or result.ok:
        return None, ""
    if result.failure is None:
        return FailureKind.NOT_A_FORM, ""
    note = REPEATED_FILE_NOTE if work.duplicate_of is not None else ""
    return result.failure.kind, note + result.failure.detail


def _fail(state: MessageState, attachment_pk: int | None, kind: FailureKind, detail: str) -> None:
    """One failure, unless this is a reparse: then the failure being reparsed stays as it is."""
    if state.reparsing is not None:
        state.still_failing = kind
        return
    assert state.message_pk is not None
    failures.record_failure(state.session, state.message_pk, attachment_pk, kind, detail)
    state.failures += 1
    state.failure_kinds.add(kind)
    log.info("%s: failure %s", state.tag, kind.value)


def _nothing_found(state: MessageState, not_forms: list[AttachmentWork], unreadable: list[AttachmentWork]) -> None:
    """No form, repeat or failure: a cloud link, a missing attachment, files without a form, or out of scope."""
    content = state.content
    if content.cloud_links:
        _fail(state, None, FailureKind.CLOUD_ATTACHMENT, "\n".join(content.cloud_links))
    elif state.reparsing is not None:
        state.still_failing = FailureKind.NOT_A_FORM
    elif not classify.mentions_campaign(content):
        state.ignore_reason = IgnoreReason.OUT_OF_SCOPE
    elif len(unreadable) > UNREADABLE_LISTED:  # one item for staff, not hundreds (a mail of 328 .txt files)
        names = "、".join(w.attachment.filename for w in unreadable[:UNREADABLE_LISTED])
        _fail(state, None, FailureKind.UNSUPPORTED_FORMAT,
              f"{len(unreadable)} 个附件格式无法识别：{names} 等")
    elif unreadable:
        for work in unreadable:
            _fail(state, work.pk, FailureKind.UNSUPPORTED_FORMAT, _failure_of(work)[1])
    elif not_forms:
        detail = "；".join(sorted({_failure_of(w)[1] for w in not_forms} - {""}))  # e.g. 未安装图片识别
        _fail(state, not_forms[0].pk, FailureKind.NOT_A_FORM, detail)
    else:
        _fail(state, None, FailureKind.NO_ATTACHMENT, "")


def settle(state: MessageState, stopped: Stop | None) -> None:
    """The one place a message's outcome is decided and stored, from what the steps found."""
    state.processed = _settled(state, stopped)


def _settled(state: MessageState, stopped: Stop | None) -> Processed:
    uid, pk = state.raw.uid, state.message_pk
    if pk is None:  # skipped: done before
        return Processed(uid, None, MessageOutcome.SKIPPED, counts=state.counts)
    if state.reparsing is not None and state.still_failing is not None:  # nothing changed: nothing written
        return Processed(uid, pk, MessageOutcome.FAILURE, state.still_failing.value, state.counts)
    if state.ignore_reason is not None:
        outcome, reason = MessageOutcome.IGNORED, state.ignore_reason.value
        state.counts.ignored = 1
    elif stopped is not None:
        outcome, reason = stopped.outcome, stopped.reason
    else:
        outcome, reason = _outcome_of(state)
    state.counts.duplicates += state.duplicates
    state.counts.failures += state.failures
    messages.set_message_outcome(state.session, pk, outcome, reason)
    log.info("%s: %s%s", state.tag, outcome.value, f" ({reason})" if reason else "")
    return Processed(uid, pk, outcome, reason, state.counts)


def queue_receipt(state: MessageState) -> None:
    """Queue the message's 回执 in its own transaction (or record why none goes); sent after commit."""
    done, ctx = state.processed, state.ctx
    if done is None or done.message_pk is None or state.reparsing is not None or state.duplicate_of is not None:
        return
    kind = replies.receipt_kind(done.outcome, state.made, state.failures, state.duplicates)
    if kind is None or ctx.receipts == "off":
        return
    assert state.received_at is not None
    now = ctx.clock()
    to = replies.reply_address(state.content)
    start, end = day_bounds(now.astimezone(ctx.tz).date(), ctx.tz)
    decision = replies.decide(
        kind, state.content, to, mode=ctx.receipts, own_addresses=ctx.own_addresses, received_at=state.received_at,
        now=now, max_age_hours=ctx.receipt_max_age_hours, daily_limit=ctx.receipt_daily_limit,
        sent_today=receipts.receipts_to(state.session, to, start, end) if to else 0,
    )
    if decision is not None:
        receipts.queue_receipt(state.session, done.message_pk, decision.to, state.content.subject, decision.kind,
                               state.content.message_id, decision.status, decision.reason, queued_at=now)


def _outcome_of(state: MessageState) -> tuple[MessageOutcome, str]:
    kinds = [kind for kind, n in ((MessageOutcome.REPORT, state.made), (MessageOutcome.DUPLICATE, state.duplicates),
                                  (MessageOutcome.FAILURE, state.failures)) if n]
    if state.reparsing is not None:
        assert state.message_pk is not None
        kinds = messages.outcomes_after_reparse(state.session, state.message_pk, state.reparsing)
    if not kinds:
        return MessageOutcome.FAILURE, state.still_failing.value if state.still_failing else ""
    if len(kinds) > 1:
        return MessageOutcome.MIXED, ""
    if kinds[0] is MessageOutcome.FAILURE and len(state.failure_kinds) == 1:
        return kinds[0], next(iter(state.failure_kinds)).value
    return kinds[0], ""
