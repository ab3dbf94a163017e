"""The reading pages: 概览, 情况表 (list and one report), past digests, files and mails to download, the 汇总表
now, and /healthz."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core.vocab import DigestMode
from digest.render import xlsx_filename
from digest.run import outbox_dir, outbox_stem, summary_bytes
from service.present_roster import month_label
from service.status import gather
from store import audit, console, coverage, messages, roster
from store.errors import NotFound
from store.queries import FIELD_NAMES
from store.session import Session
from web.auth import Visit, console_of, page
from web.security import DIGEST_CSP, download_headers

MODE_LABELS = {DigestMode.SEND: "已发送", DigestMode.OUTBOX: "写入发件箱（未设置 SMTP）", DigestMode.DRY_RUN: "试运行"}
SORT_LABELS = (("received", "收到时间"), ("org", "党组织名称"), ("activity", "活动日期"), ("headcount", "人数"))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def not_found(request: Request, what: str) -> Response:
    return console_of(request).render(request, "error.html.j2", {"title": "找不到", "message": what}, status=404)


# ---- 概览 ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RosterMonth:
    """The 概览's line on the roster: entries, and this month's 尚未报送 (None out of season)."""

    entries: int
    month: str  # YYYY-MM
    missing: int | None


def roster_month(session: Session, day: date, season: tuple[int, int], tz: Any) -> RosterMonth | None:
    entries = roster.entry_count(session)
    if not entries:
        return None
    in_season = season[0] <= day.month <= season[1]
    missing = len(coverage.missing(session, day.year, day.month, tz=tz)) if in_season else None
    return RosterMonth(entries=entries, month=coverage.month_text(day.year, day.month), missing=missing)


def _overview(session: Session, day: date, tz: Any, season: tuple[int, int]) -> dict[str, Any]:
    return {
        "numbers": console.day_numbers(session, day, tz),
        "season": console.season_numbers(session, tz),
        "open": console.failure_page(session, open_only=True, page=1, per_page=10),
        "roster": roster_month(session, day, season, tz),
    }


@page()
async def overview(request: Request, visit: Visit) -> Response:
    c = console_of(request)
    facts = await c.read(_overview, c.today(), c.settings.tz, c.settings.season_months)
    status = await run_in_threadpool(gather, c.settings, c.now(), check_mailbox=False, with_counts=False,
                                     session_factory=c.reader)
    return c.render(request, "overview.html.j2", {"today": c.today(), "status": status, "month_label": month_label,
                                                  **facts})


# ---- 情况表 ----------------------------------------------------------------------------------------------------
def _int(text: str | None, default: int, lowest: int = 1, highest: int = 1_000_000) -> int:
    try:
        return min(highest, max(lowest, int(text or "")))
    except ValueError:
        return default


def report_filter(request: Request) -> console.ReportFilter:
    q = request.query_params
    sort = q.get("sort", "received")
    return console.ReportFilter(
        month=q.get("month", "").strip()[:7], group=q.get("group", "").strip()[:500], late=q.get("late") == "1",
        text=q.get("q", "").strip()[:console.SEARCH_KEPT], sort=sort if sort in console.SORTS else "received",
        descending=q.get("dir", "desc") != "asc", page=_int(q.get("page"), 1),
    )


def _query(f: console.ReportFilter, **change: Any) -> str:
    """The listing's query string with some parameters changed (sort links, page links)."""
    values: dict[str, Any] = {"month": f.month, "group": f.group, "late": "1" if f.late else "", "q": f.text,
                              "sort": f.sort, "dir": "desc" if f.descending else "asc", "page": f.page}
    values.update(change)
    return urlencode({k: v for k, v in values.items() if v not in ("", None, 1) or k == "sort"})


def _reports(session: Session, f: console.ReportFilter, tz: Any) -> dict[str, Any]:
    return {"result": console.report_page(session, f, tz), "groups": console.roster_groups(session)}


@page()
async def reports(request: Request, visit: Visit) -> Response:
    c = console_of(request)
    f = report_filter(request)
    found = await c.read(_reports, f, c.settings.tz)
    sorts = [(key, label, _query(f, sort=key, page=1, dir="asc" if f.sort == key and f.descending else "desc"))
             for key, label in SORT_LABELS]
    pages = {"prev": _query(f, page=f.page - 1) if f.page > 1 else "",
             "next": _query(f, page=f.page + 1) if f.page < found["result"].pages else ""}
    return c.render(request, "reports.html.j2", {"f": f, "sorts": sorts, "pages": pages, **found})


