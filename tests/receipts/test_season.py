"""A season's sample mail through a real Dovecot and a real SMTP server with receipts on: one 回执 per eligible
message, the right kind and threading, none to robots, lists, our own mail or old mail; a second poll sends
nothing; a process killed between commit and send loses no receipt and sends none twice."""

from __future__ import annotations

import email
import email.policy
import re
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from tests.builders import DOCX, branch_mail, form_docx
from tests.fixtures.dovecot import DovecotUser
from tests.fixtures.smtp import SmtpServer

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples" / "mail"
# What each sample mail makes (samples/README.md) and so which receipt it gets: none when ignored.
EXPECTED = {
    "01-163-gbk-docx.eml": "report", "02-qq-rfc2231-docx.eml": "report", "03-foxmail-xlsx.eml": "report",
    "04-iphone-docx-photos.eml": "report", "05-163-correction.eml": "report", "06-qq-exact-resend.eml": "duplicate",
    "07-truncated-docx.eml": "failure", "08-no-attachment.eml": "failure", "09-forwarded-rfc822.eml": "report",
    "12-gbk-zip.eml": "report",
}
KIND_WORDS = {"report": "读取到的情况表如下", "duplicate": "无需任何操作", "failure": "未能读取情况表"}


def _env(user: DovecotUser, smtp: SmtpServer, db_url: str, **extra: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin", "INTAKE_DATABASE_URL": db_url, "INTAKE_IMAP_HOST": user.host,
        "INTAKE_IMAP_PORT": str(user.port), "INTAKE_IMAP_SSL": "false", "INTAKE_IMAP_USER": user.user,
        "INTAKE_IMAP_PASSWORD": user.password, "INTAKE_SMTP_HOST": smtp.host, "INTAKE_SMTP_PORT": str(smtp.port),
        "INTAKE_SMTP_SECURITY": "none", "INTAKE_RECEIPTS": "all", **extra,
    }


def _load_season(user: DovecotUser) -> dict[str, str]:
    """Append the samples (arrived just now) plus robots and an old mail; return Message-ID → sample name."""
    now = datetime.now(UTC)
    ids = {}
    for path in sorted(SAMPLES.glob("*.eml")):
        raw = path.read_bytes()
        user.append("INBOX", raw, when=now)
        found = re.search(rb"(?im)^Message-ID:\s*(<[^>]+>)", raw)
        assert found is not None
        ids[found.group(1).decode()] = path.name
    old = branch_mail(sender="老支部 <old@163.com>", attachments=[("情况表.docx", form_docx(org="苏州市老支部"), DOCX)])
    user.append("INBOX", old, when=now - timedelta(days=5))
    digest = branch_mail(sender=f"日报 <{user.user}>", subject="主题党日情况表日报", headers=[("X-Intake-Digest", "1")])
    user.append("INBOX", digest, when=now)
    bounce = branch_mail(sender="MAILER-DAEMON@163.com", subject="Undelivered Mail Returned to Sender")
    user.append("INBOX", bounce, when=now)
    letter = branch_mail(sender="老同志 <lao@163.com>", subject="周末聚餐", body="周六中午在老地方见。")
    user.append("INBOX", letter, when=now)  # out of scope: nothing to do with the campaign
    return ids


def _receipts(smtp: SmtpServer) -> list[EmailMessage]:
    return [email.message_from_bytes(r.content, policy=email.policy.default)
            for r in smtp.received]


@pytest.mark.slow
def test_a_season_of_mail_gets_one_right_receipt_per_eligible_message_and_a_second_poll_sends_nothing(
    dovecot_user: DovecotUser, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    ids = _load_season(dovecot_user)
    env = _env(dovecot_user, smtp_server, f"sqlite:///{tmp_path / 'intake.sqlite3'}")
    first = CliRunner().invoke(main, ["poll"], env=env)
    assert first.exit_code == 0, first.output
    sent = _receipts(smtp_server)
    got = {ids[m["In-Reply-To"]]: m for m in sent}
    assert len(sent) == len(got) == len(EXPECTED)
    # none to the auto-reply, the newsletter, our digest, the bounce, the out-of-scope letter, the old mail
    assert set(got) == set(EXPECTED)
    for name, mail in got.items():
        body = mail.get_body(("plain",))
        assert body is not None and KIND_WORDS[EXPECTED[name]] in body.get_content(), name
        assert mail["References"] == mail["In-Reply-To"] and mail["Auto-Submitted"] == "auto-replied"
        assert str(mail["Subject"]).startswith("回执：")
    second = CliRunner().invoke(main, ["poll"], env=env)
    assert second.exit_code == 0 and len(smtp_server.received) == len(EXPECTED)
    listed = CliRunner().invoke(main, ["receipts", "--json"], env=env)
    assert '"reason": "too_old"' in listed.output


@pytest.mark.slow
def test_a_poll_killed_between_commit_and_send_loses_no_receipt_and_sends_each_once(
    dovecot_user: DovecotUser, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    _load_season(dovecot_user)
    env = _env(dovecot_user, smtp_server, f"sqlite:///{tmp_path / 'intake.sqlite3'}")
    script = textwrap.dedent("""
        import os
        import receipts.send
        def killed(*args, **kwargs):
            os._exit(9)  # every message committed with its receipt queued; the process dies before sending
        receipts.send.send_due = killed
        from cli import main
        main(["poll"])
    """)
    child = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, timeout=300, check=False)
    assert child.returncode == 9 and smtp_server.received == []
    restart = CliRunner().invoke(main, ["receipts", "--send"], env=env)
    assert restart.exit_code == 0, restart.output
    assert len(smtp_server.received) == len(EXPECTED)
    again = CliRunner().invoke(main, ["poll"], env=env)
    assert again.exit_code == 0 and len(smtp_server.received) == len(EXPECTED)


def test_the_daily_limit_holds_across_polls(dovecot_user: DovecotUser, smtp_server: SmtpServer,
                                            tmp_path: Path) -> None:
    env = _env(dovecot_user, smtp_server, f"sqlite:///{tmp_path / 'intake.sqlite3'}",
               INTAKE_RECEIPT_DAILY_LIMIT="2")
    for n in range(3):
        dovecot_user.append("INBOX", branch_mail(body=f"第{n}次：情况表稍后补发。"), when=datetime.now(UTC))
        assert CliRunner().invoke(main, ["poll"], env=env).exit_code == 0
    assert len(smtp_server.received) == 2
