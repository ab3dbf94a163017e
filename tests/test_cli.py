"""The `intake` command: every subcommand has help, one error path (one line, exit 2 for usage and settings, 1 at
run time), help for staff in Chinese, secrets hidden, and a read command that starts without the heavy libraries."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import pytest
from click.testing import CliRunner

from cli import IntakeError, main

REPO = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")
STAFF_COMMANDS = [["reports"], ["failures"], ["failures", "show"], ["failures", "resolve"], ["failures", "ignore"],
                  ["status"], ["digest"], ["export"], ["demo"]]

SUBCOMMANDS = [
    "parse", "poll", "import", "reports", "failures", "reparse",
    "digest", "export", "run", "demo", "config", "status",
]


def test_help_lists_every_subcommand() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in SUBCOMMANDS:
        assert f"  {name} " in result.output, name


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_has_help_text(name: str) -> None:
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) >= 3  # usage, a description, options


def test_bad_setting_exits_2_with_one_line_naming_the_variable(tmp_path: Path) -> None:
    env = {"INTAKE_POLL_MINUTES": "often", "INTAKE_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["config"], env=env)
    assert result.exit_code == 2
    out = result.output.strip()
    assert len(out.splitlines()) == 1
    assert "INTAKE_POLL_MINUTES" in out
    assert "Traceback" not in out


def test_bad_setting_via_subprocess_has_no_traceback(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "INTAKE_IMAP_SSL": "maybe", "INTAKE_DATA_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "config"], env=env, capture_output=True, text=True, cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "INTAKE_IMAP_SSL" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_config_masks_secrets_from_environment_and_file(tmp_path: Path) -> None:
    cfg = tmp_path / "intake.toml"
    cfg.write_text('smtp_password = "file-secret-XYZ"\nimap_user = "szlgbjdjc@163.com"\n', encoding="utf-8")
    env = {
        "INTAKE_IMAP_PASSWORD": "env-secret-ABC",
        "INTAKE_DATABASE_URL": "postgresql+psycopg://intake:db-secret-QQ@localhost/intake",
    }
    result = CliRunner().invoke(main, ["--config", str(cfg), "config"], env=env)
    assert result.exit_code == 0, result.output
    assert "env-secret-ABC" not in result.output
    assert "file-secret-XYZ" not in result.output
    assert "db-secret-QQ" not in result.output
    assert "INTAKE_IMAP_USER = szlgbjdjc@163.com" in result.output
    assert "INTAKE_IMAP_PASSWORD = ****" in result.output


def test_environment_wins_over_the_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "intake.toml"
    cfg.write_text("poll_minutes = 30\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(cfg), "config"], env={"INTAKE_POLL_MINUTES": "5"})
    assert "INTAKE_POLL_MINUTES = 5" in result.output


def test_config_file_unknown_key_is_one_clear_line(tmp_path: Path) -> None:
    cfg = tmp_path / "intake.toml"
    cfg.write_text("pol_minutes = 30\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(cfg), "config"])
    assert result.exit_code == 2
    assert "pol_minutes" in result.output


def test_help_still_works_and_says_how_in_chinese() -> None:
    result = CliRunner().invoke(main, ["reports", "-h"])
    assert result.exit_code == 0
    assert result.output.startswith("Usage: intake reports [OPTIONS]")
    assert "显示本帮助并退出。" in result.output


@pytest.mark.parametrize("args", STAFF_COMMANDS, ids=" ".join)
def test_staff_commands_help_is_chinese_in_every_line_of_text_it_writes(args: list[str]) -> None:
    command: click.Command = main
    for name in args:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    texts = [command.help or ""] + [p.help or "" for p in command.params if isinstance(p, click.Option)]
    for text in texts:
        assert CJK.search(text), (args, text)
        assert "报告" not in text and "失败记录" not in text, (args, text)


def test_every_command_summary_in_the_list_is_chinese() -> None:
    listing = CliRunner().invoke(main, ["--help"]).output.split("Commands:", 1)[1]
    for line in listing.strip().splitlines():
        assert CJK.search(line), line


USAGE_ERRORS = [
    (["reports", "--jsn"], ["没有选项 --jsn", "--json", "intake reports --help"]),
    (["parse"], ["缺少 'FILES...'", "intake parse --help"]),
    (["parse", "/no/such/file.docx"], ["'FILES...'", "/no/such/file.docx"]),
    (["import", "/no/such/folder"], ["'PATHS...'", "/no/such/folder"]),
    (["reports", "--since", "May 10"], ["'--since'", "YYYY-MM-DD", "'May 10'"]),
    (["digest", "--date", "14/05/2020"], ["'--date'", "YYYY-MM-DD"]),
    (["reports", "--limit", "-1"], ["'--limit'"]),
    (["failures", "show", "one"], ["'FAILURE_ID'"]),
    (["failures", "resolve", "3"], ["缺少 '--note'"]),
    (["reparse"], ["--all-failures", "intake reparse --help"]),
    (["repotrs"], ["repotrs", "intake --help"]),
]


@pytest.mark.parametrize(("args", "words"), USAGE_ERRORS, ids=[" ".join(args) for args, _ in USAGE_ERRORS])
def test_usage_errors_are_one_line_in_the_projects_form_with_exit_2(
    tmp_path: Path, args: list[str], words: list[str]
) -> None:
    result = CliRunner().invoke(main, args, env={"INTAKE_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("intake: "), result.output
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert "Usage:" not in result.output and "Error:" not in result.output


def test_a_usage_error_in_a_real_process_is_one_line_on_stderr_and_nothing_on_stdout(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "cli", "export"], cwd=tmp_path, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "INTAKE_DATA_DIR": str(tmp_path)}, check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("intake: 缺少 'FILE'") and proc.stderr.count("\n") == 1


def test_intake_error_is_the_one_line_and_code_a_command_fails_with() -> None:
    @click.command()
    def broken() -> None:
        raise IntakeError("数据库无法打开", 1)

    main.add_command(broken)
    try:
        result = CliRunner().invoke(main, ["broken"])
    finally:
        main.commands.pop("broken")
    assert (result.exit_code, result.output) == (1, "intake: 数据库无法打开\n")


def test_nothing_says_not_built_any_more() -> None:
    for path in (REPO / "cli.py", REPO / "README.md"):
        assert "not built" not in path.read_text(encoding="utf-8"), path


@pytest.mark.parametrize("command", [["reports"], ["failures"], ["status", "--no-mailbox"], ["config"]])
@pytest.mark.slow
def test_a_read_command_starts_without_alembic_or_the_mail_and_office_libraries(
    tmp_path: Path, command: list[str]
) -> None:
    env = {"PATH": "/usr/bin:/bin", "INTAKE_DATA_DIR": str(tmp_path / "var")}
    subprocess.run([sys.executable, "-m", "cli", "reports"], cwd=tmp_path, env=env, check=True,
                   capture_output=True)  # the store exists and is at head: later starts need no migration
    script = ("import atexit, sys\n"
              "heavy = ('alembic', 'openpyxl', 'jinja2', 'lxml', 'imapclient', 'docx', 'python_calamine')\n"
              "atexit.register(lambda: print(sorted(m for m in heavy if m in sys.modules), file=sys.stderr))\n"
              f"from cli import main\nmain({command!r})\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "[]"


def test_the_migration_head_read_from_the_scripts_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    from store.db import alembic_config, shipped_head

    assert shipped_head() == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_a_time_at_the_edge_of_the_calendar_left_by_an_older_version_still_lists() -> None:
    """Before the fix, a Date of 9999-12-31 +0000 was stored as is and `intake failures` died with OverflowError."""
    from datetime import UTC, datetime

    from service import present

    edge = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    assert present.local(edge, ZoneInfo("Asia/Shanghai")) == "9999-12-31 23:00"
    assert present.iso(edge, ZoneInfo("Asia/Shanghai")) == "9999-12-31T23:00:00+00:00"
