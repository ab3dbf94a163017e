"""Forms the way branches really fill and save them: typed after the label, extra rows, WPS files, pictures, notes."""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import date

import docx
import openpyxl
import pytest

from parsers import FailureKind, parse
from parsers.fields import parse_headcount
from tests.parsers.builders import (
    FILLED,
    docx_bytes,
    docx_from_body,
    form_table,
    p,
    tbl,
    tc,
    tr,
    xlsx_bytes,
)
from tests.parsers.test_sheetxml import both, texts

REF = date(2026, 6, 1)
ORG = str(FILLED["党组织名称"])
SUMMARY = str(FILLED["简介"])
PAGE_BREAK = '<w:p><w:r><w:br w:type="page"/></w:r></w:p>'
# A 1x1 transparent PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def only_form(data: bytes, name: str = "情况表.docx"):  # type: ignore[no-untyped-def]
    result = parse(data, name, REF)
    assert result.failure is None, result.failure
    assert len(result.forms) == 1, result.forms
    return result.forms[0]


def assert_filled(form) -> None:  # type: ignore[no-untyped-def]
    assert form.org_name == ORG
    assert form.headcount == 25
    assert form.agenda == ("1. 重温入党誓词", "2. 观看红色电影")
    assert form.summary == SUMMARY
    assert form.contact_person == "王芳"
    assert form.contact_phone == "051265221234"
    assert form.activity_date == date(2026, 4, 28)


def bold(text: str) -> str:
    return f'<w:p><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


# Word: how the seed form gets filled --------------------------------------------------------------------------


def test_values_typed_after_the_label_with_a_full_width_colon_and_the_value_cells_left_blank() -> None:
    rows = [
        tr(tc(f"党组织名称：{ORG}"), tc(""), tc("人　数：25人"), tc("")),
        tr(tc("议  程", vmerge="restart"), tc("1. 重温入党誓词", span=3)),
        tr(tc("", vmerge="continue"), tc("2. 观看红色电影", span=3)),
        tr(tc(f"简介：{SUMMARY}"), tc("", span=3)),
        tr(tc("联系人：王芳"), tc(""), tc("联系方式：0512-65221234"), tc("")),
    ]
    form = only_form(docx_from_body(tbl(*rows)))
    assert_filled(form)
    assert form.warnings == ()


def test_extra_blank_rows_inside_the_table_change_nothing() -> None:
    blank = tr(tc(""), tc(""), tc(""), tc(""))
    table = form_table()
    rows_end = table.index("</w:tblGrid>") + len("</w:tblGrid>")
    with_blanks = table[:rows_end] + blank + table[rows_end:].replace("</w:tr>", "</w:tr>" + blank)
    assert with_blanks.count("<w:tr>") == 2 * table.count("<w:tr>") + 1
    assert_filled(only_form(docx_from_body(with_blanks)))


def test_agenda_typed_as_numbered_lines_with_line_breaks_in_one_cell_gives_one_item_a_line() -> None:
    agenda = '<w:p><w:r><w:t>1. 重温入党誓词</w:t><w:br/><w:t>2. 观看红色电影</w:t></w:r></w:p>'
    rows = [
        tr(tc("党组织名称"), tc(ORG), tc("人数"), tc("25人")),
        tr(tc("议程"), tc(agenda, span=3)),
        tr(tc("简介"), tc(SUMMARY, span=3)),
        tr(tc("联系人"), tc("王芳"), tc("联系方式"), tc("0512-65221234")),
    ]
    assert_filled(only_form(docx_from_body(tbl(*rows))))


def test_agenda_as_separate_paragraphs_of_one_cell_gives_one_item_a_paragraph() -> None:
    rows = [
        tr(tc("党组织名称"), tc(ORG), tc("人数"), tc("25人")),
        tr(tc("议程"), tc(p("1. 重温入党誓词") + p("") + p("2. 观看红色电影"), span=3)),
        tr(tc("简介"), tc(SUMMARY, span=3)),
        tr(tc("联系人"), tc("王芳"), tc("联系方式"), tc("0512-65221234")),
    ]
    assert_filled(only_form(docx_from_body(tbl(*rows))))


