"""Read the store: current reports, season totals, counts, and everything one day's digest says."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, Text, case, cast, false, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from core.vocab import PIXELS_WARNING
from store.events import last_done_digest
from store.failures import AUTO, select_failures
from store.models import (
    AttachmentRow,
    DigestRunRecord,
    Duplicate,
    FailureRecord,
    Message,
    PollRun,
    Receipt,
    Report,
    ReportVersion,
    UTCDateTime,
)
from store.records import (
    Correction,
    DigestFacts,
    DuplicateRow,
    PollHealth,
    ReportRow,
    SeasonTotals,
)
from store.text import format_sender

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")
LATE_AFTER_DAYS = 7  # the notice asks for the form within a week of the activity
ERRORS_KEPT = 50

# The Chinese names of the form's fields, as the digest lists changes.
FIELD_NAMES = (
    ("org_name", "党组织名称"),
    ("headcount", "人数"),
    ("agenda", "议程"),
    ("summary", "简介"),
    ("contact_person", "联系人"),
    ("contact_phone", "联系方式"),
    ("activity_date", "活动日期"),
)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where the local calendar day starts and ends."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def is_late(received_at: datetime, activity_date: date | None, tz: ZoneInfo = DEFAULT_TZ) -> bool:
    """Received more than 7 days (local calendar days) after the activity date."""
    if activity_date is None:
        return False
    return received_at >= _late_from(activity_date, tz)


@lru_cache(maxsize=4096)
def _late_from(activity_date: date, tz: ZoneInfo) -> datetime:
    """The first instant that counts as late: local midnight starting day activity + 8."""
    return day_bounds(activity_date + timedelta(days=LATE_AFTER_DAYS + 1), tz)[0]


def late_from(activity_date: date, tz: ZoneInfo = DEFAULT_TZ) -> datetime:
    """The first instant (UTC) at which a form for an activity on that date counts as late (逾期)."""
    return _late_from(activity_date, tz)


def late_condition(session: Session, tz: ZoneInfo, within: tuple[date, date] | None = None) -> ColumnElement[bool]:
    """Received more than 7 local days after the activity, exactly as store.queries.is_late says, in SQL.

    The threshold of each activity date is worked out here (time zones included) and handed to the database as
    a CASE over the dates that occur, nested as a binary search (about 8 comparisons a row for a season's 200
    dates, not 100); each leaf checks its date, so a date this read did not see is never late by mistake.
    within (first, after): only activity dates from first up to (not including) after are looked at, for a
    caller that reads only those reports (a smaller CASE).
    """
    stmt = select(ReportVersion.activity_date).where(ReportVersion.activity_date.is_not(None)).distinct()
    if within is not None:
        stmt = stmt.where(ReportVersion.activity_date >= within[0], ReportVersion.activity_date < within[1])
    dates = sorted(d for d in session.scalars(stmt) if d)
    if not dates:
        return false()
    return ReportVersion.activity_date.is_not(None) & (ReportVersion.received_at >= _threshold(dates, tz))


def _threshold(dates: list[date], tz: ZoneInfo) -> ColumnElement[datetime]:
    if len(dates) == 1:
        return case((ReportVersion.activity_date == dates[0], literal(late_from(dates[0], tz), UTCDateTime())))
    mid = len(dates) // 2
    return case((ReportVersion.activity_date < dates[mid], _threshold(dates[:mid], tz)),
                else_=_threshold(dates[mid:], tz))


def strings(json_text: str | None) -> tuple[str, ...]:
    """A JSON list of strings read back from its text (agenda, warnings)."""
    return _strings(json_text)


def _strings(json_text: str | None) -> tuple[str, ...]:
    """A JSON list of strings read as text (decoding it here is much cheaper than per-row JSON processing)."""
    if not json_text or json_text == "[]":
        return ()
    return tuple(json.loads(json_text))


def _report_rows(session: Session, *where: ColumnElement[bool], all_versions: bool = False,
                 tz: ZoneInfo = DEFAULT_TZ, newest: int = 0) -> list[ReportRow]:
    stmt = (
        select(ReportVersion.report_id, ReportVersion.version_no, ReportVersion.org_name, ReportVersion.headcount,
               ReportVersion.headcount_text, cast(ReportVersion.agenda, Text), ReportVersion.summary,
               ReportVersion.contact_person, ReportVersion.contact_phone, ReportVersion.activity_date,
               ReportVersion.received_at, cast(ReportVersion.warnings, Text), Message.sender_name,
               Message.sender_address, Message.subject, Message.message_id, AttachmentRow.filename)
        .join(Report, Report.id == ReportVersion.report_id)
        .join(Message, Message.id == ReportVersion.message_id)
        .outerjoin(AttachmentRow, AttachmentRow.id == ReportVersion.attachment_id)
        .where(*where)
        .order_by(ReportVersion.received_at, ReportVersion.report_id, ReportVersion.version_no)
    )
    if newest:  # only the newest rows, read newest first by the index, handed back oldest first
        stmt = stmt.order_by(None).order_by(ReportVersion.received_at.desc(), ReportVersion.report_id.desc(),
                                            ReportVersion.version_no.desc()).limit(newest)
    if not all_versions:
        stmt = stmt.where(ReportVersion.version_no == Report.current_version)
    rows: list[ReportRow] = []
    result = session.connection().execute(stmt)  # Core rows: no ORM loading overhead for this wide read
    for (report_id, version_no, org_name, headcount, headcount_text, agenda, summary, person, phone, activity,
         received_at, warnings, sender_name, sender_address, subject, message_id, filename) in result:
        rows.append(ReportRow(
            id=report_id, version=version_no, org_name=org_name, headcount=headcount,
            headcount_text=headcount_text, agenda=_strings(agenda), summary=summary, contact_person=person,
            contact_phone=phone, activity_date=activity, received_at=received_at,
            late=is_late(received_at, activity, tz), sender=format_sender(sender_name, sender_address),
            subject=subject, message_id=message_id, attachment=filename or "", warnings=_strings(warnings),
        ))
    return rows


def current_reports(session: Session, since: date | None = None, all_versions: bool = False, *,
                    tz: ZoneInfo = DEFAULT_TZ, newest: int = 0) -> list[ReportRow]:
    """Each report's current version (or every version), oldest first; since = received on or after that day;
    newest > 0: only that many of the most recently received."""
    rows = _report_rows(session, *_since(since, tz), all_versions=all_versions, tz=tz, newest=newest)
    return rows[::-1] if newest else rows


def count_reports(session: Session, since: date | None = None, all_versions: bool = False, *,
                  tz: ZoneInfo = DEFAULT_TZ) -> int:
    """How many rows current_reports would give, counted in the database."""
    stmt = select(func.count(ReportVersion.id)).join(Report, Report.id == ReportVersion.report_id).where(
        *_since(since, tz))
    if not all_versions:
        stmt = stmt.where(ReportVersion.version_no == Report.current_version)
    return int(session.scalar(stmt) or 0)


def _since(since: date | None, tz: ZoneInfo) -> list[ColumnElement[bool]]:
    return [] if since is None else [ReportVersion.received_at >= day_bounds(since, tz)[0]]


def season_totals(session: Session, *, tz: ZoneInfo = DEFAULT_TZ) -> SeasonTotals:
    """Reports, participants, reports per month (activity month, else received month), late ones, open failures."""
    stmt = (
        select(ReportVersion.headcount, ReportVersion.activity_date, ReportVersion.received_at)
        .join(Report, (Report.id == ReportVersion.report_id) & (ReportVersion.version_no == Report.current_version))
    )
    return _totals(session, ((h, a, r) for h, a, r in session.execute(stmt)), tz)


def _totals(session: Session, rows: Iterable[tuple[int | None, date | None, datetime]], tz: ZoneInfo) -> SeasonTotals:
    """Season totals from (headcount, activity_date, received_at) of every current version."""
    reports = participants = late = 0
    months: Counter[tuple[int, int]] = Counter()
    for headcount, activity, received_at in rows:
        reports += 1
        participants += headcount or 0
        if activity is not None:
            months[(activity.year, activity.month)] += 1
            late += received_at >= _late_from(activity, tz)
        else:
            local = received_at.astimezone(tz)
            months[(local.year, local.month)] += 1
    open_failures = session.scalar(select(func.count(FailureRecord.id)).where(FailureRecord.status == "open"))
    per_month = tuple((f"{y:04d}-{m:02d}", n) for (y, m), n in sorted(months.items()))
    return SeasonTotals(reports=reports, participants=participants, per_month=per_month, late=late,
                        open_failures=int(open_failures or 0))


def counts(session: Session) -> dict[str, int]:
    """Row counts for `intake status`: messages, reports, versions, attachments, duplicates, failures ..."""
    def n(column: Any, *where: ColumnElement[bool]) -> int:
        return int(session.scalar(select(func.count(column)).where(*where)) or 0)

    return {
        "messages": n(Message.id),
        "reports": n(Report.id),
        "versions": n(ReportVersion.id),
        "attachments": n(AttachmentRow.id),
        "duplicates": len(_duplicates(session, None, None, DEFAULT_TZ)),
        "failures": n(FailureRecord.id),
        "open_failures": n(FailureRecord.id, FailureRecord.status == "open"),
        "ignored": n(Message.id, Message.outcome == "ignored"),
        "polls": n(PollRun.id),
        "poll_errors": n(PollRun.id, PollRun.ok.is_(False)),
        "digests_sent": n(DigestRunRecord.id, DigestRunRecord.mode == "send"),
    }


def open_failures(session: Session) -> int:
    """How many failures are open (待处理)."""
    return int(session.scalar(select(func.count(FailureRecord.id)).where(FailureRecord.status == "open")) or 0)


def _field_text(version: ReportVersion, name: str) -> str:
    if name == "headcount":
        return str(version.headcount) if version.headcount is not None else version.headcount_text
    if name == "agenda":
        return "；".join(version.agenda or ())
    if name == "activity_date":
        return version.activity_date.isoformat() if version.activity_date else ""
    value: str = getattr(version, name)
    return value


def _corrections(session: Session, start: datetime, end: datetime) -> list[Correction]:
    previous = aliased(ReportVersion)
    stmt = (
        select(ReportVersion, previous)
        .join(previous, (previous.report_id == ReportVersion.report_id)
              & (previous.version_no == ReportVersion.version_no - 1))
        .where(ReportVersion.version_no > 1, ReportVersion.received_at >= start, ReportVersion.received_at < end)
        .order_by(ReportVersion.received_at, ReportVersion.id)
    )
    out: list[Correction] = []
    for new, old in session.execute(stmt).all():
        changes = tuple(
            (label, _field_text(old, name), _field_text(new, name))
            for name, label in FIELD_NAMES
            if _field_text(old, name) != _field_text(new, name)
        )
        out.append(Correction(report_id=new.report_id, org_name=new.org_name, version=new.version_no,
                              received_at=new.received_at, changes=changes,
                              from_pixels=PIXELS_WARNING in (new.warnings or ())))
    return out


def _md(when: datetime, tz: ZoneInfo) -> str:
    local = when.astimezone(tz)
    return f"{local.month}月{local.day}日"


def _duplicates(
    session: Session, start: datetime | None, end: datetime | None, tz: ZoneInfo
) -> list[DuplicateRow]:
    """The duplicates staff care about, one entry for each thing sent again (see _shown)."""
    earlier_msg = aliased(Message)
    earlier_att = aliased(AttachmentRow)
    form_of = aliased(ReportVersion)
    earlier_was_form = select(form_of.id).where(form_of.attachment_id == Duplicate.of_attachment_id).exists()
    stmt = (
        select(Duplicate.kind, Message.sender_name, Message.sender_address, Message.subject, Message.received_at,
               AttachmentRow.filename, earlier_msg.subject, earlier_msg.received_at, earlier_msg.sender_address,
               earlier_att.filename, ReportVersion.org_name, ReportVersion.version_no,
               Duplicate.message_id, Message.outcome, earlier_was_form, Duplicate.attachment_id)
        .join(Message, Message.id == Duplicate.message_id)
        .outerjoin(AttachmentRow, AttachmentRow.id == Duplicate.attachment_id)
        .outerjoin(earlier_msg, earlier_msg.id == Duplicate.of_message_id)
        .outerjoin(earlier_att, earlier_att.id == Duplicate.of_attachment_id)
        .outerjoin(ReportVersion, ReportVersion.id == Duplicate.of_version_id)
        .order_by(Message.received_at, Duplicate.id)
    )
    if start is not None:
        stmt = stmt.where(Message.received_at >= start)
    if end is not None:
        stmt = stmt.where(Message.received_at < end)
    rows = session.execute(stmt).all()
    whole_mail = {row[12] for row in rows if row[0] == "message"}
    read_as_form = {(row[12], row[15]) for row in rows if row[0] == "form"}
    shown: set[int] = set()
    out: list[DuplicateRow] = []
    for (kind, sender_name, sender_address, subject, received_at, filename, e_subject, e_received, e_sender,
         e_filename, org_name, version_no, message_pk, outcome, was_form, attachment_pk) in rows:
        if kind == "attachment" and (message_pk, attachment_pk) in read_as_form:
            continue  # the same file's form duplicate says more: which report, which version
        if not _shown(kind, message_pk, outcome, bool(was_form), whole_mail, shown):
            continue
        shown.add(message_pk)
        when = _md(e_received, tz) if e_received is not None else "此前"
        if kind == "form":
            of_what = f"与 {when} 收到的「{org_name}」情况表（第{version_no}版）内容相同"
        elif kind == "attachment":
            of_what = f"与 {when} {e_sender or ''} 发来的附件「{e_filename or ''}」完全相同"
        else:
            of_what = f"与 {when} 收到的邮件「{e_subject or ''}」为同一封邮件（Message-ID 相同）"
        out.append(DuplicateRow(kind=kind, sender=format_sender(sender_name, sender_address), subject=subject,
                                filename=filename or "", of_what=of_what, received_at=received_at))
    return out


def _shown(kind: str, message_pk: int, outcome: str, was_form: bool, whole_mail: set[int], shown: set[int]) -> bool:
    """Whether a duplicate row is one staff should see.

    A mail received twice is one duplicate (not one more per attachment in it); a file sent again counts when it
    was a form before, or once for a mail that brought nothing but files seen before — a photo sent again
    beside a new form is no duplicate report.
    """
    if message_pk in whole_mail:
        return kind == "message"
    if kind == "attachment" and not was_form:
        return outcome == "duplicate" and message_pk not in shown
    return True


def _health(session: Session, since: datetime | None) -> list[PollHealth]:
    mailboxes = session.execute(
        select(PollRun.account, PollRun.folder, func.max(PollRun.finished_at))
        .group_by(PollRun.account, PollRun.folder)
        .order_by(PollRun.account, PollRun.folder)
    ).all()
    out: list[PollHealth] = []
    for account, folder, last_run_at in mailboxes:
        mine = (PollRun.account == account, PollRun.folder == folder)
        last_ok_at = session.scalar(select(func.max(PollRun.finished_at)).where(*mine, PollRun.ok.is_(True)))
        last = session.execute(
            select(PollRun.ok, PollRun.error).where(*mine).order_by(PollRun.finished_at.desc(), PollRun.id.desc())
            .limit(1)
        ).one()
        errors_where = [*mine, PollRun.ok.is_(False)]
        if since is not None:
            errors_where.append(PollRun.finished_at > since)
        errors = session.execute(
            select(PollRun.finished_at, PollRun.error).where(*errors_where)
            .order_by(PollRun.finished_at.desc()).limit(ERRORS_KEPT)
        ).all()
        out.append(PollHealth(account=account, folder=folder, last_ok_at=last_ok_at, last_run_at=last_run_at,
                              last_error="" if last[0] else last[1],
                              errors_since=tuple((when, error) for when, error in reversed(errors))))
    return out


def _current_as_of(session: Session, end: datetime, tz: ZoneInfo) -> list[ReportRow]:
    """Each report's latest version received before end: the roll-up as it stood at the end of that day, so a
    digest sent late (catch-up, --date) says what that day's digest would have said."""
    latest: dict[int, ReportRow] = {}
    for row in _report_rows(session, ReportVersion.received_at < end, all_versions=True, tz=tz):
        if row.id not in latest or row.version > latest[row.id].version:
            latest[row.id] = row
    return list(latest.values())


