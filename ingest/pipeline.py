"""One message end to end: extract, classify, parse, dedup and store it in one transaction."""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from core.vocab import FailureKind
from ingest import classify, mime
from ingest.model import Attachment, MailContent, RawMessage
from parsers import parse
from parsers.model import Failure, ParsedForm, ParseResult
from store import dedup, events, failures, messages
from store.errors import AlreadyRecorded
from store.records import AttachmentIn, FormIn, MessageIn
from store.session import Session, SessionFactory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PipelineContext:
    """What every message of one run shares: whose mailbox it is, our own addresses, the time zone."""

    account: str
    own_addresses: frozenset[str] = frozenset()
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    soffice: str = "soffice"
    parse_timeout: float = 60.0


@dataclass
class Counts:
    """What a run made of its messages; added up across messages and folders."""

    messages: int = 0
    skipped: int = 0
    new_reports: int = 0
    new_versions: int = 0
    duplicates: int = 0
    failures: int = 0
    ignored: int = 0

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class MessageOutcome:
    """What one message became."""

    uid: int
    message_pk: int | None
    outcome: str  # report | duplicate | failure | ignored | mixed | skipped
    reason: str = ""
    counts: Counts = field(default_factory=Counts)


def process_message(
    session_factory: SessionFactory,
    raw: RawMessage,
    ctx: PipelineContext,
    *,
    sync_last_uid: bool = False,
) -> MessageOutcome:
    """Store one message and everything found in it, committing once.

    A bug anywhere in the handling is isolated: the transaction is rolled back, and in a fresh one the raw
    message is kept with an `internal_error` failure, so a later reparse can retry it (Mailman's shunt queue).
    """
    try:
        with session_factory() as session, session.begin():
            outcome = _process(session, raw, ctx)
            if sync_last_uid:
                messages.set_sync_state(session, raw.account, raw.folder, raw.uidvalidity, raw.uid)
        return outcome
    except AlreadyRecorded:
        log.info("uid=%s folder=%s already recorded by another writer; skipped", raw.uid, raw.folder)
        return MessageOutcome(raw.uid, None, "skipped", counts=Counts(messages=1, skipped=1))
    except Exception as exc:
        log.exception("uid=%s folder=%s: processing failed; keeping it as internal_error", raw.uid, raw.folder)
        return _shunt(session_factory, raw, ctx, exc, sync_last_uid)


def _shunt(
    session_factory: SessionFactory, raw: RawMessage, ctx: PipelineContext, exc: Exception, sync_last_uid: bool
) -> MessageOutcome:
    detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    with session_factory() as session, session.begin():
        if messages.already_done(session, raw.account, raw.folder, raw.uidvalidity, raw.uid):
            return MessageOutcome(raw.uid, None, "skipped", counts=Counts(messages=1, skipped=1))
        result = messages.record_message(session, _message_in(raw, _content_or_empty(raw.raw), False))
        failures.record_failure(
            session, result.message_pk, None, FailureKind.INTERNAL_ERROR.value,
            FailureKind.INTERNAL_ERROR.message, detail,
        )
        messages.set_message_outcome(session, result.message_pk, "failure", FailureKind.INTERNAL_ERROR.value)
        if sync_last_uid:
            messages.set_sync_state(session, raw.account, raw.folder, raw.uidvalidity, raw.uid)
    return MessageOutcome(raw.uid, result.message_pk, "failure", "internal_error", Counts(messages=1, failures=1))


def _content_or_empty(raw: bytes) -> MailContent:
    """The decoded headers if extraction works at all, else nothing: the raw bytes are kept either way."""
    try:
        return mime.extract(raw)
    except Exception:
        return MailContent()


def _received_at(raw: RawMessage, content: MailContent) -> datetime:
    when = raw.internal_date or content.sent_at or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when


def _message_in(raw: RawMessage, content: MailContent, correction: bool) -> MessageIn:
    return MessageIn(
        account=raw.account,
        folder=raw.folder,
        uidvalidity=raw.uidvalidity,
        uid=raw.uid,
        message_id=content.message_id,
        sender_address=content.sender_address,
        sender_name=content.sender_name,
        subject=content.subject,
        sent_at=content.sent_at,
        received_at=_received_at(raw, content),
        raw=raw.raw,
        correction=correction,
    )


def _attachment_in(att: Attachment, result: ParseResult | None) -> AttachmentIn:
    return AttachmentIn(
        filename=att.filename,
        content_type=att.content_type,
        detected_format=result.detected_format if result else "",
        data=att.data,
        sha256=att.sha256,
        origin=att.origin,
    )