def test_bold_labels_with_trailing_colons_full_width_spaces_and_split_runs_are_labels() -> None:
    split_label = (
        '<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>联系</w:t></w:r><w:proofErr w:type="spellStart"/>'
        '<w:r><w:rPr><w:b/></w:rPr><w:t>人：</w:t></w:r><w:proofErr w:type="spellEnd"/></w:p>'
    )
    rows = [
        tr(tc(bold("党组织名称：")), tc(ORG), tc(bold("人　数：")), tc("25人")),
        tr(tc(bold("议　程："), vmerge="restart"), tc("1. 重温入党誓词", span=3)),
        tr(tc("", vmerge="continue"), tc("2. 观看红色电影", span=3)),
        tr(tc(bold("简　介：")), tc(SUMMARY, span=3)),
        tr(tc(split_label), tc("王芳"), tc(bold("联系方式：")), tc("0512-65221234")),
    ]
    assert_filled(only_form(docx_from_body(tbl(*rows))))


def test_wps_saved_docx_with_pct_widths_an_odd_grid_and_wps_custom_data_is_read() -> None:
    wps = 'xmlns:wpsCustomData="http://www.wps.cn/officeDocument/2013/wpsCustomData"'
    body = form_table()
    body = body.replace('w:type="dxa"', 'w:type="pct"')
    grid_end = body.index("</w:tblGrid>")
    body = body[:grid_end] + '<w:gridCol w:w="0"/><w:gridCol w:w="0"/>' + body[grid_end:]
    body = body.replace("<w:tcPr>", f"<w:tcPr><wpsCustomData:cellExt {wps} wpsCustomData:v=\"1\"/>")
    body = body.replace("<w:r>", f"<w:r><wpsCustomData:runExt {wps}/>")
    assert body.count("wpsCustomData:") > 10
    assert_filled(only_form(docx_from_body(f"<wpsCustomData:docExt {wps}/>" + body)))


def test_form_sent_as_a_picture_in_a_docx_is_not_a_form_never_an_empty_form() -> None:
    document = docx.Document()
    document.add_paragraph()
    document.add_picture(io.BytesIO(PNG))
    document.add_paragraph()
    result = parse(docx_bytes(document), "情况表.docx", REF)
    assert result.forms == ()
    assert result.failure is not None and result.failure.kind is FailureKind.NOT_A_FORM


def test_three_forms_separated_by_page_breaks_give_three_forms_in_order() -> None:
    names = [ORG, "苏州市姑苏区离退休干部第二党支部", "苏州市姑苏区离退休干部第三党支部"]
    heads = ["25人", "18人", "三十人"]
    body = PAGE_BREAK.join(
        p("“助力火红年代”主题党日活动情况表") + form_table(dict(FILLED, 党组织名称=name, 人数=head))
        for name, head in zip(names, heads, strict=True)
    )
    result = parse(docx_from_body(body), "三个支部.docx", REF)
    assert [f.org_name for f in result.forms] == names
    assert [f.headcount for f in result.forms] == [25, 18, 30]
    assert all(f.contact_person == "王芳" for f in result.forms)


# Headcount, phone and date as people type them ------------------------------------------------------------------

HEADCOUNTS = [
    ("18人（其中党员15人）", 18, "人数含附注，已取总数：18人（其中党员15人）"),
    ("出席18人", 18, None),
    ("实到18人", 18, None),
    ("共18人参加", 18, None),
    ("应到20人，实到18人", 18, "人数按实到人数读取：应到20人，实到18人"),
    ("18人。", 18, None),
    ("18（人）", 18, None),
    ("18人左右", 18, "人数为约数：18人左右"),
    ("18-20人", None, "人数无法识别：18-20人"),
    ("近20人", None, "人数无法识别：近20人"),
    ("全体（18人）", None, "人数无法识别：全体（18人）"),
]


@pytest.mark.parametrize(("typed", "count", "warning"), HEADCOUNTS, ids=[h[0] for h in HEADCOUNTS])
def test_headcount_with_notes_is_exact_or_none_and_never_silent(typed: str, count: int | None, warning: str) -> None:
    form = only_form(docx_from_body(form_table(dict(FILLED, 人数=typed))))
    assert form.headcount == count
    assert form.headcount_text == typed
    if warning is None:
        assert not any("人数" in w for w in form.warnings)
    else:
        assert warning in form.warnings


def test_headcount_label_typed_again_inside_the_value_is_dropped() -> None:
    assert parse_headcount("参加人数：18人") == (18, None)
    assert parse_headcount("人数:18") == (18, None)


PHONES = [
    ("138 1234 5678", "13812345678", None),
    ("0512—65221234", "051265221234", None),
    ("（0512）65221234", "051265221234", None),
    ("手机：13812345678 / 座机：65221234", "13812345678", "联系方式有多个号码，已取第一个"),
    ("0512-65221234转8001", "051265221234", "联系方式含分机号8001，未计入"),
    ("65221234-8001", "65221234", "联系方式含分机号8001，未计入"),
    ("1381234567", "", "联系方式无法识别"),
]


