"""Different mail, same key: for every key the dedup ladder looks at (Message-ID, UID, import path, attachment hash)
two different mails that share it stay two messages and lose nothing (issue 10; SQLite and PostgreSQL).

What tests/ingest/test_nothing_lost.py, test_pipeline.py, test_files.py and tests/store/test_messages.py already
prove is not repeated here: two forms under one Message-ID, the same UID under another UIDVALIDITY in the store,
a reused import path counted as new. These add the cases they leave out: a real mailbox reusing a UID, a reused
path checked down to its reports, a Message-ID shared by mails whose files only partly agree, and a repeated file
beside a new one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.settings import Settings
from core.vocab import FailureKind, MessageOutcome
from ingest.model import RawMessage
from ingest.pipeline import PipelineContext, Processed, process_message
from ingest.poll import import_paths, poll_once
from store import failures as store_failures
from store import queries
from store.models import Message
from store.session import SessionFactory
from tests.builders import DOCX, branch_mail, form_docx, png_photo
from tests.fixtures.dovecot import DovecotUser

ACCOUNT = "szlgbjdjc@163.com"
CAIZHENG = "苏州市财政局离退休干部党支部"
MINZHENG = "苏州市民政局离退休干部党支部"
SHUILI = "苏州市水利局离退休干部党支部"


def orgs(session_factory: SessionFactory) -> list[str]:
    with session_factory() as session:
        return sorted(r.org_name for r in queries.current_reports(session))


def message_rows(session_factory: SessionFactory) -> int:
    with session_factory() as session:
        return int(session.scalar(select(func.count(Message.id))) or 0)


Feed = Callable[..., Processed]


@pytest.fixture
def feed(session_factory: SessionFactory) -> Feed:
    """Process raw bytes as the next UID of INBOX, as a poll would."""
    ctx = PipelineContext(account=ACCOUNT, own_addresses=frozenset({ACCOUNT}))
    uids = iter(range(1, 10_000))

    def _feed(raw: bytes) -> Processed:
        message = RawMessage(ACCOUNT, "INBOX", 7, next(uids), raw, datetime(2020, 5, 13, 2, 0, tzinfo=UTC))
        return process_message(session_factory, message, ctx, sync_last_uid=True)

    return _feed


def form_mail(org: str, *, sender: str = "财政局老干部处 <czj_lgb@163.com>", subject: str = "主题党日活动情况表",
              message_id: str | None = None, extra: list[tuple[str, bytes, str]] | None = None) -> bytes:
    return branch_mail(sender=sender, subject=subject, message_id=message_id,
                       attachments=[("情况表.docx", form_docx(org=org), DOCX), *(extra or [])])


# -- UID ----------------------------------------------------------------------------------------------------------

def test_a_uid_reused_by_a_recreated_folder_for_another_mail_is_a_second_message(
    dovecot_user: DovecotUser, session_factory: SessionFactory
) -> None:
    settings = dovecot_user.settings(imap_folders=("情况表",))
    first_uid = dovecot_user.append("情况表", form_mail(CAIZHENG))
    old_validity = dovecot_user.uidvalidity("情况表")
    poll_once(settings, session_factory)
    dovecot_user.delete_folder("情况表")  # someone tidied the mailbox: the folder is made anew, its UIDs start over
    second_uid = dovecot_user.append("情况表", form_mail(MINZHENG, sender="民政局 <mzj@163.com>"))
    if dovecot_user.uidvalidity("情况表") == old_validity:  # made within the same second: RFC 3501 wants a new one
        dovecot_user.set_uidvalidity("情况表", old_validity + 1)
    again = poll_once(settings, session_factory)
    assert first_uid == second_uid == 1
    assert (again.counts.messages, again.counts.new_reports) == (1, 1)
    assert message_rows(session_factory) == 2
    assert orgs(session_factory) == [MINZHENG, CAIZHENG]


def test_the_same_uid_in_two_folders_holding_different_mails_is_two_messages(
    dovecot_user: DovecotUser, session_factory: SessionFactory
) -> None:
    assert dovecot_user.append("INBOX", form_mail(CAIZHENG)) == 1
    assert dovecot_user.append("垃圾邮件", form_mail(MINZHENG, sender="民政局 <mzj@163.com>")) == 1
    summary = poll_once(dovecot_user.settings(imap_folders=("INBOX", "垃圾邮件")), session_factory)
    assert (summary.counts.messages, summary.counts.new_reports, summary.counts.duplicates) == (2, 2, 0)
    assert orgs(session_factory) == [MINZHENG, CAIZHENG]


# -- import path --------------------------------------------------------------------------------------------------

def test_a_path_rewritten_with_another_mail_and_imported_again_gives_two_messages_and_two_reports(
    tmp_path: Path, session_factory: SessionFactory
) -> None:
    path = tmp_path / "情况表.eml"
    path.write_bytes(form_mail(CAIZHENG))
    import_paths(Settings(), session_factory, [path])
    path.write_bytes(form_mail(MINZHENG, sender="民政局 <mzj@163.com>"))
    second = import_paths(Settings(), session_factory, [path]).counts
    assert (second.messages, second.skipped, second.new_reports) == (1, 0, 1)
    assert message_rows(session_factory) == 2
    assert orgs(session_factory) == [MINZHENG, CAIZHENG]


def test_a_path_rewritten_with_a_corrected_form_makes_a_new_version(
    tmp_path: Path, session_factory: SessionFactory
) -> None:
    path = tmp_path / "情况表.eml"
    path.write_bytes(branch_mail(attachments=[("情况表.docx", form_docx(headcount="25"), DOCX)]))
    import_paths(Settings(), session_factory, [path])
    corrected = form_docx(headcount="27")
    path.write_bytes(branch_mail(subject="更正：情况表", attachments=[("情况表.docx", corrected, DOCX)]))
    assert import_paths(Settings(), session_factory, [path]).counts.new_versions == 1
    with session_factory() as session:
        (row,) = queries.current_reports(session)
    assert (row.version, row.headcount) == (2, 27)


# -- Message-ID ---------------------------------------------------------------------------------------------------

def test_a_shared_message_id_on_a_mail_with_one_more_form_is_a_new_mail_whose_new_form_is_a_report(
    feed: Feed, session_factory: SessionFactory
) -> None:
    feed(form_mail(CAIZHENG, message_id="<draft@163.com>"))
    out = feed(form_mail(CAIZHENG, message_id="<draft@163.com>", subject="两个支部的情况表",
                         extra=[("民政局情况表.docx", form_docx(org=MINZHENG), DOCX)]))
    assert (out.outcome, out.counts.new_reports, out.counts.duplicates) == (MessageOutcome.MIXED, 1, 1)
    assert message_rows(session_factory) == 2
    assert orgs(session_factory) == [MINZHENG, CAIZHENG]


def test_a_shared_message_id_on_a_mail_with_only_a_photo_more_is_still_a_new_mail(
    feed: Feed, session_factory: SessionFactory
) -> None:
    feed(form_mail(CAIZHENG, message_id="<draft@163.com>"))
    out = feed(form_mail(CAIZHENG, message_id="<draft@163.com>", extra=[("照片.png", png_photo(), "image/png")]))
    assert out.outcome is MessageOutcome.DUPLICATE and out.counts.duplicates == 1  # the form repeats
    with session_factory() as session:
        duplicate_of = session.scalar(select(Message.duplicate_of_id).where(Message.id == out.message_pk))
    assert duplicate_of is None  # a mail of its own whose form repeats, not "the same mail"
    assert orgs(session_factory) == [CAIZHENG]


def test_a_copied_draft_without_files_from_another_branch_is_its_own_failure(
    feed: Feed, session_factory: SessionFactory
) -> None:
    def draft(sender: str) -> bytes:
        return branch_mail(sender=sender, subject="主题党日活动情况表", message_id="<copied-draft@163.com>",
                           body="您好，附件是我支部主题党日活动情况表，请查收。")

    first = feed(draft("财政局老干部处 <czj_lgb@163.com>"))
    second = feed(draft("民政局 <mzj@163.com>"))
    assert (first.outcome, first.reason) == (MessageOutcome.FAILURE, FailureKind.NO_ATTACHMENT)
    assert (second.outcome, second.reason) == (MessageOutcome.FAILURE, FailureKind.NO_ATTACHMENT)
    with session_factory() as session:
        assert len(store_failures.list_failures(session)) == 2


# -- attachment hash ----------------------------------------------------------------------------------------------

def test_a_repeated_file_from_another_branch_never_hides_the_other_form_beside_it(
    feed: Feed, session_factory: SessionFactory
) -> None:
    shared = form_docx(org=CAIZHENG)
    feed(branch_mail(attachments=[("情况表.docx", shared, DOCX)]))
    out = feed(branch_mail(sender="民政局 <mzj@163.com>", subject="转发：两份情况表",
                           attachments=[("财政局.docx", shared, DOCX), ("民政局.docx", form_docx(org=MINZHENG), DOCX)]))
    assert (out.outcome, out.counts.new_reports, out.counts.duplicates) == (MessageOutcome.MIXED, 1, 1)
    assert orgs(session_factory) == [MINZHENG, CAIZHENG]


def test_a_repeated_broken_file_beside_a_new_form_leaves_the_form_a_report_and_the_file_a_failure(
    feed: Feed, session_factory: SessionFactory
) -> None:
    broken = form_docx(org=SHUILI)[:3000]
    feed(branch_mail(attachments=[("情况表.docx", broken, DOCX)]))
    out = feed(branch_mail(sender="民政局 <mzj@163.com>", subject="情况表（另附）",
                           attachments=[("旧.docx", broken, DOCX), ("民政局.docx", form_docx(org=MINZHENG), DOCX)]))
    assert (out.outcome, out.counts.new_reports, out.counts.failures) == (MessageOutcome.MIXED, 1, 1)
    assert orgs(session_factory) == [MINZHENG]
    with session_factory() as session:
        kinds = sorted(f.kind for f in store_failures.list_failures(session))
    assert kinds == [FailureKind.CORRUPT, FailureKind.CORRUPT]  # each copy of the broken file is listed
