"""What `intake roster …` prints: the roster, an import's outcome or bad rows, an alias confirmed, the season's
coverage, who has not reported in a month, and the names still to confirm. Chinese for staff; JSON-ready data
with English keys for scripts. Nothing here reads the store: callers hand in what they got."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from roster.load import RosterImport, RosterRejected
    from store.records import AliasResult, Coverage, MissingRow, RosterEntryRow, UnmatchedName

NO_ROSTER = ("尚未导入名册：用 intake roster import 名册.xlsx 导入"
             "（列：党组织名称、所属单位、联系人、联系电话、邮箱、别名）")
NO_GROUP = "（未分组）"


def month_label(month: str) -> str:
    """2020-05 as staff read it: 2020年5月."""
    year, _, mon = month.partition("-")
    return f"{year}年{int(mon)}月" if year.isdigit() and mon.isdigit() else month


def _contact(person: str, phone: str) -> str:
    shown = " ".join(p for p in (person, phone) if p)
    return f"联系人 {shown}" if shown else "联系人未填"


# ---- the roster ------------------------------------------------------------------------------------------------
def entry_json(row: RosterEntryRow) -> dict[str, Any]:
    return {"name": row.name, "group": row.group, "aliases": list(row.aliases), "emails": list(row.emails)}


def entry_lines(rows: Sequence[RosterEntryRow]) -> list[str]:
    if not rows:
        return [NO_ROSTER]
    lines = []
    for row in rows:
        line = f"{row.group or NO_GROUP}  {row.name}  {_contact(row.contact_person, row.contact_phone)}"
        if row.aliases:
            line += f"  别名：{'、'.join(row.aliases)}"
        if row.emails:
            line += f"  邮箱：{'、'.join(row.emails)}"
        lines.append(line)
    lines.append(f"共 {len(rows)} 个党组织")
    return lines


def import_lines(done: RosterImport) -> list[str]:
    change = done.change
    how = "替换整个名册" if done.replace else "按名称新增或更新"
    lines = [f"名册已导入（{how}）：{done.path} 工作表「{done.sheet}」{done.rows} 行；新增 {change.added} 个，"
             f"更新 {change.updated} 个，移除 {change.removed} 个；{change.relinked} 份情况表重新对应了党组织"]
    lines += [f"  别名「{alias}」原属「{name}」，已按新名册改变或去掉" for alias, name in change.dropped_aliases]
    return lines


def rejected_lines(exc: RosterRejected) -> list[str]:
    """Every bad row of a rejected file, by row number (0: the file as a whole)."""
    return [f"第 {row} 行：{why}" if row else why for row, why in exc.problems]


def alias_line(result: AliasResult) -> str:
    if not result.created:
        return f"「{result.alias}」已经对应「{result.entry_name}」，无需再记"
    return f"已记下：「{result.alias}」即「{result.entry_name}」；{result.relinked} 份情况表已对应到它"


# ---- coverage, missing, unmatched --------------------------------------------------------------------------------
def coverage_json(table: Coverage) -> list[dict[str, Any]]:
    return [{"name": r.name, "group": r.group, "months": dict(r.months), "late": r.late} for r in table.rows]


def coverage_lines(table: Coverage) -> list[str]:
    if not table.rows:
        return [NO_ROSTER]
    if not table.months:
        return [f"{table.year} 年的报送季节尚未开始"]
    first, last = int(table.months[0][5:]), int(table.months[-1][5:])
    lines = [f"{table.year} 年报送情况（{first}月—{last}月，每月情况表份数；按活动日期计，未写日期的按收到日期）"]
    for row in table.rows:
        counts = "  ".join(f"{int(m[5:])}月 {n}" for m, n in row.months)
        late = f"  逾期 {row.late}" if row.late else ""
        lines.append(f"{row.group or NO_GROUP}  {row.name}  {counts}  合计 {row.total}{late}")
    none = sum(1 for r in table.rows if not r.total)
    lines.append(f"共 {len(table.rows)} 个党组织，其中 {none} 个本季尚无情况表")
    return lines


def missing_json(rows: Sequence[MissingRow]) -> list[dict[str, Any]]:
    return [{"name": r.name, "group": r.group, "contact_person": r.contact_person, "contact_phone": r.contact_phone}
            for r in rows]


def missing_lines(rows: Sequence[MissingRow], month: str, *, has_roster: bool, in_season: bool) -> list[str]:
    if not has_roster:
        return [NO_ROSTER]
    label = month_label(month)
    note = "" if in_season else "（不在报送季节内，见 INTAKE_SEASON）"
    if not rows:
        return [f"{label}名册中的党组织都已报送{note}"]
    lines = [f"{label}尚未报送 {len(rows)} 个党组织{note}："]
    for group, members in groupby(rows, key=lambda r: r.group):
        lines.append(f"【{group or NO_GROUP}】")
        lines += [f"  {r.name}  {_contact(r.contact_person, r.contact_phone)}" for r in members]
    return lines


def unmatched_json(rows: Sequence[UnmatchedName]) -> list[dict[str, Any]]:
    return [{"org_name": r.org_name, "reports": r.reports, "candidates": list(r.candidates)} for r in rows]


def unmatched_lines(rows: Sequence[UnmatchedName], *, has_roster: bool) -> list[str]:
    if not has_roster:
        return [NO_ROSTER]
    if not rows:
        return ["每份情况表的党组织都已对应到名册"]
    lines = [f"名称待确认 {len(rows)} 个（情况表上的写法对不上名册）："]
    for r in rows:
        maybe = f"  可能是：{' / '.join(r.candidates)}" if r.candidates else "  名册中没有相近的名称"
        lines.append(f"  {r.org_name or '（未填写党组织名称）'}（{r.reports} 份）{maybe}")
    lines.append('确认后执行：intake roster alias "情况表上的写法" "名册中的名称"')
    return lines
