"""`intake parse [--json] [--received DATE] FILE...`: one JSON object a line per file, exit 0 only when every file
gave a form; --received gives the year of dates written without one; a mail given instead points to import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from tests.builders import form_docx

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "mail"


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
    from PIL import Image

    picture = tmp_path / "photo.png"
    Image.new("L", (240, 160), 255).save(picture)  # a picture with nothing to read: no form in it
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


def test_readable_output_names_the_failure_by_its_chinese_label_and_code(tmp_path: Path) -> None:
    from PIL import Image

    picture = tmp_path / "photo.png"
    Image.new("L", (240, 160), 255).save(picture)  # a picture with nothing to read: no form in it
    result = CliRunner().invoke(main, ["parse", str(picture)])
    assert "未读出情况表：未找到情况表（not_a_form）：附件中未找到情况表" in result.output


def test_received_date_gives_the_year_of_an_activity_date_written_without_one(tmp_path: Path) -> None:
    form = tmp_path / "情况表.docx"
    form.write_bytes(form_docx(summary="5月12日上午，支部25名老党员参观苏州革命博物馆。"))
    for received, year in (("2019-05-20", 2019), ("2023-06-01", 2023)):
        result = CliRunner().invoke(main, ["parse", "--json", "--received", received, str(form)])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["forms"][0]["activity_date"] == f"{year}-05-12"


def test_a_bad_received_date_is_a_one_line_usage_error(tmp_path: Path) -> None:
    form = tmp_path / "情况表.docx"
    form.write_bytes(form_docx())
    result = CliRunner().invoke(main, ["parse", "--received", "12.5.", str(form)])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "'--received'" in result.output


@pytest.mark.parametrize(("name", "data"), [
    ("mail.eml", (SAMPLES / "01-163-gbk-docx.eml").read_bytes()),
    ("saved-from-webmail.txt", (SAMPLES / "08-no-attachment.eml").read_bytes()),
    ("inbox", b"From someone@example.cn Mon May 11 10:00:00 2020\nSubject: x\n\nhi\n"),
])
def test_a_mail_given_to_parse_points_to_intake_import_and_exits_2(tmp_path: Path, name: str, data: bytes) -> None:
    mail = tmp_path / name
    mail.write_bytes(data)
    form = tmp_path / "情况表.docx"
    form.write_bytes(form_docx())
    result = CliRunner().invoke(main, ["parse", str(form), str(mail)])
    assert result.exit_code == 2
    assert result.output == f"intake: {mail} 是一封邮件，不是附件：请用 intake import {mail} 导入\n"
