"""`intake parse [--json] FILE...`: one JSON object a line per file, exit 0 only when every file gave a form."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cli import main


def test_json_output_has_one_object_a_line_with_forms_or_the_failure(seed_dir: Path) -> None:
    example, blank = seed_dir / "form-example.docx", seed_dir / "form-blank.docx"
    result = CliRunner().invoke(main, ["parse", "--json", str(example), str(blank)])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["file"] for line in lines] == [str(example), str(blank)]
    form = lines[0]["forms"][0]
    assert set(form) == {
        "org_name", "headcount", "headcount_text", "agenda", "summary",
        "contact_person", "contact_phone", "activity_date", "warnings",
    }
    assert form["org_name"] == "苏州市司法局离退休干部党支部"
    assert form["headcount"] == 18
    assert form["contact_phone"] == "13812345678"
    assert form["agenda"] == ["1. 集体学习习近平总书记关于老干部工作的重要论述", "2. 参观苏州革命博物馆"]
    assert form["activity_date"].endswith("-05-08")
    assert lines[0]["failure"] is None
    assert lines[1]["forms"] == []
    assert lines[1]["failure"] == {"kind": "empty_form", "message": "情况表未填写内容，请联系报送单位填写后重新发送"}


def test_exit_code_is_zero_when_every_file_gave_a_form(seed_dir: Path) -> None:
    result = CliRunner().invoke(main, ["parse", "--json", str(seed_dir / "form-example.docx")])
    assert result.exit_code == 0
    assert json.loads(result.output)["forms"][0]["contact_person"] == "赵明"


def test_readable_table_names_the_fields_and_the_failure(seed_dir: Path, tmp_path: Path) -> None:
    picture = tmp_path / "photo.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    result = CliRunner().invoke(main, ["parse", str(seed_dir / "form-example.docx"), str(picture)])
    assert result.exit_code == 1
    assert "党组织名称" in result.output and "苏州市司法局离退休干部党支部" in result.output
    assert "not_a_form" in result.output and "附件中未找到情况表" in result.output


def test_configured_soffice_path_is_used_for_legacy_files(corpus_dir: Path, tmp_path: Path) -> None:
    env = {"INTAKE_SOFFICE": str(tmp_path / "no-such-soffice"), "INTAKE_DATA_DIR": str(tmp_path)}
    doc = corpus_dir / "office" / "tika_testWORD6.doc"
    result = CliRunner().invoke(main, ["parse", "--json", str(doc)], env=env)
    assert result.exit_code == 1
    assert json.loads(result.output)["failure"]["kind"] == "converter_missing"
