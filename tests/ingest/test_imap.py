"""The IMAP adapter against a real Dovecot: read-only fetches, UID filtering, batches, folders, ID, TLS, errors."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Any

import pytest

from core.settings import Settings
from ingest.imap import Mailbox, open_mailbox
from ingest.imap_errors import ConnectionLost, FolderMissing, LoginRefused, MailboxError, Stopped
from tests.fixtures.dovecot import DovecotServer, DovecotUser
from tests.fixtures.fakeimap import FakeImapServer
from tests.fixtures.tcpproxy import TcpProxy

NO_WAIT = (0.0, 0.0)


def _mail(n: int, body: str = "正文") -> bytes:
    msg = EmailMessage()
    msg["From"] = "支部 <branch@example.org>"
    msg["To"] = "szlgbjdjc@163.com"
    msg["Subject"] = f"主题党日情况表 {n}"
    msg["Message-ID"] = f"<m{n}@example.org>"
    msg.set_content(body)
    return bytes(msg)


def _fill(user: DovecotUser, count: int, folder: str = "INBOX") -> list[int]:
    return [user.append(folder, _mail(i)) for i in range(1, count + 1)]


def _counting(mb: Mailbox, method: str) -> list[Any]:
    """Record the arguments of every call of one imapclient method on the mailbox's connection."""
    calls: list[Any] = []
    original = getattr(mb.client, method)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return original(*args, **kwargs)

    setattr(mb.client, method, wrapper)
    return calls


def test_fetch_new_yields_bodies_with_internaldate_and_leaves_every_flag_unchanged(dovecot_user: DovecotUser) -> None:
    when = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
    uids = [dovecot_user.append("INBOX", _mail(i), when=when) for i in range(1, 4)]
    dovecot_user.append("INBOX", _mail(4), flags=[r"\Flagged"])
    before = dovecot_user.flags("INBOX")
    with open_mailbox(dovecot_user.settings()) as mb:
        got = list(mb.fetch_new("INBOX", 0, batch=10))
    assert [m.uid for m in got] == [*uids, uids[-1] + 1]
    assert got[0].raw.replace(b"\r\n", b"\n") == _mail(1).replace(b"\r\n", b"\n")
    assert got[0].internal_date == when
    assert got[0].account == dovecot_user.user
    assert got[0].folder == "INBOX"
    assert got[0].uidvalidity == dovecot_user.uidvalidity("INBOX")
    assert dovecot_user.flags("INBOX") == before
    assert all(b"\\Seen" not in flags for uid, flags in dovecot_user.flags("INBOX").items() if uid in uids)


def test_folder_is_selected_read_only_so_even_a_store_changes_nothing(dovecot_user: DovecotUser) -> None:
    _fill(dovecot_user, 1)
    with open_mailbox(dovecot_user.settings()) as mb:
        mb.select_state("INBOX")
        assert mb.client._imap.is_readonly  # EXAMINE, not SELECT
        mb.client.add_flags([1], [b"\\Seen"])  # Dovecot answers OK but stores nothing in a read-only folder
    assert dovecot_user.flags("INBOX")[1] == ()


def test_fetch_new_returns_only_uids_above_after_uid(dovecot_user: DovecotUser) -> None:
    uids = _fill(dovecot_user, 5)
    with open_mailbox(dovecot_user.settings()) as mb:
        got = [m.uid for m in mb.fetch_new("INBOX", uids[1], batch=50)]
    assert got == uids[2:]


def test_uid_range_past_the_end_yields_nothing_although_the_server_returns_the_last_message(
    dovecot_user: DovecotUser,
) -> None:
    uids = _fill(dovecot_user, 3)
    with dovecot_user.client() as client:  # expunge the newest so UIDNEXT is past the last UID
        client.select_folder("INBOX")
        client.delete_messages([uids[-1]])
        client.expunge()
    with open_mailbox(dovecot_user.settings()) as mb:
        mb.select_state("INBOX")
        raw_answer = mb.client.search(["UID", f"{uids[-1]}:*"])
        assert raw_answer == [uids[1]]  # the server's quirk the adapter must filter out
        state, new = mb.new_uids("INBOX", uids[1])
        assert new == []
        assert list(mb.fetch_new("INBOX", uids[1], batch=10)) == []
        assert list(mb.fetch_new("INBOX", 1000, batch=10)) == []
    assert state.uidnext == uids[-1] + 1


