"""What the staff's commands say and refuse: listings in Chinese with one term per idea, digest flags that cannot go
together, export only to .xlsx, and an import that found no mail says so."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli import main
from core.settings import Settings
from store.db import forget_store
from tests.builders import form_docx

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "mail"
WRONG_TERMS = ("报告", "失败记录", "失败")  # staff read 情况表 and 待处理, never these beside them


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    data = tmp_path / "var"
    yield {"INTAKE_DATA_DIR": str(data), "INTAKE_SMTP_HOST": "", "INTAKE_DIGEST_TO": "zzzdc@example.gov.cn"}
    forget_store(Settings(data_dir=data).effective_database_url)


@pytest.fixture
def imported(env: dict[str, str]) -> dict[str, str]:
    """The twelve sample mails imported: six reports (one corrected), two 待处理 items."""
    result = CliRunner().invoke(main, ["import", str(SAMPLES)], env=env)
    assert result.exit_code == 0, result.output
    return env


def _run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def test_import_says_what_it_made_in_the_digests_words(env: dict[str, str]) -> None:
    result = _run(env, "import", str(SAMPLES))
    assert result.exit_code == 0
    assert result.output.strip() == ("邮件 12 封，新情况表 6 份，更正 1 份，重复 1 份，待处理 2 项，已忽略 2 封，"
                                     "此前已收 0 封")


def test_failures_listing_shows_each_kind_by_its_chinese_label_with_the_code(imported: dict[str, str]) -> None:
    result = _run(imported, "failures")
    assert result.exit_code == 0
    assert "待处理  " in result.output
    assert "附件已损坏（corrupt）" in result.output and "未带附件（no_attachment）" in result.output
    assert result.output.strip().endswith("共 2 项待处理")
    closed = _run(imported, "failures", "resolve", "1", "--note", "已电话联系，已重发")
    assert closed.output.strip() == "待处理事项 1 已标记为已解决"
    every = _run(imported, "failures", "--all")
    assert every.output.strip().endswith("共 2 项：待处理 1 项，已解决 1 项，已忽略 0 项")
    shown = _run(imported, "failures", "show", "1")
    assert shown.output.startswith("待处理事项 1（已解决）\n类型：附件已损坏（corrupt）\n")
    for output in (result.output, closed.output, every.output, shown.output):
        assert not any(term in output for term in WRONG_TERMS), output


def test_failures_json_keeps_the_codes_and_keys(imported: dict[str, str]) -> None:
    rows = json.loads(_run(imported, "failures", "--json").output)
    assert [(r["kind"], r["status"]) for r in rows] == [("corrupt", "open"), ("no_attachment", "open")]


def test_reports_listing_counts_情况表_and_limit_shows_the_newest(imported: dict[str, str]) -> None:
    every = _run(imported, "reports")
    assert every.exit_code == 0
    assert every.output.strip().splitlines()[-1] == "共 6 份情况表"
    newest = _run(imported, "reports", "--limit", "2").output.strip().splitlines()
    assert len(newest) == 3 and "高新区狮山街道老干部党支部" in newest[1]
    assert newest[-1] == "共 6 份情况表，以上是最近收到的 2 份（--limit 0 列出全部）"
    versions = _run(imported, "reports", "--all-versions").output.strip().splitlines()
    assert versions[-1] == "共 7 个版本"
    assert len(json.loads(_run(imported, "reports", "--json", "--limit", "1").output)) == 6  # JSON: all of them
    for output in (every.output, *newest, *versions):
        assert not any(term in output for term in WRONG_TERMS), output


@pytest.mark.parametrize("flags", [["--send", "--dry-run"], ["--dry-run", "--send"]])
def test_digest_send_and_dry_run_together_is_a_usage_error(env: dict[str, str], flags: list[str]) -> None:
    result = _run(env, "digest", "--date", "2026-05-10", *flags)
    assert result.exit_code == 2
    assert result.output.strip() == "intake: --send 和 --dry-run 只能选一个（用法见 intake digest --help）"


def test_digest_dry_run_says_it_was_not_sent(env: dict[str, str], tmp_path: Path) -> None:
    result = _run(env, "digest", "--date", "2026-05-10", "--dry-run", "--out", str(tmp_path / "preview"))
    assert result.exit_code == 0, result.output
    assert "2026-05-10 的日报已写入" in result.output and "试运行：没有发送，也不算已发" in result.output


@pytest.mark.parametrize("name", ["out.csv", "汇总表", "out.xls", "out.xlsx.bak"])
def test_export_refuses_a_file_name_that_is_not_xlsx_and_writes_nothing(
    env: dict[str, str], tmp_path: Path, name: str
) -> None:
    target = tmp_path / name
    result = _run(env, "export", str(target))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and ".xlsx" in lines[0] and name in lines[0]
    assert not target.exists()


def test_export_takes_an_xlsx_name_in_any_case(imported: dict[str, str], tmp_path: Path) -> None:
    result = _run(imported, "export", str(tmp_path / "汇总表.XLSX"))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"汇总表已写入 {tmp_path / '汇总表.XLSX'}：6 份情况表"


@pytest.mark.parametrize("content", ["a form file", "an empty folder"])
def test_import_of_paths_without_mail_exits_1_with_a_hint(env: dict[str, str], tmp_path: Path, content: str) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    paths = [str(folder)]
    if content == "a form file":
        (folder / "情况表.docx").write_bytes(form_docx())
        paths = [str(folder / "情况表.docx")]
    result = _run(env, "import", *paths)
    assert result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("intake: 这些路径里没有可导入的邮件") and "intake parse" in last


def test_send_without_smtp_is_checked_in_one_place_and_names_the_setting(env: dict[str, str]) -> None:
    result = _run(env, "digest", "--send", "--date", "2026-05-10")
    assert result.exit_code == 2
    assert re.fullmatch(r"intake: INTAKE_SMTP_HOST is not set .*（或用 --dry-run 试运行）", result.output.strip())
