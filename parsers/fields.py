"""Reading a form's values exactly: headcount, phone number (and a person and phone typed together), activity date."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

import cn2an

from parsers.labels import SYNONYMS, Field

# Headcount -------------------------------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")
_CN_DIGITS = "零〇一二两三四五六七八九十百千廿"
_HEADCOUNT = re.compile(
    r"^(?P<prefix>约|大约|共|共计|合计|总计|计|参加|出席|参会|实到|实际参加|实际到会)?"
    r"(?P<number>\d+(?:\.0+)?|[" + _CN_DIGITS + r"]+)"
    r"(?P<suffix>人次|人|名|位|个人|名党员|位党员|名同志|位同志|名老党员|位老党员)?"
    r"(?:参加|参会|出席|到会)?(?P<about>左右)?$"
)
_TRAILING_PUNCTUATION = "。.,;、!！"
_HEADCOUNT_LABEL = re.compile(r"^(?:" + "|".join(SYNONYMS[Field.HEADCOUNT]) + r")[:∶]")
"""The label typed again inside the value: 「参加人数：18人」."""
_UNIT_NOTES = ("(人)", "(名)", "(位)")
_SPLIT_NUMBER = re.compile(r"[\d" + _CN_DIGITS + r"]\s+[\d" + _CN_DIGITS + r"]")
_HEADCOUNT_NOTE = re.compile(r"^(?P<count>[^()]+?)\((?P<note>[^()]*)\)$")
"""「18人（其中党员15人）」: a count with a bracketed note after it."""
_ATTENDED = re.compile(r"^应到[^,;]*[,;]实到(?P<count>[^,;]+)$")
"""「应到20人，实到18人」: expected and actual attendance; the actual one is the headcount."""


def parse_headcount(text: str) -> tuple[int | None, str | None]:
    """An int from 「32」「32人」「二十八人」「约40人」「15名」「共19人」「３０」「出席18人」, else None and a warning.

    「18人（其中党员15人）」 gives 18 and 「应到20人，实到18人」 gives 18 (who came), each with a warning that names the
    text, so staff see the rest; anything else that is not one plain count is None with a warning."""
    raw = text.strip()
    if not raw:
        return None, "人数未填写"
    nfkc = unicodedata.normalize("NFKC", raw)
    if _SPLIT_NUMBER.search(nfkc):  # 「25 25」 (two cells beside the label) must never become 2525
        return None, f"人数无法识别：{raw}"
    compact = _SPACE.sub("", nfkc).replace("，", ",").replace("；", ";").rstrip(_TRAILING_PUNCTUATION)
    compact = _HEADCOUNT_LABEL.sub("", compact, count=1)
    if compact.endswith(_UNIT_NOTES):  # 「18（人）」: a unit in brackets, not a note
        compact = compact[: compact.rindex("(")] + compact[compact.rindex("(") + 1 : -1]
    note = _HEADCOUNT_NOTE.match(compact)
    attended = _ATTENDED.match(compact)
    if note is not None or attended is not None:
        inner = note["count"] if note is not None else attended["count"]  # type: ignore[index]
        count, warning = parse_headcount(inner)
        if count is None:
            return None, f"人数无法识别：{raw}"
        what = "人数含附注，已取总数" if note is not None else "人数按实到人数读取"
        return count, f"{what}：{raw}" if warning is None else f"{warning}；{what}：{raw}"
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
    if match.group("prefix") in {"约", "大约"} or match.group("about"):
        return value, f"人数为约数：{raw}"
    return value, None


# Phone -----------------------------------------------------------------------------------------------------

_DIGIT = re.compile(r"\d")
_NON_DIGITS = re.compile(r"\D")
_DIGIT_RUN = re.compile(r"\d{3,}")
_EXTENSION = re.compile(r"^(?P<number>.*?\d)\s*(?:转|分机|-|ext\.?|x)\s*(?P<ext>\d{1,5})$", re.IGNORECASE)
"""A landline with an extension: 「0512-65221234转8001」, 「65221234-8001」."""
_PHONE_PIECES = re.compile(r"[,，;；、/|]|\s{2,}|或")


def _phone_digits(piece: str) -> str | None:
    digits = _NON_DIGITS.sub("", piece)
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


_PHONE_WORDS = re.compile(r"(?:联系电话|联系方式|电话|手机|座机|tel|TEL|Tel)\s*[:：]?")
_NAME_EDGES = " ,，;；、/:：()（）|-—"


def split_contact(text: str) -> tuple[str, str] | None:
    """A person and a phone typed together (「赵明 13812345678」, 「王芳、65221234」, 「13812345678（王芳）」) →
    (name, number text, every number found in it), when what is left once the numbers and words such as 电话 are
    taken out is a plain name; else None."""
    nfkc = unicodedata.normalize("NFKC", text)
    numbers = [match.group(0) for match in _PHONE_IN_TEXT.finditer(nfkc)]
    if not numbers:
        return None
    name = _PHONE_WORDS.sub(" ", _PHONE_IN_TEXT.sub(" ", nfkc)).strip(_NAME_EDGES)
    name = _SPACE.sub(" ", name)
    if not name or _DIGIT.search(name):
        return None
    return name, "、".join(numbers)


def parse_phone(text: str) -> tuple[str, str | None]:
    """Digits only: 0512-65221234 → 051265221234, a bare 8-digit number stays 8 digits; else '' and a warning."""
    raw = unicodedata.normalize("NFKC", text).strip()
    if not raw:
        return "", "联系方式未填写"
    found: list[str] = []
    extensions: list[str] = []
    for piece in _PHONE_PIECES.split(raw):
        if _DIGIT.search(piece) and not _read_piece(piece, found, extensions):
            return "", f"联系方式无法识别：{text.strip()}"
    if not found:
        return "", f"联系方式无法识别：{text.strip()}"
    if len(found) > 1:
        return found[0], f"联系方式有多个号码，已取第一个：{text.strip()}"
    if extensions:
        return found[0], f"联系方式含分机号{extensions[0]}，未计入：{text.strip()}"
    return found[0], None


def _read_piece(piece: str, found: list[str], extensions: list[str]) -> bool:
    """Add the number(s) of one piece of a phone text (and its extension); False when it holds an unreadable one."""
    number = _phone_digits(piece)
    if number is not None:
        found.append(number)
        return True
    if " " in piece.strip():
        for sub in piece.split():
            sub_number = _phone_digits(sub)
            if sub_number is not None:
                found.append(sub_number)
            elif _DIGIT_RUN.search(sub):
                return False
        return True
    extension = _EXTENSION.match(piece.strip())
    if extension is not None and (number := _phone_digits(extension["number"])) is not None:
        found.append(number)
        extensions.append(extension["ext"])
        return True
    return False


# Activity date ---------------------------------------------------------------------------------------------

_FULL_DATE = re.compile(r"(?P<y>\d{4})\s*[年./-]\s*(?P<m>\d{1,2})\s*[月./-]\s*(?P<d>\d{1,2})\s*[日号]?")
_MONTH_DAY = re.compile(r"(?<!\d)(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]")
_CN_MONTH_DAY = re.compile(r"(?P<m>[一二三四五六七八九十]{1,3})月(?P<d>[一二三四五六七八九十廿]{1,3})[日号]")
LOOKAHEAD_DAYS = 60
"""A month-day more than this far after the reference date is taken to be last year's."""


