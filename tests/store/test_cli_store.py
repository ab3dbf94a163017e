"""`intake reports` and `intake failures ...` read and change the store named by the settings."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from cli import main
from core.vocab import FailureKind
from store.dedup import record_attachment, record_form
from store.failures import get_failure, record_failure
from store.messages import record_message
from tests.store.helpers import attachment_in, docx_bytes, form, message_in

Factory = sessionmaker[Session]
SH = ZoneInfo("Asia/Shanghai")
REPORT_KEYS = {"id", "org_name", "headcount", "agenda", "summary", "contact_person", "contact_phone",
               "activity_date", "received_at", "late", "sender", "subject", "message_id", "attachment", "version"}
FAILURE_KEYS = {"id", "kind", "message", "status", "sender", "subject", "filename", "received_at"}


def _env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return {"INTAKE_DATABASE_URL": db_url, "INTAKE_DATA_DIR": str(tmp_path)}


def _fill(factory: Factory) -> int:
    v1 = form(activity=date(2026, 5, 1))
    with factory() as s:
        for f, when, corr in ((v1, datetime(2026, 5, 9, 10, 0, tzinfo=SH), False),
                              (replace(v1, headcount=30, headcount_text="30人"),
                               datetime(2026, 5, 10, 9, 0, tzinfo=SH), True)):
            m = record_message(s, message_in("情况表", received_at=when, correction=corr,
                                             message_id=f"<{when.day}@example.cn>"))
            a = record_attachment(s, m.message_pk, attachment_in(docx_bytes(f), filename="第一支部情况表.docx"))
            record_form(s, m.message_pk, a.attachment_pk, f, corr)
        bad = record_message(s, message_in("无附件", received_at=datetime(2026, 5, 10, 11, 0, tzinfo=SH))).message_pk
        fid = record_failure(s, bad, None, FailureKind.NO_ATTACHMENT, "no parts")
        s.commit()
    return fid


def test_reports_json_lists_current_reports_with_every_field(
    session_factory: Factory, db_url: str, tmp_path: Path
) -> None:
    _fill(session_factory)
    result = CliRunner().invoke(main, ["reports", "--json"], env=_env(db_url, tmp_path))
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.output)
    assert set(report) >= REPORT_KEYS
    assert (report["version"], report["headcount"], report["late"]) == (2, 30, True)
    assert report["received_at"] == "2026-05-10T09:00:00+08:00"
    assert report["activity_date"] == "2026-05-01" and report["attachment"] == "第一支部情况表.docx"
    assert report["message_id"] == "<10@example.cn>" and report["sender"] == "王建国 <branch1@example.cn>"


def test_reports_all_versions_and_since(session_factory: Factory, db_url: str, tmp_path: Path) -> None:
    _fill(session_factory)
    env = _env(db_url, tmp_path)
    every = json.loads(CliRunner().invoke(main, ["reports", "--json", "--all-versions"], env=env).output)
    assert [r["version"] for r in every] == [1, 2]
    since = CliRunner().invoke(main, ["reports", "--json", "--all-versions", "--since", "2026-05-10"], env=env)
    assert [r["version"] for r in json.loads(since.output)] == [2]
    text = CliRunner().invoke(main, ["reports"], env=env)
    assert "苏州市姑苏区离退休干部第一党支部" in text.output and "逾期" in text.output
    bad = CliRunner().invoke(main, ["reports", "--since", "May 10"], env=env)
    assert bad.exit_code == 2 and "--since" in bad.output


def test_failures_list_show_resolve_and_ignore(session_factory: Factory, db_url: str, tmp_path: Path) -> None:
    fid = _fill(session_factory)
    env = _env(db_url, tmp_path)
    listed = CliRunner().invoke(main, ["failures", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.output)
    assert set(row) >= FAILURE_KEYS
    assert (row["id"], row["kind"], row["status"], row["filename"]) == (fid, "no_attachment", "open", "")
    assert row["received_at"] == "2026-05-10T11:00:00+08:00"
    shown = CliRunner().invoke(main, ["failures", "show", str(fid)], env=env)
    assert shown.exit_code == 0 and "邮件未带附件" in shown.output and "no parts" in shown.output
    done = CliRunner().invoke(main, ["failures", "resolve", str(fid), "--note", "已电话联系，已重发"], env=env)
    assert done.exit_code == 0, done.output
    assert json.loads(CliRunner().invoke(main, ["failures", "--json"], env=env).output) == []
    [closed] = json.loads(CliRunner().invoke(main, ["failures", "--json", "--all"], env=env).output)
    assert closed["status"] == "resolved"
    again = CliRunner().invoke(main, ["failures", "ignore", str(fid), "--note", "非本次活动邮件"], env=env)
    assert again.exit_code == 0
    with session_factory() as s:
        stored = get_failure(s, fid)
        assert stored is not None and (stored.status, stored.note, stored.resolved_by) == (
            "ignored", "非本次活动邮件（此前已解决：已电话联系，已重发）", "cli")


def test_failures_commands_with_a_bad_id_exit_1_with_one_line(db_url: str, tmp_path: Path) -> None:
    env = _env(db_url, tmp_path)
    for args in (["failures", "show", "999"], ["failures", "resolve", "999", "--note", "x"],
                 ["failures", "ignore", "999", "--note", "x"]):
        result = CliRunner().invoke(main, args, env=env)
        assert result.exit_code == 1
        assert "没有编号为 999 的待处理事项" in result.output and "Traceback" not in result.output


def test_unreachable_database_is_one_line_with_the_password_hidden(tmp_path: Path) -> None:
    env = {"INTAKE_DATABASE_URL": "postgresql+psycopg://intake:s3cret-pw@127.0.0.1:1/nowhere",
           "INTAKE_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["reports", "--json"], env=env)
    assert result.exit_code == 1
    assert "s3cret-pw" not in result.output and "cannot open the database" in result.output