@pytest.mark.parametrize(("typed", "digits", "warning"), PHONES, ids=[p[0] for p in PHONES])
def test_phone_as_typed_gives_digits_or_a_warning(typed: str, digits: str, warning: str | None) -> None:
    form = only_form(docx_from_body(form_table(dict(FILLED, 联系方式=typed))))
    assert form.contact_phone == digits
    if warning is None:
        assert not any("联系方式" in w for w in form.warnings)
    else:
        assert any(w.startswith(warning) for w in form.warnings)


def form_with_date_row(date_text: str, summary: str = "支部组织老党员开展主题党日活动。") -> bytes:
    table = form_table(dict(FILLED, 简介=summary))
    end = table.rindex("</w:tbl>")
    return docx_from_body(table[:end] + tr(tc("活动时间"), tc(date_text, span=3)) + table[end:])


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2020年5月8日", date(2020, 5, 8)),
        ("2020-05-08", date(2020, 5, 8)),
        ("2020.5.8", date(2020, 5, 8)),
        ("5.8", date(2026, 5, 8)),
        ("5月8日上午", date(2026, 5, 8)),
        ("五月八日", date(2026, 5, 8)),
    ],
)
def test_activity_time_field_in_every_usual_spelling_gives_the_date(typed: str, expected: date) -> None:
    form = only_form(form_with_date_row(typed))
    assert form.activity_date == expected
    assert not any("日期" in w or "活动时间" in w for w in form.warnings)


def test_unreadable_activity_time_with_a_date_in_the_summary_uses_it_and_warns() -> None:
    form = only_form(form_with_date_row("上周五", summary=SUMMARY))
    assert form.activity_date == date(2026, 4, 28)
    assert "活动时间无法识别：上周五" in form.warnings


def test_date_written_only_in_the_agenda_is_found() -> None:
    values = dict(FILLED, 简介="支部组织老党员开展主题党日活动。", 议程=["5月20日上午9点集合", "参观革命博物馆"])
    form = only_form(docx_from_body(form_table(values)))
    assert form.activity_date == date(2026, 5, 20)


def test_summary_naming_two_dates_takes_the_first_and_warns() -> None:
    form = only_form(docx_from_body(form_table(dict(FILLED, 简介="5月8日上午学习，5月9日参观纪念馆。"))))
    assert form.activity_date == date(2026, 5, 8)
    assert "活动日期有多个，已取第一个：5月8日（另有5月9日）" in form.warnings


def test_summary_repeating_one_date_with_and_without_its_year_does_not_warn() -> None:
    form = only_form(docx_from_body(form_table(dict(FILLED, 简介="2026年5月8日上午，即5月8日，支部集中学习。"))))
    assert form.activity_date == date(2026, 5, 8)
    assert not any("日期" in w for w in form.warnings)


# Excel: WPS and district roll-ups -----------------------------------------------------------------------------

_WB_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_R_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_REL_NS = 'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def wps_xlsx() -> bytes:
    """A workbook written the way WPS 表格 writes one: a Chinese sheet name, shared strings and inline strings
    mixed, a shared formula, a <dimension> that says A1, rows without r, and styled empty cells."""
    strings = ["党组织名称", ORG, "人数", "议程", "1. 重温入党誓词", "简介", SUMMARY, "联系人", "王芳", "联系方式"]
    sst = "".join(f"<si><t>{s}</t></si>" for s in strings)
    def s(ref: str, index: int) -> str:
        return f'<c r="{ref}" s="1" t="s"><v>{index}</v></c>'
    sheet = (
        f'<worksheet {_WB_NS} {_R_NS}><dimension ref="A1"/><sheetData>'
        f'<row r="1">{s("A1", 0)}{s("B1", 1)}{s("C1", 2)}<c r="D1" s="1"><f>B7+0</f><v>25</v></c></row>'
        f'<row>{s("A2", 3)}{s("B2", 4)}<c r="C2" s="1"/><c r="D2" s="1"/></row>'
        '<row r="3"><c r="B3" t="inlineStr"><is><r><t>2. 观看</t></r><r><rPr><b/></rPr><t>红色电影</t></r></is></c>'
        "</row>"
        f'<row r="4">{s("A4", 5)}{s("B4", 6)}</row>'
        f'<row r="5">{s("A5", 7)}{s("B5", 8)}{s("C5", 9)}<c r="D5" t="str"><v>0512-65221234</v></c></row>'
        '<row r="7"><c r="A7" s="1"/><c r="B7" s="1"><f t="shared" ref="B7:B8" si="0">D1*1</f><v>25</v></c></row>'
        '<row r="8"><c r="B8" s="1"><f t="shared" si="0"/><v>25</v></c></row>'
        '</sheetData><mergeCells count="2"><mergeCell ref="A2:A3"/><mergeCell ref="B4:D4"/></mergeCells>'
        "</worksheet>"
    )
    styles = (
        f'<styleSheet {_WB_NS}><fonts count="1"><font/></fonts>'
        '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="0" borderId="0"/></cellXfs></styleSheet>'
    )
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships {_REL_NS}><Relationship Id="rId1" Type="{_DOC_REL}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook {_WB_NS} {_R_NS}><workbookPr/><sheets>'
            '<sheet name="情况表" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships {_REL_NS}>'
            f'<Relationship Id="rId1" Type="{_DOC_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_DOC_REL}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId3" Type="{_DOC_REL}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/sharedStrings.xml": f'<sst {_WB_NS} count="{len(strings)}" uniqueCount="{len(strings)}">{sst}</sst>',
        "xl/styles.xml": styles,
        "xl/worksheets/sheet1.xml": sheet,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, xml in parts.items():
            zf.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + xml)
    return out.getvalue()


