"""README stays true to the program (in the manner of sqlite-utils' docs tests): every command and subcommand of
`intake` has a row in README's command table naming each of its options, the table names no command that does not
exist, and every setting `intake config` shows is in README's settings table."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from cli import main
from core.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The text of README's `## title` section, up to the next `## ` heading."""
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| `")]


COMMAND_ROWS = table_rows(section("命令"))
SETTINGS_ROWS = table_rows(section("配置"))


def walk(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command under group, subcommands included, with its path of names."""
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from walk(command, (*path, name))


COMMANDS = dict(walk(main))


def named_command(row: str) -> tuple[str, ...]:
    """The command a table row is for: the lower-case words after `intake` in its first code span, so
    `intake failures show ID` is ("failures", "show") and `intake export 文件.xlsx [--since 日期]` is ("export",)."""
    first = re.match(r"^\| `intake ([^`]*)`", row)
    assert first, row
    words: list[str] = []
    for word in first.group(1).split():
        if not re.fullmatch(r"[a-z]+", word):
            break
        words.append(word)
    return tuple(words)


def row_of(path: tuple[str, ...]) -> str:
    rows = [row for row in COMMAND_ROWS if named_command(row) == path]
    assert len(rows) == 1, f"README's command table needs exactly one row for `intake {' '.join(path)}`: {rows}"
    return rows[0]


def options_of(command: click.Command) -> list[str]:
    """The long name of every option a user can type (the help option is click's own)."""
    names = []
    for param in command.params:
        if isinstance(param, click.Option) and "--help" not in param.opts:
            names.append(max(param.opts, key=len))
    return names


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_every_command_has_a_row_in_readmes_command_table_naming_each_option(path: tuple[str, ...]) -> None:
    row = row_of(path)
    for option in options_of(COMMANDS[path]):
        assert re.search(re.escape(option) + r"(?![\w-])", row), f"`intake {' '.join(path)}`: {option} not in {row}"


def test_the_groups_own_options_are_in_readmes_command_section() -> None:
    text = section("命令")
    for option in options_of(main):
        assert option in text, option


def test_readmes_command_table_names_no_command_that_does_not_exist() -> None:
    for row in COMMAND_ROWS:
        named = named_command(row)
        assert named in COMMANDS, f"README names `intake {' '.join(named)}`, which `intake --help` does not list"


def test_every_setting_intake_config_shows_is_in_readmes_settings_table() -> None:
    table = "\n".join(SETTINGS_ROWS)
    shown = [f"INTAKE_{name.upper()}" for name in Settings().masked()]
    missing = [name for name in shown if not re.search(rf"`{name}`", table)]
    assert not missing, f"README's settings table lacks {missing}"


def test_readmes_settings_table_names_only_real_settings() -> None:
    shown = {f"INTAKE_{name.upper()}" for name in Settings().masked()}
    named = set(re.findall(r"`(INTAKE_[A-Z_]+)`", "\n".join(SETTINGS_ROWS)))
    assert named <= shown, f"README's settings table names {sorted(named - shown)}, which intake config does not show"
