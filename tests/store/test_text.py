"""Text safety: smuggled 8-bit bytes become Chinese again, other lone surrogates and NULs never reach the DB."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from store.messages import record_message
from store.models import Message
from store.text import clean_text, format_sender
from tests.store.helpers import message_in


def _escaped(text: str, encoding: str) -> str:
    return text.encode(encoding).decode("ascii", errors="surrogateescape")


def test_surrogate_escaped_gbk_and_utf8_bytes_are_decoded_back() -> None:
    assert clean_text("回复：" + _escaped("情况表", "gbk")) == "回复：情况表"
    assert clean_text(_escaped("情况表", "utf-8") + ".docx") == "情况表.docx"
    assert clean_text(_escaped("鑫", "gb18030")) == "鑫"


def test_other_lone_surrogates_are_replaced_and_nuls_dropped() -> None:
    assert clean_text("a\ud800b\x00c") == "a\ufffdbc"
    assert clean_text("\udcff") == "\ufffd"  # one stray byte that is neither UTF-8 nor GB18030
    assert clean_text(None) == "" and clean_text("普通文本") == "普通文本"


def test_sender_is_name_and_address_or_whichever_exists() -> None:
    assert format_sender("王建国", "a@b.cn") == "王建国 <a@b.cn>"
    assert format_sender("", "a@b.cn") == "a@b.cn" and format_sender("王建国", "") == "王建国"


def test_naive_sent_time_is_stored_as_utc_instead_of_failing(session_factory: sessionmaker[Session]) -> None:
    m = message_in()
    naive = datetime(2026, 5, 10, 8, 0)
    with session_factory() as s:
        pk = record_message(s, m.__class__(**{**m.__dict__, "sent_at": naive})).message_pk
        s.commit()
    with session_factory() as s:
        row = s.get(Message, pk)
        assert row is not None and row.sent_at == naive.replace(tzinfo=UTC)


def test_nul_in_a_subject_does_not_break_postgresql(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as s:
        pk = record_message(s, message_in("情况表\x00（更正）")).message_pk
        s.commit()
        row = s.get(Message, pk)
        assert row is not None and row.subject == "情况表（更正）"
