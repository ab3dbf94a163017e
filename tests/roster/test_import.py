"""`intake roster import`: a real workbook read by header label in any order, bad rows listed by number with
nothing imported, --replace swapping the whole roster; and `intake roster` listing it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result

from cli import main
from roster.importfile import RosterFileError, read_roster, split_aliases, split_emails

HEADER = ("序号", "联系电话", "党组织名称", "区县", "电子邮箱（多个用分号隔开）", "联系人", "别名")
GOOD: tuple[tuple[Any, ...], ...] = (
    (1, 13906121847, "中共苏州市财政局离退休干部党支部", "市级机关", "qwd@163.com; CZJ_LGB@163.com", "钱卫东",
     "财政局老干部支部、市财政局离退休支部\n财政局党支部"),
    (2, "0512-65231746", "姑苏区老干部局机关离退休干部党支部", "姑苏区", "", "周建华",
     "姑苏区老干部局机关离退休党支部"),
    (3, None, None, None, None, None, None),
    (4, None, None, None, None, None, None),  # a template's numbered rows, nothing filled in
    (5, "0512-65283307", "吴中区长桥街道老干部党支部", "吴中区", "shenmeifang_cq@189.cn", "沈梅芳", None),
)


def workbook(path: Path, rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER, title: bool = True) -> Path:
    """A roster as a bureau keeps it: a title row, the header, one branch a row (after a first empty sheet)."""
    book = openpyxl.Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "说明"
    notes["A1"] = "本表供导入使用"
    sheet = book.create_sheet("名册")
    if title:
        sheet.append(["2026年离退休干部党组织名册"])
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def intake(db_url: str, tmp_path: Path, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"INTAKE_DATABASE_URL": db_url, "INTAKE_DATA_DIR": str(tmp_path)})


def listed(db_url: str, tmp_path: Path) -> list[dict[str, Any]]:
    result = intake(db_url, tmp_path, "roster", "--json")
    assert result.exit_code == 0, result.output
    entries: list[dict[str, Any]] = json.loads(result.output)
    return entries


def test_columns_are_found_by_label_in_any_order_below_a_title_and_cells_are_read_as_typed(tmp_path: Path) -> None:
    read = read_roster(workbook(tmp_path / "名册.xlsx", GOOD))
    assert read.sheet == "名册" and read.problems == ()
    assert read.columns == ("name", "group", "contact_person", "contact_phone", "emails", "aliases")
    assert [number for number, _ in read.entries] == [3, 4, 7]  # rows with only their 序号 are skipped
    first = read.entries[0][1]
    assert (first.name, first.group, first.contact_person, first.contact_phone) == (
        "中共苏州市财政局离退休干部党支部", "市级机关", "钱卫东", "13906121847")
    assert first.emails == ("qwd@163.com", "CZJ_LGB@163.com")
    assert first.aliases == ("财政局老干部支部", "市财政局离退休支部", "财政局党支部")
    assert read.entries[1][1].emails == ()  # the column is there, the cell empty: no addresses


def test_a_column_the_file_lacks_is_none_so_an_update_keeps_what_is_stored(tmp_path: Path) -> None:
    read = read_roster(workbook(tmp_path / "r.xlsx", [("苏州市财政局离退休干部党支部", "市级机关")],
                                header=("党组织名称", "所属单位"), title=False))
    entry = read.entries[0][1]
    assert (entry.group, entry.contact_person, entry.emails, entry.aliases) == ("市级机关", None, None, None)


def test_alias_and_address_cells_split_on_every_separator_staff_type() -> None:
    assert split_aliases("甲支部、乙支部，丙支部;丁支部；戊支部\n己支部,庚支部") == (
        "甲支部", "乙支部", "丙支部", "丁支部", "戊支部", "己支部", "庚支部")
    assert split_emails("a@x.cn, b@y.cn；c@z.cn、d@w.cn\ne@v.cn  f@u.cn") == (
        "a@x.cn", "b@y.cn", "c@z.cn", "d@w.cn", "e@v.cn", "f@u.cn")


def test_import_loads_the_roster_and_roster_lists_it(db_url: str, tmp_path: Path) -> None:
    path = workbook(tmp_path / "名册.xlsx", GOOD)
    result = intake(db_url, tmp_path, "roster", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "新增 3 个，更新 0 个，移除 0 个" in result.output and "工作表「名册」3 行" in result.output
    entries = listed(db_url, tmp_path)
    assert [e["name"] for e in entries] == ["吴中区长桥街道老干部党支部", "姑苏区老干部局机关离退休干部党支部",
                                            "中共苏州市财政局离退休干部党支部"]
    assert set(entries[0]) == {"name", "group", "aliases", "emails"}
    assert entries[2]["emails"] == ["qwd@163.com", "czj_lgb@163.com"]
    assert entries[2]["aliases"] == ["财政局老干部支部", "市财政局离退休支部", "财政局党支部"]
    text = intake(db_url, tmp_path, "roster")
    assert "市级机关  中共苏州市财政局离退休干部党支部  联系人 钱卫东 13906121847" in text.output
    assert "共 3 个党组织" in text.output


def test_bad_rows_are_listed_by_row_number_and_nothing_is_imported(db_url: str, tmp_path: Path) -> None:
    assert intake(db_url, tmp_path, "roster", "import", str(workbook(tmp_path / "ok.xlsx", GOOD[:1]))).exit_code == 0
    bad = workbook(tmp_path / "bad.xlsx", [
        *GOOD[1:2],
        (2, "13800000000", None, "吴江区", "a@b.cn", "某人", None),  # no name, but the row is filled in
        (3, None, "姑苏区老干部局机关（离退休干部）党支部", "姑苏区", None, None, None),  # the same as row 3
        (4, None, "相城区元和街道离退休干部党支部", "相城区", "zhu#163.com", None, None),
        (5, None, "吴江区松陵街道离退休干部党支部", "吴江区", None, None, "苏州市财政局离退休干部党支部"),
        (6, None, "吴中区长桥街道老干部党支部", "吴中区", None, None, None),
    ])
    result = intake(db_url, tmp_path, "roster", "import", str(bad))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert [line.split("：")[0] for line in lines[:4]] == ["第 4 行", "第 5 行", "第 6 行", "第 7 行"]
    assert "党组织名称为空" in lines[0] and "姑苏区老干部局机关离退休干部党支部" in lines[1]
    assert "zhu#163.com" in lines[2] and "中共苏州市财政局离退休干部党支部" in lines[3]
    assert lines[-1] == f"intake: {bad} 有 4 处错误（见上），名册未作任何改动"
    assert [e["name"] for e in listed(db_url, tmp_path)] == ["中共苏州市财政局离退休干部党支部"]


def test_without_replace_rows_are_added_or_updated_by_name_and_with_it_the_roster_is_swapped(
    db_url: str, tmp_path: Path
) -> None:
    assert intake(db_url, tmp_path, "roster", "import", str(workbook(tmp_path / "a.xlsx", GOOD))).exit_code == 0
    update = workbook(tmp_path / "b.xlsx", [("苏州市财政局离退休干部党支部", "市级机关", "65150000"),
                                            ("相城区元和街道离退休干部党支部", "相城区", "")],
                      header=("党组织名称", "所属单位", "联系电话"), title=False)
    merged = intake(db_url, tmp_path, "roster", "import", str(update))
    assert merged.exit_code == 0 and "新增 1 个，更新 1 个，移除 0 个" in merged.output
    entries = {e["name"]: e for e in listed(db_url, tmp_path)}
    assert len(entries) == 4
    assert entries["苏州市财政局离退休干部党支部"]["emails"] == ["qwd@163.com", "czj_lgb@163.com"]  # kept
    swapped = intake(db_url, tmp_path, "roster", "import", "--replace", str(update))
    assert swapped.exit_code == 0 and "替换整个名册" in swapped.output and "移除 2 个" in swapped.output
    assert sorted(e["name"] for e in listed(db_url, tmp_path)) == sorted(
        ["苏州市财政局离退休干部党支部", "相城区元和街道离退休干部党支部"])


def test_a_file_that_is_no_roster_is_one_line(db_url: str, tmp_path: Path) -> None:
    no_name = workbook(tmp_path / "x.xlsx", [("a", "b")], header=("单位", "电话"))
    result = intake(db_url, tmp_path, "roster", "import", str(no_name))
    assert result.exit_code == 1 and result.output.count("\n") == 1 and "找不到“党组织名称”列" in result.output
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    result = intake(db_url, tmp_path, "roster", "import", str(broken))
    assert result.exit_code == 1 and "不是有效的 .xlsx 文件" in result.output
    old = tmp_path / "名册.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    result = intake(db_url, tmp_path, "roster", "import", str(old))
    assert result.exit_code == 2 and "另存为 .xlsx" in result.output
    empty = workbook(tmp_path / "empty.xlsx", [])
    result = intake(db_url, tmp_path, "roster", "import", "--replace", str(empty))
    assert result.exit_code == 1 and "没有任何党组织" in result.output


def test_reading_a_sheet_without_a_header_in_its_first_rows_finds_none(tmp_path: Path) -> None:
    rows = [("",)] * 25 + [("党组织名称",), ("某党支部",)]
    with pytest.raises(RosterFileError, match="前 20 行"):
        read_roster(workbook(tmp_path / "late.xlsx", rows, header=("备注",), title=False))
