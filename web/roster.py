"""The 报送情况 page (/roster): the season's month matrix by 所属单位, one month's 尚未报送 with whom to call, the
names matched to no roster entry with the entries they resemble, and staff confirming one of them ("确认为…",
POST /roster/alias), which store.roster records with its audit entry and every report re-linked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.vocab import AuditTarget
from service.present_roster import NO_GROUP, month_label
from store import audit, console, coverage, roster
from store.errors import NotFound, RosterConflict
from store.records import Coverage, CoverageRow
from store.session import Session
from web.auth import Visit, console_of, page
from web.pages import _int, not_found

NAME_KEPT = 1000  # a name longer than any branch's (the store refuses keys over 500 characters)
TRAIL = 20
MESSAGES = {"alias": "已确认：这个写法的情况表已对应到「{name}」，该党组织现有 {reports} 份情况表。",
            "same": "这个写法已经对应「{name}」，无需再确认。"}


@dataclass(frozen=True)
class Row:
    """One entry's line of the matrix: (reports, of them late) per month."""

    name: str
    cells: tuple[tuple[int, int], ...]
    total: int
    late: int


@dataclass(frozen=True)
class Group:
    """One 所属单位's entries and its totals per month."""

    name: str
    rows: tuple[Row, ...]
    month_totals: tuple[int, ...]
    total: int
    late: int
    none: int  # entries with no report in the season shown


def _row(r: CoverageRow) -> Row:
    late = dict(r.late_months)
    return Row(name=r.name, cells=tuple((n, late.get(m, 0)) for m, n in r.months), total=r.total, late=r.late)


def _group(name: str, rows: list[Row], width: int) -> Group:
    return Group(name=name or NO_GROUP, rows=tuple(rows),
                 month_totals=tuple(sum(r.cells[i][0] for r in rows) for i in range(width)),
                 total=sum(r.total for r in rows), late=sum(r.late for r in rows),
                 none=sum(1 for r in rows if not r.total))


def matrix(table: Coverage) -> list[Group]:
    """The coverage's rows by group, in its order (by group, entries without one last; then by name)."""
    width = len(table.months)
    return [_group(name, [_row(r) for r in rows], width) for name, rows in groupby(table.rows, key=lambda r: r.group)]


def pick_month(asked: str, months: tuple[str, ...], today: date) -> str:
    """The month whose 尚未报送 the page lists: the one asked for when the matrix shows it, else today's month
    when it does, else the last month shown; "" when the season shown has not started."""
    if asked in months:
        return asked
    now = coverage.month_text(today.year, today.month)
    return now if now in months else (months[-1] if months else "")


def _year(request: Request, today: date) -> int | None:
    """?year=YYYY, or the year of ?month=YYYY-MM; None (the newest reports' year) when neither is a year."""
    text = request.query_params.get("year", "") or request.query_params.get("month", "")[:4]
    year = _int(text, 0, lowest=0, highest=9999)
    return year if 2000 <= year <= today.year else None


def _roster(session: Session, year: int | None, asked: str, season: tuple[int, int], today: date,
            tz: ZoneInfo, done: tuple[str, int]) -> dict[str, Any] | None:
    if not roster.has_roster(session):
        return None
    table = coverage.coverage(session, year, season, today=today, tz=tz)
    month = pick_month(asked, table.months, today)
    missing = coverage.missing(session, int(month[:4]), int(month[5:]), tz=tz) if month else []
    code, entry_id = done
    entry = console.roster_entry(session, entry_id) if code in MESSAGES else None
    message = MESSAGES[code].format(name=entry[0], reports=entry[1]) if entry is not None else ""
    return {"table": table, "groups": matrix(table), "month": month, "missing": missing,
            "missing_groups": [(g or NO_GROUP, list(rows)) for g, rows in groupby(missing, key=lambda r: r.group)],
            "unmatched": coverage.unmatched(session), "trail": audit.recent(session, AuditTarget.ROSTER, TRAIL),
            "message": message}


NO_ROSTER = "尚未导入名册。请管理员用 intake roster import 名册.xlsx 导入名册后，这里会列出各党组织每月的报送情况。"


def no_roster(request: Request) -> Response:
    return not_found(request, NO_ROSTER)


@page()
async def roster_page(request: Request, visit: Visit) -> Response:
    c = console_of(request)
    today = c.today()
    q = request.query_params
    done = (q.get("done", ""), _int(q.get("entry"), 0, lowest=0))
    found = await c.read(_roster, _year(request, today), q.get("month", "").strip()[:7], c.settings.season_months,
                         today, c.settings.tz, done)
    if found is None:
        return no_roster(request)
    year = found["table"].year
    return c.render(request, "roster.html.j2", {
        **found, "labels": {m: f"{int(m[5:])}月" for m in found["table"].months}, "month_label": month_label,
        "prev_year": year - 1 if year > 2000 else None, "next_year": year + 1 if year < today.year else None})


def bad_request(request: Request, message: str) -> Response:
    return console_of(request).render(request, "error.html.j2", {"title": "无法确认", "message": message},
                                      status=400)


@page()
async def confirm_alias(request: Request, visit: Visit) -> Response:
    """POST org_name (as the reports write it) and entry_name (the roster's): the reports written so are that
    entry from now on. A name the roster lacks, or a spelling that is another entry's, is a 400 and nothing is
    written."""
    c = console_of(request)
    org_name, entry_name = (visit.field(k).strip()[:NAME_KEPT] for k in ("org_name", "entry_name"))
    if not org_name or not entry_name:
        return bad_request(request, "请选择情况表上的写法和名册中的党组织。没有记下任何内容。")
    try:
        result = await c.write(roster.add_alias, org_name, entry_name, by=visit.user.name)
    except NotFound:
        return bad_request(request, f"名册中没有「{entry_name}」。没有记下任何内容。")
    except RosterConflict as exc:
        return bad_request(request, "；".join(why for _, why in exc.problems) + "。没有记下任何内容。")
    code = "alias" if result.created else "same"
    return RedirectResponse(f"/roster?done={code}&entry={result.entry_id}", status_code=303)
