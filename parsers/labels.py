"""Telling labels from values: our fields' labels and synonyms, labels of fields not ours, one-character typos,
near misses (normalised edit distance) and labels known by their shape, alone in a cell or inside a line."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein


class Field(StrEnum):
    ORG = "org_name"
    HEADCOUNT = "headcount"
    AGENDA = "agenda"
    SUMMARY = "summary"
    CONTACT = "contact_person"
    PHONE = "contact_phone"
    DATE = "date"
    """An optional 活动时间 field some branches add; when present it is where the activity date is read first."""
    CONTACT_AND_PHONE = "contact_and_phone"
    """One cell for both (联系人及电话): split into contact_person and contact_phone."""
    HEADING = "heading"
    """Not a field: an organisation named in a title or a heading line, used when 党组织名称 is left empty."""


FORM_FIELDS = (Field.ORG, Field.HEADCOUNT, Field.AGENDA, Field.SUMMARY, Field.CONTACT, Field.PHONE)
MULTI_LINE = frozenset({Field.AGENDA, Field.SUMMARY})

FIELD_NAMES = {
    Field.ORG: "党组织名称",
    Field.HEADCOUNT: "人数",
    Field.AGENDA: "议程",
    Field.SUMMARY: "简介",
    Field.CONTACT: "联系人",
    Field.PHONE: "联系方式",
    Field.DATE: "活动时间",
    Field.CONTACT_AND_PHONE: "联系人及联系方式",
}
"""How warnings name each field (the labels of the bureau's template)."""

SYNONYMS: dict[Field, tuple[str, ...]] = {
    Field.ORG: ("党组织名称", "党支部名称", "支部名称", "单位名称", "党组织", "党支部", "组织名称", "基层党组织名称",
                "党组织全称"),
    Field.HEADCOUNT: ("人数", "参加人数", "参会人数", "出席人数", "人员数", "参加人员数", "参会人员数", "出席人员数",
                      "参与人数", "参与人员数", "到会人数", "实到人数", "活动人数", "参加活动人数"),
    Field.AGENDA: ("议程", "活动议程", "活动内容", "会议议程", "议程安排", "主要议程", "活动流程", "会议内容",
                   "活动议题", "议程及内容"),
    Field.SUMMARY: ("简介", "活动简介", "活动情况", "活动概况", "情况简介", "活动简况", "内容简介", "活动情况简介"),
    Field.CONTACT: ("联系人", "联系人姓名", "联络人", "联系人员"),
    Field.PHONE: ("联系方式", "联系电话", "电话", "手机", "手机号码", "电话号码", "联系手机", "手机号", "联系号码",
                  "联系人电话", "联系人手机", "联系人联系方式", "联系电话号码", "手机/电话", "电话/手机", "座机",
                  "固定电话", "办公电话"),
    Field.DATE: ("活动时间", "活动日期", "开展时间", "开展日期"),
    Field.CONTACT_AND_PHONE: tuple(
        f"{person}{joint}{phone}"
        for person in ("联系人", "联系人姓名")
        for joint in ("及", "和", "/", "、")
        for phone in ("电话", "联系电话", "联系方式", "手机", "电话号码")
    ) + tuple(f"联系人({phone})" for phone in ("电话", "联系电话", "联系方式", "手机")),
}
"""Labels as compared: NFKC (so （） are ()), no white space, no trailing colon."""

LABELS: dict[str, Field] = {label: fld for fld, labels in SYNONYMS.items() for label in labels}

OTHER_INLINE_LABELS = (
    "支部书记", "党支部书记", "负责人", "填报人", "填表人", "报送人", "审核人", "填报日期", "填表日期", "报送日期",
    "填报时间", "报送时间", "活动地点", "主持人", "记录人", "电子邮箱", "报送单位", "填报单位", "经办人", "责任人",
    "填写人", "制表人", "审批人", "党员人数", "应到人数",
)
"""Labels of fields not ours, specific enough to end a value even inside a line: 「联系人：王芳 支部书记：李四」."""
OTHER_LABELS = frozenset(
    (*OTHER_INLINE_LABELS, "书记", "审核", "审批", "签字", "签名", "盖章", "单位盖章", "日期", "时间", "地点",
     "主题", "活动主题", "职务", "备注", "序号", "邮箱", "带队人", "主讲人", "宣讲人", "召集人", "签发人", "统计人",
     "领队", "地址", "联系地址", "活动地址", "所属单位", "上级党组织", "上级党委", "党员数", "支部党员数", "缺席人数",
     "请假人数", "缺席人员", "活动形式", "活动类型", "活动方式", "活动名称",
     "会议主题", "活动照片", "照片", "附件", "性别", "年龄", "组织委员", "宣传委员", "纪检委员", "支部委员")
)
"""Cells naming a field that is not ours (支部书记, 填报日期, 活动地点 …): they end the value of the label before them,
and their own values are never read, so 「联系人 | 王芳 | 支部书记 | 李四」 never gives 「王芳支部书记李四」."""

NEAR_LABELS: dict[str, Field] = {"参加人员": Field.HEADCOUNT, "参会人员": Field.HEADCOUNT, "出席人员": Field.HEADCOUNT,
                                  "支部": Field.ORG}
"""Words that usually label one of our fields but may hold something else (参加人员 is often a list of names): near
misses, read only when the field has no value of its own, and then with a warning."""

NEAR_SIMILARITY = 0.6
"""Normalised Levenshtein similarity from which a word counts as a near miss of a label (one edit in three
characters, two in five)."""
MIN_FUZZY, MAX_FUZZY = 3, 12
"""Only words of this many characters are compared with labels at all: shorter ones (names, 「人」) are too often
one edit from some label, longer ones are sentences."""
MIN_TYPO_LABEL = 4
"""A one-character typo is read as its label only for labels this long: 「联系电活」 is 联系电话, 「电活」 nothing."""

_SHAPE_SUFFIXES: dict[str, Field | None] = {
    "人数": Field.HEADCOUNT, "人员数": Field.HEADCOUNT, "电话": Field.PHONE, "号码": Field.PHONE, "名称": None,
    "日期": None, "地点": None, "地址": None, "邮箱": None, "意见": None, "签字": None, "签名": None, "盖章": None,
    "备注": None, "负责人": None, "经办人": None,
}
"""Endings by which a short word is a label even when no list holds it (「带班领导意见」, 「党员大会人数」)."""

_SPACE = re.compile(r"\s+")
_LABEL_NOTE = re.compile(r"[(（\[【][^()（）\[\]【】]{0,12}[)）\]】]$")
_COLONS = ":：﹕∶"
_HAS_COLON = re.compile(f"[{_COLONS}]").search
_TRAILING_COLONS = re.compile(r"[:：∶﹕]+$")
_CJK_WORD = re.compile(r"^[\u3400-\u9fff]+$")
_LONG_LABELS = [label for label in LABELS if len(label) >= MIN_TYPO_LABEL and _CJK_WORD.match(label)]
_LONG_OTHERS = [label for label in OTHER_LABELS if len(label) >= MIN_TYPO_LABEL]
_VOCABULARY = [label for label in (*LABELS, *sorted(OTHER_LABELS)) if len(label) >= MIN_FUZZY]
_ORG_ENDINGS = ("支部", "党委", "委员会", "总支", "党组", "党小组", "党支部")
"""A word ending so is an organisation's name (「第一党支部」 is two edits from 党支部), never a label by likeness."""


def normalize(text: str) -> str:
    """NFKC, all white space (full-width too) removed, trailing colons dropped: how labels are compared."""
    text = unicodedata.normalize("NFKC", text)
    text = _SPACE.sub("", text)
    return _TRAILING_COLONS.sub("", text)


@dataclass(frozen=True)
class LabelMatch:
    """What a word is as a label: `field` None for a field not ours; `exact` for a label (or its typo) that is read
    as its field, False for a near miss, which ends the value before it and is read only as a fallback."""

    field: Field | None
    exact: bool


_OTHER = LabelMatch(None, True)


@functools.lru_cache(maxsize=8192)
def classify(text: str) -> LabelMatch | None:
    """The label a cell's (or line's) whole text is, or None for a value.

    A trailing note in brackets, a required-field star and trailing colons are allowed (「人数（人）」, 「*联系方式:」).
    Then, for CJK words of MIN_FUZZY to MAX_FUZZY characters: one edit from one of our labels of MIN_TYPO_LABEL or
    more characters is that label; a normalised similarity of NEAR_SIMILARITY or more to any label is a near miss
    of it; a known label ending (「…人数」, 「…意见」), or a short word typed with a colon, is a label too."""
    if len(text) > 40:
        return None
    key = normalize(text)
    if not key:
        return None
    bare = _TRAILING_COLONS.sub("", _LABEL_NOTE.sub("", key.strip("*※")))
    for word in (key, bare):
        if word in LABELS:
            return LabelMatch(LABELS[word], True)
        if word in OTHER_LABELS:
            return _OTHER
        if word in NEAR_LABELS:
            return LabelMatch(NEAR_LABELS[word], False)
    if not MIN_FUZZY <= len(bare) <= MAX_FUZZY or not _CJK_WORD.match(bare) or bare.endswith(_ORG_ENDINGS):
        return _colon_label(text, bare)
    return _fuzzy(bare) or _shape(bare) or _colon_label(text, bare)


def _fuzzy(word: str) -> LabelMatch | None:
    typos = process.extract(word, _LONG_LABELS, scorer=Levenshtein.distance, score_cutoff=1, limit=None)
    fields = {LABELS[label] for label, _, _ in typos}
    if len(fields) == 1 and not any(Levenshtein.distance(word, other, score_cutoff=1) <= 1 for other in _LONG_OTHERS):
        return LabelMatch(fields.pop(), True)
    near = process.extract(
        word, _VOCABULARY, scorer=Levenshtein.normalized_similarity, score_cutoff=NEAR_SIMILARITY, limit=None
    )
    if len(word) == MIN_FUZZY:  # 「联糸人」: three characters are near only a label they end like, one edit away
        near = [found for found in near if len(found[0]) == MIN_FUZZY and found[0][-1] == word[-1]]
    if not near:
        return None
    best = max(score for _, score, _ in near)
    near_fields = {LABELS.get(label) for label, score, _ in near if score == best}
    return LabelMatch(near_fields.pop() if len(near_fields) == 1 else None, False)


def _shape(word: str) -> LabelMatch | None:
    if len(word) > 8:
        return None
    for ending, fld in _SHAPE_SUFFIXES.items():
        if word.endswith(ending) and len(word) > len(ending):
            return LabelMatch(fld, False)
    return None


def _colon_label(text: str, bare: str) -> LabelMatch | None:
    """A short CJK word with a colon after it and nothing else (「带班领导：」) names some field."""
    typed = unicodedata.normalize("NFKC", text).strip()
    if typed and typed[-1] in _COLONS and 2 <= len(bare) <= 8 and _CJK_WORD.match(bare):
        return LabelMatch(None, False)
    return None


def label_of(text: str) -> Field | None:
    """The field a cell's whole text names (a label, a synonym or a one-character typo of one), else None."""
    match = classify(text)
    return match.field if match is not None and match.exact else None


def near_label(text: str) -> Field | None:
    """Our field a cell's whole text is a near miss of (「活动人员数」 for 人数), else None."""
    match = classify(text)
    return match.field if match is not None and not match.exact else None


def _spaced(label: str) -> str:
    return r"\s*".join(re.escape(ch) for ch in label)


_ALL_LABELS = sorted((*LABELS, *OTHER_INLINE_LABELS), key=len, reverse=True)
INLINE_LABEL = re.compile(
    r"(?:^|(?<=[\s,，;；、|]))(" + "|".join(_spaced(label) for label in _ALL_LABELS) + r")\s*[:：∶]"
)
"""A label followed by a colon, at a line start or after a separator: 「人 数：25人」, 「联系人：赵明 电话：…」."""
_CANDIDATE = re.compile(r"(?:^|(?<=[\s,，;；、|]))\s*([\u3400-\u9fff]{2,12}(?:\([^()]{0,8}\))?)\s*[:：∶]")
"""Any short word with a colon after it, where a label could stand: classified to see whether it is one."""
_GENERIC = LabelMatch(None, False)


@dataclass(frozen=True)
class InlineLabel:
    """A label of ours found inside a line: its field, whether it is read as it (exact) or is a near miss, its
    value, and the label as typed."""

    field: Field
    exact: bool
    value: str
    label: str


class _Found(NamedTuple):
    start: int
    end: int
    match: LabelMatch
    word: str


@functools.lru_cache(maxsize=8192)
def inline_labels(text: str) -> tuple[InlineLabel, ...]:
    """The labels of 「党组织名称：XX党支部 人数：25人」-style text with their values; () unless a label starts it.

    Labels of ours (and typos of them) and near misses come with their values; a label not ours only ends the
    value before it. Inside the value of a one-line field (name, headcount, contact, phone) any short word with a
    colon ends it (「联系人：王芳 经办人：李四」 gives 王芳); inside 议程 and 简介 only a real label does, since their
    text often holds 「主要内容：」 and the like."""
    if not _HAS_COLON(text):
        return ()
    nfkc = unicodedata.normalize("NFKC", text)
    marks = _inline_marks(nfkc)
    if not marks or nfkc[: marks[0].start].strip() or marks[0].match is _GENERIC:
        return ()
    found: list[InlineLabel] = []
    current = marks[0]
    for mark in [*marks[1:], None]:
        if mark is not None and not _ends(current.match, mark):
            continue
        end = mark.start if mark is not None else len(nfkc)
        if current.match.field is not None:
            value = text_slice(text, nfkc, current.end, end)
            found.append(InlineLabel(current.match.field, current.match.exact, value, current.word))
        if mark is not None:
            current = mark
    return tuple(found)


def _ends(current: LabelMatch, mark: _Found) -> bool:
    """Whether a label-like word ends the value of the field before it: a label of another field always, inside
    议程 and 简介 only a real label (theirs often hold 「主要内容：」), and a word merely typed with a colon only inside
    a name (党组织名称, 联系人); the same field again (「手机：… 座机：…」) goes on with its value, unless one of the
    two is a near miss."""
    match, fld = mark.match, current.field
    if match.field is not None and match.field == fld and match.exact == current.exact:
        return False
    if match is _GENERIC:
        return fld in _CUT_BY_ANY_WORD
    if fld in MULTI_LINE:
        return match.exact and (match.field is not None or _specific(mark.word))
    return True


_CUT_BY_ANY_WORD = frozenset({Field.ORG, Field.CONTACT})


def _inline_marks(nfkc: str) -> list[_Found]:
    """Every label-like word with a colon in the text, in order, none overlapping."""
    marks: list[_Found] = []
    for m in INLINE_LABEL.finditer(nfkc):
        word = _SPACE.sub("", m.group(1))
        marks.append(_Found(m.start(), m.end(), LabelMatch(LABELS.get(word), True), word))
    for m in _CANDIDATE.finditer(nfkc):
        if any(mark.start < m.end() and m.start() < mark.end for mark in marks):
            continue
        word, start = m.group(1), m.start(1)
        match = classify(word)
        if match is None and (glued := _glued_label(word)):  # 「王芳经办人：」: the label is the end of the word
            start += glued
            word = word[glued:]
            match = classify(word)
        if match is None and start > 0:
            match = _GENERIC
        if match is not None:
            marks.append(_Found(start, m.end(), match, word))
    marks.sort(key=lambda mark: mark.start)
    return marks


def _glued_label(word: str) -> int:
    """Where a label typed straight after a value starts inside a word (「王芳经办人」 → 2), else 0."""
    for start in range(1, len(word) - 1):
        if word[start:] in LABELS or word[start:] in OTHER_LABELS:
            return start
    return 0


def _specific(word: str) -> bool:
    """A label not ours that is specific enough to end even 议程 or 简介 (支部书记, 活动地点 …)."""
    return word in OTHER_INLINE_LABELS


def inline_pairs(text: str) -> tuple[tuple[Field, str], ...]:
    """The (field, value) pairs of 「党组织名称：XX党支部」-style text that are read as fields; () when no label
    starts it."""
    return tuple((label.field, label.value) for label in inline_labels(text) if label.exact and label.field)


def text_slice(original: str, nfkc: str, start: int, end: int) -> str:
    """The value as typed: the original text when NFKC kept lengths, else the normalized slice."""
    source = original if len(original) == len(nfkc) else nfkc
    return source[start:end].strip(" \t\r\n\u3000,，;；、|")


def starts_with_specific_other(text: str) -> bool:
    """Text starting with a label not ours specific enough to end even 议程 or 简介 (「支部书记：李四」)."""
    return bool(_OTHER_START.match(unicodedata.normalize("NFKC", text)))


_OTHER_START = re.compile(
    r"^\s*(?:"
    + "|".join(_spaced(label) for label in sorted(OTHER_INLINE_LABELS, key=len, reverse=True))
    + r")\s*[:：∶]"
)


@functools.lru_cache(maxsize=8192)
def is_other_label(text: str) -> bool:
    """A cell or line that names a field not ours, alone (「审核人」) or with its value (「支部书记：李四」)."""
    match = classify(text)
    if match is not None:
        return match.field is None
    if not _HAS_COLON(text):
        return False
    nfkc = unicodedata.normalize("NFKC", text)
    if _OTHER_START.match(nfkc):
        return True
    lead = _CANDIDATE.match(nfkc)
    if lead is None or len(lead.group(1)) < MIN_FUZZY:  # 「时间：…」, 「地点：…」 lines are often part of a summary
        return False
    found = classify(lead.group(1))
    return found is not None and found.field is None


_NOTE = re.compile(r"^\s*(?:注|备注|说明|附注|填表说明)\s*[:：]")
_NOTE_OPEN = re.compile(r"^\s*(?:注|备注?|说明?|附注?|填(?:表(?:说明?)?)?)?\s*$")
"""A head that may still grow into a note line: white space and the start of a note word."""
_NOTE_HEAD = 40


def is_note(line: str) -> bool:
    """A footnote line (注：…) of the template: its 联系人/电话 are the office's, never form content.

    The line as typed is tried first (NFKC only ever turns a match into a match), then the NFKC form of its head,
    and the whole line only when the head is nothing but white space and the start of a note word."""
    if _NOTE.match(line):
        return True
    head = unicodedata.normalize("NFKC", line[:_NOTE_HEAD])
    if _NOTE.match(head):
        return True
    if len(line) <= _NOTE_HEAD or not _NOTE_OPEN.match(head):
        return False
    return bool(_NOTE.match(unicodedata.normalize("NFKC", line)))


_GLUED_LABEL = re.compile(
    "(?=[" + "".join(sorted({label[0] for label in LABELS})) + "])"
    r"(?:"
    + "|".join(
        _spaced(label)
        for label in sorted(LABELS, key=len, reverse=True)
        if len(label) >= MIN_FUZZY and label not in ("党支部", "党组织")
    )
    + r")|(?:"
    + "|".join(_spaced(label) for label in sorted(LABELS, key=len, reverse=True) if len(label) < MIN_FUZZY)
    + r")(?=\s*[:：∶\d])"
)
"""Our labels as they get glued into a neighbour's value: any of three or more characters (but the 党支部 of every
organisation's name), and the short ones only with a colon or a number after them (「人数25」)."""


def label_inside(fld: Field, value: str) -> tuple[str, str] | None:
    """Something inside a one-line value that looks like the label of another field (「…党支部人员数25人」, 「王芳
    经办人：李四」): (the text before it, what was found), or None. The value may have swallowed that field."""
    nfkc = unicodedata.normalize("NFKC", value)
    found: list[tuple[int, str]] = []
    for m in _GLUED_LABEL.finditer(nfkc):
        if m.start() > 0 and LABELS.get(_SPACE.sub("", m.group(0))) not in (fld, None):
            found.append((m.start(), m.group(0)))
            break
    if _HAS_COLON(nfkc):
        found.extend((mark.start, nfkc[mark.start : mark.end]) for mark in _inline_marks(nfkc)
                     if mark.start > 0 and mark.match.field != fld)
    if not found:
        return None
    start, word = min(found, key=lambda item: (item[0], -len(item[1])))
    if len(value) == len(nfkc):
        word = value[start : start + len(word)]
    return text_slice(value, nfkc, 0, start), word.strip()


def line_label(value: str) -> str | None:
    """A line of a multi-line value that starts with one of our labels and a colon (「联系人：王芳」 inside 简介)."""
    if not _HAS_COLON(value):
        return None
    for line in value.splitlines():
        typed = line.strip()
        nfkc = unicodedata.normalize("NFKC", typed)
        match = INLINE_LABEL.match(nfkc)
        if match is not None and LABELS.get(_SPACE.sub("", match.group(1))) is not None:
            return (typed if len(typed) == len(nfkc) else nfkc)[: match.end()]
    return None
