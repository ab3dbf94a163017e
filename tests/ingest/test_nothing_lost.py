"""Nothing lost, whatever arrives: hostile dates, reused Message-IDs, a database that refuses, hostile files in
unrelated mail, the same content in any order, invisible characters in names (issue 10, on SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from core.vocab import FailureKind, MessageOutcome
from ingest.model import RawMessage
from ingest.pipeline import MessageUnstorable, PipelineContext, Processed, process_message
from store import failures as store_failures
from store import messages, queries
from store.session import SessionFactory, engine_of
from tests.builders import DOCX, branch_mail, form_docx
from tests.ingest.mailbuild import file_part, forwarded_as_attachment, raw_mail, tiny_text_parts
from tests.parsers.builders import docx_from_body, form_table, rewrite_zip
from tests.parsers.test_hostile import bomb_docx

ACCOUNT = "szlgbjdjc@163.com"
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def ctx() -> PipelineContext:
    return PipelineContext(account=ACCOUNT, own_addresses=frozenset({ACCOUNT}))


Feed = Callable[..., Processed]


@pytest.fixture
def feed(session_factory: SessionFactory, ctx: PipelineContext) -> Feed:
    """Process raw bytes as the next UID of INBOX (INTERNALDATE given, or none as for an imported file)."""
    uids = iter(range(1, 10_000))

    def _feed(raw: bytes, internal_date: datetime | None = datetime(2020, 5, 13, 2, 0, tzinfo=UTC),
              folder: str = "INBOX") -> Processed:
        message = RawMessage(ACCOUNT, folder, 7, next(uids), raw, internal_date)
        return process_message(session_factory, message, ctx, sync_last_uid=True)

    return _feed


def with_date(raw: bytes, value: bytes) -> bytes:
    return re.sub(rb"(?m)^Date: .*$", b"Date: " + value, raw, count=1)


@pytest.mark.parametrize("date_header", [
    b"Fri, 31 Dec 9999 23:59:59 -1200",
    b"Fri, 31 Dec 9999 23:59:59 +0000",
    b"Mon, 01 Jan 0001 00:00:00 +1400",
    b"Sat, 13 May 2020 09:30:00 +9959",
])
def test_a_date_no_database_can_hold_never_stops_the_mail_or_the_ones_after_it(
    feed: Feed, session_factory: SessionFactory, date_header: bytes
) -> None:
    hostile = with_date(branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)]), date_header)
    first = feed(hostile, internal_date=None)  # an imported file: no INTERNALDATE, only its own Date header
    after = feed(branch_mail(attachments=[("情况表.docx", form_docx(org="苏州市民政局离退休干部党支部"), DOCX)]))
    assert (first.outcome, after.outcome) == (MessageOutcome.REPORT, MessageOutcome.REPORT)
    with session_factory() as session:
        rows = queries.current_reports(session)
        listed = store_failures.list_failures(session, include_closed=True)
    assert len(rows) == 2 and listed == []
    for row in rows:
        assert 1990 <= row.received_at.year < 2200
        row.received_at.astimezone(SH)  # every listing and the digest can show it


def test_two_different_mails_sharing_a_message_id_are_two_reports(feed: Feed, session_factory: SessionFactory) -> None:
    first = feed(branch_mail(message_id="<draft-copy@163.com>",
                             attachments=[("情况表.docx", form_docx(org="苏州市财政局离退休干部党支部"), DOCX)]))
    second = feed(branch_mail(message_id="<draft-copy@163.com>", sender="民政局 <mzj@163.com>",
                              attachments=[("情况表.docx", form_docx(org="苏州市民政局离退休干部党支部"), DOCX)]))
    assert (first.outcome, second.outcome) == (MessageOutcome.REPORT, MessageOutcome.REPORT)
    with session_factory() as session:
        assert sorted(r.org_name for r in queries.current_reports(session)) == [
            "苏州市民政局离退休干部党支部", "苏州市财政局离退休干部党支部"]


def test_the_same_mail_in_a_second_folder_is_a_duplicate_of_the_first(
    feed: Feed, session_factory: SessionFactory
) -> None:
    raw = branch_mail(message_id="<once@163.com>", attachments=[("情况表.docx", form_docx(), DOCX)])
    assert feed(raw).outcome is MessageOutcome.REPORT
    again = feed(raw, folder="垃圾邮件")
    assert (again.outcome, again.counts.duplicates) == (MessageOutcome.DUPLICATE, 1)


def test_the_same_message_id_and_the_same_files_with_other_headers_is_the_same_mail(feed: Feed) -> None:
    data = form_docx()
    feed(branch_mail(message_id="<relayed@163.com>", attachments=[("情况表.docx", data, DOCX)]))
    relayed = branch_mail(message_id="<relayed@163.com>", headers=[("X-Relayed-By", "mx2.163.com")],
                          attachments=[("情况表.docx", data, DOCX)])
    assert feed(relayed).outcome is MessageOutcome.DUPLICATE


def test_the_same_message_id_without_files_and_another_text_is_a_new_mail(feed: Feed) -> None:
    feed(branch_mail(message_id="<nofile@163.com>", body="情况表稍后补发。"))
    out = feed(branch_mail(message_id="<nofile@163.com>", body="附件忘了，情况表明天发。"))
    assert (out.outcome, out.reason) == (MessageOutcome.FAILURE, FailureKind.NO_ATTACHMENT)


def _hostile_docx(kind: str, tmp_path: Path) -> bytes:
    if kind == "bomb":
        path = tmp_path / "bomb.docx"
        bomb_docx(path, 400)
        return path.read_bytes()
    data = docx_from_body(form_table())
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        body = zf.read("word/document.xml").split(b"?>", 1)[1]
    dtd = b'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
    return rewrite_zip(data, {"word/document.xml": dtd + body.replace("王芳".encode(), b"&b;")})


@pytest.mark.parametrize(("kind", "expected"), [("bomb", FailureKind.TOO_LARGE), ("dtd", FailureKind.CORRUPT)])
def test_a_hostile_file_keeps_the_parsers_kind_even_in_mail_that_does_not_speak_of_the_campaign(
    feed: Feed, session_factory: SessionFactory, tmp_path: Path, kind: str, expected: FailureKind
) -> None:
    hostile = _hostile_docx(kind, tmp_path)
    out = feed(branch_mail(subject="材料", body="见附件", attachments=[("材料.docx", hostile, DOCX)]))
    assert (out.outcome, out.reason) == (MessageOutcome.FAILURE, expected)
    with session_factory() as session:
        (failure,) = store_failures.list_failures(session)
    assert (failure.kind, failure.message) == (expected, expected.message)


@pytest.mark.parametrize("resend_first", [False, True])
def test_identical_content_keeps_its_earliest_receipt_time_whatever_the_order(
    feed: Feed, session_factory: SessionFactory, resend_first: bool
) -> None:
    # Activity on 5月12日: sent on the 13th (in time), resent on the 25th (late by itself).
    original = branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)])
    resend = branch_mail(subject="再发一次：情况表", attachments=[("情况表.docx", form_docx(), DOCX)])
    on_13th, on_25th = datetime(2020, 5, 13, 2, 0, tzinfo=UTC), datetime(2020, 5, 25, 2, 0, tzinfo=UTC)
    arrivals = [(original, on_13th), (resend, on_25th)]
    for raw, when in (reversed(arrivals) if resend_first else arrivals):
        feed(raw, internal_date=when)
    with session_factory() as session:
        (row,) = queries.current_reports(session)
    assert row.activity_date == date(2020, 5, 12)
    assert (row.received_at, row.late) == (on_13th, False)


def test_invisible_characters_in_the_organisation_do_not_split_one_branch_in_two(
    feed: Feed, session_factory: SessionFactory
) -> None:
    feed(branch_mail(attachments=[("情况表.docx", form_docx(org="苏州市财政局离退休干部党支部"), DOCX)]))
    dressed = "\ufeff苏州市\u200b财政局\u200d离退休干部\u2060党支部"
    out = feed(branch_mail(subject="更正：情况表", attachments=[
        ("情况表.docx", form_docx(org=dressed, headcount="27"), DOCX)]))
    assert out.counts.new_versions == 1
    with session_factory() as session:
        (row,) = queries.current_reports(session)
    assert (row.version, row.headcount) == (2, 27)


@pytest.fixture
def refusing_database(session_factory: SessionFactory) -> Iterator[Callable[[str], None]]:
    """Make the database itself refuse inserts into a table (a trigger), as a full disk or a bad row would."""
    engine = engine_of(session_factory)
    made: list[str] = []

    def refuse(table: str) -> None:
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                conn.execute(text(f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} "
                                  "BEGIN SELECT RAISE(ABORT, 'disk quota exceeded'); END"))
            else:
                conn.execute(text("CREATE OR REPLACE FUNCTION refuse_insert() RETURNS trigger AS "
                                  "$$ BEGIN RAISE EXCEPTION 'disk quota exceeded'; END $$ LANGUAGE plpgsql"))
                conn.execute(text(f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} "
                                  "FOR EACH ROW EXECUTE FUNCTION refuse_insert()"))
        made.append(table)

    yield refuse
    with engine.begin() as conn:
        for table in made:
            conn.execute(text(f"DROP TRIGGER IF EXISTS refuse_{table}"
                              + ("" if engine.dialect.name == "sqlite" else f" ON {table}")))


def test_a_mail_the_database_will_not_take_is_recorded_by_its_place_and_the_poll_moves_on(
    feed: Feed, session_factory: SessionFactory, refusing_database: Callable[[str], None]
) -> None:
    refusing_database("messages")
    out = feed(branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)]))
    assert (out.outcome, out.reason, out.message_pk) == (MessageOutcome.FAILURE, FailureKind.UNSTORABLE, None)
    with session_factory() as session:
        (failure,) = store_failures.list_failures(session)
        assert messages.get_sync_state(session, ACCOUNT, "INBOX") == (7, 1)  # the next poll starts after it
        facts = queries.digest_facts(session, failure.received_at.astimezone(SH).date(), SH)
    assert failure.kind == FailureKind.UNSTORABLE and failure.message == FailureKind.UNSTORABLE.message
    assert failure.location == f"{ACCOUNT} / INBOX / UIDVALIDITY 7 / UID 1"
    assert "disk quota exceeded" in failure.detail
    assert [f.kind for f in facts.new_failures] == ["unstorable"]  # the digest of that day names it


def test_when_nothing_at_all_can_be_recorded_the_poll_stops_without_moving_past_the_mail(
    feed: Feed, session_factory: SessionFactory, refusing_database: Callable[[str], None]
) -> None:
    refusing_database("messages")
    refusing_database("failures")
    with pytest.raises(MessageUnstorable):
        feed(branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)]))
    with session_factory() as session:
        assert messages.get_sync_state(session, ACCOUNT, "INBOX") is None  # the next poll fetches it again


def test_a_step_that_raises_is_shunted_once_and_a_second_poll_adds_nothing(
    feed: Feed, session_factory: SessionFactory, ctx: PipelineContext
) -> None:
    def broken(*_a: object, **_k: object) -> object:
        raise RuntimeError("bug")

    raw = RawMessage(ACCOUNT, "INBOX", 7, 1, branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)]))
    first = process_message(session_factory, raw, replace(ctx, parse=broken), sync_last_uid=True)  # type: ignore[arg-type]
    again = process_message(session_factory, raw, ctx, sync_last_uid=True)
    assert (first.outcome, again.outcome) == (MessageOutcome.FAILURE, MessageOutcome.SKIPPED)
    with session_factory() as session:
        assert [f.kind for f in store_failures.list_failures(session)] == ["internal_error"]


def test_a_form_forwarded_12_deep_is_a_visible_too_complex_failure_not_a_missing_attachment(
    feed: Feed, session_factory: SessionFactory
) -> None:
    inner = branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)])
    out = feed(forwarded_as_attachment(inner, 12))
    assert (out.outcome, out.reason) == (MessageOutcome.FAILURE, FailureKind.TOO_COMPLEX)
    with session_factory() as session:
        (failure,) = store_failures.list_failures(session)
    assert failure.kind == "too_complex" and "nested more than 10 deep" in failure.detail


def test_a_form_found_beside_what_a_cap_cut_is_a_report_and_the_cut_is_still_a_failure(
    feed: Feed, session_factory: SessionFactory
) -> None:
    form = file_part("情况表.docx", form_docx(), DOCX)
    raw = raw_mail([("From", "财政局 <czj_lgb@163.com>"), ("Subject", "主题党日活动情况表"), ("MIME-Version", "1.0"),
                    ("Message-ID", "<wide@163.com>")], b"", "=_wide_=", [form, *tiny_text_parts(10_050)])
    out = feed(raw)
    assert out.outcome is MessageOutcome.MIXED and out.counts.new_reports == 1
    with session_factory() as session:
        assert [f.kind for f in store_failures.list_failures(session)] == ["too_complex"]