def test_fetch_new_fetches_in_batches_of_the_given_size(dovecot_user: DovecotUser) -> None:
    uids = _fill(dovecot_user, 7)
    with open_mailbox(dovecot_user.settings()) as mb:
        fetches = _counting(mb, "fetch")
        got = [m.uid for m in mb.fetch_new("INBOX", 0, batch=3)]
    assert got == uids
    assert [list(args[0]) for args in fetches] == [uids[0:3], uids[3:6], uids[6:7]]


def test_idle_poll_sends_no_search_and_no_fetch(dovecot_user: DovecotUser) -> None:
    uids = _fill(dovecot_user, 3)
    with open_mailbox(dovecot_user.settings()) as mb:
        searches = _counting(mb, "search")
        fetches = _counting(mb, "fetch")
        assert list(mb.fetch_new("INBOX", uids[-1], batch=10)) == []
        state = mb.folder_state("INBOX")
    assert searches == [] and fetches == []
    assert state.uidnext == uids[-1] + 1 and state.exists == 3


def test_new_mail_is_found_with_one_search_from_the_last_uid(dovecot_user: DovecotUser) -> None:
    uids = _fill(dovecot_user, 3)
    with open_mailbox(dovecot_user.settings()) as mb:
        searches = _counting(mb, "search")
        new_uid = dovecot_user.append("INBOX", _mail(9))
        got = [m.uid for m in mb.fetch_new("INBOX", uids[-1], batch=10)]
    assert got == [new_uid]
    assert searches == [(["UID", f"{uids[-1] + 1}:*"],)]


def test_folder_with_a_chinese_name_is_listed_and_fetched(dovecot_user: DovecotUser) -> None:
    dovecot_user.create_folder("垃圾邮件")
    uid = dovecot_user.append("垃圾邮件", _mail(1))
    with open_mailbox(dovecot_user.settings()) as mb:
        assert "垃圾邮件" in mb.list_folders()
        assert "INBOX" in mb.list_folders()
        got = list(mb.fetch_new("垃圾邮件", 0, batch=5))
        state = mb.folder_state("垃圾邮件")
    assert [m.uid for m in got] == [uid]
    assert got[0].folder == "垃圾邮件"
    assert state.folder == "垃圾邮件" and state.exists == 1


def test_id_command_is_sent_after_login_when_the_server_advertises_it(
    dovecot: DovecotServer, dovecot_user: DovecotUser
) -> None:
    with open_mailbox(dovecot_user.settings()) as mb:
        assert mb.client.has_capability("ID")
        assert mb.id_sent
        mb.folder_state("INBOX")
    log = dovecot.log_text()
    assert any("ID sent" in line and "name=szlgb-intake" in line and dovecot_user.user in line
               for line in log.splitlines())


def test_wrong_password_raises_login_refused_with_one_line_and_no_secret(dovecot_user: DovecotUser) -> None:
    sleeps: list[float] = []
    # From 127.0.0.2 through a proxy, so Dovecot's per-IP auth penalty does not slow the other tests' logins.
    with TcpProxy(dovecot_user.host, dovecot_user.port, source_host="127.0.0.2") as proxy:
        settings = dovecot_user.settings(imap_password="wrong-code-123", imap_port=proxy.port)
        with pytest.raises(LoginRefused) as info:
            Mailbox.connect(settings, retry_delays=NO_WAIT, sleep=sleeps.append)
    message = str(info.value)
    assert "\n" not in message
    assert dovecot_user.user in message and "授权码" in message
    assert "wrong-code-123" not in message
    assert sleeps == []  # a refusal is not retried
    assert isinstance(info.value, MailboxError) and info.value.__cause__ is not None


def test_missing_folder_raises_folder_missing(dovecot_user: DovecotUser) -> None:
    with open_mailbox(dovecot_user.settings()) as mb, pytest.raises(FolderMissing, match="不存在的文件夹"):
        mb.folder_state("不存在的文件夹")


def test_uidvalidity_is_reported_and_its_change_is_visible(dovecot_user: DovecotUser) -> None:
    _fill(dovecot_user, 1)
    with open_mailbox(dovecot_user.settings()) as mb:
        first = mb.folder_state("INBOX").uidvalidity
        dovecot_user.set_uidvalidity("INBOX", first + 77)
        msgs = list(mb.fetch_new("INBOX", 0, batch=5))
    assert msgs[0].uidvalidity == first + 77


def test_tls_with_the_private_ca_file_verifies_and_works(dovecot_user: DovecotUser) -> None:
    uid = dovecot_user.append("INBOX", _mail(1))
    with open_mailbox(dovecot_user.tls_settings()) as mb:
        got = [m.uid for m in mb.fetch_new("INBOX", 0, batch=5)]
    assert got == [uid]


