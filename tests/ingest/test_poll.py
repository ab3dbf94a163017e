"""Polling a real Dovecot mailbox into a real store: exact, read-only, and whole after cuts and crashes."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.settings import Settings
from ingest.poll import PollError, poll_once
from store import events, queries
from store import failures as store_failures
from store.db import open_store
from store.session import SessionFactory
from tests.fixtures.dovecot import DovecotUser
from tests.fixtures.tcpproxy import TcpProxy

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "mail"


def load_samples(user: DovecotUser, folder: str = "INBOX") -> list[int]:
    return [user.append(folder, path.read_bytes()) for path in sorted(SAMPLES.glob("*.eml"))]


def snapshot(session_factory: SessionFactory) -> tuple[list[tuple[str, int | None, int, str]], list[tuple[str, str]]]:
    """What staff would see: current reports (org, headcount, version) and failures (kind, file)."""
    with session_factory() as session:
        rows = queries.current_reports(session)
        reports = sorted((r.org_name, r.headcount, r.version, r.contact_phone) for r in rows)
        fails = sorted((f.kind, f.filename) for f in store_failures.list_failures(session, include_closed=True))
    return reports, fails


@pytest.fixture
def sqlite_factory(tmp_path: Path) -> SessionFactory:
    return open_store(f"sqlite:///{tmp_path / 'poll.sqlite3'}")


def test_poll_stores_the_sample_mailbox_and_a_second_poll_finds_nothing_new(
    dovecot_user: DovecotUser, session_factory: SessionFactory
) -> None:
    uids = load_samples(dovecot_user)
    settings = dovecot_user.settings()
    first = poll_once(settings, session_factory)
    assert first.counts.messages == len(uids)
    assert first.counts.new_reports >= 5
    assert first.counts.new_versions == 1  # 05 corrects 01
    assert first.counts.duplicates >= 1  # 06 resends 02
    assert first.counts.ignored == 2  # auto-reply and newsletter
    reports, fails = snapshot(session_factory)
    assert {kind for kind, _ in fails} == {"corrupt", "no_attachment"}
    second = poll_once(settings, session_factory)
    assert second.counts.messages == 0
    assert snapshot(session_factory) == (reports, fails)


def test_polling_never_changes_the_mailbox_flags(dovecot_user: DovecotUser, sqlite_factory: SessionFactory) -> None:
    load_samples(dovecot_user)
    before = dovecot_user.flags("INBOX")
    assert all(b"\\Seen" not in flags for flags in before.values())
    poll_once(dovecot_user.settings(), sqlite_factory)
    assert dovecot_user.flags("INBOX") == before
    assert dovecot_user.status("INBOX")[b"MESSAGES"] == len(before)


def test_an_idle_poll_fetches_no_message(
    dovecot_user: DovecotUser, sqlite_factory: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_samples(dovecot_user)
    poll_once(dovecot_user.settings(), sqlite_factory)
    from ingest.imap import Mailbox

    def no_fetch(*_a: object, **_k: object) -> object:
        raise AssertionError("an idle poll must not fetch")

    monkeypatch.setattr(Mailbox, "fetch_new", no_fetch)
    assert poll_once(dovecot_user.settings(), sqlite_factory).counts.messages == 0


def test_new_mail_after_a_poll_is_picked_up_alone(dovecot_user: DovecotUser, sqlite_factory: SessionFactory) -> None:
    paths = sorted(SAMPLES.glob("*.eml"))
    dovecot_user.append("INBOX", paths[0].read_bytes())
    poll_once(dovecot_user.settings(), sqlite_factory)
    dovecot_user.append("INBOX", paths[2].read_bytes())
    summary = poll_once(dovecot_user.settings(), sqlite_factory)
    assert (summary.counts.messages, summary.counts.new_reports) == (1, 1)


def test_a_changed_uidvalidity_rescans_the_folder_without_doubling_anything(
    dovecot_user: DovecotUser, sqlite_factory: SessionFactory
) -> None:
    load_samples(dovecot_user)
    poll_once(dovecot_user.settings(), sqlite_factory)
    before = snapshot(sqlite_factory)
    dovecot_user.set_uidvalidity("INBOX", dovecot_user.uidvalidity("INBOX") + 1000)
    again = poll_once(dovecot_user.settings(), sqlite_factory)
    assert again.counts.messages == len(list(SAMPLES.glob("*.eml")))
    assert again.counts.new_reports == 0 and again.counts.new_versions == 0
    assert snapshot(sqlite_factory) == before


def test_a_chinese_named_spam_folder_is_polled_too(dovecot_user: DovecotUser, sqlite_factory: SessionFactory) -> None:
    dovecot_user.create_folder("垃圾邮件")
    dovecot_user.append("垃圾邮件", (SAMPLES / "03-foxmail-xlsx.eml").read_bytes())
    settings = dovecot_user.settings(imap_folders=("INBOX", "垃圾邮件"))
    summary = poll_once(settings, sqlite_factory)
    assert summary.folders["垃圾邮件"].new_reports == 1


def test_a_refused_login_is_one_clear_line_and_recorded_for_the_digest(
    dovecot_user: DovecotUser, sqlite_factory: SessionFactory
) -> None:
    # Through a proxy from 127.0.0.2: Dovecot slows later logins from an address that failed one.
    with TcpProxy(dovecot_user.host, dovecot_user.port, source_host="127.0.0.2") as proxy, \
            pytest.raises(PollError) as excinfo:
        settings = dovecot_user.settings(imap_host=proxy.host, imap_port=proxy.port, imap_password="expired-code")
        poll_once(settings, sqlite_factory)
    line = str(excinfo.value)
    assert "\n" not in line and line
    assert "expired-code" not in line
    from store import events

    with sqlite_factory() as session:
        polls = events.last_polls(session)
    assert any(not p.ok and p.error for p in polls)


def test_a_connection_cut_mid_fetch_loses_and_doubles_nothing(
    dovecot_user: DovecotUser, tmp_path: Path
) -> None:
    load_samples(dovecot_user)
    clean = open_store(f"sqlite:///{tmp_path / 'clean.sqlite3'}")
    poll_once(dovecot_user.settings(), clean)

    cut = open_store(f"sqlite:///{tmp_path / 'cut.sqlite3'}")
    with TcpProxy(dovecot_user.host, dovecot_user.port) as proxy:
        proxy.cut_after(60_000)  # server bytes: past login, in the middle of the FETCH of the first batch
        settings = dovecot_user.settings(imap_host=proxy.host, imap_port=proxy.port, imap_batch=3)
        # The reconnect usually finishes this poll; if not, what matters is what the next poll makes of it.
        with contextlib.suppress(PollError):
            poll_once(settings, cut)
        assert proxy.cuts == 1
        poll_once(settings, cut)
    assert snapshot(cut) == snapshot(clean)


def _poll_in_a_process_that_dies(settings: Settings, db_url: str, die_at: int) -> int:
    """Run `intake poll` in a child that kills itself (os._exit) while the die_at-th message is uncommitted."""
    script = textwrap.dedent(f"""
        import os, sys
        import ingest.pipeline as p
        real = p.run_steps
        seen = []
        def dying(state, start=None):
            out = real(state) if start is None else real(state, start)
            seen.append(state.raw.uid)
            if len(seen) == {die_at}:
                os._exit(9)  # killed between fetch and commit: this message's transaction never commits
            return out
        p.run_steps = dying
        from cli import main
        main(["poll"])
    """)
    env = {
        "PATH": "/usr/bin:/bin",
        "INTAKE_DATABASE_URL": db_url,
        "INTAKE_IMAP_HOST": settings.imap_host,
        "INTAKE_IMAP_PORT": str(settings.imap_port),
        "INTAKE_IMAP_SSL": "false",
        "INTAKE_IMAP_USER": settings.imap_user,
        "INTAKE_IMAP_PASSWORD": settings.imap_password,
    }
    return subprocess.run([sys.executable, "-c", script], env=env, check=False, timeout=120).returncode


@pytest.mark.slow
def test_a_process_killed_between_fetch_and_commit_reruns_to_the_exact_same_store(
    dovecot_user: DovecotUser, tmp_path: Path
) -> None:
    load_samples(dovecot_user)
    clean = open_store(f"sqlite:///{tmp_path / 'clean.sqlite3'}")
    poll_once(dovecot_user.settings(), clean)

    url = f"sqlite:///{tmp_path / 'killed.sqlite3'}"
    assert _poll_in_a_process_that_dies(dovecot_user.settings(), url, die_at=5) == 9
    partial = open_store(url)
    assert len(snapshot(partial)[0]) < len(snapshot(clean)[0])
    poll_once(dovecot_user.settings(), partial)
    assert snapshot(partial) == snapshot(clean)


def test_a_missing_folder_is_reported_but_the_other_folders_are_still_polled(
    dovecot_user: DovecotUser, sqlite_factory: SessionFactory
) -> None:
    dovecot_user.append("INBOX", (SAMPLES / "01-163-gbk-docx.eml").read_bytes())
    settings = dovecot_user.settings(imap_folders=("垃圾邮件", "INBOX"))  # the spam folder is named otherwise here
    summary = poll_once(settings, sqlite_factory)
    assert summary.folders["INBOX"].new_reports == 1
    assert len(summary.errors) == 1 and "'垃圾邮件' does not exist" in summary.errors[0]
    with sqlite_factory() as session:
        polls = {(p.folder, p.ok) for p in events.last_polls(session, account=dovecot_user.user)}
    assert ("INBOX", True) in polls and ("垃圾邮件", False) in polls


def test_intake_poll_with_a_missing_folder_polls_the_rest_and_exits_1_naming_it(
    dovecot_user: DovecotUser, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from cli import main

    dovecot_user.append("INBOX", (SAMPLES / "01-163-gbk-docx.eml").read_bytes())
    env = {"INTAKE_IMAP_HOST": dovecot_user.host, "INTAKE_IMAP_PORT": str(dovecot_user.port),
           "INTAKE_IMAP_SSL": "false", "INTAKE_IMAP_USER": dovecot_user.user,
           "INTAKE_IMAP_PASSWORD": dovecot_user.password, "INTAKE_IMAP_FOLDERS": "INBOX,NoSuchFolder",
           "INTAKE_DATA_DIR": str(tmp_path / "var")}
    result = CliRunner().invoke(main, ["poll"], env=env)
    assert result.exit_code == 1
    assert "INBOX：邮件 1 封，新情况表 1 份" in result.output
    assert "'NoSuchFolder' does not exist" in result.output and "Traceback" not in result.output