def test_wps_workbook_with_shared_strings_inline_runs_shared_formulas_and_a_wrong_dimension_is_read() -> None:
    data = wps_xlsx()
    native, reference = both(data)
    assert texts(native) == texts(reference)
    form = only_form(data, "情况表.xlsx")
    assert form.org_name == ORG
    assert form.headcount == 25
    assert form.agenda == ("1. 重温入党誓词", "2. 观看红色电影")
    assert form.summary == SUMMARY
    assert form.contact_person == "王芳"
    assert form.contact_phone == "051265221234"


def test_district_roll_up_with_thirty_rows_gives_thirty_forms_in_order() -> None:
    workbook = openpyxl.Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = "汇总"
    ws.append(["姑苏区离退休干部党组织“助力火红年代”主题党日活动汇总表"])
    ws.merge_cells("A1:G1")
    ws.append(["序号", "党组织名称", "参加人数", "活动议程", "活动简介", "联系人", "联系电话"])
    for n in range(1, 31):
        ws.append([n, f"姑苏区第{n}党支部", 10 + n, f"1.学习\n2.参观第{n}站", f"5月{n}日上午开展活动",
                   f"联系人{n}", f"0512-6600{n:04d}"])
    ws.append(["", "合计", sum(10 + n for n in range(1, 31)), "", "", "", ""])
    result = parse(xlsx_bytes(workbook), "汇总.xlsx", REF)
    assert result.failure is None
    assert [f.org_name for f in result.forms] == [f"姑苏区第{n}党支部" for n in range(1, 31)]
    assert [f.headcount for f in result.forms] == [10 + n for n in range(1, 31)]
    assert [f.contact_phone for f in result.forms] == [f"05126600{n:04d}" for n in range(1, 31)]
    assert [f.activity_date for f in result.forms] == [date(2026, 5, n) for n in range(1, 31)]
    assert result.forms[29].agenda == ("1.学习", "2.参观第30站")


def test_two_numbers_beside_the_headcount_label_are_never_run_together() -> None:
    workbook = openpyxl.Workbook()
    ws = workbook.active
    assert ws is not None
    ws.append(["党组织名称", ORG, "人数", 25, 25])
    ws.append(["议程", "1. 重温入党誓词"])
    ws.append(["简介", SUMMARY])
    ws.append(["联系人", "王芳", "联系方式", "0512-65221234"])
    form = only_form(xlsx_bytes(workbook), "情况表.xlsx")
    assert form.headcount is None
    assert "人数无法识别：25 25" in form.warnings


def _control(content: str, placeholder: bool) -> str:
    shown = "<w:showingPlcHdr/>" if placeholder else ""
    return f'<w:sdt><w:sdtPr><w:alias w:val="填写"/>{shown}</w:sdtPr><w:sdtContent>{content}</w:sdtContent></w:sdt>'


PROMPT = "单击或点击此处输入文字。"


