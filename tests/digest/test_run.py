"""The digest run against a real store and a real SMTP server: once a day, catch-up, outbox and dry run."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from core.settings import Settings
from core.vocab import DigestMode, FailureKind
from digest.run import MAX_CATCH_UP_DAYS, digest_lock, due_days, run_digest
from mailout.send import SendError
from store.dedup import record_attachment, record_form
from store.events import digest_done, last_digest_run, record_digest_run, record_poll
from store.failures import record_failure
from store.messages import record_message
from store.session import SessionFactory
from tests.digest.helpers import TO, parse, settings_for
from tests.fixtures.smtp import SmtpServer, free_port
from tests.store.helpers import BASE_TIME, attachment_in, docx_bytes, form, message_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 5, 10)  # BASE_TIME is 10:30 on this day in Suzhou
MORNING_AFTER = datetime(2026, 5, 11, 8, 0, tzinfo=SHANGHAI)


def seed_day(factory: SessionFactory) -> None:
    """Two new reports (one late), a correction of the first, an encrypted attachment, a good poll."""
    first = form(org="苏州市姑苏区离退休干部第一党支部", headcount=23)
    late = form(org="吴中区老干部局机关离退休党支部", headcount=15, activity=date(2026, 4, 20), phone="0512-65221234")
    corrected = replace(first, headcount=25, headcount_text="25人")
    with factory() as session:
        for i, (f, correction) in enumerate(((first, False), (late, False), (corrected, True))):
            msg = record_message(session, message_in(f"{f.org_name}情况表", received_at=BASE_TIME + timedelta(hours=i),
                                                     correction=correction))
            att = record_attachment(session, msg.message_pk, attachment_in(docx_bytes(f), f"情况表{i}.docx"))
            record_form(session, msg.message_pk, att.attachment_pk, f, correction)
        bad_in = message_in("教育局退休第三支部活动情况", received_at=BASE_TIME + timedelta(hours=5),
                            sender_name="李梅", sender_address="limei@example.cn")
        bad = record_message(session, bad_in)
        bad_att = record_attachment(session, bad.message_pk, attachment_in(b"\xd0\xcf\x11\xe0 encrypted", "加密.docx"))
        record_failure(session, bad.message_pk, bad_att.attachment_pk, FailureKind.ENCRYPTED, "EncryptionInfo")
        record_poll(session, "szlgbjdjc@163.com", "INBOX", MORNING_AFTER - timedelta(minutes=3),
                    MORNING_AFTER - timedelta(minutes=2), True, "", {"fetched": 0})
        session.commit()


def test_digest_arrives_once_with_recipients_subject_counts_and_xlsx(
    smtp_server: SmtpServer, session_factory: SessionFactory
) -> None:
    seed_day(session_factory)
    settings = settings_for(smtp_server)

    outcome = run_digest(settings, session_factory, DAY, mode=None, out=None, force=False, now=MORNING_AFTER)

    assert outcome.sent and outcome.mode is DigestMode.SEND and outcome.recipients == TO
    assert len(smtp_server.received) == 1
    envelope = smtp_server.received[0]
    assert envelope.rcpt_tos == TO
    mail = parse(envelope.content)
    assert mail["Subject"] == "【主题党日活动情况表】2026-05-10 日报：新收2份，更正1份，待处理1项"
    assert mail["Message-ID"] == outcome.message_id
    text = mail.get_body(preferencelist=("plain",))
    assert text is not None
    body = text.get_content()
    assert "吴中区老干部局机关离退休党支部【逾期 20 天】" in body
    assert "人数：23 → 25" in body
    assert "附件已加密" in body
    (xlsx,) = list(mail.iter_attachments())
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.get_content()))["汇总表"]
    assert sheet.max_row == 1 + 2  # header + one row per current report (the correction replaced version 1)
    names = {sheet.cell(row=r, column=2).value for r in (2, 3)}
    assert names == {"苏州市姑苏区离退休干部第一党支部", "吴中区老干部局机关离退休党支部"}

    again = run_digest(settings, session_factory, DAY, mode=None, out=None, force=False, now=MORNING_AFTER)
    assert not again.sent and again.skipped_reason == "already_sent"
    assert len(smtp_server.received) == 1

    forced = run_digest(settings, session_factory, DAY, mode=None, out=None, force=True, now=MORNING_AFTER)
    assert forced.sent and len(smtp_server.received) == 2
    with session_factory() as session:
        last = last_digest_run(session)
        assert last is not None and last.day == DAY and last.message_id == forced.message_id


def test_a_day_with_nothing_new_still_sends_a_short_digest(
    smtp_server: SmtpServer, session_factory: SessionFactory
) -> None:
    outcome = run_digest(settings_for(smtp_server), session_factory, DAY, mode=DigestMode.SEND, out=None, force=False,
                         now=MORNING_AFTER)
    assert outcome.sent
    mail = parse(smtp_server.received[0].content)
    assert mail["Subject"].endswith("新收0份，更正0份，待处理0项")


def test_failed_send_records_nothing_so_the_day_is_tried_again(session_factory: SessionFactory) -> None:
    settings = Settings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none", smtp_timeout=5.0,
                        digest_from="szlgbjdjc@163.com", digest_to=TO)
    with pytest.raises(SendError):
        run_digest(settings, session_factory, DAY, mode=None, out=None, force=False, now=MORNING_AFTER)
    with session_factory() as session:
        assert not digest_done(session, DAY)
    assert due_days(settings, session_factory, MORNING_AFTER) == [DAY]


def test_without_smtp_host_the_digest_goes_to_the_outbox_once(tmp_path: Path, session_factory: SessionFactory) -> None:
    seed_day(session_factory)
    settings = Settings(data_dir=tmp_path / "var", digest_to=TO, digest_from="szlgbjdjc@163.com")
    outcome = run_digest(settings, session_factory, DAY, mode=None, out=None, force=False, now=MORNING_AFTER)
    assert outcome.mode is DigestMode.OUTBOX and not outcome.sent
    assert [p.name for p in outcome.paths] == ["digest-2026-05-10.eml", "digest-2026-05-10.html"]
    assert all(p.parent == tmp_path / "var" / "outbox" for p in outcome.paths)
    assert "新收2份" in parse(outcome.paths[0].read_bytes())["Subject"]
    with session_factory() as session:
        run = last_digest_run(session, mode=DigestMode.OUTBOX)
        assert run is not None and run.day == DAY
    again = run_digest(settings, session_factory, DAY, mode=None, out=None, force=False, now=MORNING_AFTER)
    assert again.skipped_reason == "already_sent" and again.paths == ()
    assert due_days(settings, session_factory, MORNING_AFTER) == []


def test_dry_run_writes_to_the_folder_given_and_records_nothing(
    tmp_path: Path, smtp_server: SmtpServer, session_factory: SessionFactory
) -> None:
    settings = settings_for(smtp_server)
    outcome = run_digest(settings, session_factory, DAY, mode=DigestMode.DRY_RUN, out=tmp_path / "preview", force=False,
                         now=MORNING_AFTER)
    assert outcome.paths and outcome.paths[1].read_text("utf-8").startswith("<!DOCTYPE html>")
    assert smtp_server.received == []
    with session_factory() as session:
        assert last_digest_run(session, mode=None) is None
    assert due_days(settings, session_factory, MORNING_AFTER) == [DAY]


def test_a_dry_run_into_the_outbox_folder_never_marks_the_day_done(
    tmp_path: Path, session_factory: SessionFactory
) -> None:
    seed_day(session_factory)
    settings = Settings(data_dir=tmp_path / "var", digest_to=TO, digest_from="szlgbjdjc@163.com")
    preview = run_digest(settings, session_factory, DAY, mode=DigestMode.DRY_RUN, out=None, force=False,
                         now=MORNING_AFTER)
    assert preview.paths[0] == tmp_path / "var" / "outbox" / "digest-2026-05-10.eml"  # where the real one goes
    assert not preview.done
    with session_factory() as session:
        assert not digest_done(session, DAY) and last_digest_run(session, mode=None) is None
    assert due_days(settings, session_factory, MORNING_AFTER) == [DAY]

    real = run_digest(settings, session_factory, DAY, mode=None, out=None, force=False, now=MORNING_AFTER)
    assert real.mode is DigestMode.OUTBOX and real.skipped_reason == "" and real.done
    with session_factory() as session:
        assert digest_done(session, DAY)
        run = last_digest_run(session, mode=None)
        assert run is not None and run.mode == DigestMode.OUTBOX and run.message_id == real.message_id
    assert due_days(settings, session_factory, MORNING_AFTER) == []


def test_sending_without_digest_sender_or_recipients_names_the_setting_before_connecting(
    smtp_server: SmtpServer, session_factory: SessionFactory
) -> None:
    for over, setting in (({"digest_to": ()}, "INTAKE_DIGEST_TO"), ({"digest_from": ""}, "INTAKE_DIGEST_FROM")):
        with pytest.raises(SendError, match=setting):
            run_digest(settings_for(smtp_server, **over), session_factory, DAY, mode=DigestMode.SEND, out=None,
                       force=False, now=MORNING_AFTER)
    assert smtp_server.received == []


def test_send_mode_without_smtp_host_is_refused(session_factory: SessionFactory) -> None:
    with pytest.raises(SendError, match="INTAKE_SMTP_HOST"):
        run_digest(Settings(), session_factory, DAY, mode=DigestMode.SEND, out=None, force=False, now=MORNING_AFTER)


def test_due_days_is_yesterday_after_digest_time_and_the_day_before_until_then(
    smtp_server: SmtpServer, session_factory: SessionFactory
) -> None:
    settings = settings_for(smtp_server)
    assert due_days(settings, session_factory, MORNING_AFTER) == [DAY]
    assert due_days(settings, session_factory, MORNING_AFTER - timedelta(minutes=1)) == [DAY - timedelta(days=1)]


def test_days_missed_while_down_are_all_due_oldest_first_and_capped(
    smtp_server: SmtpServer, session_factory: SessionFactory
) -> None:
    settings = settings_for(smtp_server)
    with session_factory() as session:
        record_digest_run(session, date(2026, 5, 6), datetime(2026, 5, 7, 8, 0, tzinfo=SHANGHAI), TO, "<a@b>", "send")
        session.commit()
    assert due_days(settings, session_factory, MORNING_AFTER) == [date(2026, 5, d) for d in range(7, 11)]

    for day in due_days(settings, session_factory, MORNING_AFTER):
        run_digest(settings, session_factory, day, mode=None, out=None, force=False, now=MORNING_AFTER)
    assert len(smtp_server.received) == 4
    assert due_days(settings, session_factory, MORNING_AFTER) == []

    long_after = MORNING_AFTER + timedelta(days=60)
    caught_up = due_days(settings, session_factory, long_after)
    assert len(caught_up) == MAX_CATCH_UP_DAYS
    assert caught_up[-1] == long_after.date() - timedelta(days=1)


def test_a_day_being_sent_by_another_process_is_skipped_not_sent_twice(
    smtp_server: SmtpServer, session_factory: SessionFactory
) -> None:
    with digest_lock(session_factory, DAY) as held:
        assert held
        outcome = run_digest(settings_for(smtp_server), session_factory, DAY, mode=None, out=None, force=False,
                             now=MORNING_AFTER)
    assert outcome.skipped_reason == "busy" and not outcome.done
    assert smtp_server.received == []
    after = run_digest(settings_for(smtp_server), session_factory, DAY, mode=None, out=None, force=False,
                       now=MORNING_AFTER)
    assert after.sent and after.done