def _field_value(v: console.VersionDetail, name: str) -> str:
    if name == "headcount":
        return str(v.headcount) if v.headcount is not None else v.headcount_text
    if name == "agenda":
        return "；".join(v.agenda)
    if name == "activity_date":
        return v.activity_date.isoformat() if v.activity_date else ""
    value: str = getattr(v, name)
    return value


def changed_fields(versions: list[console.VersionDetail]) -> list[set[str]]:
    """For each version, the fields (store.queries.FIELD_NAMES) that differ from the version before it."""
    out: list[set[str]] = []
    for i, v in enumerate(versions):
        before = versions[i - 1] if i else None
        out.append(set() if before is None else
                   {name for name, _ in FIELD_NAMES if _field_value(v, name) != _field_value(before, name)})
    return out


def _report(session: Session, report_id: int, tz: Any) -> dict[str, Any] | None:
    versions = console.report_versions(session, report_id, tz)
    if not versions:
        return None
    return {"versions": versions, "repeats": console.report_repeats(session, report_id),
            "trail": audit.entries_for(session, "report", report_id)}


@page()
async def report(request: Request, visit: Visit) -> Response:
    c = console_of(request)
    report_id = int(request.path_params["report_id"])
    found = await c.read(_report, report_id, c.settings.tz)
    if found is None:
        return not_found(request, f"没有编号为 {report_id} 的情况表。")
    versions = found["versions"]
    rows = list(zip(versions, changed_fields(versions), strict=True))
    return c.render(request, "report.html.j2", {"report_id": report_id, "rows": list(reversed(rows)),
                                                "labels": dict(FIELD_NAMES), **found})


# ---- files -----------------------------------------------------------------------------------------------------
@page()
async def attachment(request: Request, visit: Visit) -> Response:
    pk = int(request.path_params["attachment_id"])
    found = await console_of(request).read(console.attachment_file, pk)
    if found is None:
        return not_found(request, f"没有编号为 {pk} 的附件。")
    filename, data = found
    return Response(data, media_type="application/octet-stream", headers=download_headers(filename or f"附件{pk}"))


@page()
async def raw_message(request: Request, visit: Visit) -> Response:
    pk = int(request.path_params["message_id"])
    try:
        data = await console_of(request).read(messages.raw_message, pk)
    except NotFound:
        return not_found(request, f"没有编号为 {pk} 的邮件。")
    return Response(data, media_type="message/rfc822", headers=download_headers(f"邮件{pk}.eml"))


@page()
async def export_xlsx(request: Request, visit: Visit) -> Response:
    c = console_of(request)
    data, _count = await run_in_threadpool(summary_bytes, c.settings, c.reader)
    return Response(data, media_type=XLSX, headers=download_headers(xlsx_filename(c.today())))


# ---- digests ---------------------------------------------------------------------------------------------------
@page()
async def digests(request: Request, visit: Visit) -> Response:
    c = console_of(request)
    runs = await c.read(console.digest_runs)
    folder = outbox_dir(c.settings)

    def shown_as_sent(e: console.DigestEntry) -> bool:  # kept in the store, or the outbox's file of that day
        return e.has_html or (e.run.mode == DigestMode.OUTBOX and (folder / f"{outbox_stem(e.run.day)}.html").is_file())

    shown = await run_in_threadpool(lambda: [(e, shown_as_sent(e)) for e in runs])
    return c.render(request, "digests.html.j2", {"runs": shown, "modes": MODE_LABELS})


@page()
async def digest_view(request: Request, visit: Visit) -> Response:
    c = console_of(request)
    run_id = int(request.path_params["run_id"])
    found = await c.read(console.digest_html, run_id)
    if found is None:
        return not_found(request, f"没有编号为 {run_id} 的日报。")
    run, html = found
    outbox_file = outbox_dir(c.settings) / f"{outbox_stem(run.day)}.html"
    if html is None and run.mode == DigestMode.OUTBOX and outbox_file.is_file():  # sent before the store kept it
        html = await run_in_threadpool(outbox_file.read_text, encoding="utf-8", errors="replace")
    if html is None:
        return not_found(request, f"{run.day.isoformat()} 的日报发出时本系统尚未保存其内容。")
    return Response(html, media_type="text/html; charset=utf-8", headers={"content-security-policy": DIGEST_CSP})


# ---- health ----------------------------------------------------------------------------------------------------
async def healthz(request: Request) -> Response:
    """No sign-in: 200 {"db": "ok", …} while the database answers, else 503 {"db": "unavailable"}."""
    found = await run_in_threadpool(console.health, console_of(request).reader)
    return JSONResponse(found, status_code=200 if found.get("db") == "ok" else 503,
                        headers={"cache-control": "no-store"})
