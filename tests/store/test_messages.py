"""Ladder steps 1-2 and sync state: a mailbox UID is recorded once; a repeated Message-ID is a duplicate."""

from __future__ import annotations

import email
from datetime import datetime, timedelta, timezone
from email import policy

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

import store.messages as messages_mod
from core.vocab import MessageOutcome
from store.blobs import get_blob
from store.errors import AlreadyRecorded, NotFound
from store.messages import (
    already_done,
    get_sync_state,
    last_done_uid,
    record_message,
    set_message_outcome,
    set_sync_state,
)
from store.models import Blob, Duplicate, Message
from store.records import MessageIn
from tests.store.helpers import message_in

Factory = sessionmaker[Session]


def test_ladder1_same_mailbox_uid_raises_already_recorded(session_factory: Factory) -> None:
    m = message_in(uid=42)
    with session_factory() as s:
        record_message(s, m)
        s.commit()
    with session_factory() as s:
        assert already_done(s, m.account, m.folder, m.uidvalidity, 42)
        with pytest.raises(AlreadyRecorded) as info:
            record_message(s, m)
        assert info.value.message_pk is not None
        assert s.scalar(select(func.count(Message.id))) == 1


def test_ladder1_unique_constraint_is_in_the_database_itself(session_factory: Factory) -> None:
    m = message_in(uid=7)
    with session_factory() as s:
        pk = record_message(s, m).message_pk
        s.commit()
        first = s.get(Message, pk)
        assert first is not None
        clone = Message(account=first.account, folder=first.folder, uidvalidity=first.uidvalidity, uid=first.uid,
                        received_at=first.received_at, raw_sha256=first.raw_sha256, raw_size=first.raw_size)
        s.add(clone)
        with pytest.raises(IntegrityError):
            s.flush()
        s.rollback()


def test_ladder1_same_uid_under_a_new_uidvalidity_or_folder_is_a_new_message(session_factory: Factory) -> None:
    with session_factory() as s:
        record_message(s, message_in(uid=5, uidvalidity=1, message_id=""))
        record_message(s, message_in(uid=5, uidvalidity=2, message_id=""))
        record_message(s, message_in(uid=5, uidvalidity=1, folder="其他文件夹", message_id=""))
        s.commit()
        assert s.scalar(select(func.count(Message.id))) == 3