_FOUR_DIGITS = re.compile(r"\d{4}")
_DOTTED_MONTH_DAY = re.compile(r"^\s*(?P<m>\d{1,2})\s*[./]\s*(?P<d>\d{1,2})\s*(?:上午|下午|晚上|全天)?\s*$")
"""「5.8」 or 「5/8」: read as month and day only when it is the whole value of a 活动时间 field."""


def find_activity_date(
    texts: list[str], ref_date: date, date_field: str = "", year_known: bool = True
) -> tuple[date | None, str | None]:
    """The activity date (see _find_activity_date), with a warning when it lies after the form arrived, and one when
    its year was not typed and ref_date is only today (year_known False: no received date was given)."""
    found, warning, year_typed = _find_activity_date(texts, ref_date, date_field)
    if found is not None and found > ref_date:
        late = f"活动日期 {found.month}月{found.day}日 晚于收到日期 {ref_date.month}月{ref_date.day}日，请核对"
        warning = late if warning is None else f"{warning}；{late}"
    if found is not None and not year_typed and not year_known:
        assumed = f"活动日期未写年份，已按今天推算为{found.year}年（未给收到日期），请核对"
        warning = assumed if warning is None else f"{warning}；{assumed}"
    return found, warning


_Found = tuple[date | None, str | None, bool]
"""A date (or None), a warning (or None), and whether the year was typed."""


def _find_activity_date(texts: list[str], ref_date: date, date_field: str = "") -> _Found:
    """The first date in the texts (「4月28日上午」, 「2020年5月8日」); the year comes from ref_date unless typed.

    date_field is the value of a 活动时间 field, read first, where a bare 「5.8」 also means 5月8日; when it holds no
    date, one found in the other texts comes with a warning. When the text the date comes from names another,
    different date too, the first is taken with a warning."""
    if date_field.strip():
        dotted = _DOTTED_MONTH_DAY.match(unicodedata.normalize("NFKC", date_field))
        if dotted is not None:
            return (*_with_year(int(dotted["m"]), int(dotted["d"]), ref_date, dotted.group(0).strip()), False)
        found, warning, typed = _first_date(date_field, ref_date)
        if found is not None or warning is not None:
            return found, warning, typed
        found, warning, typed = _first_date_of(texts, ref_date)
        unread = f"活动时间无法识别：{date_field.strip()}"
        return found, unread if found is None or warning is None else f"{unread}；{warning}", typed
    found, warning, typed = _first_date_of(texts, ref_date)
    return found, warning if found is not None or warning is not None else "未找到活动日期", typed


def _first_date_of(texts: list[str], ref_date: date) -> _Found:
    for text in texts:
        found, warning, typed = _first_date(text, ref_date)
        if found is not None or warning is not None:
            return found, warning, typed
    return None, None, False


