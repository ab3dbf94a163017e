"""A database setting that cannot work is one line naming the variable, never a traceback, on every command."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

STORE_COMMANDS = [
    ["reports"],
    ["failures"],
    ["failures", "show", "1"],
    ["export", "out.xlsx"],
    ["reparse", "--all-failures"],
    ["digest", "--dry-run", "--date", "2026-05-01"],
]


@pytest.mark.parametrize("url", ["nonsense", "mysql://intake@127.0.0.1/x", "oracle+nodriver://a/b"])
@pytest.mark.parametrize("args", STORE_COMMANDS, ids=lambda a: "-".join(a))
def test_a_malformed_or_unsupported_database_url_exits_2_naming_intake_database_url(
    tmp_path: Path, url: str, args: list[str]
) -> None:
    env = {"INTAKE_DATABASE_URL": url, "INTAKE_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "INTAKE_DATABASE_URL" in lines[0], result.output


def test_a_data_dir_that_cannot_be_created_exits_2_naming_intake_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    env = {"INTAKE_DATA_DIR": str(blocker / "var")}
    for args in STORE_COMMANDS:
        result = CliRunner().invoke(main, args, env=env)
        assert result.exit_code == 2, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        lines = [ln for ln in result.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and "INTAKE_DATA_DIR" in lines[0], (args, result.output)


def test_import_with_a_malformed_database_url_exits_2(tmp_path: Path) -> None:
    mail = tmp_path / "m.eml"
    mail.write_bytes(b"From: a@b.c\r\nSubject: x\r\n\r\nhi\r\n")
    result = CliRunner().invoke(main, ["import", str(mail)], env={"INTAKE_DATABASE_URL": "nonsense"})
    assert result.exit_code == 2 and "INTAKE_DATABASE_URL" in result.output


@pytest.fixture
def root_logging_restored() -> Iterator[None]:
    """`intake run` and scheduler.main set up the service's logging on the root logger: put it back after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("root_logging_restored")
def test_intake_run_with_an_unreachable_database_is_one_line_and_exit_1(tmp_path: Path) -> None:
    env = {"INTAKE_DATABASE_URL": "postgresql+psycopg://intake:pw-XYZ@127.0.0.1:1/nowhere",
           "INTAKE_IMAP_HOST": "127.0.0.1", "INTAKE_IMAP_USER": "u", "INTAKE_IMAP_PASSWORD": "p",
           "INTAKE_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["run"], env=env)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "cannot open the database" in result.output and "pw-XYZ" not in result.output
    assert "Traceback" not in result.output


@pytest.mark.usefixtures("root_logging_restored")
def test_scheduler_main_with_a_malformed_database_url_exits_2_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import scheduler

    monkeypatch.chdir(tmp_path)
    for key, value in {"INTAKE_DATABASE_URL": "nonsense", "INTAKE_IMAP_HOST": "h", "INTAKE_IMAP_USER": "u",
                       "INTAKE_IMAP_PASSWORD": "p"}.items():
        monkeypatch.setenv(key, value)
    assert scheduler.main([]) == 2
    err = capsys.readouterr().err
    assert "INTAKE_DATABASE_URL" in err and "Traceback" not in err


def test_a_file_that_is_not_a_database_is_one_line_and_exit_1(tmp_path: Path) -> None:
    garbage = tmp_path / "intake.sqlite3"
    garbage.write_bytes(b"this is not a SQLite database, just some text\n" * 100)
    result = CliRunner().invoke(main, ["reports"], env={"INTAKE_DATABASE_URL": f"sqlite:///{garbage}"})
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "cannot open the database" in lines[0] and "not a database" in lines[0]


def test_a_database_from_a_newer_version_is_one_line_and_exit_1(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "newer.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.execute("INSERT INTO alembic_version VALUES ('ffffffffffff')")
    result = CliRunner().invoke(main, ["failures"], env={"INTAKE_DATABASE_URL": f"sqlite:///{db}"})
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "cannot bring the database" in result.output and "Traceback" not in result.output
