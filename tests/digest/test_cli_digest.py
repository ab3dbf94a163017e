"""`intake digest` and `intake export` end to end: settings from INTAKE_* variables, a real store and SMTP."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from cli import main
from core.settings import Settings
from store.db import forget_store, open_store
from tests.digest.test_run import seed_day
from tests.fixtures.smtp import SmtpServer


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data folder whose default SQLite store is forgotten (engine disposed) after the test."""
    path = tmp_path / "var"
    yield path
    forget_store(Settings(data_dir=path).effective_database_url)


def env_for(data_dir: Path, server: SmtpServer | None = None) -> dict[str, str]:
    env = {"INTAKE_DATA_DIR": str(data_dir), "INTAKE_DIGEST_TO": "zzzdc@example.gov.cn,leader@example.gov.cn",
           "INTAKE_DIGEST_FROM": "组织指导处 <szlgbjdjc@163.com>", "INTAKE_SMTP_HOST": ""}
    if server is not None:
        env.update({"INTAKE_SMTP_HOST": server.host, "INTAKE_SMTP_PORT": str(server.port),
                    "INTAKE_SMTP_SECURITY": "none", "INTAKE_SMTP_TIMEOUT": "10"})
    return env


def test_digest_command_sends_once_and_says_so(data_dir: Path, smtp_server: SmtpServer) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["digest", "--date", "2026-05-10"], env=env_for(data_dir, smtp_server))
    assert first.exit_code == 0, first.output
    assert "2026-05-10 的日报已发送给 zzzdc@example.gov.cn、leader@example.gov.cn" in first.output
    assert "新收0份，更正0份，待处理0项" in first.output
    second = runner.invoke(main, ["digest", "--date", "2026-05-10", "--send"], env=env_for(data_dir, smtp_server))
    assert second.exit_code == 0 and "已经发过" in second.output
    assert len(smtp_server.received) == 1
    forced = runner.invoke(main, ["digest", "--date", "2026-05-10", "--force"], env=env_for(data_dir, smtp_server))
    assert forced.exit_code == 0 and len(smtp_server.received) == 2


def test_dry_run_writes_eml_and_html_to_out_and_sends_nothing(
    data_dir: Path, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    out = tmp_path / "preview"
    result = CliRunner().invoke(main, ["digest", "--date", "2026-05-10", "--dry-run", "--out", str(out)],
                                env=env_for(data_dir, smtp_server))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["digest-2026-05-10.eml", "digest-2026-05-10.html"]
    assert smtp_server.received == []


def test_without_smtp_host_the_digest_lands_in_the_outbox(data_dir: Path) -> None:
    result = CliRunner().invoke(main, ["digest", "--date", "2026-05-10"], env=env_for(data_dir))
    assert result.exit_code == 0, result.output
    assert (data_dir / "outbox" / "digest-2026-05-10.eml").is_file()
    assert "未设置 INTAKE_SMTP_HOST" in result.output


def test_a_dry_run_then_the_real_run_writes_the_digest_and_status_agrees(data_dir: Path) -> None:
    runner = CliRunner()
    env = env_for(data_dir)
    preview = runner.invoke(main, ["digest", "--dry-run", "--date", "2026-05-10"], env=env)
    assert preview.exit_code == 0, preview.output
    assert "不算已发" in preview.output
    before = runner.invoke(main, ["status", "--json", "--no-mailbox"], env=env)
    assert json.loads(before.output)["last_digest_day"] == ""

    real = runner.invoke(main, ["digest", "--date", "2026-05-10"], env=env)
    assert real.exit_code == 0, real.output
    assert "已经发过" not in real.output and "记为当天的日报" in real.output
    after = runner.invoke(main, ["status", "--json", "--no-mailbox"], env=env)
    assert json.loads(after.output)["last_digest_day"] == "2026-05-10"
    again = runner.invoke(main, ["digest", "--date", "2026-05-10"], env=env)
    assert "已经发过，无需再发" in again.output


def test_send_without_smtp_host_and_a_bad_date_exit_2_with_one_line(data_dir: Path) -> None:
    runner = CliRunner()
    no_host = runner.invoke(main, ["digest", "--send"], env=env_for(data_dir))
    assert no_host.exit_code == 2 and "INTAKE_SMTP_HOST" in no_host.output
    bad_date = runner.invoke(main, ["digest", "--date", "14/05/2020"], env=env_for(data_dir))
    assert bad_date.exit_code == 2 and "--date" in bad_date.output and "Traceback" not in bad_date.output


def test_unreachable_smtp_server_exits_1_and_records_nothing(data_dir: Path) -> None:
    from tests.fixtures.smtp import free_port

    env = env_for(data_dir) | {"INTAKE_SMTP_HOST": "127.0.0.1", "INTAKE_SMTP_PORT": str(free_port()),
                               "INTAKE_SMTP_SECURITY": "none", "INTAKE_SMTP_TIMEOUT": "5"}
    result = CliRunner().invoke(main, ["digest", "--date", "2026-05-10"], env=env)
    assert result.exit_code == 1
    assert "日报没有完成" in result.output and "127.0.0.1" in result.output


def test_export_writes_the_summary_table_of_current_reports(data_dir: Path, tmp_path: Path) -> None:
    seed_day(open_store(Settings(data_dir=data_dir).effective_database_url))
    target = tmp_path / "汇总表.xlsx"
    result = CliRunner().invoke(main, ["export", str(target)], env=env_for(data_dir))
    assert result.exit_code == 0, result.output
    assert "2 份情况表" in result.output
    sheet = openpyxl.load_workbook(io.BytesIO(target.read_bytes()))["汇总表"]
    assert sheet.max_row == 3

    later = tmp_path / "later.xlsx"
    result = CliRunner().invoke(main, ["export", str(later), "--since", "2026-05-11"], env=env_for(data_dir))
    assert result.exit_code == 0 and "0 份情况表" in result.output
    assert openpyxl.load_workbook(later)["汇总表"].max_row == 1


@pytest.mark.parametrize("variable", ["INTAKE_DIGEST_TO", "INTAKE_DIGEST_FROM"])
def test_sending_without_recipients_or_sender_is_a_settings_error_exit_2_naming_it(
    data_dir: Path, variable: str
) -> None:
    env = env_for(data_dir) | {"INTAKE_SMTP_HOST": "127.0.0.1", "INTAKE_SMTP_PORT": "1", variable: ""}
    for args in (["digest", "--send", "--date", "2026-05-10"], ["digest", "--date", "2026-05-10"]):
        result = CliRunner().invoke(main, args, env=env)
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and variable in lines[0] and "Traceback" not in result.output