def test_concurrent_winner_of_the_uid_raises_already_recorded_and_keeps_the_transaction(
    session_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = message_in(uid=99)
    with session_factory() as s:
        record_message(s, m)
        s.commit()
    real_find = messages_mod._find
    calls = {"n": 0}

    def blind_first_time(*args: object) -> int | None:
        calls["n"] += 1
        return None if calls["n"] == 1 else real_find(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(messages_mod, "_find", blind_first_time)
    with session_factory() as s:
        other = record_message(s, message_in(uid=100))  # earlier work in the same transaction
        with pytest.raises(AlreadyRecorded):
            record_message(s, m)  # the pre-check misses, the unique constraint catches it
        s.commit()  # the SAVEPOINT kept the caller's transaction usable
        assert s.get(Message, other.message_pk) is not None
        assert s.scalar(select(func.count(Message.id))) == 2


def test_ladder2_repeated_message_id_is_stored_and_marked_duplicate_of_the_first(session_factory: Factory) -> None:
    first = message_in(uid=1, message_id="<same@example.cn>")
    again = message_in(uid=2, message_id="<same@example.cn>", folder="已发送")
    with session_factory() as s:
        r1 = record_message(s, first)
        r2 = record_message(s, again)
        s.commit()
        assert r1.duplicate_of is None
        assert r2.duplicate_of == r1.message_pk
        row = s.get(Message, r2.message_pk)
        assert row is not None and row.duplicate_of_id == r1.message_pk
        dup = s.scalars(select(Duplicate)).one()
        assert (dup.kind, dup.message_id, dup.of_message_id) == ("message", r2.message_pk, r1.message_pk)
        assert get_blob(s, row.raw_sha256) == again.raw


def test_ladder2_same_message_id_on_another_account_is_not_a_duplicate(session_factory: Factory) -> None:
    with session_factory() as s:
        record_message(s, message_in(message_id="<x@example.cn>"))
        r = record_message(s, message_in(message_id="<x@example.cn>", account="other@163.com"))
        assert r.duplicate_of is None


def test_ladder2_empty_message_ids_never_match(session_factory: Factory) -> None:
    with session_factory() as s:
        record_message(s, message_in(message_id=""))
        r = record_message(s, message_in(message_id=""))
        assert r.duplicate_of is None
        assert s.scalar(select(func.count(Duplicate.id))) == 0


def test_raw_bytes_come_back_exactly_and_identical_raw_is_stored_once(session_factory: Factory) -> None:
    a = message_in(uid=10, message_id="<r@example.cn>")
    b = MessageIn(**{**a.__dict__, "uid": 11, "folder": "Archive"})
    with session_factory() as s:
        pa = record_message(s, a).message_pk
        pb = record_message(s, b).message_pk
        s.commit()
        ra, rb = s.get(Message, pa), s.get(Message, pb)
        assert ra is not None and rb is not None
        assert ra.raw_sha256 == rb.raw_sha256
        assert get_blob(s, ra.raw_sha256) == a.raw
        assert s.scalar(select(func.count()).select_from(Blob)) == 1


def test_raw_8bit_gbk_headers_are_stored_as_chinese_with_no_lone_surrogates(session_factory: Factory) -> None:
    raw = (b"From: " + "王建国".encode("gbk") + b" <branch1@example.cn>\r\nSubject: "
           + "第一党支部情况表（更正）".encode("gbk") + b"\r\nMessage-ID: <gbk@example.cn>\r\n"
           + b"Content-Type: text/plain\r\n\r\nbody\r\n")
    parsed = email.message_from_bytes(raw, policy=policy.default)
    headers = dict(parsed.raw_items())  # 8-bit bytes arrive as lone surrogates (surrogateescape)
    assert any(0xDC80 <= ord(ch) <= 0xDCFF for ch in headers["Subject"])
    name = headers["From"].split("<")[0].strip()
    m = message_in(subject=headers["Subject"], sender_name=name + "\ud800", raw=raw)
    with session_factory() as s:
        pk = record_message(s, m).message_pk
        s.commit()
    with session_factory() as s:
        row = s.get(Message, pk)
        assert row is not None
        assert row.subject == "第一党支部情况表（更正）"
        assert row.sender_name == "王建国\ufffd"
        assert get_blob(s, row.raw_sha256) == raw


def test_received_at_comes_back_aware_and_the_same_instant(session_factory: Factory) -> None:
    when = datetime(2026, 5, 10, 23, 30, tzinfo=timezone(timedelta(hours=8)))
    with session_factory() as s:
        pk = record_message(s, message_in(received_at=when)).message_pk
        s.commit()
    with session_factory() as s:
        row = s.get(Message, pk)
        assert row is not None and row.received_at.tzinfo is not None
        assert row.received_at == when


def test_last_done_uid_is_the_highest_uid_or_zero(session_factory: Factory) -> None:
    with session_factory() as s:
        assert last_done_uid(s, "a@163.com", "INBOX", 7) == 0
        for uid in (3, 9, 4):
            record_message(s, message_in(account="a@163.com", uidvalidity=7, uid=uid))
        assert last_done_uid(s, "a@163.com", "INBOX", 7) == 9
        assert last_done_uid(s, "a@163.com", "INBOX", 8) == 0


def test_sync_state_round_trips_never_goes_back_and_resets_on_new_uidvalidity(session_factory: Factory) -> None:
    with session_factory() as s:
        assert get_sync_state(s, "a@163.com", "INBOX") is None
        set_sync_state(s, "a@163.com", "INBOX", 4_000_000_000, 50)
        s.commit()
        assert get_sync_state(s, "a@163.com", "INBOX") == (4_000_000_000, 50)
        set_sync_state(s, "a@163.com", "INBOX", 4_000_000_000, 20)
        assert get_sync_state(s, "a@163.com", "INBOX") == (4_000_000_000, 50)
        set_sync_state(s, "a@163.com", "INBOX", 12, 3)
        s.commit()
        assert get_sync_state(s, "a@163.com", "INBOX") == (12, 3)


def test_message_outcome_is_kept_and_unknown_outcomes_are_refused(session_factory: Factory) -> None:
    with session_factory() as s:
        pk = record_message(s, message_in()).message_pk
        set_message_outcome(s, pk, MessageOutcome.MIXED, "1 report, 1 failure")
        row = s.get(Message, pk)
        assert row is not None and (row.outcome, row.outcome_reason) == ("mixed", "1 report, 1 failure")
        with pytest.raises(ValueError):
            set_message_outcome(s, pk, "lost")  # type: ignore[arg-type]  # a code from outside the vocabulary
        with pytest.raises(ValueError):
            set_message_outcome(s, pk, MessageOutcome.PENDING)
        with pytest.raises(NotFound):
            set_message_outcome(s, 10_000, MessageOutcome.REPORT)


def test_correction_flag_is_kept_on_the_message(session_factory: Factory) -> None:
    with session_factory() as s:
        pk = record_message(s, message_in(correction=True)).message_pk
        row = s.get(Message, pk)
        assert row is not None and row.correction is True


def test_overlong_header_values_are_cut_to_fit_postgresql_instead_of_failing(session_factory: Factory) -> None:
    long_id = "<" + "x" * 1500 + "@example.cn>"
    m = message_in(message_id=long_id, sender_address="a" * 400 + "@example.cn", folder="F" * 1200)
    with session_factory() as s:
        first = record_message(s, m)
        s.commit()
        again = record_message(s, MessageIn(**{**m.__dict__, "uid": m.uid + 1}))
        assert again.duplicate_of == first.message_pk  # the cut Message-ID still matches itself
        assert already_done(s, m.account, m.folder, m.uidvalidity, m.uid)
        assert last_done_uid(s, m.account, m.folder, m.uidvalidity) == m.uid + 1
        set_sync_state(s, m.account, m.folder, m.uidvalidity, 5)
        assert get_sync_state(s, m.account, m.folder) == (m.uidvalidity, 5)
