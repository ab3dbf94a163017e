"""The roster in the digest (本月尚未报送, 名称待确认) and in the 汇总表 (sheet 报送情况), from store records alone;
and end to end, a digest built from a store with a roster."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import openpyxl
from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings
from digest.limits import LIST_LIMIT
from digest.render import render_digest
from digest.run import export_summary, run_digest
from digest.xlsx import COVERAGE_TITLE, SHEET_TITLE, late_format, summary_xlsx_bytes
from store.dedup import record_attachment, record_form
from store.messages import record_message
from store.records import Coverage, CoverageRow, MissingRow, RosterEntryIn, RosterFacts, UnmatchedName
from store.roster import upsert_roster
from tests.digest.factories import DIGEST_AT, SHANGHAI, facts, report
from tests.digest.helpers import parse
from tests.store.helpers import attachment_in, docx_bytes, form, message_in

Factory = sessionmaker[Session]
MONTHS = ("2020-04", "2020-05")


def missing(n: int, group: str = "市级机关") -> MissingRow:
    return MissingRow(entry_id=n, name=f"第{n}离退休干部党支部", group=group, contact_person="王建国",
                      contact_phone="13912345678")


def coverage_row(n: int, group: str, may: int, late: int = 0) -> CoverageRow:
    return CoverageRow(entry_id=n, name=f"第{n}离退休干部党支部", group=group,
                       months=(("2020-04", 0), ("2020-05", may)), late=late,
                       late_months=(("2020-05", late),) if late else ())


COVERAGE = Coverage(year=2020, months=MONTHS, rows=(
    coverage_row(1, "姑苏区", 2, late=1), coverage_row(2, "姑苏区", 0), coverage_row(3, "市级机关", 1)))


def roster(**over: object) -> RosterFacts:
    base = RosterFacts(
        month="2020-05", in_season=True, entries=40,
        missing=(missing(1, "姑苏区"), missing(2, "姑苏区"), missing(3)),
        unmatched=(UnmatchedName("高新区狮山街道老干部党支部", 2, ("苏州高新区狮山街道离退休干部党支部",)),
                   UnmatchedName("某某协会", 1, ())),
        coverage=COVERAGE,
    )
    return replace(base, **over)  # type: ignore[arg-type]


def rendered(day: date, **over: object) -> tuple[str, str]:
    out = render_digest(facts(day=day, roster=roster(**over)), SHANGHAI, DIGEST_AT, 2)
    return out.text, out.html


def test_before_the_20th_the_digest_gives_only_the_count_of_entries_not_reported() -> None:
    text, html = rendered(date(2020, 5, 14))
    assert "【本月尚未报送（2020年5月，3 个党组织）】" in text
    assert "名册中 40 个党组织，3 个本月尚无情况表；每月 20 日起列出名单。" in text
    assert "第1离退休干部党支部" not in text and "第1离退休干部党支部" not in html
    assert "本月尚未报送（2020年5月，3 个）" in html


def test_from_the_20th_the_list_is_grouped_by_group_with_contacts() -> None:
    text, html = rendered(date(2020, 5, 20))
    section = text.split("【本月尚未报送")[1].split("【名称待确认")[0]
    assert section.splitlines()[1:5] == ["【姑苏区】", "   第1离退休干部党支部  王建国 13912345678",
                                         "   第2离退休干部党支部  王建国 13912345678", "【市级机关】"]
    assert 'href="tel:13912345678"' in html and html.count(">姑苏区</th>") == 1


def test_a_long_missing_list_is_cut_and_says_how_many_more() -> None:
    many = tuple(missing(n, group=f"区{n % 7}") for n in range(LIST_LIMIT + 35))
    text, html = rendered(date(2020, 5, 25), missing=many)
    assert f"【本月尚未报送（2020年5月，{LIST_LIMIT + 35} 个党组织）】" in text
    assert "另有 35 个未列出，请用 intake roster missing --month 2020-05 查看。" in text
    assert text.count("  王建国 13912345678") == LIST_LIMIT
    assert "intake roster missing --month 2020-05</code>" in html


def test_names_to_confirm_show_the_best_candidate_only() -> None:
    text, html = rendered(date(2020, 5, 14))
    assert "【名称待确认（2 个）】" in text
    assert "- 高新区狮山街道老干部党支部（2 份） → 可能是：苏州高新区狮山街道离退休干部党支部" in text
    assert "- 某某协会（1 份） → 名册中没有相近的名称" in text
    assert "名称待确认（2 个）" in html


def test_names_from_outside_are_escaped_in_the_html() -> None:
    evil = missing(9, group="<b>区</b>")
    _, html = rendered(date(2020, 5, 21), missing=(replace(evil, name="<script>alert(1)</script>"),),
                       unmatched=(UnmatchedName("<img src=x>", 1, ("<i>名册</i>",)),))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img src=x>" not in html and "&lt;i&gt;名册&lt;/i&gt;" in html and "&lt;b&gt;区&lt;/b&gt;" in html


def test_out_of_season_or_without_a_roster_there_is_no_roster_section() -> None:
    text, _ = rendered(date(2020, 12, 21), month="2020-12", in_season=False, missing=())
    assert "本月尚未报送" not in text and "名称待确认" in text
    plain = render_digest(facts(), SHANGHAI, DIGEST_AT, 2).text
    assert "本月尚未报送" not in plain and "名称待确认" not in plain
    done, _ = rendered(date(2020, 5, 25), missing=(), unmatched=())
    assert "名册中的 40 个党组织本月都已报送情况表。" in done and "名称待确认" not in done


def sheet(data: bytes) -> openpyxl.worksheet.worksheet.Worksheet:
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == [SHEET_TITLE, COVERAGE_TITLE]
    return book[COVERAGE_TITLE]


def test_the_coverage_sheet_has_a_row_per_entry_a_column_per_month_and_totals_per_group() -> None:
    ws = sheet(summary_xlsx_bytes([report()], SHANGHAI, COVERAGE))
    assert [c.value for c in ws[2]] == ["所属单位", "党组织名称", "4月", "5月", "合计", "逾期"]
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=3, max_row=8)]
    assert values == [
        ["姑苏区", "第1离退休干部党支部", 0, 2, 2, 1],
        ["姑苏区", "第2离退休干部党支部", 0, 0, 0, None],
        ["姑苏区 小计", "2 个党组织，1 个本季尚无", 0, 2, 2, 1],
        ["市级机关", "第3离退休干部党支部", 0, 1, 1, None],
        ["市级机关 小计", "1 个党组织，0 个本季尚无", 0, 1, 1, 0],
        ["总计", "3 个党组织，1 个本季尚无", 0, 3, 3, 1],
    ]
    assert ws["D3"].number_format == late_format(1) == '0"（逾期1）"'  # shown as 2（逾期1）, still the number 2
    assert ws["D3"].font.color.rgb.endswith("C00000")
    assert ws["A4"].fill.fgColor.rgb.endswith("FCE4D6") and ws["D4"].fill.fgColor.rgb.endswith("FCE4D6")
    assert not ws["A3"].fill.fgColor.rgb.endswith("FCE4D6")
    assert ws.freeze_panes == "C3"


def test_names_that_look_like_formulas_stay_text_in_the_coverage_sheet() -> None:
    table = replace(COVERAGE, rows=(replace(COVERAGE.rows[0], name="=HYPERLINK(\"http://x\")", group="+区"),))
    ws = sheet(summary_xlsx_bytes([], SHANGHAI, table))
    assert (ws["A3"].data_type, ws["B3"].data_type) == ("s", "s")
    assert ws["B3"].value == '=HYPERLINK("http://x")' and ws["B3"].quotePrefix


def test_without_a_roster_the_summary_has_one_sheet() -> None:
    book = openpyxl.load_workbook(io.BytesIO(summary_xlsx_bytes([report()], SHANGHAI)))
    assert book.sheetnames == [SHEET_TITLE]


def _store_with_roster(factory: Factory) -> None:
    with factory.begin() as s:
        upsert_roster(s, [RosterEntryIn(name="苏州市财政局离退休干部党支部", group="市级机关"),
                          RosterEntryIn(name="苏州高新区狮山街道离退休干部党支部", group="高新区")])
        for f, when in ((form(org="中共苏州市财政局离退休干部党支部", activity=date(2020, 5, 12)),
                         datetime(2020, 5, 14, 9, 0, tzinfo=SHANGHAI)),
                        (form(org="高新区狮山街道老干部党支部", activity=date(2020, 5, 11), agenda=("参观",)),
                         datetime(2020, 5, 14, 10, 0, tzinfo=SHANGHAI))):
            m = record_message(s, message_in("情况表", received_at=when))
            a = record_attachment(s, m.message_pk, attachment_in(docx_bytes(f)))
            record_form(s, m.message_pk, a.attachment_pk, f, False)


def test_a_digest_from_a_store_with_a_roster_carries_both_sections_and_the_second_sheet(
    session_factory: Factory, tmp_path: Path, db_url: str
) -> None:
    _store_with_roster(session_factory)
    settings = Settings(data_dir=tmp_path, database_url=db_url, digest_to=("zzzdc@example.gov.cn",),
                        digest_from="szlgbjdjc@163.com")
    outcome = run_digest(settings, session_factory, date(2020, 5, 14), mode="dry-run", out=tmp_path, force=True,
                         now=datetime(2020, 5, 15, 8, 0, tzinfo=SHANGHAI))
    mail = parse(next(p for p in outcome.paths if p.suffix == ".eml").read_bytes())
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "【本月尚未报送（2020年5月，1 个党组织）】" in text
    assert "- 高新区狮山街道老干部党支部（1 份） → 可能是：苏州高新区狮山街道离退休干部党支部" in text
    [attachment] = [p for p in mail.iter_attachments() if p.get_filename() == "汇总表-2020-05-14.xlsx"]
    ws = sheet(attachment.get_content())
    assert [c.value for c in ws[3]][:4] == ["市级机关", "苏州市财政局离退休干部党支部", 0, 1]
    exported = tmp_path / "汇总表.xlsx"
    assert export_summary(settings, session_factory, exported) == 2
    assert sheet(exported.read_bytes())["D3"].value == 1
