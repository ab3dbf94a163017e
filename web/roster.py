"""The 报送情况 page (/roster): the season's month matrix by 所属单位, one month's 尚未报送 with whom to call, the
names matched to no roster entry with the entries they resemble, and staff confirming one of them ("确认为…",
POST /roster/alias), which store.roster records with its audit entry and every report re-linked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
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
class Group:
    """One 所属单位 of the matrix: its totals per month (cells) and its entries' rows, as HTML made here."""

    name: str
    entries: int
    none: int  # entries with no report in the season shown (their rows are shaded)
    cells: Markup
    rows: Markup


def cell(n: int, late: int = 0) -> str:
    """A count's cell: muted when 0, with how many of them were late (逾) when any."""
    if late:
        return f'<td>{n} <span class="tag late">逾{late}</span></td>'
    return _CELLS[n] if n < len(_CELLS) else f"<td>{n}</td>"


_CELLS = ['<td class="z">0</td>', *(f"<td>{n}</td>" for n in range(1, 100))]


def _row(r: CoverageRow) -> str:
    """One entry's line: its name escaped here (the only text in it), then numbers."""
    counts = [n for _, n in r.months]
    total = sum(counts)
    if r.late_months:
        late = dict(r.late_months)
        cells = "".join([cell(n, late.get(m, 0)) for m, n in r.months])
    else:
        cells = "".join(map(cell, counts))
    opening = "<tr>" if total else '<tr class="none">'
    return f"{opening}<th>{escape(r.name)}</th>{cells}{cell(total)}</tr>\n"


def _group(name: str, rows: list[CoverageRow]) -> Group:
    totals = [sum(column) for column in zip(*([n for _, n in r.months] for r in rows), strict=True)]
    html = "".join([*(cell(n) for n in totals), cell(sum(totals), sum(r.late for r in rows))])
    return Group(name=name or NO_GROUP, entries=len(rows), none=sum(1 for r in rows if not r.total),
                 cells=Markup(html), rows=Markup("".join([_row(r) for r in rows])))


def matrix(table: Coverage) -> list[Group]:
    """The coverage's rows by group, in its order (by group, entries without one last; then by name). The rows
    are written here rather than in the template: 2,000 entries x 9 months are 20,000 cells, and a template
    loop over them took as long as counting the reports (bench/bench_web.py)."""
    return [_group(name, list(rows)) for name, rows in groupby(table.rows, key=lambda r: r.group)]


def pick_month(asked: str, months: tuple[str, ...], today: date) -> str:
    """The month whose 尚未报送 the page lists: the one asked for when the matrix shows it, else today's month
    when it does, else the last month shown; "" when the season shown has not started."""
    if asked in months:
        return asked
    now = coverage.month_text(today.year, today.month)
    return now if now in months else (months[-1] if months else "")


def _year(request: Request, today: date) -> int | None:
    """?year=YYYY, or the year of ?month=YYYY-MM; None (this year's season, or the last) when neither is a year."""
    text = request.query_params.get("year", "") or request.query_params.get("month", "")[:4]
    year = _int(text, 0, lowest=0, highest=9999)
    return year if 2000 <= year <= today.year else None


def _roster(session: Session, year: int | None, asked: str, season: tuple[int, int], today: date,
            tz: ZoneInfo, done: tuple[str, int]) -> dict[str, Any] | None:
    if not roster.has_roster(session):
        return None
    if year is None:  # this year once its season has begun, else the year of the newest reports
        started = coverage.season_months(today.year, season, today)
        year = today.year if started else coverage.latest_year(session, tz) or today.year
    month = pick_month(asked, coverage.season_months(year, season, today), today)
    table, missing = coverage.coverage_and_missing(session, year, season, month, today=today, tz=tz)
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
