"""Word .docx forms: every layout drift the branches produce is read exactly, or flagged."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import docx

from parsers import FailureKind, parse
from tests.parsers.builders import (
    FILLED,
    docx_bytes,
    docx_from_body,
    form_docx_high_level,
    form_table,
    p,
    tbl,
    tc,
    tr,
)

REF = date(2026, 6, 1)


def only_form(data: bytes, name: str = "情况表.docx"):  # type: ignore[no-untyped-def]
    result = parse(data, name, REF)
    assert result.failure is None, result.failure
    assert len(result.forms) == 1, result.forms
    return result.forms[0]


def assert_filled_values(form) -> None:  # type: ignore[no-untyped-def]
    assert form.org_name == "苏州市姑苏区离退休干部第一党支部"
    assert form.headcount == 25
    assert form.headcount_text == "25人"
    assert form.agenda == ("1. 重温入党誓词", "2. 观看红色电影")
    assert form.summary == "4月28日上午，支部组织老党员开展主题党日活动。"
    assert form.contact_person == "王芳"
    assert form.contact_phone == "051265221234"
    assert form.activity_date == date(2026, 4, 28)


def test_seed_example_form_reads_every_field_and_ignores_the_footnote(seed_dir: Path) -> None:
    result = parse((seed_dir / "form-example.docx").read_bytes(), "form-example.docx", date(2020, 6, 1))
    assert result.detected_format == "docx"
    assert len(result.forms) == 1
    form = result.forms[0]
    assert form.org_name == "苏州市司法局离退休干部党支部"
    assert form.headcount == 18
    assert form.headcount_text == "18"
    assert form.agenda == ("1. 集体学习习近平总书记关于老干部工作的重要论述", "2. 参观苏州革命博物馆")
    assert form.summary == "5月8日上午，支部18名老党员集中学习并参观苏州革命博物馆。"
    assert form.contact_person == "赵明"
    assert form.contact_phone == "13812345678"
    assert form.activity_date == date(2020, 5, 8)
    assert form.warnings == ()


def test_seed_blank_template_is_empty_form(seed_dir: Path) -> None:
    result = parse((seed_dir / "form-blank.docx").read_bytes(), "form-blank.docx", REF)
    assert result.failure is not None
    assert result.failure.kind is FailureKind.EMPTY_FORM
    assert result.forms == ()


def test_form_built_with_python_docx_merges_reads_exactly_once() -> None:
    assert_filled_values(only_form(form_docx_high_level()))


def test_vertical_merge_label_collects_one_agenda_item_per_row_and_horizontal_merge_is_read_once() -> None:
    form = only_form(docx_from_body(form_table()))
    assert_filled_values(form)


def test_form_nested_in_a_layout_table_is_found() -> None:
    outer = tbl(tr(tc(p("附件") + form_table() + p(""))), cols=1)
    assert_filled_values(only_form(docx_from_body(p("标题") + outer)))


def test_inline_content_controls_in_cells_are_read() -> None:
    sdt_value = (
        '<w:p><w:sdt><w:sdtPr><w:alias w:val="名称"/></w:sdtPr><w:sdtContent>'
        "<w:r><w:t>苏州市姑苏区离退休干部第一党支部</w:t></w:r></w:sdtContent></w:sdt></w:p>"
    )
    body = form_table().replace(p(FILLED["党组织名称"]), sdt_value)  # type: ignore[arg-type]
    assert "w:sdt>" in body
    assert_filled_values(only_form(docx_from_body(body)))


def test_block_and_cell_content_controls_are_read() -> None:
    table = form_table()
    cell = tc("王芳")
    table = table.replace(cell, f"<w:sdt><w:sdtPr/><w:sdtContent>{cell}</w:sdtContent></w:sdt>", 1)
    body = f"<w:sdt><w:sdtPr/><w:sdtContent>{p('情况表')}{table}</w:sdtContent></w:sdt>"
    assert_filled_values(only_form(docx_from_body(body)))


def test_tracked_changes_keep_inserted_text_and_drop_deleted_text() -> None:
    revised = (
        "<w:p><w:del w:id=\"1\" w:author=\"a\"><w:r><w:delText>30人</w:delText></w:r></w:del>"
        "<w:ins w:id=\"2\" w:author=\"a\"><w:r><w:t>25人</w:t></w:r></w:ins></w:p>"
    )
    body = form_table().replace(p("25人"), revised)
    assert "delText" in body
    assert_filled_values(only_form(docx_from_body(body)))


def test_form_typed_in_a_text_box_is_read_once_not_twice() -> None:
    lines = [
        "党组织名称：苏州市姑苏区离退休干部第一党支部",
        "人数：25人",
        "议程：",
        "1. 重温入党誓词",
        "2. 观看红色电影",
        "简介：4月28日上午，支部组织老党员开展主题党日活动。",
        "联系人：王芳",
        "联系方式：0512-65221234",
    ]
    box = "".join(p(line) for line in lines)
    body = (
        "<w:p><w:r><mc:AlternateContent><mc:Choice Requires=\"wps\"><w:drawing><wp:anchor><a:graphic>"
        "<a:graphicData><wps:wsp><wps:txbx>"
        f"<w:txbxContent>{box}</w:txbxContent></wps:txbx></wps:wsp></a:graphicData></a:graphic></wp:anchor>"
        "</w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox>"
        f"<w:txbxContent>{box}</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r></w:p>"
    )
    assert_filled_values(only_form(docx_from_body(p("情况表") + body)))


def test_rows_with_grid_before_and_grid_after_keep_labels_beside_their_values() -> None:
    rows = [
        tr(tc("党组织名称"), tc(FILLED["党组织名称"]), tc("人数"), tc("25人"), after=1),  # type: ignore[arg-type]
        tr(tc("议程", vmerge="restart"), tc("1. 重温入党誓词", span=3), before=1),
        tr(tc("", vmerge="continue"), tc("2. 观看红色电影", span=3), before=1),
        tr(tc("简介"), tc(FILLED["简介"], span=3), after=1),  # type: ignore[arg-type]
        tr(tc("联系人"), tc("王芳"), tc("联系方式"), tc("0512-65221234"), before=1),
    ]
    assert_filled_values(only_form(docx_from_body(tbl(*rows, cols=5))))


def test_value_typed_into_the_label_cell_is_read() -> None:
    rows = [
        tr(tc("党组织名称：苏州市姑苏区离退休干部第一党支部", span=2), tc("人数：25人", span=2)),
        tr(tc("议  程", vmerge="restart"), tc("1. 重温入党誓词", span=3)),
        tr(tc("", vmerge="continue"), tc("2. 观看红色电影", span=3)),
        tr(tc("简介：4月28日上午，支部组织老党员开展主题党日活动。", span=4)),
        tr(tc("联系人：王芳", span=2), tc("联系方式：0512-65221234", span=2)),
    ]
    assert_filled_values(only_form(docx_from_body(tbl(*rows))))


def test_form_without_a_table_is_read_from_labelled_lines() -> None:
    document = docx.Document()
    for line in [
        "“助力火红年代”主题党日活动情况表",
        "党组织名称：苏州市姑苏区离退休干部第一党支部",
        "人 数：25人",
        "活动议程：",
        "1. 重温入党誓词",
        "2. 观看红色电影",
        "活动简介：4月28日上午，支部组织老党员开展主题党日活动。",
        "联系人：王芳    联系电话：0512-65221234",
        "注：请于一周内报送。联系人：施友成，联系电话：65158951",
    ]:
        document.add_paragraph(line)
    assert_filled_values(only_form(docx_bytes(document)))


def test_fields_in_another_order_in_a_two_column_layout_are_read() -> None:
    pairs = [
        ("联系方式", "0512-65221234"),
        ("简介", FILLED["简介"]),
        ("联系人", "王芳"),
        ("党组织名称", FILLED["党组织名称"]),
        ("人数", "25人"),
    ]
    rows = [tr(tc(label), tc(str(value))) for label, value in pairs]
    rows.insert(2, tr(tc("议程", vmerge="restart"), tc("1. 重温入党誓词")))
    rows.insert(3, tr(tc("", vmerge="continue"), tc("2. 观看红色电影")))
    assert_filled_values(only_form(docx_from_body(tbl(*rows, cols=2))))


def test_labels_over_values_layout_reads_the_cell_below_each_label() -> None:
    header = tr(tc("党组织名称"), tc("人数"), tc("活动内容"), tc("活动简介"), tc("联系人"), tc("联系电话"))
    values = tr(
        tc(FILLED["党组织名称"]),  # type: ignore[arg-type]
        tc("25人"),
        tc(p("1. 重温入党誓词") + p("2. 观看红色电影")),
        tc(FILLED["简介"]),  # type: ignore[arg-type]
        tc("王芳"),
        tc("0512-65221234"),
    )
    assert_filled_values(only_form(docx_from_body(tbl(header, values, cols=6))))


def test_label_synonyms_with_full_width_spaces_and_colons_are_matched() -> None:
    labels = {
        "党组织名称": "支部名称：",
        "人数": "参加人数",
        "议程": "活动内容",
        "简介": "活动情况",
        "联系人": "联 系 人",
        "联系方式": "联系电话：",
    }
    assert_filled_values(only_form(docx_from_body(form_table(labels=labels))))
    more = {"党组织名称": "单位名称", "人数": "出席人数", "议程": "活动议程", "联系方式": "手机"}
    assert_filled_values(only_form(docx_from_body(form_table(labels=more))))
    spaced = {"党组织名称": "党支部名称", "人数": "参会人数", "简介": "活动简介", "联系方式": "电　话："}
    assert_filled_values(only_form(docx_from_body(form_table(labels=spaced))))


def test_several_forms_in_one_file_give_one_form_each() -> None:
    second = dict(FILLED, 党组织名称="苏州市姑苏区离退休干部第二党支部", 人数="十八人", 联系人="陈军")
    body = p("表一") + form_table() + p("表二") + form_table(second)
    result = parse(docx_from_body(body), "两个支部.docx", REF)
    names = ["苏州市姑苏区离退休干部第一党支部", "苏州市姑苏区离退休干部第二党支部"]
    assert [f.org_name for f in result.forms] == names
    assert [f.headcount for f in result.forms] == [25, 18]
    assert [f.contact_person for f in result.forms] == ["王芳", "陈军"]


def test_unclear_headcount_gives_none_and_a_warning_and_keeps_the_form() -> None:
    form = only_form(docx_from_body(form_table(dict(FILLED, 人数="全体党员"))))
    assert form.headcount is None
    assert form.headcount_text == "全体党员"
    assert any("人数" in w for w in form.warnings)


def test_branch_name_with_a_number_word_never_feeds_the_headcount() -> None:
    form = only_form(docx_from_body(form_table(dict(FILLED, 党组织名称="第一党支部", 人数=""))))
    assert form.org_name == "第一党支部"
    assert form.headcount is None
    assert "人数未填写" in form.warnings


def test_document_without_form_labels_is_not_a_form() -> None:
    document = docx.Document()
    document.add_paragraph("各位老同志：通知如下，请准时参加活动。联系电话：65158951")
    result = parse(docx_bytes(document), "通知.docx", REF)
    assert result.failure is not None and result.failure.kind is FailureKind.NOT_A_FORM


def test_phone_in_the_contact_cell_with_no_phone_value_is_split_off_with_a_warning() -> None:
    form = only_form(docx_from_body(form_table(dict(FILLED, 联系人="王芳 0512-65221234", 联系方式=""))))
    assert form.contact_person == "王芳"
    assert form.contact_phone == "051265221234"
    assert "联系方式填在联系人栏中，已分开读取" in form.warnings


def test_labels_with_bracketed_notes_are_matched_in_a_table() -> None:
    labels = {"党组织名称": "党组织名称（全称）", "人数": "人数（人）", "联系方式": "联系方式（手机）"}
    assert_filled_values(only_form(docx_from_body(form_table(labels=labels))))


def test_contact_lines_outside_the_table_never_leak_into_the_tables_form() -> None:
    intro = p("请各支部填写下表。联系人：施友成") + p("联系人：施友成，联系电话：65158951")
    outro = p("联系人：刘杰  联系电话：65150000")
    values = dict(FILLED, 联系人="", 联系方式="")
    form = only_form(docx_from_body(intro + form_table(values) + outro))
    assert form.contact_person == ""
    assert form.contact_phone == ""
    assert "联系人未填写" in form.warnings
    assert form.org_name == "苏州市姑苏区离退休干部第一党支部"


def test_a_form_split_over_two_tables_by_a_page_break_is_one_form() -> None:
    first = tbl(
        tr(tc("党组织名称"), tc(FILLED["党组织名称"]), tc("人数"), tc("25人")),  # type: ignore[arg-type]
        tr(tc("议程", vmerge="restart"), tc("1. 重温入党誓词", span=3)),
        tr(tc("", vmerge="continue"), tc("2. 观看红色电影", span=3)),
    )
    second = tbl(
        tr(tc("简介"), tc(FILLED["简介"], span=3)),  # type: ignore[arg-type]
        tr(tc("联系人"), tc("王芳"), tc("联系方式"), tc("0512-65221234")),
    )
    assert_filled_values(only_form(docx_from_body(first + '<w:p><w:r><w:br w:type="page"/></w:r></w:p>' + second)))


def test_value_split_over_two_cells_before_the_next_label_is_read_whole() -> None:
    rows = [
        tr(tc("党组织名称"), tc("苏州市姑苏区离退休干部"), tc("第一党支部"), tc("人数"), tc("25人")),
        tr(tc("议程", vmerge="restart"), tc("", span=1), tc("1. 重温入党誓词", span=3)),
        tr(tc("", vmerge="continue"), tc("2. 观看红色电影", span=4)),
        tr(tc("简介"), tc(FILLED["简介"], span=4)),  # type: ignore[arg-type]
        tr(tc("联系人"), tc("王芳", span=2), tc("联系方式"), tc("0512-65221234")),
    ]
    assert_filled_values(only_form(docx_from_body(tbl(*rows, cols=5))))


def test_a_labelled_cell_beside_an_empty_label_is_never_taken_as_its_value() -> None:
    rows = [
        tr(tc("党组织名称"), tc("人数：25人")),
        tr(tc("议程"), tc("1. 重温入党誓词")),
        tr(tc("简介"), tc(FILLED["简介"])),  # type: ignore[arg-type]
        tr(tc("联系人：王芳"), tc("联系方式：0512-65221234")),
    ]
    form = only_form(docx_from_body(tbl(*rows, cols=2)))
    assert form.org_name == ""
    assert "党组织名称未填写" in form.warnings
    assert form.headcount == 25
    assert form.contact_person == "王芳"
