"""Reads for the web console: a page of reports filtered and sorted in SQL, one report's versions, a page of
failures, a mail's and an attachment's bytes, past digests, and the 概览's numbers without reading every report.

Every list is paginated in the database (LIMIT/OFFSET with a COUNT of the same rows), so a page costs the same
with 200 reports or 20,000.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, Text, case, cast, func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core.forms import FormValues
from core.vocab import PIXELS_WARNING, FailureStatus
from store import queries
from store.blobs import get_blob
from store.failures import select_failures
from store.models import (
    AttachmentRow,
    DigestRunRecord,
    Duplicate,
    FailureRecord,
    Message,
    PollRun,
    Report,
    ReportVersion,
    RosterEntry,
)
from store.records import DigestRun, FailureRow, SeasonTotals
from store.session import SessionFactory
from store.text import format_sender

log = logging.getLogger(__name__)
T = TypeVar("T")
PER_PAGE = 50
SEARCH_KEPT = 200  # a search longer than this is cut: nobody types more, and LIKE patterns cost per character

# The sort keys a listing accepts, each with its column.
SORTS: dict[str, ColumnElement[object]] = {
    "received": ReportVersion.received_at,  # type: ignore[dict-item]
    "org": ReportVersion.org_name,  # type: ignore[dict-item]
    "activity": ReportVersion.activity_date,  # type: ignore[dict-item]
    "headcount": ReportVersion.headcount,  # type: ignore[dict-item]
    "id": ReportVersion.report_id,  # type: ignore[dict-item]
}


@dataclass(frozen=True)
class ReportFilter:
    """What the 情况表 page asks for: month (YYYY-MM, activity month else received month), 所属单位, 逾期 only,
    text, the sort key and direction, and the page (from 1)."""

    month: str = ""
    group: str = ""
    late: bool = False
    text: str = ""
    sort: str = "received"
    descending: bool = True
    page: int = 1


@dataclass(frozen=True)
class ReportListRow:
    id: int
    version: int
    org_name: str
    headcount: int | None
    headcount_text: str
    activity_date: date | None
    received_at: datetime
    late: bool
    contact_person: str
    contact_phone: str
    sender: str
    group: str
    warnings: int
    from_pixels: bool = False  # read from a picture (core.vocab.PIXELS_WARNING): check it against the original


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: tuple[T, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True, kw_only=True)
class VersionDetail(FormValues):
    """One version of a report (the form's values) with where it came from: its mail and its file."""

    report_id: int
    version: int
    received_at: datetime
    late: bool
    correction: bool
    message_pk: int
    sender: str
    subject: str
    sent_at: datetime | None
    attachment_pk: int | None
    attachment_name: str


@dataclass(frozen=True)
class Repeat:
    """The same content (or file, or mail) received again for a report: which mail, when."""

    kind: str
    message_pk: int
    sender: str
    subject: str
    received_at: datetime


@dataclass(frozen=True)
class MailInfo:
    message_pk: int
    sender: str
    subject: str
    sent_at: datetime | None
    received_at: datetime
    raw_size: int
    attachments: tuple[tuple[int, str, int, str], ...]  # (pk, file name, size, detected format)


@dataclass(frozen=True)
class DayNumbers:
    """The digest's numbers for one day (store.queries' own definitions), counted rather than listed."""

    day: date
    new_reports: int
    corrections: int
    new_failures: int
    duplicates: int
    ignored: int
    messages: int


@dataclass(frozen=True)
class DigestEntry:
    run: DigestRun
    has_html: bool


# ---- reports ---------------------------------------------------------------------------------------------------
def _month_bounds(month: str, tz: ZoneInfo) -> tuple[date, date, datetime, datetime] | None:
    year_text, _, month_text = month.partition("-")
    if not (year_text.isdigit() and month_text.isdigit() and len(year_text) == 4):
        return None
    year, mon = int(year_text), int(month_text)
    if not 1 <= mon <= 12 or not 1900 <= year <= 2199:
        return None
    first = date(year, mon, 1)
    after = date(year + (mon == 12), mon % 12 + 1, 1)
    return first, after, queries.day_bounds(first, tz)[0], queries.day_bounds(after, tz)[0]


def _report_where(session: Session, f: ReportFilter, tz: ZoneInfo) -> tuple[list[ColumnElement[bool]], set[str]]:
    """The conditions for f, and the tables besides reports they need ("messages", "roster")."""
    where: list[ColumnElement[bool]] = [ReportVersion.version_no == Report.current_version]
    needs: set[str] = set()
    bounds = _month_bounds(f.month, tz) if f.month else None
    if bounds is not None:
        first, after, start, end = bounds
        where.append(((ReportVersion.activity_date >= first) & (ReportVersion.activity_date < after))
                     | (ReportVersion.activity_date.is_(None) & (ReportVersion.received_at >= start)
                        & (ReportVersion.received_at < end)))
    if f.group:
        where.append(RosterEntry.group_name == f.group)
        needs.add("roster")
    if f.late:
        where.append(queries.late_condition(session, tz))
    text = f.text.strip()[:SEARCH_KEPT]
    if text:
        columns = (ReportVersion.org_name, ReportVersion.contact_person, ReportVersion.contact_phone,
                   ReportVersion.summary, Message.sender_name, Message.sender_address, Message.subject)
        # SQLite's LIKE already ignores ASCII case (and Chinese has none): lower() on every column would only
        # cost time there; PostgreSQL needs ILIKE.
        sqlite = session.get_bind().dialect.name == "sqlite"
        where.append(or_(*(column.contains(text, autoescape=True) if sqlite
                           else column.icontains(text, autoescape=True) for column in columns)))
        needs.add("messages")
    return where, needs


def _joined(stmt: Select, needs: set[str]) -> Select:
    stmt = stmt.join(Report, Report.id == ReportVersion.report_id)
    if "messages" in needs:
        stmt = stmt.join(Message, Message.id == ReportVersion.message_id)
    if "roster" in needs:
        stmt = stmt.outerjoin(RosterEntry, RosterEntry.id == Report.roster_entry_id)
    return stmt


def listing_statements(session: Session, f: ReportFilter, tz: ZoneInfo,
                       per_page: int = PER_PAGE) -> tuple[Select, Select]:
    """(the count of every report matching f, the page's rows): the rows are picked by id first, joining only
    the tables the filter needs, then those 50 are read with their mail and roster entry."""
    where, needs = _report_where(session, f, tz)
    count = _joined(select(func.count(ReportVersion.id)), needs).where(*where)
    column = SORTS.get(f.sort, ReportVersion.received_at)
    order = (column.desc().nulls_last() if f.descending else column.asc().nulls_last(),
             ReportVersion.report_id.desc() if f.descending else ReportVersion.report_id.asc())
    ids = (_joined(select(ReportVersion.id), needs).where(*where).order_by(*order)
           .limit(per_page).offset((max(1, f.page) - 1) * per_page))
    rows: Select = (
        select(ReportVersion.report_id, ReportVersion.version_no, ReportVersion.org_name, ReportVersion.headcount,
               ReportVersion.headcount_text, ReportVersion.activity_date, ReportVersion.received_at,
               ReportVersion.contact_person, ReportVersion.contact_phone, cast(ReportVersion.warnings, Text),
               Message.sender_name, Message.sender_address, RosterEntry.group_name)
        .join(Report, Report.id == ReportVersion.report_id)
        .join(Message, Message.id == ReportVersion.message_id)
        .outerjoin(RosterEntry, RosterEntry.id == Report.roster_entry_id)
        .where(ReportVersion.id.in_(ids.scalar_subquery()))
        .order_by(*order)
    )
    return count, rows


def report_page(session: Session, f: ReportFilter, tz: ZoneInfo, per_page: int = PER_PAGE) -> Page[ReportListRow]:
    """One page of current reports matching f, sorted in the database, with the number of all that match."""
    count, stmt = listing_statements(session, f, tz, per_page)
    total = int(session.scalar(count) or 0)
    rows = tuple(
        ReportListRow(id=rid, version=no, org_name=org, headcount=n, headcount_text=n_text, activity_date=activity,
                      received_at=received, late=queries.is_late(received, activity, tz), contact_person=person,
                      contact_phone=phone, sender=format_sender(sname or "", saddr or ""), group=group or "",
                      warnings=len(found := queries.strings(warnings)), from_pixels=PIXELS_WARNING in found)
        for (rid, no, org, n, n_text, activity, received, person, phone, warnings, sname, saddr, group)
        in session.connection().execute(stmt)
    )
    return Page(rows=rows, total=total, page=max(1, f.page), per_page=per_page)


def report_versions(session: Session, report_id: int, tz: ZoneInfo) -> list[VersionDetail]:
    """Every version of one report, oldest first, with its mail and file; empty when there is no such report."""
    stmt = (
        select(ReportVersion, Message.sender_name, Message.sender_address, Message.subject, Message.sent_at,
               AttachmentRow.filename)
        .join(Message, Message.id == ReportVersion.message_id)
        .outerjoin(AttachmentRow, AttachmentRow.id == ReportVersion.attachment_id)
        .where(ReportVersion.report_id == report_id)
        .order_by(ReportVersion.version_no)
    )
    out: list[VersionDetail] = []
    for v, sender_name, sender_address, subject, sent_at, filename in session.execute(stmt):
        out.append(VersionDetail(
            report_id=v.report_id, version=v.version_no, org_name=v.org_name, headcount=v.headcount,
            headcount_text=v.headcount_text, agenda=tuple(v.agenda or ()), summary=v.summary,
            contact_person=v.contact_person, contact_phone=v.contact_phone, activity_date=v.activity_date,
            received_at=v.received_at, late=queries.is_late(v.received_at, v.activity_date, tz),
            warnings=tuple(v.warnings or ()), correction=v.correction, message_pk=v.message_id,
            sender=format_sender(sender_name, sender_address), subject=subject, sent_at=sent_at,
            attachment_pk=v.attachment_id, attachment_name=filename or "",
        ))
    return out


def report_repeats(session: Session, report_id: int) -> list[Repeat]:
    """Mails that brought one of this report's versions again (the same form content), oldest first."""
    stmt = (
        select(Duplicate.kind, Message.id, Message.sender_name, Message.sender_address, Message.subject,
               Message.received_at)
        .join(Message, Message.id == Duplicate.message_id)
        .join(ReportVersion, ReportVersion.id == Duplicate.of_version_id)
        .where(ReportVersion.report_id == report_id)
        .order_by(Message.received_at, Duplicate.id)
    )
    seen: set[int] = set()
    out: list[Repeat] = []
    for kind, pk, name, address, subject, received_at in session.execute(stmt):
        if pk not in seen:
            seen.add(pk)
            out.append(Repeat(kind, pk, format_sender(name, address), subject, received_at))
    return out


# ---- mails and files -------------------------------------------------------------------------------------------
def mail_info(session: Session, message_pk: int) -> MailInfo | None:
    m = session.get(Message, message_pk)
    if m is None:
        return None
    files = session.execute(
        select(AttachmentRow.id, AttachmentRow.filename, AttachmentRow.size, AttachmentRow.detected_format)
        .where(AttachmentRow.message_id == message_pk).order_by(AttachmentRow.id)
    ).all()
    return MailInfo(message_pk=m.id, sender=format_sender(m.sender_name, m.sender_address), subject=m.subject,
                    sent_at=m.sent_at, received_at=m.received_at, raw_size=m.raw_size,
                    attachments=tuple((pk, name, size, fmt) for pk, name, size, fmt in files))


def attachment_file(session: Session, attachment_pk: int) -> tuple[str, bytes] | None:
    """One attachment's file name (as the branch named it) and bytes; None when there is no such attachment."""
    row = session.execute(
        select(AttachmentRow.filename, AttachmentRow.sha256).where(AttachmentRow.id == attachment_pk)
    ).first()
    if row is None:
        return None
    return row[0], get_blob(session, row[1])


# ---- failures --------------------------------------------------------------------------------------------------
def failure_page(session: Session, open_only: bool, page: int, per_page: int = PER_PAGE) -> Page[FailureRow]:
    """One page of failures, newest first (open ones only, or all), with the number of all of them."""
    where = [FailureRecord.status == FailureStatus.OPEN] if open_only else []
    total = int(session.scalar(select(func.count(FailureRecord.id)).where(*where)) or 0)
    page = max(1, page)
    ids = (select(FailureRecord.id).where(*where).order_by(FailureRecord.id.desc())
           .limit(per_page).offset((page - 1) * per_page))
    rows = select_failures(session, FailureRecord.id.in_(ids.scalar_subquery()))
    return Page(rows=tuple(sorted(rows, key=lambda r: -r.id)), total=total, page=page, per_page=per_page)


# ---- 概览 ------------------------------------------------------------------------------------------------------
def day_numbers(session: Session, day: date, tz: ZoneInfo) -> DayNumbers:
    """How many new reports, corrections, failures, duplicates and ignored mails one day had, as the digest
    for that day lists them (the same queries), without building the rows."""
    start, end = queries.day_bounds(day, tz)
    new_reports = session.scalar(select(func.count()).select_from(queries.new_report_ids(start, end).subquery()))
    corrections = session.scalar(select(func.count(ReportVersion.id)).where(
        ReportVersion.version_no > 1, ReportVersion.received_at >= start, ReportVersion.received_at < end))
    failures = session.scalar(
        select(func.count(FailureRecord.id)).outerjoin(Message, Message.id == FailureRecord.message_id)
        .where(queries.failures_of_day(start, end)))
    return DayNumbers(
        day=day, new_reports=int(new_reports or 0), corrections=int(corrections or 0),
        new_failures=int(failures or 0), duplicates=len(queries.duplicates_between(session, start, end, tz)),
        ignored=sum(n for _reason, n in queries.ignored_of_day(session, start, end)),
        messages=queries.messages_of_day(session, start, end),
    )


def season_numbers(session: Session, tz: ZoneInfo) -> SeasonTotals:
    """store.queries.season_totals, added up in the database: the same numbers without reading every report."""
    current = (Report.id == ReportVersion.report_id) & (ReportVersion.version_no == Report.current_version)
    late = queries.late_condition(session, tz)
    by_date = session.execute(
        select(ReportVersion.activity_date, func.count(ReportVersion.id), func.sum(ReportVersion.headcount),
               func.sum(case((late, 1), else_=0)))
        .join(Report, current)
        .where(ReportVersion.activity_date.is_not(None))
        .group_by(ReportVersion.activity_date)
    ).all()
    months: Counter[tuple[int, int]] = Counter()
    reports = participants = late_count = 0
    for activity, n, people, n_late in by_date:
        months[(activity.year, activity.month)] += int(n)
        reports += int(n)
        participants += int(people or 0)
        late_count += int(n_late or 0)
    undated = session.connection().execute(
        select(ReportVersion.received_at, ReportVersion.headcount).join(Report, current)
        .where(ReportVersion.activity_date.is_(None))
    )
    for received_at, people in undated:  # few: most forms say when the activity was
        local = received_at.astimezone(tz) if received_at.tzinfo else received_at.replace(tzinfo=UTC).astimezone(tz)
        months[(local.year, local.month)] += 1
        reports += 1
        participants += int(people or 0)
    per_month = tuple((f"{y:04d}-{m:02d}", n) for (y, m), n in sorted(months.items()))
    return SeasonTotals(reports=reports, participants=participants, per_month=per_month, late=late_count,
                        open_failures=queries.open_failures(session))


# ---- roster (read only: the tables exist from migration 0003) ---------------------------------------------------
def roster_groups(session: Session) -> list[str]:
    """The 所属单位 named in the roster, sorted; empty when no roster is loaded."""
    rows = session.scalars(
        select(RosterEntry.group_name).where(RosterEntry.group_name != "").distinct().order_by(RosterEntry.group_name)
    )
    return list(rows)


def roster_entry(session: Session, entry_id: int) -> tuple[str, int] | None:
    """One roster entry's name and how many reports are linked to it; None when there is no such entry."""
    name = session.scalar(select(RosterEntry.name).where(RosterEntry.id == entry_id))
    if name is None:
        return None
    return name, int(session.scalar(select(func.count(Report.id)).where(Report.roster_entry_id == entry_id)) or 0)


# ---- digests ---------------------------------------------------------------------------------------------------
def _digest_run(r: DigestRunRecord) -> DigestRun:
    return DigestRun(id=r.id, day=r.day, sent_at=r.sent_at, recipients=tuple(r.recipients or ()),
                     message_id=r.message_id, mode=r.mode)


def digest_runs(session: Session, limit: int = 400) -> list[DigestEntry]:
    """Digests built, newest first (dry runs included: mode says which), and whether each kept its HTML."""
    stmt = select(DigestRunRecord).order_by(DigestRunRecord.day.desc(), DigestRunRecord.sent_at.desc()).limit(limit)
    return [DigestEntry(_digest_run(r), r.html_sha256 is not None) for r in session.scalars(stmt)]


def digest_html(session: Session, run_id: int) -> tuple[DigestRun, str | None] | None:
    """One digest run and its HTML as sent (None when it was sent before the HTML was kept); None if no such run."""
    row = session.get(DigestRunRecord, run_id)
    if row is None:
        return None
    html = get_blob(session, row.html_sha256).decode("utf-8") if row.html_sha256 else None
    return _digest_run(row), html


def health(session_factory: SessionFactory) -> dict[str, object]:
    """For a monitor: {"db": "ok", "open_failures": n, "last_poll_at": ISO time or None, "last_poll_ok": …}
    while the database answers, else {"db": "unavailable"} (the reason goes to the log, not to the caller)."""
    try:
        with session_factory() as session:
            last = session.execute(
                select(PollRun.finished_at, PollRun.ok).order_by(PollRun.finished_at.desc(), PollRun.id.desc()).limit(1)
            ).first()
            open_count = queries.open_failures(session)
    except SQLAlchemyError as exc:
        log.error("health check: the database does not answer: %s", str(getattr(exc, "orig", None) or exc)[:300])
        return {"db": "unavailable"}
    return {"db": "ok", "open_failures": open_count,
            "last_poll_at": last[0].isoformat(timespec="seconds") if last else None,
            "last_poll_ok": bool(last[1]) if last else None}
