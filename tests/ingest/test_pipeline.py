"""One message end to end through the pipeline into a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.vocab import FailureKind
from ingest.model import RawMessage
from ingest.pipeline import PipelineContext, Processed, process_message
from ingest.reparse import reparse
from parsers.model import Failure, ParsedForm, ParseResult
from store import failures as store_failures
from store import messages, queries
from store.session import SessionFactory
from tests.builders import DOCX, branch_mail, form_docx, png_photo

ACCOUNT = "szlgbjdjc@163.com"
CST_ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def ctx() -> PipelineContext:
    return PipelineContext(account=ACCOUNT, own_addresses=frozenset({ACCOUNT}))


@pytest.fixture
def feed(session_factory: SessionFactory, ctx: PipelineContext) -> Callable[..., Processed]:
    """Process raw bytes as the next UID of INBOX; returns what the message became."""
    state = {"uid": 0}

    def _feed(raw: bytes, uid: int | None = None, context: PipelineContext = ctx) -> Processed:
        state["uid"] = uid if uid is not None else state["uid"] + 1
        message = RawMessage(ACCOUNT, "INBOX", 7, state["uid"], raw, datetime(2020, 5, 13, 2, 0, tzinfo=UTC))
        return process_message(session_factory, message, context, sync_last_uid=True)

    return _feed


def test_a_mailed_docx_form_becomes_one_report_with_every_field(
    feed: Callable[..., Processed], session_factory: SessionFactory
) -> None:
    out = feed(branch_mail(attachments=[("主题党日活动情况表.docx", form_docx(), DOCX)]))
    assert out.outcome == "report"
    assert out.counts.new_reports == 1
    with session_factory() as session:
        (row,) = queries.current_reports(session)
    assert row.org_name == "苏州市财政局离退休干部党支部"
    assert row.headcount == 25
    assert row.agenda == ("1. 重温入党誓词", "2. 参观苏州革命博物馆")
    assert row.contact_person == "李华"
    assert row.contact_phone == "13913571234"
    assert row.activity_date is not None and row.activity_date.isoformat() == "2020-05-12"
    assert row.attachment == "主题党日活动情况表.docx"
    assert row.version == 1
    assert row.late is False


def test_the_same_uid_twice_is_skipped_not_stored_again(feed: Callable[..., Processed]) -> None:
    raw = branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)])
    assert feed(raw, uid=5).outcome == "report"
    again = feed(raw, uid=5)
    assert again.outcome == "skipped"
    assert again.counts.new_reports == 0


def test_the_same_message_id_under_a_new_uid_is_a_duplicate_message(
    feed: Callable[..., Processed], session_factory: SessionFactory
) -> None:
    raw = branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)], message_id="<same@163.com>")
    feed(raw)
    second = feed(raw)
    assert second.outcome == "duplicate"
    with session_factory() as session:
        assert len(queries.current_reports(session)) == 1


def test_a_resend_with_the_same_attachment_bytes_is_a_duplicate_attachment(
    feed: Callable[..., Processed], session_factory: SessionFactory
) -> None:
    data = form_docx()
    feed(branch_mail(attachments=[("情况表.docx", data, DOCX)]))
    out = feed(branch_mail(subject="再发一次", attachments=[("情况表(1).docx", data, DOCX)]))
    assert out.outcome == "duplicate"
    assert out.counts.duplicates == 1
    with session_factory() as session:
        assert len(queries.current_reports(session)) == 1


def test_a_correction_mail_makes_a_new_version_of_the_same_report(
    feed: Callable[..., Processed], session_factory: SessionFactory
) -> None:
    feed(branch_mail(attachments=[("情况表.docx", form_docx(headcount="25"), DOCX)]))
    corrected = form_docx(headcount="27")
    out = feed(branch_mail(subject="更正：主题党日活动情况表", attachments=[("情况表.docx", corrected, DOCX)]))
    assert out.counts.new_versions == 1
    with session_factory() as session:
        (row,) = queries.current_reports(session)
    assert (row.headcount, row.version) == (27, 2)


def test_a_photo_beside_the_form_is_kept_and_is_no_failure(
    feed: Callable[..., Processed], session_factory: SessionFactory
) -> None:
    out = feed(branch_mail(attachments=[
        ("情况表.docx", form_docx(), DOCX), ("活动照片1.png", png_photo(), "image/png"),
    ]))
    assert out.outcome == "report"
    assert out.counts.failures == 0
    with session_factory() as session:
        assert store_failures.list_failures(session) == []


@pytest.mark.parametrize(
    ("mail", "kind"),
    [
        (branch_mail(body="情况表稍后补发。"), "no_attachment"),
        (branch_mail(attachments=[("活动照片.png", png_photo(), "image/png")]), "not_a_form"),
        (branch_mail(attachments=[("情况表.docx", form_docx()[:2000], DOCX)]), "corrupt"),
        (
            branch_mail(body="超大附件：主题党日情况表.docx 下载地址 https://mail.qq.com/cgi-bin/ftnExs_download?k=abc"),
            "cloud_attachment",
        ),
    ],
    ids=["no-attachment", "photo-only", "truncated-docx", "cloud-link"],
)
def test_a_mail_that_gives_no_form_becomes_one_failure_of_its_kind(
    feed: Callable[..., Processed], session_factory: SessionFactory, mail: bytes, kind: str
) -> None:
    out = feed(mail)
    assert out.outcome == "failure"
    with session_factory() as session:
        (failure,) = store_failures.list_failures(session)
    assert failure.kind == kind
    assert failure.message  # the Chinese line for staff
    assert failure.status == "open"


def test_the_same_broken_form_sent_again_is_a_failure_again_not_a_silent_duplicate(
    feed: Callable[..., Processed], session_factory: SessionFactory
) -> None:
    broken = form_docx()[:2000]
    feed(branch_mail(attachments=[("情况表.docx", broken, DOCX)]))
    again = feed(branch_mail(subject="重新发送", attachments=[("情况表.docx", broken, DOCX)]))
    assert again.outcome == "failure"
    with session_factory() as session:
        first, second = store_failures.list_failures(session)
    assert first.kind == second.kind == "corrupt"
    assert "与此前收到的附件完全相同" in second.detail


def test_an_empty_file_in_mail_about_something_else_is_no_failure(feed: Callable[..., Processed]) -> None:
    out = feed(branch_mail(subject="会议纪要", body="见附件", attachments=[("纪要.txt", b"", "text/plain")]))
    assert (out.outcome, out.reason) == ("ignored", "out_of_scope")


def test_mail_about_something_else_is_ignored_as_out_of_scope(feed: Callable[..., Processed]) -> None:
    out = feed(branch_mail(subject="周末聚餐通知", body="周六中午聚餐，请准时参加。"))
    assert (out.outcome, out.reason) == ("ignored", "out_of_scope")


def test_an_auto_reply_is_ignored_not_a_failure(feed: Callable[..., Processed]) -> None:
    out = feed(branch_mail(
        subject="自动回复：主题党日活动情况表", body="您好，我已休假，返回后回复。",
        headers=[("Auto-Submitted", "auto-replied")],
    ))
    assert (out.outcome, out.reason) == ("ignored", "auto_reply")


def _raising_parser(*_a: object, **_k: object) -> ParseResult:
    raise RuntimeError("bug in a parser")


def _form_the_database_refuses(*_a: object, **_k: object) -> ParseResult:
    """A parser gone wrong: a headcount no database column holds, so recording the form raises in the store."""
    form = ParsedForm("苏州市财政局离退休干部党支部", 10**30, "10**30", ("重温入党誓词",), "", "李华", "13913571234",
                      None)
    return ParseResult(forms=(form,), detected_format="docx")


def test_a_bug_while_parsing_shunts_the_mail_as_internal_error_and_reparse_recovers_it(
    feed: Callable[..., Processed], session_factory: SessionFactory, ctx: PipelineContext
) -> None:
    out = feed(branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)]),
               context=replace(ctx, parse=_raising_parser))
    assert (out.outcome, out.reason) == ("failure", "internal_error")
    with session_factory() as session:
        (failure,) = store_failures.list_failures(session)
    assert failure.kind == "internal_error" and "bug in a parser" in failure.detail
    summary = reparse(session_factory, None, ctx)
    assert (summary.fixed, summary.counts.new_reports) == (1, 1)


def test_a_step_that_raises_in_the_store_shunts_the_whole_mail_with_its_raw_bytes_kept(
    feed: Callable[..., Processed], session_factory: SessionFactory, ctx: PipelineContext
) -> None:
    raw = branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)])
    out = feed(raw, context=replace(ctx, parse=_form_the_database_refuses))
    assert (out.outcome, out.reason) == ("failure", "internal_error")
    assert out.message_pk is not None
    with session_factory() as session:
        (failure,) = store_failures.list_failures(session)
        kept = messages.raw_message(session, out.message_pk)
    assert failure.kind == "internal_error" and failure.detail
    assert kept == raw
    summary = reparse(session_factory, None, ctx)
    assert (summary.fixed, summary.counts.new_reports) == (1, 1)
    with session_factory() as session:
        assert store_failures.list_failures(session) == []
        (row,) = queries.current_reports(session)
    assert row.org_name == "苏州市财政局离退休干部党支部"


def test_reparse_turns_a_fixed_failure_into_a_report_and_resolves_it(
    feed: Callable[..., Processed], session_factory: SessionFactory, ctx: PipelineContext
) -> None:
    def no_converter(*_a: object, **_k: object) -> ParseResult:
        return ParseResult(failure=Failure(FailureKind.CONVERTER_MISSING))

    feed(branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)]), context=replace(ctx, parse=no_converter))
    with session_factory() as session:
        (failure,) = store_failures.list_failures(session)
    assert failure.kind == "converter_missing"
    summary = reparse(session_factory, None, PipelineContext(account=ACCOUNT))
    assert (summary.fixed, summary.counts.new_reports) == (1, 1)
    with session_factory() as session:
        assert store_failures.list_failures(session) == []
        assert len(queries.current_reports(session)) == 1


@pytest.mark.slow
def test_every_public_corpus_mail_ends_as_report_failure_or_ignored(
    corpus_dir: Path, session_factory: SessionFactory, ctx: PipelineContext
) -> None:
    paths = sorted((corpus_dir / "mail").iterdir())
    assert len(paths) > 100
    for uid, path in enumerate(paths, start=1):
        raw = RawMessage(ACCOUNT, "corpus", 1, uid, path.read_bytes())
        out = process_message(session_factory, raw, ctx)
        assert out.outcome in {"report", "failure", "ignored", "duplicate", "mixed"}, path.name
        assert out.reason != "internal_error", f"{path.name}: the pipeline itself crashed"


def test_unreadable_files_in_a_mail_about_something_else_make_no_failure(
    feed: Callable[..., Processed], session_factory: SessionFactory
) -> None:
    out = feed(branch_mail(
        subject="Fwd: meeting notes", body="see the attached notes and logs",
        attachments=[("notes.txt", b"just some text\n" * 20, "text/plain"), ("log.bin", b"\x00\x01\x02" * 50,
                     "application/octet-stream")],
    ))
    assert (out.outcome, out.reason) == ("ignored", "out_of_scope")
    with session_factory() as session:
        assert store_failures.list_failures(session) == []


def test_an_unreadable_file_beside_a_good_form_is_no_failure(
    feed: Callable[..., Processed], session_factory: SessionFactory
) -> None:
    out = feed(branch_mail(attachments=[
        ("情况表.docx", form_docx(), DOCX), ("活动说明.txt", "支部活动说明".encode() * 10, "text/plain"),
    ]))
    assert out.outcome == "report" and out.counts.failures == 0
    with session_factory() as session:
        assert store_failures.list_failures(session) == []


def test_an_unreadable_file_in_a_campaign_mail_without_a_form_is_an_unsupported_format_failure(
    feed: Callable[..., Processed], session_factory: SessionFactory
) -> None:
    out = feed(branch_mail(attachments=[("主题党日情况表.txt", "党组织名称：某支部".encode() * 5, "text/plain")]))
    assert (out.outcome, out.reason) == ("failure", "unsupported_format")
    with session_factory() as session:
        (failure,) = store_failures.list_failures(session)
    assert failure.kind == "unsupported_format" and failure.filename == "主题党日情况表.txt"


def test_a_mail_received_twice_is_one_duplicate_in_the_digest_and_status(
    feed: Callable[..., Processed], session_factory: SessionFactory
) -> None:
    raw = branch_mail(attachments=[("情况表.docx", form_docx(), DOCX), ("照片.png", png_photo(), "image/png")],
                      message_id="<twice@163.com>")
    feed(raw)
    again = feed(raw)  # the same mail seen again, e.g. in a second folder
    assert again.outcome == "duplicate" and again.counts.duplicates == 1
    day = datetime(2020, 5, 13, 2, 0, tzinfo=UTC).astimezone(CST_ZONE).date()
    with session_factory() as session:
        facts = queries.digest_facts(session, day, CST_ZONE)
        totals = queries.counts(session)
    assert [d.kind for d in facts.duplicates] == ["message"]
    assert totals["duplicates"] == 1


def test_a_photo_sent_again_beside_a_new_form_is_no_duplicate_report_in_the_digest(
    feed: Callable[..., Processed], session_factory: SessionFactory
) -> None:
    photo = png_photo()
    feed(branch_mail(attachments=[("情况表.docx", form_docx(), DOCX), ("照片.png", photo, "image/png")]))
    out = feed(branch_mail(attachments=[
        ("情况表.docx", form_docx(org="苏州市水利局离退休干部党支部", agenda=("1. 参观泵站",)), DOCX),
        ("照片.png", photo, "image/png"),
    ]))
    assert out.counts.new_reports == 1
    day = datetime(2020, 5, 13, 2, 0, tzinfo=UTC).astimezone(CST_ZONE).date()
    with session_factory() as session:
        facts = queries.digest_facts(session, day, CST_ZONE)
    assert facts.duplicates == ()


def test_a_resent_form_file_is_shown_once_as_a_duplicate_of_that_form(
    feed: Callable[..., Processed], session_factory: SessionFactory
) -> None:
    data = form_docx()
    feed(branch_mail(attachments=[("情况表.docx", data, DOCX)]))
    feed(branch_mail(subject="再发一次情况表", attachments=[("情况表(1).docx", data, DOCX)]))
    day = datetime(2020, 5, 13, 2, 0, tzinfo=UTC).astimezone(CST_ZONE).date()
    with session_factory() as session:
        facts = queries.digest_facts(session, day, CST_ZONE)
    (dup,) = facts.duplicates
    assert dup.kind == "form" and "「苏州市财政局离退休干部党支部」情况表（第1版）内容相同" in dup.of_what


def test_an_unrelated_mail_repeating_an_earlier_text_file_is_ignored_not_a_duplicate(
    feed: Callable[..., Processed], session_factory: SessionFactory
) -> None:
    notes = b"minutes of the meeting\n" * 20
    for subject in ("meeting notes", "meeting notes again"):
        out = feed(branch_mail(subject=subject, body="see attached",
                               attachments=[("notes.txt", notes, "text/plain")]))
        assert (out.outcome, out.reason, out.counts.duplicates) == ("ignored", "out_of_scope", 0)
    with session_factory() as session:
        assert queries.counts(session)["duplicates"] == 0


def test_a_report_recovered_by_reparse_is_announced_in_the_digest_of_the_reparse_day(
    feed: Callable[..., Processed], session_factory: SessionFactory, ctx: PipelineContext
) -> None:
    # arrives 2020-05-13, fails
    feed(branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)]), context=replace(ctx, parse=_raising_parser))
    with session_factory() as session:
        assert queries.digest_facts(session, datetime.now(CST_ZONE).date(), CST_ZONE).new_reports == ()
    summary = reparse(session_factory, None, PipelineContext(account=ACCOUNT))
    assert summary.counts.new_reports == 1
    with session_factory() as session:
        (closed,) = store_failures.list_failures(session, include_closed=True)
        assert closed.resolved_at is not None
        today = closed.resolved_at.astimezone(CST_ZONE).date()  # the day of the reparse
        (row,) = queries.digest_facts(session, today, CST_ZONE).new_reports
        assert row.org_name == "苏州市财政局离退休干部党支部"
        yesterday = queries.digest_facts(session, today - timedelta(days=1), CST_ZONE)
    assert yesterday.new_reports == ()


def test_a_later_valid_report_from_the_same_sender_closes_its_earlier_failure_as_auto_resolved(
    feed: Callable[..., Processed], session_factory: SessionFactory
) -> None:
    feed(branch_mail(subject="情况表", body="情况表稍后补发。"))  # no attachment
    feed(branch_mail(subject="补发：主题党日活动情况表", attachments=[("情况表.docx", form_docx(), DOCX)]))
    with session_factory() as session:
        assert store_failures.list_failures(session) == []
        (closed,) = store_failures.list_failures(session, include_closed=True)
    assert (closed.status, closed.resolved_by) == ("resolved", "auto")
    assert closed.note == "已由 5月13日 收到的邮件解决：补发：主题党日活动情况表"


def test_a_later_report_naming_the_branch_closes_a_failure_sent_from_another_address(
    feed: Callable[..., Processed], session_factory: SessionFactory
) -> None:
    feed(branch_mail(sender="王芳 <wf@qq.com>", subject="苏州市财政局离退休干部党支部情况表",
                     attachments=[("情况表.docx", b"PK\x03\x04 broken", DOCX)]))
    feed(branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)]))  # from the branch's 163 address
    with session_factory() as session:
        assert store_failures.list_failures(session) == []


def test_a_report_from_someone_else_leaves_a_failure_open_and_our_own_problems_stay_open(
    feed: Callable[..., Processed], session_factory: SessionFactory, ctx: PipelineContext
) -> None:
    def no_converter(*_a: object, **_k: object) -> ParseResult:
        return ParseResult(failure=Failure(FailureKind.CONVERTER_MISSING))

    feed(branch_mail(sender="民政局 <mzj@163.com>", subject="情况表", body="情况表稍后补发。"))
    feed(branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)]), context=replace(ctx, parse=no_converter))
    feed(branch_mail(subject="再发", attachments=[("情况表.docx", form_docx(headcount="26"), DOCX)]))
    with session_factory() as session:
        assert sorted(f.kind for f in store_failures.list_failures(session)) == ["converter_missing", "no_attachment"]


def test_a_campaign_mail_of_many_unreadable_files_is_one_failure_naming_them_not_hundreds(
    feed: Callable[..., Processed], session_factory: SessionFactory
) -> None:
    files = [(f"记录{n}.txt", f"第{n}份记录".encode(), "text/plain") for n in range(40)]
    out = feed(branch_mail(subject="主题党日活动材料", attachments=files))
    assert (out.outcome, out.reason) == ("failure", "unsupported_format")
    with session_factory() as session:
        (failure,) = store_failures.list_failures(session)
    assert failure.detail.startswith("40 个附件格式无法识别：记录0.txt、记录1.txt")


def _blank_page_png() -> bytes:
    """A white A4-ish page at 100 dpi: big enough to be a scan, so parse() without OCR leaves it pending."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (827, 1169), "white").save(out, format="PNG")
    return out.getvalue()


