"""`intake roster coverage / missing / unmatched / alias` on a store with a roster and a season of reports, and
what they say without a roster."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner, Result
from sqlalchemy.orm import Session, sessionmaker

from cli import main
from parsers.model import ParsedForm
from store.dedup import record_attachment, record_form
from store.messages import record_message
from store.records import RosterEntryIn
from store.roster import upsert_roster
from tests.store.helpers import attachment_in, docx_bytes, form, message_in

Factory = sessionmaker[Session]
SH = ZoneInfo("Asia/Shanghai")
ROSTER = (
    RosterEntryIn(name="苏州市财政局离退休干部党支部", group="市级机关", contact_person="钱卫东",
                  contact_phone="13906121847"),
    RosterEntryIn(name="苏州高新区狮山街道离退休干部党支部", group="高新区", contact_person="蒋丽华",
                  contact_phone="13812960374"),
    RosterEntryIn(name="吴中区长桥街道老干部党支部", group="吴中区", contact_person="沈梅芳",
                  contact_phone="0512-65283307"),
)


def _submit(s: Session, f: ParsedForm, received: datetime) -> None:
    m = record_message(s, message_in("情况表", received_at=received))
    a = record_attachment(s, m.message_pk, attachment_in(docx_bytes(f)))
    record_form(s, m.message_pk, a.attachment_pk, f, False)


def _fill(factory: Factory, roster: bool = True) -> None:
    with factory.begin() as s:
        if roster:
            upsert_roster(s, ROSTER)
        may = form(org="中共苏州市财政局离退休干部党支部", activity=date(2020, 5, 12))
        _submit(s, may, datetime(2020, 5, 25, 9, 0, tzinfo=SH))  # late: 13 days after
        _submit(s, replace(may, agenda=("学习党章",), summary="六月。", activity_date=date(2020, 6, 10)),
                datetime(2020, 6, 11, 9, 0, tzinfo=SH))
        _submit(s, form(org="高新区狮山街道老干部党支部", activity=date(2020, 6, 5)), datetime(2020, 6, 6, tzinfo=SH))


def intake(db_url: str, tmp_path: Path, *args: str, **env: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"INTAKE_DATABASE_URL": db_url, "INTAKE_DATA_DIR": str(tmp_path),
                                                     **env})


def test_coverage_json_gives_each_entry_its_months_of_the_season_and_late_count(
    session_factory: Factory, db_url: str, tmp_path: Path
) -> None:
    _fill(session_factory)
    result = intake(db_url, tmp_path, "roster", "coverage", "--json")
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    caizheng = rows["苏州市财政局离退休干部党支部"]
    assert set(caizheng) == {"name", "group", "months", "late"}
    assert list(caizheng["months"]) == [f"2020-{m:02d}" for m in range(4, 12)]  # 2020 is over: the whole season
    assert (caizheng["months"]["2020-05"], caizheng["months"]["2020-06"], caizheng["late"]) == (1, 1, 1)
    assert rows["苏州高新区狮山街道离退休干部党支部"]["months"]["2020-06"] == 0  # not yet confirmed
    short = intake(db_url, tmp_path, "roster", "coverage", "--json", "--year", "2020", INTAKE_SEASON="05-06")
    assert list(json.loads(short.output)[0]["months"]) == ["2020-05", "2020-06"]
    text = intake(db_url, tmp_path, "roster", "coverage")
    assert "市级机关  苏州市财政局离退休干部党支部  4月 0  5月 1  6月 1" in text.output
    assert "合计 2  逾期 1" in text.output and "共 3 个党组织，其中 2 个本季尚无情况表" in text.output


def test_missing_lists_who_has_no_report_that_month_by_group_with_contacts(
    session_factory: Factory, db_url: str, tmp_path: Path
) -> None:
    _fill(session_factory)
    result = intake(db_url, tmp_path, "roster", "missing", "--month", "2020-06", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [
        {"name": "吴中区长桥街道老干部党支部", "group": "吴中区", "contact_person": "沈梅芳",
         "contact_phone": "0512-65283307"},
        {"name": "苏州高新区狮山街道离退休干部党支部", "group": "高新区", "contact_person": "蒋丽华",
         "contact_phone": "13812960374"},
    ]
    text = intake(db_url, tmp_path, "roster", "missing", "--month", "2020-06").output
    assert text.splitlines()[:3] == ["2020年6月尚未报送 2 个党组织：", "【吴中区】",
                                     "  吴中区长桥街道老干部党支部  联系人 沈梅芳 0512-65283307"]
    december = intake(db_url, tmp_path, "roster", "missing", "--month", "2020-12").output
    assert "不在报送季节内" in december
    bad = intake(db_url, tmp_path, "roster", "missing", "--month", "2020-6-1")
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output


def test_unmatched_names_their_candidates_and_an_alias_relinks_them(
    session_factory: Factory, db_url: str, tmp_path: Path
) -> None:
    _fill(session_factory)
    result = intake(db_url, tmp_path, "roster", "unmatched", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [{"org_name": "高新区狮山街道老干部党支部", "reports": 1,
                                          "candidates": ["苏州高新区狮山街道离退休干部党支部"]}]
    assert "可能是：苏州高新区狮山街道离退休干部党支部" in intake(db_url, tmp_path, "roster", "unmatched").output
    alias = intake(db_url, tmp_path, "roster", "alias", "高新区狮山街道老干部党支部",
                   "苏州高新区狮山街道离退休干部党支部")
    assert alias.exit_code == 0, alias.output
    assert "1 份情况表已对应到它" in alias.output
    assert json.loads(intake(db_url, tmp_path, "roster", "unmatched", "--json").output) == []
    june = json.loads(intake(db_url, tmp_path, "roster", "missing", "--month", "2020-06", "--json").output)
    assert [m["name"] for m in june] == ["吴中区长桥街道老干部党支部"]
    unknown = intake(db_url, tmp_path, "roster", "alias", "某支部", "没有这个党支部")
    assert unknown.exit_code == 1 and "名册中没有「没有这个党支部」" in unknown.output
    taken = intake(db_url, tmp_path, "roster", "alias", "吴中区长桥街道老干部党支部", "苏州市财政局离退休干部党支部")
    assert taken.exit_code == 1 and "另一个党组织" in taken.output


def test_without_a_roster_every_roster_command_says_how_to_load_one(
    session_factory: Factory, db_url: str, tmp_path: Path
) -> None:
    _fill(session_factory, roster=False)
    for args in (["roster"], ["roster", "coverage"], ["roster", "missing", "--month", "2020-06"],
                 ["roster", "unmatched"]):
        result = intake(db_url, tmp_path, *args)
        assert result.exit_code == 0 and "尚未导入名册" in result.output, args
        as_json = intake(db_url, tmp_path, *args, "--json")
        assert json.loads(as_json.output) == [], args