def new_report_ids(start: datetime, end: datetime) -> Select[int]:
    """The reports new between start and end, as the digest counts them.

    A report is new on the day its mail arrived, or, when a reparse turned an earlier failed attachment into
    it, on the day of that reparse: otherwise staff would never hear of it.
    """
    reparsed_today = (FailureRecord.resolved_by == "reparse", FailureRecord.resolved_at >= start,
                      FailureRecord.resolved_at < end)
    reparsed_files = select(FailureRecord.attachment_id).where(*reparsed_today)
    reparsed_mails = select(FailureRecord.message_id).where(*reparsed_today, FailureRecord.attachment_id.is_(None))
    return select(ReportVersion.report_id).where(
        ReportVersion.version_no == 1,
        ((ReportVersion.received_at >= start) & (ReportVersion.received_at < end))
        | ((ReportVersion.received_at < start)
           & (ReportVersion.attachment_id.in_(reparsed_files) | ReportVersion.message_id.in_(reparsed_mails))),
    )


def failures_of_day(start: datetime, end: datetime) -> ColumnElement[bool]:
    """A failure belongs to the day its mail arrived; an unstorable mail (no message row) to the day it was met.
    (A condition on failures joined to their messages, as select_failures joins them.)"""
    return or_(
        (Message.received_at >= start) & (Message.received_at < end),
        FailureRecord.message_id.is_(None) & (FailureRecord.created_at >= start) & (FailureRecord.created_at < end),
    )