def _first_date(text: str, ref_date: date) -> _Found:
    """The first date in one text, a warning when it names other dates too; (None, None) when it names none."""
    nfkc = unicodedata.normalize("NFKC", text)
    patterns = (_FULL_DATE, _MONTH_DAY, _CN_MONTH_DAY) if "月" in nfkc else (_FULL_DATE,)
    firsts = [m for m in (pattern.search(nfkc) for pattern in patterns) if m is not None]
    if not firsts:
        return None, None, False
    if len(firsts) == 1 and "月" not in nfkc[firsts[0].end() :] and not _FOUR_DIGITS.search(nfkc, firsts[0].end()):
        return (*_match_date(firsts[0], ref_date), firsts[0].re is _FULL_DATE)  # the only date (the usual case)
    matches = [m for pattern in patterns for m in pattern.finditer(nfkc)]
    matches.sort(key=lambda m: m.start())
    dates: list[tuple[date | None, str | None, re.Match[str]]] = []
    end = -1
    for match in matches:
        if match.start() < end:  # 「5月8日」 inside 「2020年5月8日」
            continue
        end = match.end()
        dates.append((*_match_date(match, ref_date), match))
    first, warning, first_match = dates[0]
    typed_year = first_match.re is _FULL_DATE
    if warning is None and first is not None:
        others = [
            m.group(0)
            for d, _, m in dates[1:]
            if d is None
            or (d.month, d.day) != (first.month, first.day)
            or (typed_year and m.re is _FULL_DATE and d.year != first.year)
        ]
        if others:
            warning = f"活动日期有多个，已取第一个：{first_match.group(0)}（另有{'、'.join(others)}）"
    return first, warning, typed_year


def _match_date(match: re.Match[str], ref_date: date) -> tuple[date | None, str | None]:
    try:
        if match.re is _FULL_DATE:
            return date(int(match["y"]), int(match["m"]), int(match["d"])), None
        if match.re is _CN_MONTH_DAY:
            month = int(cn2an.cn2an(match["m"], "strict"))
            day = int(cn2an.cn2an(match["d"].replace("廿", "二十"), "strict"))
        else:
            month, day = int(match["m"]), int(match["d"])
    except ValueError:
        return None, f"活动日期无效：{match.group(0)}"
    return _with_year(month, day, ref_date, match.group(0))


def _with_year(month: int, day: int, ref_date: date, text: str) -> tuple[date | None, str | None]:
    """Month and day in ref_date's year, or the year before when that would be too far after ref_date."""
    try:
        found = date(ref_date.year, month, day)
    except ValueError:
        return None, f"活动日期无效：{text}"
    if found > ref_date + timedelta(days=LOOKAHEAD_DAYS):
        try:
            found = found.replace(year=ref_date.year - 1)
        except ValueError:
            return None, f"活动日期无效：{text}"
    return found, None


def split_items(text: str) -> list[str]:
    """Agenda text as one item a line, blank lines dropped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


# The organisation named in a title or a heading -------------------------------------------------------------

_ORG_END = r"(?:党支部|党总支|总支部|党委|党组|委员会|党小组|支部)"
_ORG_LAST = frozenset("部支委组会")
_ORG_CHAR = re.compile("[部支委组会]").search
"""The last characters of those endings (a quick test before the regex)."""
_QUOTES = r"[“”\"'‘’「」『』《》〈〉]*"
_TITLE = re.compile(
    r"^(?P<org>.{2,60}?" + _ORG_END + r")" + _QUOTES + r"(?:助力火红年代)?" + _QUOTES
    + r"(?:主题党日)?(?:活动)?(?:开展)?情况(?:汇总)?表$"
)
"""「苏州市…党支部“助力火红年代”主题党日活动情况表」: a title naming the organisation before the form's name."""
_HEADING = re.compile(
    r"^(?:(?:填报单位|报送单位|单位|党组织名称|党组织|党支部名称|支部名称|单位名称)[:：∶])?"
    r"(?P<org>.{2,60}" + _ORG_END + r")$"
)
"""A line that is nothing but an organisation's name (or 「填报单位：…党支部」), as typed just above a table."""


def title_org(line: str) -> str | None:
    """The organisation a form's title line names, or None (「“助力火红年代”主题党日活动情况表」 names none)."""
    if "情况" not in line or _ORG_CHAR(line) is None:
        return None
    compact = _SPACE.sub("", unicodedata.normalize("NFKC", line))
    match = _TITLE.match(compact) if compact.endswith("表") else None
    return _plain_org(match["org"]) if match is not None else None


def heading_org(line: str) -> str | None:
    """The organisation a heading line is (「苏州市XX党支部」, 「填报单位：XX党支部」), or None."""
    if line.rstrip()[-1:] not in _ORG_LAST:
        return None
    compact = _SPACE.sub("", unicodedata.normalize("NFKC", line))
    match = _HEADING.match(compact) if 4 <= len(compact) <= 70 else None
    return _plain_org(match["org"]) if match is not None else None


def _plain_org(org: str) -> str | None:
    """The name as found, unless it holds punctuation no organisation's name has (then it is some sentence)."""
    return None if any(ch in org for ch in ":：，,。;；!！?？“”\"") else org