def test_tls_without_the_ca_file_refuses_the_untrusted_certificate(dovecot_user: DovecotUser) -> None:
    settings = dovecot_user.tls_settings(imap_ca_file="")
    with pytest.raises(MailboxError, match="certificate") as info:
        Mailbox.connect(settings, retry_delays=NO_WAIT, sleep=lambda s: None)
    assert not isinstance(info.value, ConnectionLost)


def test_nothing_listening_raises_connection_lost_after_backoff_retries(dovecot_user: DovecotUser) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps: list[float] = []
    with pytest.raises(ConnectionLost, match="cannot connect"):
        Mailbox.connect(dovecot_user.settings(imap_port=port), retry_delays=(1.0, 5.0), sleep=sleeps.append)
    assert sleeps == [1.0, 5.0]


def test_connection_cut_between_batches_reconnects_and_never_yields_a_uid_twice(
    dovecot_user: DovecotUser,
) -> None:
    uids = _fill(dovecot_user, 6)
    with TcpProxy(dovecot_user.host, dovecot_user.port) as proxy:
        settings = dovecot_user.settings(imap_port=proxy.port)
        with open_mailbox(settings, retry_delays=NO_WAIT, sleep=lambda s: None) as mb:
            got = []
            for message in mb.fetch_new("INBOX", 0, batch=2):
                got.append(message.uid)
                if len(got) == 3:
                    proxy.cut_now()
        assert proxy.cuts == 1 and proxy.connections == 2
    assert got == uids


def test_connection_cut_mid_fetch_resumes_from_the_last_uid_yielded(dovecot_user: DovecotUser) -> None:
    uids = [dovecot_user.append("INBOX", _mail(i, body="长" * 3000)) for i in range(1, 5)]
    with TcpProxy(dovecot_user.host, dovecot_user.port) as proxy:
        settings = dovecot_user.settings(imap_port=proxy.port)
        with open_mailbox(settings, retry_delays=NO_WAIT, sleep=lambda s: None) as mb:
            mb.folder_state("INBOX")
            proxy.cut_after(12000)  # inside the second message of the first batch
            got = [m.uid for m in mb.fetch_new("INBOX", 0, batch=4)]
        assert proxy.cuts == 1
    assert got == uids


def test_a_server_that_never_answers_times_out_as_connection_lost(dovecot_user: DovecotUser) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)  # accepts TCP connections but never sends a greeting
        settings = dovecot_user.settings(imap_port=silent.getsockname()[1], imap_timeout=0.3)
        with pytest.raises(ConnectionLost) as info:
            Mailbox.connect(settings, retry_delays=(0.0,), sleep=lambda s: None)
    assert "timed out" in str(info.value)


def test_recreating_a_folder_gives_it_a_new_uidvalidity(dovecot_user: DovecotUser) -> None:
    dovecot_user.create_folder("垃圾邮件")
    dovecot_user.append("垃圾邮件", _mail(1))
    with open_mailbox(dovecot_user.settings()) as mb:
        before = mb.folder_state("垃圾邮件").uidvalidity
    dovecot_user.delete_folder("垃圾邮件")
    dovecot_user.create_folder("垃圾邮件")
    with open_mailbox(dovecot_user.settings()) as mb:
        after = mb.folder_state("垃圾邮件")
    assert after.uidvalidity != before and after.exists == 0


def test_the_password_never_reaches_the_log_even_at_debug_level(
    dovecot_user: DovecotUser, caplog: pytest.LogCaptureFixture
) -> None:
    dovecot_user.append("INBOX", _mail(1))
    with caplog.at_level("DEBUG"), open_mailbox(dovecot_user.settings()) as mb:
        list(mb.fetch_new("INBOX", 0, batch=5))
    assert "LOGIN" in caplog.text.upper()  # imapclient's debug log was captured
    assert dovecot_user.password not in caplog.text


def test_a_non_ascii_password_is_a_login_refusal_not_a_crash(dovecot_user: DovecotUser) -> None:
    with pytest.raises(LoginRefused, match="non-ASCII"):
        Mailbox.connect(dovecot_user.settings(imap_password="授权码"), retry_delays=NO_WAIT, sleep=lambda s: None)


def test_looking_at_another_folder_between_batches_does_not_mix_folders(dovecot_user: DovecotUser) -> None:
    inbox = _fill(dovecot_user, 4)
    dovecot_user.create_folder("垃圾邮件")
    dovecot_user.append("垃圾邮件", _mail(99))
    got = []
    with open_mailbox(dovecot_user.settings()) as mb:
        for message in mb.fetch_new("INBOX", 0, batch=2):
            got.append((message.folder, message.uid, message.raw))
            mb.folder_state("垃圾邮件")
    assert [(f, u) for f, u, _r in got] == [("INBOX", uid) for uid in inbox]
    assert all(b"<m99@" not in raw for _f, _u, raw in got)


