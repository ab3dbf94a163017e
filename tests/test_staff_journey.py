"""The staff's day with the product, through the `intake` command: import the corpus and the samples, then
reports, failures, digest, export and status all tell the same story, and importing again changes nothing."""

from __future__ import annotations

import email
import email.policy
import json
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from cli import main
from core.settings import Settings
from store.db import forget_store

pytestmark = pytest.mark.slow  # real processes and servers: part of CI, not of the quick set

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples" / "mail"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    data = tmp_path / "var"
    yield {"INTAKE_DATA_DIR": str(data), "INTAKE_SMTP_HOST": "", "INTAKE_DIGEST_TO": "zzzdc@example.gov.cn"}
    forget_store(Settings(data_dir=data).effective_database_url)


def _run(env: dict[str, str], *args: str) -> Result:
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exit_code == 0, (args, result.output)
    assert "Traceback" not in result.output
    return result


COUNT_NAMES = {"邮件": "messages", "新情况表": "new reports", "更正": "new versions", "重复": "duplicates",
               "待处理": "failures", "已忽略": "ignored", "此前已收": "skipped"}


def _counts(line: str) -> dict[str, int]:
    """邮件 12 封，新情况表 6 份，… as {"messages": 12, "new reports": 6, …}."""
    return {COUNT_NAMES[word]: int(n) for word, n in re.findall(r"(\w+) (\d+) [封份项]", line.strip())}


def _digest_text(path: Path) -> str:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            return str(part.get_content())
    raise AssertionError("no text part")


def test_importing_corpus_and_samples_gives_consistent_reports_failures_digest_export_and_status(
    env: dict[str, str], corpus_dir: Path, tmp_path: Path
) -> None:
    first = _counts(_run(env, "import", str(corpus_dir / "mail"), str(SAMPLES)).output.strip().splitlines()[-1])
    assert first["new reports"] == 6 and first["new versions"] == 1
    again = _counts(_run(env, "import", str(corpus_dir / "mail"), str(SAMPLES)).output.strip().splitlines()[-1])
    assert again["skipped"] == again["messages"] == first["messages"]
    assert again["new reports"] == again["duplicates"] == again["failures"] == again["ignored"] == 0

    reports = json.loads(_run(env, "reports", "--json").output)
    failures = json.loads(_run(env, "failures", "--json").output)
    assert len(reports) == 6
    # The samples' two real problems; off-topic corpus mail with .txt/.png/.pdf or empty files is no failure
    # (it used to be 350 unsupported_format items).
    assert sorted((f["kind"], f["filename"]) for f in failures) == [
        ("corrupt", "民政局离退休干部党支部情况表.docx"), ("no_attachment", ""),
    ]
    assert len(failures) == first["failures"]
    for failure in failures:
        assert re.search(r"[\u4e00-\u9fff]", failure["message"]), failure  # a Chinese line staff can act on

    status = json.loads(_run(env, "status", "--json", "--no-mailbox").output)
    assert status["counts"]["reports"] == len(reports)
    assert status["counts"]["open_failures"] == status["open_failures"] == len(failures)
    assert status["counts"]["duplicates"] == first["duplicates"]
    assert status["counts"]["ignored"] == first["ignored"]

    out = tmp_path / "out"
    _run(env, "digest", "--dry-run", "--date", "2020-06-03", "--out", str(out))
    text = _digest_text(out / "digest-2020-06-03.eml")
    assert "新收情况表 1 份" in text and "重复报送 1 份已自动忽略" in text
    assert "与 6月3日 收到的「姑苏区老干部局机关离退休党支部」情况表（第1版）内容相同" in text
    _run(env, "digest", "--dry-run", "--date", "2020-05-16", "--out", str(out))
    text = _digest_text(out / "digest-2020-05-16.eml")
    assert "更正 1 份" in text and "苏州市财政局离退休干部党支部（第 2 版" in text and "人数：23 → 25" in text

    sheet = tmp_path / "汇总表.xlsx"
    assert "6 份情况表" in _run(env, "export", str(sheet)).output
    ws = openpyxl.load_workbook(sheet).active
    assert ws is not None
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]
    assert sorted(r["党组织名称"] for r in rows) == sorted(r["org_name"] for r in reports)
    caizheng = next(r for r in rows if r["党组织名称"] == "苏州市财政局离退休干部党支部")
    assert caizheng["人数"] == 25 and caizheng["版本"] == 2
    assert str(caizheng["议程"]).startswith("1. 重温入党誓词\n2. 学习")