def form_in(form: ParsedForm) -> FormIn:
    """The store's plain view of a parsed form."""
    return FormIn(
        org_name=form.org_name,
        headcount=form.headcount,
        headcount_text=form.headcount_text,
        agenda=tuple(form.agenda),
        summary=form.summary,
        contact_person=form.contact_person,
        contact_phone=form.contact_phone,
        activity_date=form.activity_date,
        warnings=tuple(form.warnings),
    )


def _process(session: Session, raw: RawMessage, ctx: PipelineContext) -> MessageOutcome:
    counts = Counts(messages=1)
    if messages.already_done(session, raw.account, raw.folder, raw.uidvalidity, raw.uid):
        counts.skipped = 1
        return MessageOutcome(raw.uid, None, "skipped", counts=counts)
    content = mime.extract(raw.raw)
    tag = content.message_id or f"uid={raw.uid}"
    correction = classify.is_correction(content)
    result = messages.record_message(session, _message_in(raw, content, correction))
    pk = result.message_pk

    if result.duplicate_of is not None:
        for att in content.attachments:
            dedup.record_attachment(session, pk, _attachment_in(att, None))
        counts.duplicates = 1
        messages.set_message_outcome(session, pk, "duplicate", f"message {result.duplicate_of}")
        log.info("%s: duplicate of message %s", tag, result.duplicate_of)
        return MessageOutcome(raw.uid, pk, "duplicate", counts=counts)

    received = _received_at(raw, content)
    return _classify_and_store(session, raw.uid, pk, content, received, correction, ctx, counts)


def _classify_and_store(
    session: Session,
    uid: int,
    pk: int,
    content: MailContent,
    received: datetime,
    correction: bool,
    ctx: PipelineContext,
    counts: Counts,
) -> MessageOutcome:
    """Everything after the message row exists: ignore it, or store its attachments, forms and failures."""
    tag = content.message_id or f"uid={uid}"
    reason = classify.ignore_reason(content, ctx.own_addresses)
    if reason is not None:
        for att in content.attachments:
            dedup.record_attachment(session, pk, _attachment_in(att, None))
        return _ignore(session, uid, pk, reason, counts, tag)

    ref_date = received.astimezone(ctx.tz).date()
    outcome = _handle_attachments(session, pk, content, ref_date, correction, ctx, counts, tag)
    if outcome is not None:
        return MessageOutcome(uid, pk, outcome[0], outcome[1], counts)
    return _ignore(session, uid, pk, "out_of_scope", counts, tag)


def rerun_message(
    session_factory: SessionFactory, message_pk: int, received: datetime, ctx: PipelineContext
) -> MessageOutcome:
    """Handle a stored message again from its raw bytes, into its existing record (after a bug is fixed).

    For messages shunted as internal_error before anything of them was stored; one transaction, like a poll.
    """
    with session_factory() as session, session.begin():
        content = mime.extract(messages.raw_message(session, message_pk))
        correction = classify.is_correction(content)
        return _classify_and_store(session, 0, message_pk, content, received, correction, ctx, Counts(messages=1))


def _ignore(session: Session, uid: int, pk: int, reason: str, counts: Counts, tag: str) -> MessageOutcome:
    events.record_ignored(session, pk, reason)
    messages.set_message_outcome(session, pk, "ignored", reason)
    counts.ignored = 1
    log.info("%s: ignored (%s)", tag, reason)
    return MessageOutcome(uid, pk, "ignored", reason, counts)


