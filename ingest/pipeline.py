"""The per-message pipeline: run the named steps in one transaction; a step that raises shunts the message.

Like GNU Mailman 3's pipelines: a fixed list of small handlers over one state (ingest/steps.py), one runner, one
place that catches a failure and keeps the message for later (the shunt). A poll and an import enter at the first
step; a rerun of a shunted mail at `extract` (its record exists); a reparse of a failed attachment at `parse`.
"""

from __future__ import annotations

import logging
import traceback

from core.vocab import FailureKind, MessageOutcome
from ingest import mime, steps
from ingest.model import RawMessage
from ingest.state import AttachmentWork, Counts, MessageState, PipelineContext, Processed, Step, Stop
from store import failures, messages
from store.errors import AlreadyRecorded, StoreError
from store.messages import storable_time
from store.models import utcnow
from store.records import MessageIn, ReparseItem
from store.session import Session, SessionFactory

log = logging.getLogger(__name__)

STEPS: tuple[Step, ...] = (
    steps.seen,
    steps.extract,
    steps.record_message,
    steps.duplicate,
    steps.ignore,
    steps.parse,
    steps.record_attachments,
    steps.record_forms,
    steps.record_failures,
    steps.close_settled,
)

__all__ = ["STEPS", "Counts", "PipelineContext", "Processed", "process_message", "reparse_attachment",
           "rerun_message", "run_steps"]


class MessageUnstorable(StoreError):
    """Not even the place of a mail in the mailbox could be recorded: the database is unusable; stop the poll."""


FINALLY: tuple[Step, ...] = (steps.queue_receipt,)  # after settle, whether the steps ran through or stopped


def run_steps(state: MessageState, start: Step = steps.seen) -> Processed:
    """Run the steps from `start` to the end (or to a Stop), settle the message's outcome, then the final steps."""
    stopped: Stop | None = None
    try:
        for step in STEPS[STEPS.index(start):]:
            step(state)
    except Stop as stop:
        stopped = stop
    steps.settle(state, stopped)
    for step in FINALLY:
        step(state)
    assert state.processed is not None
    return state.processed


def process_message(
    session_factory: SessionFactory, raw: RawMessage, ctx: PipelineContext, *, sync_last_uid: bool = False
) -> Processed:
    """Store one message and everything found in it, committing once. Never raises for anything the mail holds.

    A step that raises is isolated: the transaction is rolled back, and in a fresh one the raw message is kept
    with an internal_error failure (the shunt), so a later reparse can retry it. Raises MessageUnstorable only
    when not even the mail's place in the mailbox can be recorded (the database is gone): nothing moves on then.
    """
    try:
        with session_factory() as session, session.begin():
            done = run_steps(MessageState(raw=raw, session=session, ctx=ctx))
            if sync_last_uid:
                messages.set_sync_state(session, raw.account, raw.folder, raw.uidvalidity, raw.uid)
        return done
    except AlreadyRecorded:
        log.info("uid=%s folder=%s already recorded by another writer; skipped", raw.uid, raw.folder)
        return Processed(raw.uid, None, MessageOutcome.SKIPPED, counts=Counts(messages=1, skipped=1))
    except Exception as exc:
        log.exception("uid=%s folder=%s: processing failed; keeping it as internal_error", raw.uid, raw.folder)
        return _shunt(session_factory, raw, _one_line(exc), sync_last_uid)


