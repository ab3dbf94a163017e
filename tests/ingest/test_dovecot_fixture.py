"""The Dovecot fixture talks to a real server: login, append, flags, folders with Chinese names, UIDVALIDITY."""

from __future__ import annotations

from email.message import EmailMessage

from tests.fixtures.dovecot import DovecotServer, DovecotUser


def _mail(subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "branch@example.org"
    msg["To"] = "szlgbjdjc@163.com"
    msg["Subject"] = subject
    msg.set_content("正文")
    return bytes(msg)


def test_fixture_appends_to_a_real_dovecot_and_reads_flags_back(dovecot_user: DovecotUser) -> None:
    first = dovecot_user.append("INBOX", _mail("一"))
    second = dovecot_user.append("INBOX", _mail("二"), flags=[r"\Seen"])
    assert second == first + 1
    flags = dovecot_user.flags("INBOX")
    assert flags[first] == ()
    assert b"\\Seen" in flags[second]
    with dovecot_user.client() as client:
        assert b"IMAP4REV1" in client.capabilities()


def test_fixture_creates_a_folder_with_a_chinese_name(dovecot_user: DovecotUser) -> None:
    dovecot_user.create_folder("垃圾邮件")
    uid = dovecot_user.append("垃圾邮件", _mail("spam"))
    assert uid == 1
    with dovecot_user.client() as client:
        names = [name for _f, _d, name in client.list_folders()]
    assert "垃圾邮件" in names


def test_fixture_changes_uidvalidity_of_inbox_with_doveadm(dovecot_user: DovecotUser) -> None:
    dovecot_user.append("INBOX", _mail("x"))
    before = dovecot_user.uidvalidity("INBOX")
    dovecot_user.set_uidvalidity("INBOX", before + 1000)
    assert dovecot_user.uidvalidity("INBOX") == before + 1000


def test_each_test_user_starts_with_an_empty_mailbox(dovecot: DovecotServer) -> None:
    a = dovecot.add_user()
    b = dovecot.add_user()
    a.append("INBOX", _mail("only a"))
    assert len(a.flags("INBOX")) == 1
    assert b.flags("INBOX") == {}
    a.reset()
    assert a.flags("INBOX") == {}
