"""Parse stored attachments of open failures again, without the mailbox; fixed ones become resolved."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.vocab import FailureKind
from ingest.pipeline import PipelineContext, form_in, rerun_message
from parsers import parse
from store import dedup, failures
from store.records import FailureRow
from store.session import SessionFactory

log = logging.getLogger(__name__)


@dataclass
class ReparseSummary:
    tried: int = 0
    fixed: int = 0
    still_failing: int = 0
    new_reports: int = 0
    new_versions: int = 0
    duplicates: int = 0
    details: list[tuple[int, str]] = field(default_factory=list)  # (failure id, what became of it)


def reparse(session_factory: SessionFactory, ids: Sequence[int] | None, ctx: PipelineContext) -> ReparseSummary:
    """Reparse the given failures (or, with ids None, every open one).

    A failure with a stored attachment is parsed again; one without (a whole mail shunted as internal_error)
    is handled again from the raw message. Failures whose cause is the mail itself (no_attachment,
    cloud_attachment) have nothing to reparse. Each failure is handled in its own transaction: forms found
    become reports through the same dedup ladder and the failure is resolved by "reparse"; a failure that
    persists stays open, unchanged.
    """
    summary = ReparseSummary()
    with session_factory() as session:
        items = failures.failures_to_reparse(session, ids)
        rows = [failures.get_failure(session, i) for i in ids] if ids else failures.list_failures(session)
    whole = [r for r in rows if r is not None and r.attachment_pk is None
             and r.kind == FailureKind.INTERNAL_ERROR.value and r.status == "open"]
    for item in items:
        summary.tried += 1
        ref_date = item.received_at.astimezone(ctx.tz).date()
        result = parse(item.data, item.filename, ref_date, soffice=ctx.soffice, timeout=ctx.parse_timeout)
        if not result.ok:
            kind = result.failure.kind.value if result.failure else "not_a_form"
            summary.still_failing += 1
            summary.details.append((item.failure_id, f"仍无法解析：{kind}"))
            log.info("failure %s (message %s): still %s", item.failure_id, item.message_pk, kind)
            continue
        with session_factory() as session, session.begin():
            outcomes = []
            for form in result.forms:
                res = dedup.record_form(session, item.message_pk, item.attachment_pk, form_in(form), item.correction)
                outcomes.append(res.outcome)
            _count(summary, outcomes)
            failures.close_failure_by_reparse(session, item.failure_id, f"重新解析成功：{len(result.forms)} 份情况表")
        summary.fixed += 1
        summary.details.append((item.failure_id, f"已解析出 {len(result.forms)} 份情况表"))
        log.info("failure %s (message %s): fixed by reparse, %s", item.failure_id, item.message_pk, outcomes)
    for row in whole:
        _rerun(session_factory, row, ctx, summary)
    return summary


def _count(summary: ReparseSummary, outcomes: list[str]) -> None:
    summary.new_reports += outcomes.count("new_report")
    summary.new_versions += outcomes.count("new_version")
    summary.duplicates += outcomes.count("duplicate_form")


def _rerun(session_factory: SessionFactory, row: FailureRow, ctx: PipelineContext, summary: ReparseSummary) -> None:
    summary.tried += 1
    try:
        out = rerun_message(session_factory, row.message_pk, row.received_at, ctx)
    except Exception as exc:
        log.exception("failure %s (message %s): rerun crashed again", row.id, row.message_pk)
        summary.still_failing += 1
        summary.details.append((row.id, f"重新处理仍出错：{type(exc).__name__}"))
        return
    with session_factory() as session, session.begin():
        failures.close_failure_by_reparse(session, row.id, f"重新处理成功：{out.outcome}")
    summary.fixed += 1
    summary.new_reports += out.counts.new_reports
    summary.new_versions += out.counts.new_versions
    summary.duplicates += out.counts.duplicates
    summary.details.append((row.id, f"已重新处理整封邮件：{out.outcome}"))
    log.info("failure %s (message %s): whole mail handled again: %s", row.id, row.message_pk, out.outcome)
