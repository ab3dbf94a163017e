"""The form's vocabulary: label synonyms, and reading headcount, phone number and activity date exactly."""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date, timedelta
from enum import StrEnum

import cn2an


class Field(StrEnum):
    ORG = "org_name"
    HEADCOUNT = "headcount"
    AGENDA = "agenda"
    SUMMARY = "summary"
    CONTACT = "contact_person"
    PHONE = "contact_phone"
    DATE = "date"
    """An optional 活动时间 field some branches add; when present it is where the activity date is read first."""


FORM_FIELDS = (Field.ORG, Field.HEADCOUNT, Field.AGENDA, Field.SUMMARY, Field.CONTACT, Field.PHONE)

SYNONYMS: dict[Field, tuple[str, ...]] = {
    Field.ORG: ("党组织名称", "党支部名称", "支部名称", "单位名称"),
    Field.HEADCOUNT: ("人数", "参加人数", "参会人数", "出席人数"),
    Field.AGENDA: ("议程", "活动议程", "活动内容"),
    Field.SUMMARY: ("简介", "活动简介", "活动情况"),
    Field.CONTACT: ("联系人",),
    Field.PHONE: ("联系方式", "联系电话", "电话", "手机"),
    Field.DATE: ("活动时间", "活动日期"),
}

LABELS: dict[str, Field] = {label: fld for fld, labels in SYNONYMS.items() for label in labels}

_SPACE = re.compile(r"\s+")
_LABEL_NOTE = re.compile(r"[(（\[【][^()（）\[\]【】]{0,12}[)）\]】]$")
_COLONS = ":：﹕∶"
_TRAILING_COLONS = re.compile(r"[:：∶]+$")


def normalize(text: str) -> str:
    """NFKC, all white space (full-width too) removed, trailing colons dropped: how labels are compared."""
    text = unicodedata.normalize("NFKC", text)
    text = _SPACE.sub("", text)
    return _TRAILING_COLONS.sub("", text)


@functools.lru_cache(maxsize=8192)
def label_of(text: str) -> Field | None:
    """The field a cell's whole text names, or None when it is not exactly a label.

    A trailing note in brackets and a required-field star are allowed: 「人数（人）」, 「*联系方式(手机)」."""
    if len(text) > 40:
        return None
    key = normalize(text)
    found = LABELS.get(key)
    if found is None and key:
        bare = _TRAILING_COLONS.sub("", _LABEL_NOTE.sub("", key.strip("*※")))
        found = LABELS.get(bare)
    return found


def _spaced(label: str) -> str:
    return r"\s*".join(re.escape(ch) for ch in label)


_ALL_LABELS = sorted(LABELS, key=len, reverse=True)
INLINE_LABEL = re.compile(
    r"(?:^|(?<=[\s,，;；、|]))(" + "|".join(_spaced(label) for label in _ALL_LABELS) + r")\s*[:：∶]"
)
"""A label followed by a colon, at a line start or after a separator: 「人 数：25人」, 「联系人：赵明 电话：…」."""

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


@functools.lru_cache(maxsize=8192)
def inline_pairs(text: str) -> tuple[tuple[Field, str], ...]:
    """Split 「党组织名称：XX党支部」-style text into (field, value) pairs; () when no label starts it."""
    if not any(colon in text for colon in _COLONS):
        return ()
    nfkc = unicodedata.normalize("NFKC", text)
    matches = list(INLINE_LABEL.finditer(nfkc))
    if not matches or nfkc[: matches[0].start()].strip():
        return ()
    pairs: list[tuple[Field, str]] = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(nfkc)
        field = LABELS[_SPACE.sub("", match.group(1))]
        pairs.append((field, text_slice(text, nfkc, match.end(), end)))
    return tuple(pairs)


def text_slice(original: str, nfkc: str, start: int, end: int) -> str:
    """The value as typed: the original text when NFKC kept lengths, else the normalized slice."""
    source = original if len(original) == len(nfkc) else nfkc
    return source[start:end].strip(" \t\r\n\u3000,，;；、|")


# Headcount -------------------------------------------------------------------------------------------------

_CN_DIGITS = "零〇一二两三四五六七八九十百千廿"
_HEADCOUNT = re.compile(
    r"^(?P<prefix>约|大约|共|共计|合计|总计|计|参加|出席|参会)?"
    r"(?P<number>\d+(?:\.0+)?|[" + _CN_DIGITS + r"]+)"
    r"(?P<suffix>人次|人|名|位|个人|名党员|位党员|名同志|位同志|名老党员|位老党员)?$"
)


def parse_headcount(text: str) -> tuple[int | None, str | None]:
    """An int from 「32」「32人」「二十八人」「约40人」「15名」「共19人」「３０」, else None and a warning."""
    raw = text.strip()
    if not raw:
        return None, "人数未填写"
    compact = _SPACE.sub("", unicodedata.normalize("NFKC", raw))
    match = _HEADCOUNT.match(compact)
    if match is None:
        return None, f"人数无法识别：{raw}"
    token = match.group("number")
    value: int | None
    if token[0].isdigit():
        value = int(float(token)) if "." in token else int(token)
    else:
        try:
            value = int(cn2an.cn2an(token.replace("两", "二").replace("〇", "零"), "strict"))
        except (ValueError, KeyError, TypeError):
            value = None
    if value is None or value <= 0 or value > 100_000:
        return None, f"人数无法识别：{raw}"
    if match.group("prefix") in {"约", "大约"}:
        return value, f"人数为约数：{raw}"
    return value, None


