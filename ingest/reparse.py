"""Handle stored failures again without the mailbox: failed attachments are parsed again, shunted mails rerun."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.vocab import FailureKind, FailureStatus, MessageOutcome
from ingest.model import RawMessage
from ingest.pipeline import reparse_attachment, rerun_message
from ingest.state import Counts, PipelineContext
from store import failures, messages
from store.records import ReparseItem
from store.session import SessionFactory

log = logging.getLogger(__name__)


@dataclass
class ReparseSummary:
    """What a reparse did: failures tried, fixed and still failing, what the fixed ones made, per failure."""

    tried: int = 0
    fixed: int = 0
    still_failing: int = 0
    counts: Counts = field(default_factory=Counts)  # reports, versions and duplicates the fixed ones made
    details: list[tuple[int, str]] = field(default_factory=list)  # (failure id, what became of it)


def reparse(session_factory: SessionFactory, ids: Sequence[int] | None, ctx: PipelineContext) -> ReparseSummary:
    """Handle the given failures (or, with ids None, every open one) again, each in its own transaction.

    A failure with a stored attachment is parsed again; a whole mail shunted as internal_error is handled again
    from its raw bytes. Failures whose cause is the mail itself (no_attachment, cloud_attachment, not_a_form of a
    mail with only photos ...) have nothing to reparse. Forms found become reports through the same dedup ladder
    and the failure is resolved by "reparse"; a failure that persists stays open, unchanged.
    """
    summary = ReparseSummary()
    with session_factory() as session:
        items = failures.failures_to_reparse(session, ids)
    for item in items:
        if item.attachment is not None:
            _reparse_file(session_factory, item, ctx, summary)
        elif item.kind is FailureKind.INTERNAL_ERROR and item.status is FailureStatus.OPEN:
            _rerun(session_factory, item, ctx, summary)
    return summary


def _reparse_file(session_factory: SessionFactory, item: ReparseItem, ctx: PipelineContext,
                  summary: ReparseSummary) -> None:
    summary.tried += 1
    done = reparse_attachment(session_factory, item, ctx)
    if done.outcome is MessageOutcome.FAILURE and done.reason:
        summary.still_failing += 1
        summary.details.append((item.failure_id, f"仍无法解析：{FailureKind(done.reason).label}（{done.reason}）"))
        log.info("failure %s (message %s): still %s", item.failure_id, item.message_pk, done.reason)
        return
    summary.counts.add(done.counts)
    found = done.counts.new_reports + done.counts.new_versions + done.counts.duplicates
    summary.fixed += 1
    summary.details.append((item.failure_id, f"已解析出 {found} 份情况表"))
    log.info("failure %s (message %s): fixed by reparse (%s)", item.failure_id, item.message_pk, done.outcome)


def _rerun(session_factory: SessionFactory, item: ReparseItem, ctx: PipelineContext,
           summary: ReparseSummary) -> None:
    summary.tried += 1
    try:
        with session_factory() as session:
            data = messages.raw_message(session, item.message_pk)
        raw = RawMessage(account=ctx.account, folder="", uidvalidity=0, uid=0, raw=data,
                         internal_date=item.received_at)
        done = rerun_message(session_factory, item.message_pk, raw, ctx)
    except Exception as exc:
        log.exception("failure %s (message %s): rerun crashed again", item.failure_id, item.message_pk)
        summary.still_failing += 1
        summary.details.append((item.failure_id, f"重新处理仍出错：{type(exc).__name__}"))
        return
    with session_factory() as session, session.begin():
        failures.close_failure_by_reparse(session, item.failure_id, f"重新处理成功：{done.outcome.value}")
    summary.fixed += 1
    summary.counts.add(done.counts)
    summary.details.append((item.failure_id, f"已重新处理整封邮件：{done.outcome.value}"))
    log.info("failure %s (message %s): whole mail handled again: %s", item.failure_id, item.message_pk,
             done.outcome)
