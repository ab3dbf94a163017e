"""Failures and events: kept with their message and file, listed, closed with a note, reparsed; runs recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from core.vocab import FailureKind, MessageOutcome
from store.dedup import record_attachment
from store.errors import NotFound
from store.events import (
    digest_done,
    last_digest_run,
    last_polls,
    record_digest_run,
    record_poll,
)
from store.failures import (
    close_failure_by_reparse,
    failures_to_reparse,
    get_failure,
    ignore_failure,
    list_failures,
    record_failure,
    resolve_failure,
)
from store.messages import record_message, set_message_outcome
from store.models import Message, PollRun
from tests.store.helpers import attachment_in, docx_bytes, form, message_in

Factory = sessionmaker[Session]
CORRUPT_MSG = "附件已损坏，无法打开，请联系报送单位重新发送"


def _failed_mail(s: Session, correction: bool = False) -> tuple[int, int, int, bytes]:
    data = docx_bytes(form())[:200]  # a truncated .docx: what a corrupt attachment looks like
    m = record_message(s, message_in("情况表", correction=correction)).message_pk
    a = record_attachment(s, m, attachment_in(data, filename="情况表（损坏）.docx")).attachment_pk
    f = record_failure(s, m, a, FailureKind.CORRUPT, "BadZipFile: File is not a zip file")
    return m, a, f, data


def test_failure_is_listed_open_with_sender_subject_and_file(session_factory: Factory) -> None:
    with session_factory() as s:
        m, a, fid, _ = _failed_mail(s)
        s.commit()
    with session_factory() as s:
        [row] = list_failures(s)
        assert (row.id, row.kind, row.message, row.status) == (fid, "corrupt", CORRUPT_MSG, "open")
        assert row.sender == "王建国 <branch1@example.cn>"
        assert (row.subject, row.filename, row.message_pk, row.attachment_pk) == ("情况表", "情况表（损坏）.docx", m, a)
        assert row.detail.startswith("BadZipFile") and row.received_at.tzinfo is not None


def test_resolve_and_ignore_close_failures_with_who_when_and_note(session_factory: Factory) -> None:
    with session_factory() as s:
        _, _, f1, _ = _failed_mail(s)
        _, _, f2, _ = _failed_mail(s)
        resolve_failure(s, f1, "已电话联系，已重发")
        ignore_failure(s, f2, "非本次活动邮件", by="张老师")
        s.commit()
        assert list_failures(s) == []
        assert [r.status for r in list_failures(s, include_closed=True)] == ["resolved", "ignored"]
        r1, r2 = get_failure(s, f1), get_failure(s, f2)
        assert r1 is not None and (r1.note, r1.resolved_by) == ("已电话联系，已重发", "cli")
        assert r2 is not None and (r2.note, r2.resolved_by) == ("非本次活动邮件", "张老师")
        assert r1.resolved_at is not None


def test_closing_a_closed_failure_again_keeps_the_earlier_note(session_factory: Factory) -> None:
    with session_factory() as s:
        _, _, f1, _ = _failed_mail(s)
        ignore_failure(s, f1, "非本次活动邮件", by="张老师")
        resolve_failure(s, f1, "其实是报送材料，已联系重发")
        s.commit()
        row = get_failure(s, f1)
    assert row is not None and row.status == "resolved"
    assert row.note == "其实是报送材料，已联系重发（此前已忽略：非本次活动邮件）"


def test_bad_failure_ids_raise_not_found(session_factory: Factory) -> None:
    with session_factory() as s:
        assert get_failure(s, 404) is None
        with pytest.raises(NotFound):
            resolve_failure(s, 404, "x")
        with pytest.raises(NotFound):
            ignore_failure(s, 404, "x")
        with pytest.raises(NotFound):
            failures_to_reparse(s, [404])


def test_failure_without_attachment_is_kept_but_not_offered_for_reparse(session_factory: Factory) -> None:
    with session_factory() as s:
        m = record_message(s, message_in("无附件")).message_pk
        fid = record_failure(s, m, None, FailureKind.NO_ATTACHMENT, "")
        [row] = list_failures(s)
        assert (row.id, row.filename, row.attachment_pk) == (fid, "", None)
        assert failures_to_reparse(s, None) == []


def test_reparse_items_carry_the_stored_bytes_and_the_correction_flag(session_factory: Factory) -> None:
    with session_factory() as s:
        m, a, fid, data = _failed_mail(s, correction=True)
        _, _, other, _ = _failed_mail(s)
        ignore_failure(s, other, "不用管")
        s.commit()
        [item] = failures_to_reparse(s, None)  # open ones only
        assert item.attachment is not None
        assert (item.failure_id, item.message_pk, item.attachment.pk) == (fid, m, a)
        assert item.attachment.data == data and item.correction is True
        assert item.attachment.filename == "情况表（损坏）.docx"
        assert [i.failure_id for i in failures_to_reparse(s, [other])] == [other]  # explicit ids: any status
        close_failure_by_reparse(s, fid, "重新解析成功")
        row = get_failure(s, fid)
        assert row is not None and (row.status, row.resolved_by) == ("resolved", "reparse")


def test_ignored_message_keeps_its_reason(session_factory: Factory) -> None:
    with session_factory() as s:
        pk = record_message(s, message_in("自动回复：情况表")).message_pk
        set_message_outcome(s, pk, MessageOutcome.IGNORED, "auto_reply")
        row = s.get(Message, pk)
        assert row is not None and (row.outcome, row.outcome_reason) == ("ignored", "auto_reply")
        with pytest.raises(ValueError):
            set_message_outcome(s, pk, MessageOutcome.IGNORED, "boring")


def test_poll_runs_are_kept_with_counts_and_errors(session_factory: Factory) -> None:
    t = datetime(2026, 5, 10, tzinfo=UTC)
    with session_factory() as s:
        record_poll(s, "a@163.com", "INBOX", t, t + timedelta(seconds=3), True, "", {"new": 3, "failures": 1})
        record_poll(s, "a@163.com", "INBOX", t, t + timedelta(minutes=10), False, "LOGIN failed", {})
        s.commit()
        runs = s.query(PollRun).order_by(PollRun.id).all()
        assert [(r.ok, r.error, r.counts) for r in runs] == [
            (True, "", {"new": 3, "failures": 1}), (False, "LOGIN failed", {})]
        latest, earlier = last_polls(s)
        assert (latest.ok, latest.error, latest.finished_at) == (False, "LOGIN failed", t + timedelta(minutes=10))
        assert earlier.counts == (("failures", 1), ("new", 3))
        assert last_polls(s, account="other@163.com") == []


def test_digest_runs_say_whether_a_day_was_sent(session_factory: Factory) -> None:
    t = datetime(2026, 5, 11, 0, 0, tzinfo=UTC)
    with session_factory() as s:
        assert last_digest_run(s) is None
        record_digest_run(s, date(2026, 5, 10), t, ["zzc@example.cn"], "<d1@x>", "dry-run")
        assert not digest_done(s, date(2026, 5, 10))
        record_digest_run(s, date(2026, 5, 10), t + timedelta(minutes=1), ["zzc@example.cn", "b@x"], "<d2@x>", "send")
        s.commit()
        assert digest_done(s, date(2026, 5, 10)) and not digest_done(s, date(2026, 5, 11))
        run = last_digest_run(s)
        assert run is not None
        assert (run.day, run.recipients, run.message_id, run.mode) == (
            date(2026, 5, 10), ("zzc@example.cn", "b@x"), "<d2@x>", "send")
        assert run.sent_at == t + timedelta(minutes=1)


def test_message_audit_shows_outcome_versions_duplicates_and_failures(session_factory: Factory) -> None:
    from store.dedup import record_form
    from store.messages import set_message_outcome
    from store.trace import trace_message

    f = form()
    data = docx_bytes(f)
    with session_factory() as s:
        m1 = record_message(s, message_in(message_id="<a@x>")).message_pk
        a1 = record_attachment(s, m1, attachment_in(data)).attachment_pk
        v1 = record_form(s, m1, a1, f, False)
        m2 = record_message(s, message_in(message_id="<a@x>")).message_pk
        a2 = record_attachment(s, m2, attachment_in(data)).attachment_pk
        record_form(s, m2, a2, f, False)
        bad = record_attachment(s, m2, attachment_in(b"not a zip", filename="坏.docx")).attachment_pk
        fid = record_failure(s, m2, bad, FailureKind.CORRUPT, "BadZipFile")
        set_message_outcome(s, m2, MessageOutcome.MIXED, "duplicate form, 1 failure")
        s.commit()
        first, second = trace_message(s, m1), trace_message(s, m2)
        assert first.versions == ((v1.report_pk, 1),) and first.outcome == "pending"
        assert (second.outcome, second.reason, second.duplicate_of) == ("mixed", "duplicate form, 1 failure", m1)
        assert second.duplicates == (("message", m1, None, None), ("attachment", m1, a1, None),
                                     ("form", m1, a1, v1.version_pk))
        assert second.failures == ((fid, "corrupt", "open"),) and len(second.attachments) == 2
        with pytest.raises(NotFound):
            trace_message(s, 999)