def test_content_controls_still_showing_their_prompt_are_empty_never_values() -> None:
    inline = f"<w:p>{_control(f'<w:r><w:t>{PROMPT}</w:t></w:r>', True)}</w:p>"
    block = _control(p(PROMPT), True)
    rows = [
        tr(tc("党组织名称"), tc(inline), tc("人数"), tc(block)),
        tr(tc("议程"), tc(block, span=3)),
        tr(tc("简介"), tc(inline, span=3)),
        tr(tc("联系人"), _control(tc(PROMPT), True), tc("联系方式"), tc(inline)),
    ]
    result = parse(docx_from_body(tbl(*rows)), "情况表.docx", REF)
    assert result.failure is not None and result.failure.kind is FailureKind.EMPTY_FORM


def test_content_controls_filled_in_are_read_and_a_prompt_left_in_one_field_is_empty() -> None:
    filled = f"<w:p>{_control('<w:r><w:t>王芳</w:t></w:r>', False)}</w:p>"
    prompt = f"<w:p>{_control(f'<w:r><w:t>{PROMPT}</w:t></w:r>', True)}</w:p>"
    table = form_table(dict(FILLED, 联系人="CONTACT", 联系方式="PHONE"))
    table = table.replace(p("CONTACT"), filled).replace(p("PHONE"), prompt)
    form = only_form(docx_from_body(table))
    assert form.contact_person == "王芳"
    assert form.contact_phone == ""
    assert "联系方式未填写" in form.warnings


def test_roll_up_with_a_two_level_header_reads_the_contact_under_its_merged_heading() -> None:
    workbook = openpyxl.Workbook()
    ws = workbook.active
    assert ws is not None
    ws.append(["姑苏区主题党日活动汇总表"])
    ws.merge_cells("A1:G1")
    ws.append(["序号", "党组织名称", "参加人数", "活动议程", "活动简介", "联系人", None])
    ws.merge_cells("F2:G2")
    for column in "ABCDE":
        ws.merge_cells(f"{column}2:{column}3")
    ws["F3"], ws["G3"] = "姓名", "电话"
    ws.append([1, "第一党支部", 20, "学习", "5月8日学习", "张三", "13800001111"])
    ws.append([2, "第二党支部", 21, "参观", "5月9日参观", "李四", "13800002222"])
    result = parse(xlsx_bytes(workbook), "汇总.xlsx", REF)
    assert [f.org_name for f in result.forms] == ["第一党支部", "第二党支部"]
    assert [f.contact_person for f in result.forms] == ["张三", "李四"]
    assert [f.contact_phone for f in result.forms] == ["13800001111", "13800002222"]
    assert all(f.warnings == () for f in result.forms)


def test_landline_typed_as_a_number_that_lost_its_leading_zero_is_flagged_not_guessed() -> None:
    workbook = openpyxl.Workbook()
    ws = workbook.active
    assert ws is not None
    ws.append(["党组织名称", ORG, "人数", 25])
    ws.append(["议程", "1. 重温入党誓词"])
    ws.append(["简介", SUMMARY])
    ws.append(["联系人", "王芳", "联系方式", 51265221234])
    form = only_form(xlsx_bytes(workbook), "情况表.xlsx")
    assert form.contact_phone == ""
    assert "联系方式无法识别：51265221234" in form.warnings


def test_extra_fields_a_branch_adds_end_the_value_before_them_and_are_not_read() -> None:
    rows = [
        tr(tc("“助力火红年代”主题党日活动情况表", span=4)),
        tr(tc("党组织名称"), tc(ORG), tc("人数"), tc("25人")),
        tr(tc("议程"), tc(p("1. 重温入党誓词") + p("2. 观看红色电影"), span=3)),
        tr(tc("简介"), tc(SUMMARY, span=3)),
        tr(tc("活动地点"), tc("苏州革命博物馆", span=3)),
        tr(tc("联系人"), tc("王芳"), tc("支部书记"), tc("李四")),
        tr(tc("联系方式"), tc("0512-65221234"), tc("填报日期："), tc("2026年5月2日")),
    ]
    form = only_form(docx_from_body(tbl(*rows)))
    assert_filled(form)
    assert form.warnings == ()


def test_extra_fields_typed_on_the_same_line_as_ours_are_cut_off() -> None:
    document = docx.Document()
    for line in [
        f"党组织名称：{ORG}",
        "人数：25人",
        "议程：",
        "1. 重温入党誓词",
        "2. 观看红色电影",
        f"简介：{SUMMARY}",
        "联系人：王芳  支部书记：李四",
        "联系方式：0512-65221234",
        "审核人：张三",
    ]:
        document.add_paragraph(line)
    assert_filled(only_form(docx_bytes(document)))