def test_a_connection_dropped_while_idle_is_reopened_before_the_search(dovecot_user: DovecotUser) -> None:
    uids = _fill(dovecot_user, 2)
    with TcpProxy(dovecot_user.host, dovecot_user.port) as proxy:
        settings = dovecot_user.settings(imap_port=proxy.port)
        with open_mailbox(settings, retry_delays=NO_WAIT, sleep=lambda s: None) as mb:
            proxy.cut_now()  # e.g. the server closed the idle connection between two polls
            got = [m.uid for m in mb.fetch_new("INBOX", 0, batch=10)]
        assert proxy.connections == 2
    assert got == uids


def test_folder_state_reopens_a_connection_that_died_between_folders(dovecot_user: DovecotUser) -> None:
    _fill(dovecot_user, 1)
    with TcpProxy(dovecot_user.host, dovecot_user.port) as proxy:
        settings = dovecot_user.settings(imap_port=proxy.port)
        with open_mailbox(settings, retry_delays=NO_WAIT, sleep=lambda s: None) as mb:
            proxy.cut_now()
            state = mb.folder_state("INBOX")
        assert proxy.connections == 2
    assert state.exists == 1


def test_an_implausible_internaldate_from_a_real_dovecot_is_dropped(dovecot_user: DovecotUser) -> None:
    # Dovecot keeps a 1950 INTERNALDATE in a 32-bit field and answers 1950 or 2086; neither may pass on.
    old = dovecot_user.append("INBOX", _mail(1), when=datetime(1950, 1, 1, tzinfo=UTC))
    good = dovecot_user.append("INBOX", _mail(2), when=datetime(2026, 5, 13, 1, 30, tzinfo=UTC))
    with open_mailbox(dovecot_user.settings()) as mb:
        got = {m.uid: m.internal_date for m in mb.fetch_new("INBOX", 0, batch=10)}
    assert got == {old: None, good: datetime(2026, 5, 13, 1, 30, tzinfo=UTC)}


def test_internaldates_no_database_can_hold_are_dropped_and_plausible_ones_kept() -> None:
    dates = ["31-Dec-9999 23:59:59 -0100", "13-May-2020 09:30:00 +9999", "01-Jan-1001 00:00:00 +0000",
             "31-Dec-9999 23:59:59 +0000", "13-May-2020 09:30:00 +0800"]
    messages = [(uid, _mail(uid), date) for uid, date in enumerate(dates, 1)]
    with FakeImapServer(messages=messages) as server:
        settings = Settings(imap_host=server.host, imap_port=server.port, imap_ssl=False, imap_user="u",
                            imap_password="p" * 16, imap_timeout=5.0)
        with open_mailbox(settings, retry_delays=NO_WAIT, sleep=lambda s: None) as mb:
            got = [(m.uid, m.internal_date) for m in mb.fetch_new("INBOX", 0, batch=10)]
    cst = timezone(timedelta(hours=8))
    assert got == [(1, None), (2, None), (3, None), (4, None), (5, datetime(2020, 5, 13, 9, 30, tzinfo=cst))]
    assert got[4][1] is not None and got[4][1].utcoffset() == timedelta(hours=8)


ECHOES = {
    "plain": "NO [AUTHENTICATIONFAILED] Invalid credentials for user {user} password {password}",
    "quoted": "NO [AUTHENTICATIONFAILED] LOGIN {user} {quoted} rejected",
    "auth-plain": "NO [AUTHENTICATIONFAILED] bad AUTHENTICATE PLAIN {b64}",
    "url": "NO [ALERT] see https://mail.example.org/unlock?u={user}&p={url}",
}


@pytest.mark.parametrize("password", ["XKQJZPWBRTNMLHGF", 'p@ss "w0rd"\\+/=%'], ids=["163-code", "odd"])
@pytest.mark.parametrize("echo", sorted(ECHOES))
def test_a_server_that_echoes_the_login_never_gets_the_secret_out_of_the_adapter(
    password: str, echo: str, caplog: pytest.LogCaptureFixture
) -> None:
    import traceback

    with FakeImapServer(login_reply=ECHOES[echo]) as server:
        settings = Settings(imap_host=server.host, imap_port=server.port, imap_ssl=False, imap_user="szlgbjdjc@163.com",
                            imap_password=password, smtp_password="SMTPSECRET99", imap_timeout=5.0)
        with caplog.at_level("DEBUG"), pytest.raises(LoginRefused) as info:
            Mailbox.connect(settings, retry_delays=NO_WAIT, sleep=lambda s: None)
        sent = [c for c in server.commands if " LOGIN " in c]
    assert sent and password.replace("\\", "\\\\").replace('"', '\\"') in sent[0]  # the server did get it
    message = str(info.value)
    assert "****" in message and "szlgbjdjc@163.com" in message
    rendered = "".join(traceback.format_exception(info.value))  # what a crash log or stderr would show
    assert info.value.__cause__ is not None
    for text in (message, rendered, caplog.text):
        assert password not in text and password.lower() not in text.lower()
        assert "XKQJZPWBRTNMLHGF"[:12] not in text