def _one_line(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()[:5000]


def _shunt(session_factory: SessionFactory, raw: RawMessage, detail: str, sync_last_uid: bool) -> Processed:
    """Keep the raw mail with an internal_error failure; failing that, record its place as unstorable."""
    try:
        with session_factory() as session, session.begin():
            if messages.already_done(session, raw.account, raw.folder, raw.uidvalidity, raw.uid):
                return Processed(raw.uid, None, MessageOutcome.SKIPPED, counts=Counts(messages=1, skipped=1))
            pk = messages.record_message(session, _minimal_record(raw)).message_pk
            failures.record_failure(session, pk, None, FailureKind.INTERNAL_ERROR, detail)
            messages.set_message_outcome(session, pk, MessageOutcome.FAILURE, FailureKind.INTERNAL_ERROR)
            _sync(session, raw, sync_last_uid)
        return Processed(raw.uid, pk, MessageOutcome.FAILURE, FailureKind.INTERNAL_ERROR,
                         Counts(messages=1, failures=1))
    except Exception as exc:
        log.exception("uid=%s folder=%s: even the raw mail could not be kept; recording its place", raw.uid,
                      raw.folder)
        detail = f"{detail}\nkeeping the raw mail failed too: {_one_line(exc)}"
    location = f"{raw.account} / {raw.folder} / UIDVALIDITY {raw.uidvalidity} / UID {raw.uid}"
    try:
        with session_factory() as session, session.begin():
            failures.record_unstorable(session, location, detail)
            _sync(session, raw, sync_last_uid)
    except Exception as exc:
        log.critical("uid=%s folder=%s: nothing could be recorded: %s", raw.uid, raw.folder, _one_line(exc))
        raise MessageUnstorable(f"mail at {location} could not be recorded: {_one_line(exc)}") from exc
    return Processed(raw.uid, None, MessageOutcome.FAILURE, FailureKind.UNSTORABLE, Counts(messages=1, failures=1))


def _sync(session: Session, raw: RawMessage, sync_last_uid: bool) -> None:
    if sync_last_uid:
        messages.set_sync_state(session, raw.account, raw.folder, raw.uidvalidity, raw.uid)


def _minimal_record(raw: RawMessage) -> MessageIn:
    """The least a shunted mail is kept with: its raw bytes and headers read without walking the body."""
    head = mime.fallback_content(raw.raw)
    return MessageIn(
        account=raw.account, folder=raw.folder, uidvalidity=raw.uidvalidity, uid=raw.uid,
        message_id=head.message_id[:1000], sender_address=head.sender_address[:320],
        sender_name=head.sender_name[:1000], subject=head.subject[:10000], sent_at=storable_time(head.sent_at),
        received_at=storable_time(raw.internal_date) or storable_time(head.sent_at) or utcnow(), raw=raw.raw,
    )


def rerun_message(
    session_factory: SessionFactory, message_pk: int, raw: RawMessage, ctx: PipelineContext
) -> Processed:
    """Handle a stored message again from its raw bytes into its existing record (after a bug is fixed).

    For messages shunted as internal_error before anything of them was stored; one transaction, like a poll.
    Raises what the steps raise: the caller keeps the failure open then.
    """
    with session_factory() as session, session.begin():
        state = MessageState(raw=raw, session=session, ctx=ctx, message_pk=message_pk)
        return run_steps(state, start=steps.extract)


def reparse_attachment(session_factory: SessionFactory, item: ReparseItem, ctx: PipelineContext) -> Processed:
    """Parse a failed attachment again and record what it gives; the failure is resolved when forms came of it.

    A failure that persists stays open, unchanged (Processed.reason then names the kind it still gives).
    """
    assert item.attachment is not None
    raw = RawMessage(account=ctx.account, folder="", uidvalidity=0, uid=0, raw=b"")
    with session_factory() as session, session.begin():
        state = MessageState(raw=raw, session=session, ctx=ctx, message_pk=item.message_pk,
                             received_at=item.received_at, correction=item.correction, reparsing=item.failure_id)
        state.work = [AttachmentWork(item.attachment, pk=item.attachment.pk)]
        done = run_steps(state, start=steps.parse)
        if state.still_failing is not None:
            return done
        found = done.counts.new_reports + done.counts.new_versions + done.counts.duplicates
        failures.close_failure_by_reparse(session, item.failure_id, f"重新解析成功：{found} 份情况表")
        return done