def ignored_of_day(session: Session, start: datetime, end: datetime) -> tuple[tuple[str, int], ...]:
    """(reason, count) of the mail received between start and end that was ignored."""
    rows = session.execute(
        select(Message.outcome_reason, func.count(Message.id))
        .where(Message.outcome == "ignored", Message.received_at >= start, Message.received_at < end)
        .group_by(Message.outcome_reason)
        .order_by(Message.outcome_reason)
    ).all()
    return tuple((reason, int(n)) for reason, n in rows)


def messages_of_day(session: Session, start: datetime, end: datetime) -> int:
    return int(session.scalar(
        select(func.count(Message.id)).where(Message.received_at >= start, Message.received_at < end)) or 0)


def corrections_between(session: Session, start: datetime, end: datetime) -> list[Correction]:
    """New versions received between start and end, each with its changed fields (the digest's 更正)."""
    return _corrections(session, start, end)


def duplicates_between(session: Session, start: datetime, end: datetime, tz: ZoneInfo) -> list[DuplicateRow]:
    """What arrived again between start and end, one entry for each thing sent again (the digest's 重复)."""
    return _duplicates(session, start, end, tz)


def poll_health(session: Session) -> list[PollHealth]:
    """Each mailbox's last good poll and its errors since the last digest that counts (the digest's 运行状态)."""
    last_run = last_done_digest(session)
    return _health(session, None if last_run is None else last_run.sent_at)