# Phone -----------------------------------------------------------------------------------------------------

_PHONE_PIECES = re.compile(r"[,，;；、/|]|\s{2,}|或")


def _phone_digits(piece: str) -> str | None:
    digits = re.sub(r"\D", "", piece)
    if digits.startswith("86") and len(digits) == 13 and digits[2] == "1":
        digits = digits[2:]
    if digits.startswith("0086") and len(digits) == 15:
        digits = digits[4:]
    if len(digits) == 11 and digits[0] == "1":
        return digits
    if digits.startswith("0") and 10 <= len(digits) <= 12:
        return digits
    if len(digits) in (7, 8) and digits[0] != "0":
        return digits
    return None


_PHONE_IN_TEXT = re.compile(
    r"(?:\+?86[-\s]?)?(?:1\d{2}[-\s]?\d{4}[-\s]?\d{4}|\(?0\d{2,3}\)?[-\s]?\d{7,8}|(?<!\d)\d{8}(?!\d))"
)


def split_contact(text: str) -> tuple[str, str] | None:
    """「赵明 13812345678」 typed in the contact cell → (name, number text), when the name part is plain."""
    nfkc = unicodedata.normalize("NFKC", text)
    match = _PHONE_IN_TEXT.search(nfkc)
    if match is None:
        return None
    name = (nfkc[: match.start()] + nfkc[match.end() :]).strip(" ,，;；、/:：()（）电话手机")
    if not name or re.search(r"\d", name):
        return None
    return name, match.group(0)


def parse_phone(text: str) -> tuple[str, str | None]:
    """Digits only: 0512-65221234 → 051265221234, a bare 8-digit number stays 8 digits; else '' and a warning."""
    raw = unicodedata.normalize("NFKC", text).strip()
    if not raw:
        return "", "联系方式未填写"
    found: list[str] = []
    for piece in _PHONE_PIECES.split(raw):
        if not re.search(r"\d", piece):
            continue
        number = _phone_digits(piece)
        if number is None and " " in piece.strip():
            for sub in piece.split():
                sub_number = _phone_digits(sub)
                if sub_number is not None:
                    found.append(sub_number)
                elif re.search(r"\d{3,}", sub):
                    return "", f"联系方式无法识别：{text.strip()}"
            continue
        if number is None:
            return "", f"联系方式无法识别：{text.strip()}"
        found.append(number)
    if not found:
        return "", f"联系方式无法识别：{text.strip()}"
    if len(found) > 1:
        return found[0], f"联系方式有多个号码，已取第一个：{text.strip()}"
    return found[0], None


# Activity date ---------------------------------------------------------------------------------------------

_FULL_DATE = re.compile(r"(?P<y>\d{4})\s*[年./-]\s*(?P<m>\d{1,2})\s*[月./-]\s*(?P<d>\d{1,2})\s*[日号]?")
_MONTH_DAY = re.compile(r"(?<!\d)(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]")
_CN_MONTH_DAY = re.compile(r"(?P<m>[一二三四五六七八九十]{1,3})月(?P<d>[一二三四五六七八九十廿]{1,3})[日号]")
LOOKAHEAD_DAYS = 60
"""A month-day more than this far after the reference date is taken to be last year's."""


def find_activity_date(texts: list[str], ref_date: date) -> tuple[date | None, str | None]:
    """The first date in the texts (「4月28日上午」, 「2020年5月8日」); the year comes from ref_date unless typed."""
    for text in texts:
        nfkc = unicodedata.normalize("NFKC", text)
        full = _FULL_DATE.search(nfkc)
        short = _MONTH_DAY.search(nfkc)
        cn = _CN_MONTH_DAY.search(nfkc)
        candidates = [m for m in (full, short, cn) if m is not None]
        if not candidates:
            continue
        first = min(candidates, key=lambda m: m.start())
        try:
            if first is full:
                return date(int(first["y"]), int(first["m"]), int(first["d"])), None
            if first is cn:
                month = int(cn2an.cn2an(first["m"], "strict"))
                day = int(cn2an.cn2an(first["d"].replace("廿", "二十"), "strict"))
            else:
                month, day = int(first["m"]), int(first["d"])
            found = date(ref_date.year, month, day)
        except ValueError:
            return None, f"活动日期无效：{first.group(0)}"
        if found > ref_date + timedelta(days=LOOKAHEAD_DAYS):
            try:
                found = found.replace(year=ref_date.year - 1)
            except ValueError:
                return None, f"活动日期无效：{first.group(0)}"
        return found, None
    return None, "未找到活动日期"


def split_items(text: str) -> list[str]:
    """Agenda text as one item a line, blank lines dropped."""
    return [line.strip() for line in text.splitlines() if line.strip()]
