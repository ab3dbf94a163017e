"""The `intake` command: every subcommand has help, bad settings exit 2, secrets stay hidden."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

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