def _recording(calls: list[tuple[str, bool]]) -> Callable[..., ParseResult]:
    from parsers import parse as real_parse

    def parse(data: bytes, filename: str, ref_date: object = None, **kwargs: object) -> ParseResult:
        calls.append((filename, bool(kwargs.get("ocr", True))))
        return real_parse(data, filename, ref_date, **kwargs)  # type: ignore[arg-type]

    return parse


def test_a_picture_beside_a_typed_form_is_never_sent_to_ocr(
    feed: Callable[..., Processed], ctx: PipelineContext
) -> None:
    calls: list[tuple[str, bool]] = []
    files = [("情况表.docx", form_docx(), DOCX), ("扫描.png", _blank_page_png(), "image/png")]
    out = feed(branch_mail(attachments=files), context=replace(ctx, parse=_recording(calls)))
    assert out.outcome == "report"
    assert ("扫描.png", True) not in calls and ("扫描.png", False) in calls


def test_a_mail_of_pictures_alone_has_them_read_with_ocr(
    feed: Callable[..., Processed], ctx: PipelineContext, session_factory: SessionFactory
) -> None:
    calls: list[tuple[str, bool]] = []
    out = feed(branch_mail(attachments=[("扫描.png", _blank_page_png(), "image/png")]),
               context=replace(ctx, parse=_recording(calls)))
    assert calls == [("扫描.png", False), ("扫描.png", True)]
    assert (out.outcome, out.reason) == ("failure", "not_a_form")  # a blank page holds no form
