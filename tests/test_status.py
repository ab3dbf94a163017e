"""`intake status`: last polls per folder, next runs, open failures, last digest, DB and mailbox health."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cli import main
from ingest.poll import poll_once
from store.db import open_store
from tests.fixtures.dovecot import DovecotUser
from tests.fixtures.tcpproxy import TcpProxy

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "mail"


def env_for(user: DovecotUser, db: Path, host: str, port: int, password: str) -> dict[str, str]:
    return {
        "INTAKE_DATABASE_URL": f"sqlite:///{db}",
        "INTAKE_IMAP_HOST": host,
        "INTAKE_IMAP_PORT": str(port),
        "INTAKE_IMAP_SSL": "false",
        "INTAKE_IMAP_USER": user.user,
        "INTAKE_IMAP_PASSWORD": password,
        "INTAKE_IMAP_FOLDERS": "INBOX",
    }


def test_status_json_shows_the_last_poll_open_failures_and_a_healthy_mailbox(
    dovecot_user: DovecotUser, tmp_path: Path
) -> None:
    for name in ("01-163-gbk-docx.eml", "07-truncated-docx.eml"):
        dovecot_user.append("INBOX", (SAMPLES / name).read_bytes())
    db = tmp_path / "status.sqlite3"
    poll_once(dovecot_user.settings(), open_store(f"sqlite:///{db}"))
    env = env_for(dovecot_user, db, dovecot_user.host, dovecot_user.port, dovecot_user.password)
    result = CliRunner().invoke(main, ["status", "--json"], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["database_ok"] is True
    assert data["mailbox_ok"] is True
    (inbox,) = data["folders"]
    assert inbox["folder"] == "INBOX" and inbox["ok"] is True and inbox["counts"]["messages"] == 2
    assert data["open_failures"] == 1
    assert data["next_digest_at"].endswith("+08:00")
    assert data["last_digest_day"] == ""


def test_status_with_a_refused_login_says_so_in_one_line_and_exits_1(
    dovecot_user: DovecotUser, tmp_path: Path
) -> None:
    db = tmp_path / "status.sqlite3"
    with TcpProxy(dovecot_user.host, dovecot_user.port, source_host="127.0.0.3") as proxy:
        env = env_for(dovecot_user, db, proxy.host, proxy.port, "expired-code")
        result = CliRunner().invoke(main, ["status"], env=env)
    assert result.exit_code == 1
    mailbox_line = next(line for line in result.output.splitlines() if line.startswith("邮箱："))
    assert "无法登录" in mailbox_line
    assert "expired-code" not in result.output
    assert "文件夹 INBOX：尚未收信" in result.output


def test_status_before_the_first_poll_says_not_yet_polled_in_chinese_and_exits_0(tmp_path: Path) -> None:
    env = {"INTAKE_DATA_DIR": str(tmp_path / "var"), "INTAKE_IMAP_FOLDERS": "INBOX,垃圾邮件"}
    result = CliRunner().invoke(main, ["status", "--no-mailbox"], env=env)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "数据库：正常" in lines and "邮箱：未检查（--no-mailbox）" in lines
    assert "文件夹 INBOX：尚未收信" in lines and "文件夹 垃圾邮件：尚未收信" in lines
    assert "最近日报：尚无" in lines and "待处理：0 项" in lines
    assert "error" not in result.output and "never" not in result.output
    data = json.loads(CliRunner().invoke(main, ["status", "--json", "--no-mailbox"], env=env).output)
    assert [(f["folder"], f["last_poll_at"], f["error"]) for f in data["folders"]] == [
        ("INBOX", None, "never polled"), ("垃圾邮件", None, "never polled")]  # the JSON keeps its words


def test_status_with_a_database_that_cannot_open_says_so_and_exits_1(tmp_path: Path) -> None:
    garbage = tmp_path / "intake.sqlite3"
    garbage.write_bytes(b"not a database\n" * 200)
    result = CliRunner().invoke(main, ["status", "--no-mailbox"], env={"INTAKE_DATABASE_URL": f"sqlite:///{garbage}"})
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith("数据库：无法打开：")
