"""`intake user …` and `intake web`: accounts made, listed, disabled, re-passworded from the command line, each
written to the audit log; passwords from stdin or a prompt, never from an argument; errors are one line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli import main
from core.settings import Settings
from service import accounts
from store import audit
from store.db import forget_store, open_store
from store.users import get_user


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    data = tmp_path / "var"
    yield {"INTAKE_DATA_DIR": str(data)}
    forget_store(Settings(data_dir=data).effective_database_url)


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, input=stdin)


def test_the_first_admin_is_made_with_a_password_from_stdin_and_can_sign_in(env: dict[str, str]) -> None:
    made = run(env, "user", "add", "zhangsan", "--role", "admin", "--password-stdin", stdin="first password\n")
    assert made.exit_code == 0, made.output
    assert made.output.strip() == "账号 zhangsan 已建立（管理员）"
    store = open_store(Settings(data_dir=Path(env["INTAKE_DATA_DIR"])).effective_database_url)
    with store() as session:
        row = get_user(session, "zhangsan")
        assert row is not None and row.role == "admin" and row.password_hash.startswith("$argon2id$")
        assert "first password" not in row.password_hash
        assert accounts.verify(row.password_hash, "first password")
        (entry,) = audit.recent(session, "user")
    assert entry.action == "user_add" and entry.actor.startswith("cli")


def test_without_a_terminal_or_stdin_flag_the_password_is_refused_in_one_line(env: dict[str, str]) -> None:
    result = run(env, "user", "add", "zhangsan", stdin="")
    assert result.exit_code == 2
    assert result.output.strip().startswith("intake: 没有终端可输入密码")


def test_a_short_password_a_taken_name_and_an_unknown_account_are_one_line_each(env: dict[str, str]) -> None:
    short = run(env, "user", "add", "lisi", "--password-stdin", stdin="short\n")
    assert (short.exit_code, short.output.strip()) == (2, "intake: 密码至少 8 个字符")
    run(env, "user", "add", "lisi", "--password-stdin", stdin="long enough\n")
    taken = run(env, "user", "add", "lisi", "--password-stdin", stdin="long enough\n")
    assert (taken.exit_code, taken.output.strip()) == (1, "intake: 账号 lisi 已存在")
    unknown = run(env, "user", "disable", "nobody")
    assert unknown.exit_code == 1 and unknown.output.startswith("intake: 没有账号 nobody")
    bad_name = run(env, "user", "add", "two words", "--password-stdin", stdin="long enough\n")
    assert bad_name.exit_code == 2 and "空格" in bad_name.output


def test_list_disable_enable_and_password(env: dict[str, str]) -> None:
    run(env, "user", "add", "lisi", "--password-stdin", stdin="long enough\n")
    run(env, "user", "add", "boss", "--role", "admin", "--password-stdin", stdin="long enough\n")
    listed = run(env, "user", "list")
    assert listed.exit_code == 0
    lines = listed.output.strip().splitlines()
    assert lines[0].startswith("boss  管理员（admin）  正常") and lines[1].startswith("lisi  工作人员（staff）  正常")
    assert lines[-1] == "共 2 个账号"
    assert run(env, "user", "disable", "lisi").output.strip() == "账号 lisi 已停用"
    as_json = json.loads(run(env, "user", "list", "--json").output)
    assert [(u["name"], u["disabled"]) for u in as_json] == [("boss", False), ("lisi", True)]
    assert "password_hash" not in as_json[0]
    assert run(env, "user", "enable", "lisi").output.strip() == "账号 lisi 已启用"
    changed = run(env, "user", "password", "lisi", "--password-stdin", stdin="another password\n")
    assert changed.output.strip() == "账号 lisi 密码已修改"
    store = open_store(Settings(data_dir=Path(env["INTAKE_DATA_DIR"])).effective_database_url)
    with store() as session:
        row = get_user(session, "lisi")
        assert row is not None and accounts.verify(row.password_hash, "another password")
        actions = [e.action for e in audit.recent(session, "user")]
    assert actions == ["user_password", "user_enable", "user_disable", "user_add", "user_add"]


def test_no_accounts_yet_says_how_to_make_the_first(env: dict[str, str]) -> None:
    assert "intake user add 名字 --role admin" in run(env, "user", "list").output


def test_closing_a_failure_from_the_command_line_is_in_the_audit_log(env: dict[str, str]) -> None:
    from tests.web.helpers import SAMPLES

    run(env, "import", str(SAMPLES))
    assert run(env, "failures", "ignore", "2", "--note", "非本次活动").exit_code == 0
    store = open_store(Settings(data_dir=Path(env["INTAKE_DATA_DIR"])).effective_database_url)
    with store() as session:
        (entry,) = audit.entries_for(session, "failure", 2)
    assert (entry.action, entry.note) == ("ignore", "非本次活动") and entry.actor.startswith("cli")


def test_intake_web_refuses_a_port_it_cannot_use(env: dict[str, str]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(env, "web", "--port", str(port))
    assert result.exit_code == 1
    assert result.output.strip().startswith(f"intake: 网页控制台无法在 127.0.0.1:{port} 上启动")
    assert "--port" in run(env, "web", "--help").output