def digest_facts(
    session: Session, day: date, tz: ZoneInfo, season_months: tuple[int, int] = (4, 11)
) -> DigestFacts:
    """Everything the digest for one local calendar day (by received time) says, read in one go; season_months
    (first and last month of the reporting season) bound the roster's part (store.coverage.roster_facts)."""
    from store.coverage import roster_facts  # store.coverage reads this module's lateness rule

    start, end = day_bounds(day, tz)
    new_reports = _report_rows(session, ReportVersion.report_id.in_(new_report_ids(start, end)), tz=tz)
    failures = select_failures(session, failures_of_day(start, end))
    last_run = last_done_digest(session)
    current = _current_as_of(session, end, tz)
    season = _totals(session, ((r.headcount, r.activity_date, r.received_at) for r in current), tz)
    return DigestFacts(
        day=day,
        new_reports=tuple(new_reports),
        corrections=tuple(_corrections(session, start, end)),
        new_failures=tuple(failures),
        duplicates=tuple(_duplicates(session, start, end, tz)),
        ignored=ignored_of_day(session, start, end),
        messages_received=messages_of_day(session, start, end),
        season=season,
        health=tuple(_health(session, None if last_run is None else last_run.sent_at)),
        all_current_reports=tuple(current),
        auto_resolved=tuple(select_failures(session, FailureRecord.resolved_by == AUTO,
                                            FailureRecord.resolved_at >= start, FailureRecord.resolved_at < end)),
        receipts=tuple((status, int(n)) for status, n in session.execute(
            select(Receipt.status, func.count(Receipt.id)).where(Receipt.queued_at >= start, Receipt.queued_at < end)
            .group_by(Receipt.status).order_by(Receipt.status)).all()),
        roster=roster_facts(session, day, season_months, tz),
    )


def report_history(session: Session, report_id: int, *, tz: ZoneInfo = DEFAULT_TZ) -> Sequence[ReportRow]:
    """Every version of one report, oldest first."""
    return _report_rows(session, ReportVersion.report_id == report_id, all_versions=True, tz=tz)
