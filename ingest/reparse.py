"""Parse stored attachments of open failures again, without the mailbox; fixed ones become resolved."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from ingest.pipeline import form_in
from parsers import parse
from store import dedup, failures
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


def reparse(
    session_factory: SessionFactory,
    ids: Sequence[int] | None,
    *,
    tz: ZoneInfo,
    soffice: str = "soffice",
) -> ReparseSummary:
    """Reparse the given failures (or, with ids None, every open one that has an attachment).

    Failures without an attachment (no_attachment, cloud_attachment) have nothing to parse: the store leaves
    them out.

    Each failure is handled in its own transaction: a form found becomes reports through the same dedup
    ladder and the failure is resolved by "reparse"; a failure that persists stays open, unchanged.
    """
    summary = ReparseSummary()
    with session_factory() as session:
        items = failures.failures_to_reparse(session, ids)
    for item in items:
        summary.tried += 1
        ref_date = item.received_at.astimezone(tz).date()
        result = parse(item.data, item.filename, ref_date, soffice=soffice)
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
            summary.new_reports += outcomes.count("new_report")
            summary.new_versions += outcomes.count("new_version")
            summary.duplicates += outcomes.count("duplicate_form")
            failures.close_failure_by_reparse(session, item.failure_id, f"重新解析成功：{len(result.forms)} 份情况表")
        summary.fixed += 1
        summary.details.append((item.failure_id, f"已解析出 {len(result.forms)} 份情况表"))
        log.info("failure %s (message %s): fixed by reparse, %s", item.failure_id, item.message_pk, outcomes)
    return summary
