"""Telling labels from values: synonyms, one-character typos, near misses, labels of fields not ours, and values
that must never be taken for labels."""

from __future__ import annotations

import pytest

from parsers.labels import (
    Field,
    classify,
    inline_labels,
    inline_pairs,
    is_other_label,
    label_inside,
    label_of,
    line_label,
    near_label,
)


@pytest.mark.parametrize(
    ("text", "field"),
    [("人员数", Field.HEADCOUNT), ("参加人员数", Field.HEADCOUNT), ("人数（人）", Field.HEADCOUNT),
     ("出席人员数：", Field.HEADCOUNT), ("手机号码", Field.PHONE), ("联系电话号码", Field.PHONE),
     ("组织名称", Field.ORG), ("联系人姓名", Field.CONTACT), ("联系人及电话", Field.CONTACT_AND_PHONE),
     ("联系人（电话）", Field.CONTACT_AND_PHONE), ("联系人/联系方式", Field.CONTACT_AND_PHONE),
     ("联系人、电话：", Field.CONTACT_AND_PHONE)],
)
def test_variants_of_our_labels_are_labels(text: str, field: Field) -> None:
    assert label_of(text) == field


@pytest.mark.parametrize(
    ("text", "field"),
    [("联系电活", Field.PHONE), ("党组织名秤", Field.ORG), ("参加人敉", Field.HEADCOUNT), ("活动简价", Field.SUMMARY),
     ("活动议呈", Field.AGENDA), ("党组织名", Field.ORG), ("联系方", Field.PHONE),
     ("联系人及电活", Field.CONTACT_AND_PHONE)],
)
def test_one_wrong_missing_or_extra_character_in_a_label_of_four_or_more_is_still_that_label(
    text: str, field: Field
) -> None:
    assert label_of(text) == field


@pytest.mark.parametrize(
    ("text", "field"),
    [("活动开展情况", Field.SUMMARY), ("联糸人", Field.CONTACT), ("支部人数", Field.HEADCOUNT),
     ("参加人员", Field.HEADCOUNT), ("活动主要内容", Field.AGENDA)],
)
def test_near_misses_of_our_labels_are_labels_only_read_as_a_fallback(text: str, field: Field) -> None:
    assert label_of(text) is None
    assert near_label(text) == field


@pytest.mark.parametrize(
    "text", ["经办人", "带班领导：", "审批意见", "党员人数", "应到人数", "活动时间及地点", "填报人员"]
)
def test_labels_of_fields_not_ours_are_labels_of_no_field(text: str) -> None:
    match = classify(text)
    assert match is not None and match.field is None
    assert is_other_label(text)


VALUES = [
    "王芳", "欧阳明", "李建国", "第一党支部", "机关支部", "姑苏区第一党支部", "苏州市司法局离退休干部党支部",
    "二十八人", "五月八日", "重温入党誓词", "观看红色电影", "集体学习", "参观纪念馆", "学习讲话精神", "全体党员",
    "老干部活动室", "苏州革命博物馆", "上午九点", "主题党日", "助力火红年代", "支部书记讲党课", "开展志愿服务",
    "王芳书记", "离退休干部", "组织生活会", "学习党章党规", "参观红色教育基地", "交流心得体会", "全体老党员",
    "联系群众", "电话联系", "人数较多", "会议室", "人民路", "25人", "13812345678", "0512-65221234", "2026年5月8日",
    "电活", "人", "数", "集中学习讨论", "参观革命纪念馆", "开展志愿服务活动", "老干部活动中心", "观看专题片",
    "重温入党誓言", "学习党史", "唱红歌", "专题党课", "交流发言", "支部书记上党课", "上午九时", "工作情况", "多种形式",
    "直属机关", "学习时间", "李主任", "王老师", "张大伟",
]


@pytest.mark.parametrize("text", VALUES)
def test_values_are_never_taken_for_labels(text: str) -> None:
    assert classify(text) is None
    assert not is_other_label(text)


def test_a_label_not_ours_typed_after_a_value_on_one_line_ends_it() -> None:
    assert inline_pairs("联系人：王芳 经办人：李四") == ((Field.CONTACT, "王芳"),)
    assert inline_pairs("联系人：王芳  带班领导：李四") == ((Field.CONTACT, "王芳"),)
    assert inline_pairs("人数：25人，党员人数：30人") == ((Field.HEADCOUNT, "25人"),)


def test_a_typo_label_on_one_line_is_read_and_ends_the_value_before_it() -> None:
    assert inline_pairs("联系人：王芳 联系电活：13812345678") == (
        (Field.CONTACT, "王芳"),
        (Field.PHONE, "13812345678"),
    )


def test_a_near_miss_on_one_line_comes_as_a_fallback() -> None:
    (found,) = inline_labels("活动开展情况：4月28日集中学习")
    assert (found.field, found.exact, found.label) == (Field.SUMMARY, False, "活动开展情况")
    assert found.value == "4月28日集中学习"


def test_the_same_field_named_twice_on_a_line_keeps_both_values() -> None:
    assert inline_pairs("手机：13812345678 / 座机：65221234") == ((Field.PHONE, "13812345678 / 座机：65221234"),)


def test_words_with_a_colon_inside_an_agenda_or_summary_do_not_cut_it() -> None:
    text = "简介：4月28日，支部开展活动，主要内容：学习讲话精神，时间：上午"
    assert inline_pairs(text) == ((Field.SUMMARY, "4月28日，支部开展活动，主要内容：学习讲话精神，时间：上午"),)


@pytest.mark.parametrize(
    ("field", "value", "kept"),
    [(Field.ORG, "苏州市姑苏区第一党支部人员数25人", "苏州市姑苏区第一党支部"),
     (Field.ORG, "苏州市姑苏区第一党支部 人数：25人", "苏州市姑苏区第一党支部"),
     (Field.CONTACT, "王芳 经办人：李四", "王芳"),
     (Field.CONTACT, "王芳联系电话", "王芳")],
)
def test_a_label_of_another_field_inside_a_one_line_value_is_found(field: Field, value: str, kept: str) -> None:
    found = label_inside(field, value)
    assert found is not None and found[0] == kept


@pytest.mark.parametrize("value", ["苏州市姑苏区第一党支部", "苏州市人民路党支部", "王芳", "王芳（支部书记）"])
def test_plain_names_hold_no_label(value: str) -> None:
    assert label_inside(Field.ORG, value) is None
    assert label_inside(Field.CONTACT, value) is None


def test_a_summary_line_that_starts_with_our_label_is_found() -> None:
    assert line_label("4月28日集中学习。\n联系人：王芳") == "联系人："
    assert line_label("4月28日集中学习，时间：上午") is None
