"""`intake demo` as a new user meets it: its data in var/demo/, its digest in var/demo/outbox, and the commands it
prints at the end work exactly as printed and show the demo's reports and 待处理 items."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from core.settings import Settings
from service.demo import run_demo
from store.db import forget_store

INTAKE = Path(sys.executable).parent / "intake"  # the console script pip made, as README's command 1 runs it


def printed_commands(output: str) -> list[str]:
    """The indented command lines after 用下面的命令查看：, as the user would copy them."""
    tail = output.split("用下面的命令查看：", 1)[1]
    return [line.strip() for line in tail.splitlines() if line.startswith("  ")]


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "var"
    yield path
    forget_store(Settings(data_dir=path / "demo").effective_database_url)


def test_demo_keeps_its_database_and_digest_under_its_own_folder(data_dir: Path) -> None:
    result = CliRunner().invoke(main, ["demo"], env={"INTAKE_DATA_DIR": str(data_dir)})
    assert result.exit_code == 0, result.output
    assert (data_dir / "demo" / "intake.sqlite3").is_file()
    assert sorted(p.name for p in (data_dir / "demo" / "outbox").iterdir()) == [
        "digest-2020-11-12.eml", "digest-2020-11-12.html"]
    assert not (data_dir / "outbox").exists() and not (data_dir / "intake.sqlite3").exists()
    assert f"已写入：{data_dir / 'demo' / 'outbox' / 'digest-2020-11-12.eml'}" in result.output
    assert "情况表 6 份：" in result.output and "待处理 2 项：" in result.output
    assert "附件已损坏（corrupt）" in result.output and "未带附件（no_attachment）" in result.output
    commands = printed_commands(result.output)
    demo_dir = shlex.quote(str(data_dir / "demo"))
    assert commands[:3] == [f"INTAKE_DATA_DIR={demo_dir} intake reports",
                            f"INTAKE_DATA_DIR={demo_dir} intake failures",
                            f"INTAKE_DATA_DIR={demo_dir} intake failures show 1"]


def test_demo_commands_point_past_a_configured_database_to_the_demos_own(data_dir: Path, tmp_path: Path) -> None:
    real = tmp_path / "real.sqlite3"
    env = {"INTAKE_DATA_DIR": str(data_dir), "INTAKE_DATABASE_URL": f"sqlite:///{real}"}
    result = CliRunner().invoke(main, ["demo"], env=env)
    assert result.exit_code == 0, result.output
    assert not real.exists()  # the real store is never touched
    demo_url = f"sqlite:///{data_dir / 'demo' / 'intake.sqlite3'}"
    assert all(f"INTAKE_DATABASE_URL={shlex.quote(demo_url)}" in c for c in printed_commands(result.output))


def test_run_demo_in_the_library_returns_what_it_found_and_the_follow_up_commands(data_dir: Path) -> None:
    result = run_demo(Settings(data_dir=data_dir))
    assert (result.mails, result.counts["new_reports"], len(result.reports), len(result.failures)) == (12, 6, 6, 2)
    assert result.settings.data_dir == data_dir / "demo" and result.settings.smtp_host == ""
    assert result.env == (("INTAKE_DATA_DIR", str(data_dir / "demo")),)
    assert result.commands[:3] == (("reports",), ("failures",), ("failures", "show", str(result.failures[0].id)))
    again = run_demo(Settings(data_dir=data_dir))  # starts fresh: the same six reports, not twelve
    assert len(again.reports) == 6 and again.counts["skipped"] == 0


def test_demo_loads_the_sample_roster_so_its_digest_shows_who_has_not_reported_and_names_to_confirm(
    data_dir: Path,
) -> None:
    result = run_demo(Settings(data_dir=data_dir))
    assert result.roster is not None and result.roster.rows == 9
    # 01 and its correction 05 (中共 in the roster), 02 (an alias), 03 (市 for 苏州市), 04 (the sender's address)
    # and 09 (the same name) are matched; 12 writes 狮山街道 in a way no rule matches.
    assert result.roster.change.relinked == 0  # loaded before the mail: every report linked as it was recorded
    assert [(u.org_name, u.reports, u.candidates[:1]) for u in result.unmatched] == [
        ("高新区狮山街道老干部党支部", 1, ("苏州高新区狮山街道离退休干部党支部",))]
    assert len(result.missing) == 9  # November: only the unconfirmed 狮山 report arrived
    html = next(p for p in result.digest_paths if p.suffix == ".html").read_text(encoding="utf-8")
    assert "本月尚未报送（2020年11月，9 个）" in html and "名称待确认（1 个）" in html
    assert "可能是：苏州高新区狮山街道离退休干部党支部" in html
    output = CliRunner().invoke(main, ["roster", "coverage", "--json"],
                                env={"INTAKE_DATA_DIR": str(result.settings.data_dir)}).output
    months = {row["name"]: sum(row["months"].values()) for row in json.loads(output)}
    assert months == {"吴中区长桥街道老干部党支部": 0, "吴江区松陵街道离退休干部党支部": 1,
                      "中共苏州市姑苏区委老干部局机关离退休干部党支部": 1, "中共苏州市财政局离退休干部党支部": 1,
                      "市教育局离退休干部第二党支部": 1, "苏州市民政局离退休干部党支部": 0,
                      "苏州市水利局（水务局）离退休干部党支部": 1, "相城区元和街道离退休干部党支部": 0,
                      "苏州高新区狮山街道离退休干部党支部": 0}


def test_demo_prints_its_roster_and_the_names_to_confirm(data_dir: Path) -> None:
    result = CliRunner().invoke(main, ["demo"], env={"INTAKE_DATA_DIR": str(data_dir)})
    assert result.exit_code == 0, result.output
    assert "名册 9 个党组织（roster.xlsx）：2020年11月尚未报送 9 个，名称待确认 1 个" in result.output
    assert ("名称待确认：「高新区狮山街道老干部党支部」1 份，可能是「苏州高新区狮山街道离退休干部党支部」"
            in result.output)


def test_demo_without_its_sample_mailbox_is_one_line_and_exit_1(data_dir: Path, tmp_path: Path) -> None:
    from service.demo import DemoUnavailable

    with pytest.raises(DemoUnavailable, match="sample mailbox"):
        run_demo(Settings(data_dir=data_dir), samples=tmp_path / "no-samples")


def test_demo_in_a_data_dir_that_cannot_be_made_exits_2_naming_intake_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = CliRunner().invoke(main, ["demo"], env={"INTAKE_DATA_DIR": str(blocker / "var")})
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("intake: INTAKE_DATA_DIR")


@pytest.mark.slow
def test_the_commands_the_demo_prints_work_as_printed_and_show_its_data(tmp_path: Path) -> None:
    assert INTAKE.is_file(), f"{INTAKE} is missing: pip install -e . makes it"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}  # no INTAKE_*; intake not on PATH
    demo = subprocess.run([str(INTAKE), "demo"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    commands = printed_commands(demo.stdout)
    assert [c.split(f"{INTAKE} ", 1)[1] for c in commands] == [
        "reports", "failures", "failures show 1", "roster missing --month 2020-11", "roster unmatched",
        "export 'var/demo/汇总表.xlsx'", "status --no-mailbox"]
    outputs = {}
    for command in commands:
        done = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        outputs[command.split(f"{INTAKE} ", 1)[1]] = done.stdout
    assert "苏州市财政局离退休干部党支部" in outputs["reports"] and "共 6 份情况表" in outputs["reports"]
    assert "共 2 项待处理" in outputs["failures"]
    assert outputs["failures show 1"].startswith("待处理事项 1（待处理）")
    assert "2020年11月尚未报送 9 个党组织" in outputs["roster missing --month 2020-11"]
    assert "可能是：苏州高新区狮山街道离退休干部党支部" in outputs["roster unmatched"]
    assert (tmp_path / "var" / "demo" / "汇总表.xlsx").is_file()
    assert "待处理：2 项" in outputs["status --no-mailbox"]
    assert not (tmp_path / "var" / "outbox").exists()
    assert not (tmp_path / "var" / "intake.sqlite3").exists()