def _handle_attachments(
    session: Session,
    pk: int,
    content: MailContent,
    ref_date: date,
    correction: bool,
    ctx: PipelineContext,
    counts: Counts,
    tag: str,
) -> tuple[str, str] | None:
    """Parse and store every attachment; return (outcome, reason), or None when the mail is out of scope."""
    problems = {p.origin: p for p in content.problems}
    not_forms: list[int] = []
    unrecognised: list[tuple[int, str]] = []
    made = dups = fails = 0
    for att in content.attachments:
        problem = problems.get(att.origin or att.filename)
        parsed = None if problem else _parse_guarded(att, ref_date, ctx, tag)
        stored = dedup.record_attachment(session, pk, _attachment_in(att, parsed))
        # A file seen before is a duplicate only if it gave forms: a logo or photo sent again is no resend, and
        # the same broken file sent again is still broken, so it is a failure staff must see again.
        if stored.duplicate_of is not None and parsed is not None and parsed.ok:
            dups += 1
            log.info("%s: attachment %r duplicates attachment %s", tag, att.filename, stored.duplicate_of)
            continue
        if stored.duplicate_of is not None and parsed is not None and parsed.failure is not None:
            parsed = replace(parsed, failure=replace(
                parsed.failure, detail=f"与此前收到的附件完全相同，仍无法解析；{parsed.failure.detail}"))
        if problem:
            kind = problem.kind
            failures.record_failure(session, pk, stored.attachment_pk, kind.value, kind.message,
                                    f"{att.origin}: {problem.detail}" if problem.detail else att.origin)
            fails += 1
            continue
        assert parsed is not None
        if parsed.failure is not None:
            if parsed.failure.kind == FailureKind.NOT_A_FORM:
                not_forms.append(stored.attachment_pk)
                continue
            if parsed.failure.kind == FailureKind.UNSUPPORTED_FORMAT or parsed.detected_format == "unknown":
                # A .txt, an empty or unknown file: only a failure when the mail gave nothing else (see _no_form).
                unrecognised.append((stored.attachment_pk, parsed.failure.detail))
                continue
            kind = parsed.failure.kind
            failures.record_failure(session, pk, stored.attachment_pk, kind.value, kind.message, parsed.failure.detail)
            log.info("%s: attachment %r failed: %s", tag, att.filename, kind.value)
            fails += 1
            continue
        for form in parsed.forms:
            res = dedup.record_form(session, pk, stored.attachment_pk, form_in(form), correction)
            log.info("%s: %r -> %s (report %s v%s)", tag, form.org_name, res.outcome, res.report_pk, res.version_no)
            if res.outcome == "new_report":
                counts.new_reports += 1
                made += 1
            elif res.outcome == "new_version":
                counts.new_versions += 1
                made += 1
            else:
                dups += 1

    if made == 0 and dups == 0 and fails == 0:
        return _no_form(session, pk, content, not_forms, unrecognised, counts, tag)
    counts.duplicates += dups
    counts.failures += fails
    kinds = [k for k, n in (("report", made), ("duplicate", dups), ("failure", fails)) if n]
    outcome = kinds[0] if len(kinds) == 1 else "mixed"
    messages.set_message_outcome(session, pk, outcome)
    return outcome, ""


def _parse_guarded(att: Attachment, ref_date: date, ctx: PipelineContext, tag: str) -> ParseResult:
    """parse() never raises by contract; should a bug make it, that attachment alone becomes internal_error."""
    try:
        return parse(att.data, att.filename, ref_date, soffice=ctx.soffice, timeout=ctx.parse_timeout)
    except Exception as exc:
        log.exception("%s: parsing %r crashed; recorded as internal_error", tag, att.filename)
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return ParseResult(failure=Failure(FailureKind.INTERNAL_ERROR, detail))


def _no_form(
    session: Session,
    pk: int,
    content: MailContent,
    not_forms: list[int],
    unrecognised: list[tuple[int, str]],
    counts: Counts,
    tag: str,
) -> tuple[str, str] | None:
    """Nothing parsed: a cloud link, a missing attachment, attachments without a form, or out of scope.

    Files of a format nobody can read (.txt, .html, unknown binaries) are a failure only in a mail about the
    campaign: in any other mail they are that mail's business, and the mail is out of scope.
    """
    if content.cloud_links:
        kind = FailureKind.CLOUD_ATTACHMENT
        detail = "\n".join(content.cloud_links)
        attachment_pk: int | None = None
    elif not classify.mentions_campaign(content):
        return None
    elif unrecognised:
        kind = FailureKind.UNSUPPORTED_FORMAT
        for attachment_pk, detail in unrecognised:
            failures.record_failure(session, pk, attachment_pk, kind.value, kind.message, detail)
        messages.set_message_outcome(session, pk, "failure", kind.value)
        counts.failures += len(unrecognised)
        log.info("%s: failure %s (%s attachments)", tag, kind.value, len(unrecognised))
        return "failure", kind.value
    elif not_forms:
        kind, detail, attachment_pk = FailureKind.NOT_A_FORM, "", not_forms[0]
    else:
        kind, detail, attachment_pk = FailureKind.NO_ATTACHMENT, "", None
    failures.record_failure(session, pk, attachment_pk, kind.value, kind.message, detail)
    messages.set_message_outcome(session, pk, "failure", kind.value)
    counts.failures += 1
    log.info("%s: failure %s", tag, kind.value)
    return "failure", kind.value


def own_addresses(*addresses: str) -> frozenset[str]:
    """Our own addresses, lower-cased, for recognising our digests coming back."""
    return frozenset(a.strip().lower() for a in addresses if a and "@" in a)