def test_an_smtp_password_echoed_by_the_imap_server_is_masked_too() -> None:
    with FakeImapServer(login_reply="NO [AUTHENTICATIONFAILED] did you mean SMTPSECRET99?") as server:
        settings = Settings(imap_host=server.host, imap_port=server.port, imap_ssl=False, imap_user="u@163.com",
                            imap_password="XKQJZPWBRTNMLHGF", smtp_password="SMTPSECRET99", imap_timeout=5.0)
        with pytest.raises(LoginRefused) as info:
            Mailbox.connect(settings, retry_delays=NO_WAIT, sleep=lambda s: None)
    assert "SMTPSECRET99" not in str(info.value) and "did you mean ****?" in str(info.value)


def test_a_wrong_password_refused_by_dovecot_leaves_no_trace_of_it_in_the_traceback(
    dovecot_user: DovecotUser, caplog: pytest.LogCaptureFixture
) -> None:
    import traceback

    with TcpProxy(dovecot_user.host, dovecot_user.port, source_host="127.0.0.3") as proxy:
        settings = dovecot_user.settings(imap_password="WRONGCODE1234567", imap_port=proxy.port)
        with caplog.at_level("DEBUG"), pytest.raises(LoginRefused) as info:
            Mailbox.connect(settings, retry_delays=NO_WAIT, sleep=lambda s: None)
    rendered = "".join(traceback.format_exception(info.value))
    assert "AUTHENTICATIONFAILED" in rendered
    assert "WRONGCODE1234567" not in rendered and "WRONGCODE1234567" not in caplog.text


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("kind", ["event", "callable"])
def test_stop_wakes_the_retry_backoff_at_once(kind: str) -> None:
    import threading
    import time

    event = threading.Event()
    stop: threading.Event | Callable[[], bool] = event if kind == "event" else event.is_set
    settings = Settings(imap_host="127.0.0.1", imap_port=_closed_port(), imap_ssl=False, imap_user="u",
                        imap_password="p" * 16, imap_timeout=5.0)
    set_at: list[float] = []

    def press_stop() -> None:
        set_at.append(time.monotonic())
        event.set()

    timer = threading.Timer(0.5, press_stop)
    timer.start()
    try:
        with pytest.raises(Stopped, match="stop requested"):
            Mailbox.connect(settings, stop=stop)  # the real backoff: 2 s, 8 s, 30 s
        returned_at = time.monotonic()
    finally:
        timer.cancel()
    assert set_at and returned_at - set_at[0] < 5  # README promises a stop within 10 s; the backoff alone was 40 s
    assert isinstance(Stopped("x"), ConnectionLost)


def test_a_stop_requested_before_connecting_makes_no_attempt_at_all() -> None:
    with FakeImapServer() as server:
        settings = Settings(imap_host=server.host, imap_port=server.port, imap_ssl=False, imap_user="u",
                            imap_password="p" * 16, imap_timeout=5.0)
        with pytest.raises(Stopped):
            Mailbox.connect(settings, stop=lambda: True)
        assert server.commands == []


@pytest.mark.slow
def test_a_stop_during_a_connect_to_a_silent_host_waits_at_most_the_connect_timeout() -> None:
    import threading
    import time

    from ingest.imap import CONNECT_TIMEOUT

    event = threading.Event()
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)  # accepts TCP connections but never sends a greeting
        settings = Settings(imap_host="127.0.0.1", imap_port=silent.getsockname()[1], imap_ssl=False,
                            imap_user="u", imap_password="p" * 16, imap_timeout=60.0)
        timer = threading.Timer(0.5, event.set)
        timer.start()
        started = time.monotonic()
        try:
            with pytest.raises(Stopped):
                Mailbox.connect(settings, stop=event)
        finally:
            timer.cancel()
    assert time.monotonic() - started < CONNECT_TIMEOUT + 3  # not the 60 s read timeout
