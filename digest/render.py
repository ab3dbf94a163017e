"""Render one day's DigestFacts as the subject, the phone-friendly HTML body and the plain-text alternative."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined

from core.vocab import FailureKind
from store.records import Correction, DigestFacts, DuplicateRow, FailureRow, PollHealth, ReportRow

log = logging.getLogger(__name__)

SUBJECT_PREFIX = "【主题党日活动情况表】"
LATE_AFTER_DAYS = 7
STALE_POLL_AFTER = timedelta(hours=2)  # no successful poll for this long (at least) is a problem
CHANGE_TEXT_LIMIT = 80
WEEKDAYS = "一二三四五六日"

FIELD_LABELS: dict[str, str] = {
    "org_name": "党组织名称",
    "headcount": "人数",
    "headcount_text": "人数",
    "agenda": "议程",
    "summary": "简介",
    "contact_person": "联系人",
    "contact_phone": "联系方式",
    "activity_date": "活动日期",
}

IGNORED_LABELS: dict[str, str] = {
    "auto_reply": "自动回复",
    "bounce": "退信",
    "own_digest": "本系统发出的日报",
    "mailing_list": "邮件列表/群发邮件",
    "out_of_scope": "与本次活动无关的邮件",
}

DUPLICATE_LABELS: dict[str, str] = {
    "message": "同一封邮件重复收到",
    "attachment": "附件与之前收到的相同",
    "form": "表格内容与之前收到的相同",
}

# Words in a poll error line that point at the login (an expired or changed 授权码) rather than the network.
LOGIN_ERROR_WORDS = ("authenticationfailed", "authentication failed", "login", "auth", "授权码", "password", "密码")


@dataclass(frozen=True)
class ReportView:
    org_name: str
    headcount: str
    activity_date: str
    contact_person: str
    contact_phone: str
    tel_href: str
    received: str
    late: bool
    late_days: int | None
    sender: str
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class ChangeView:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class CorrectionView:
    org_name: str
    version: int
    received: str
    changes: tuple[ChangeView, ...]


@dataclass(frozen=True)
class FailureView:
    sender: str
    subject: str
    filename: str
    received: str
    reason: str
    ask: str
    reply_href: str


@dataclass(frozen=True)
class DuplicateGroup:
    label: str
    count: int
    of_what: tuple[str, ...]


@dataclass(frozen=True)
class ErrorGroup:
    line: str
    count: int
    first: str
    last: str


@dataclass(frozen=True)
class HealthView:
    mailbox: str
    last_ok: str
    stale: bool
    last_error: str
    errors: tuple[ErrorGroup, ...]
    login_problem: bool


@dataclass(frozen=True)
class DigestView:
    """Everything the templates show, already formatted as Chinese text."""

    subject: str
    day: str
    weekday: str
    summary_line: str
    quiet: bool
    healthy: bool
    reports: tuple[ReportView, ...]
    corrections: tuple[CorrectionView, ...]
    failures: tuple[FailureView, ...]
    open_failures: int
    duplicate_total: int
    duplicates: tuple[DuplicateGroup, ...]
    season_reports: int
    season_participants: int
    season_late: int
    per_month: tuple[tuple[str, int], ...]
    messages_received: int
    ignored: tuple[tuple[str, int], ...]
    health: tuple[HealthView, ...]
    generated: str
    xlsx_name: str
    xlsx_rows: int


@dataclass(frozen=True)
class RenderedDigest:
    subject: str
    html: str
    text: str


def digest_subject(facts: DigestFacts) -> str:
    """The subject line, e.g. 【主题党日活动情况表】2020-05-14 日报：新收3份，更正1份，待处理2项."""
    return (
        f"{SUBJECT_PREFIX}{facts.day.isoformat()} 日报：新收{len(facts.new_reports)}份，"
        f"更正{len(facts.corrections)}份，待处理{facts.season.open_failures}项"
    )


def xlsx_filename(day: date) -> str:
    """The attachment's name, short enough for a one-line RFC 2231 filename*= parameter."""
    return f"汇总表-{day.isoformat()}.xlsx"


def local_text(moment: datetime | None, tz: ZoneInfo, with_date: bool = True) -> str:
    """An aware (or naive UTC) datetime as local time text, e.g. 05-14 09:32; 无 when unknown."""
    if moment is None:
        return "无记录"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    local = moment.astimezone(tz)
    return local.strftime("%m-%d %H:%M") if with_date else local.strftime("%H:%M")


def date_text(day: date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else "未填写"


def late_days(row: ReportRow, tz: ZoneInfo) -> int | None:
    """Days between the activity and the day the form was received (local time), when the date is known."""
    if row.activity_date is None:
        return None
    received = row.received_at if row.received_at.tzinfo else row.received_at.replace(tzinfo=ZoneInfo("UTC"))
    return (received.astimezone(tz).date() - row.activity_date).days


def headcount_text(row: ReportRow) -> str:
    if row.headcount is not None:
        return f"{row.headcount}人"
    return row.headcount_text.strip() or "未填写"


def split_staff_message(message: str) -> tuple[str, str]:
    """Split a staff message into the reason and what to do: 附件已损坏，无法打开 / 请联系报送单位重新发送."""
    head, sep, tail = message.partition("，请")
    if sep:
        return head, "请" + tail
    head, sep, tail = message.partition("，")
    if sep:
        return head, tail
    return message, ""


def failure_message(row: FailureRow) -> str:
    try:
        return FailureKind(row.kind).message
    except ValueError:
        return row.message or row.kind


def shorten(text: str, limit: int = CHANGE_TEXT_LIMIT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _report_view(row: ReportRow, tz: ZoneInfo) -> ReportView:
    phone = row.contact_phone.strip()
    digits = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
    return ReportView(
        org_name=row.org_name or "（未填写党组织名称）",
        headcount=headcount_text(row),
        activity_date=date_text(row.activity_date),
        contact_person=row.contact_person.strip() or "未填写",
        contact_phone=phone or "未填写",
        tel_href=f"tel:{digits}" if len(digits) >= 7 else "",
        received=local_text(row.received_at, tz),
        late=row.late,
        late_days=late_days(row, tz),
        sender=row.sender,
        warnings=row.warnings,
    )


def _correction_view(corr: Correction, tz: ZoneInfo) -> CorrectionView:
    changes = tuple(
        ChangeView(FIELD_LABELS.get(name, name), shorten(old) or "（空）", shorten(new) or "（空）")
        for name, old, new in corr.changes
    )
    return CorrectionView(corr.org_name, corr.version, local_text(corr.received_at, tz), changes)


def _failure_view(row: FailureRow, tz: ZoneInfo) -> FailureView:
    reason, ask = split_staff_message(failure_message(row))
    address = row.sender.rpartition("<")[2].rstrip(">").strip() if "<" in row.sender else row.sender.strip()
    reply = ""
    if "@" in address:
        reply = f"mailto:{address}?subject={quote('回复：' + row.subject)}"
    return FailureView(
        sender=row.sender or "（未知发件人）",
        subject=row.subject or "（无主题）",
        filename=row.filename or "（无附件）",
        received=local_text(row.received_at, tz),
        reason=reason,
        ask=ask,
        reply_href=reply,
    )


def _duplicate_groups(rows: tuple[DuplicateRow, ...]) -> tuple[DuplicateGroup, ...]:
    groups: list[DuplicateGroup] = []
    for kind in [*DUPLICATE_LABELS, *sorted({r.kind for r in rows} - set(DUPLICATE_LABELS))]:
        mine = [r for r in rows if r.kind == kind]
        if mine:
            descr = tuple(dict.fromkeys(r.of_what or r.filename or r.subject for r in mine))
            groups.append(DuplicateGroup(DUPLICATE_LABELS.get(kind, kind), len(mine), descr))
    return tuple(groups)


def _health_view(h: PollHealth, tz: ZoneInfo, now: datetime, stale_after: timedelta) -> HealthView:
    counts: Counter[str] = Counter()
    first: dict[str, datetime] = {}
    last: dict[str, datetime] = {}
    for when, line in h.errors_since:
        counts[line] += 1
        first[line] = min(first.get(line, when), when)
        last[line] = max(last.get(line, when), when)
    errors = tuple(
        ErrorGroup(line, n, local_text(first[line], tz), local_text(last[line], tz)) for line, n in counts.most_common()
    )
    last_ok = h.last_ok_at
    if last_ok is not None and last_ok.tzinfo is None:
        last_ok = last_ok.replace(tzinfo=ZoneInfo("UTC"))
    stale = last_ok is None or now - last_ok > stale_after
    lines = [line.lower() for line in counts] + ([h.last_error.lower()] if h.last_error else [])
    login_problem = any(word in line for line in lines for word in LOGIN_ERROR_WORDS)
    return HealthView(
        mailbox=f"{h.account} / {h.folder}" if h.account else h.folder,
        last_ok=local_text(h.last_ok_at, tz),
        stale=stale,
        last_error=h.last_error,
        errors=errors,
        login_problem=login_problem,
    )


def _summary_line(facts: DigestFacts, dup_total: int) -> str:
    parts = [
        f"新收情况表 {len(facts.new_reports)} 份",
        f"更正 {len(facts.corrections)} 份",
        f"新增待处理 {len(facts.new_failures)} 项（累计未处理 {facts.season.open_failures} 项）",
    ]
    if dup_total:
        parts.append(f"重复报送 {dup_total} 份已自动忽略")
    return "，".join(parts) + "。"


def build_view(
    facts: DigestFacts, tz: ZoneInfo, now: datetime, xlsx_rows: int, stale_after: timedelta = STALE_POLL_AFTER
) -> DigestView:
    """Turn the store's facts into formatted Chinese text for the templates."""
    health = tuple(_health_view(h, tz, now, stale_after) for h in facts.health)
    # Transient errors after which polling recovered are listed, but only a stale mailbox or a refused login
    # (e.g. an expired 授权码) raises the warning at the top. No poll at all (mail only imported from files,
    # as in the demo) is said plainly in the health section, without the alarm.
    healthy = not any(h.stale or h.login_problem for h in health)
    duplicates = _duplicate_groups(facts.duplicates)
    dup_total = len(facts.duplicates)
    quiet = not (facts.new_reports or facts.corrections or facts.new_failures or facts.duplicates)
    return DigestView(
        subject=digest_subject(facts),
        day=date_text(facts.day),
        weekday="星期" + WEEKDAYS[facts.day.weekday()],
        summary_line=_summary_line(facts, dup_total),
        quiet=quiet,
        healthy=healthy,
        reports=tuple(_report_view(r, tz) for r in facts.new_reports),
        corrections=tuple(_correction_view(c, tz) for c in facts.corrections),
        failures=tuple(_failure_view(f, tz) for f in facts.new_failures),
        open_failures=facts.season.open_failures,
        duplicate_total=dup_total,
        duplicates=duplicates,
        season_reports=facts.season.reports,
        season_participants=facts.season.participants,
        season_late=facts.season.late,
        per_month=tuple((_month_text(m), n) for m, n in facts.season.per_month),
        messages_received=facts.messages_received,
        ignored=tuple((IGNORED_LABELS.get(reason, reason), n) for reason, n in facts.ignored if n),
        health=health,
        generated=now.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        xlsx_name=xlsx_filename(facts.day),
        xlsx_rows=xlsx_rows,
    )


def _month_text(month: str) -> str:
    year, _, mon = month.partition("-")
    return f"{year}年{int(mon)}月" if year.isdigit() and mon.isdigit() else month


_ENV = Environment(
    loader=PackageLoader("digest", "templates"),
    autoescape=lambda name: bool(name and name.endswith(".html.j2")),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def render_digest(
    facts: DigestFacts, tz: ZoneInfo, now: datetime, xlsx_rows: int, stale_after: timedelta = STALE_POLL_AFTER
) -> RenderedDigest:
    """Subject, HTML and text for one day; now is when the digest is built (aware), xlsx_rows the 汇总表 size.

    stale_after: how long without a successful poll before the mailbox is flagged at the top of the digest.
    """
    view = build_view(facts, tz, now, xlsx_rows, stale_after)
    hours = f"{stale_after.total_seconds() / 3600:g}"
    html = _ENV.get_template("digest.html.j2").render(v=view, late_after=LATE_AFTER_DAYS, stale_hours=hours)
    text = _ENV.get_template("digest.txt.j2").render(v=view, late_after=LATE_AFTER_DAYS, stale_hours=hours)
    log.debug("rendered digest for %s: %d reports, %d failures", facts.day, len(view.reports), len(view.failures))
    return RenderedDigest(subject=view.subject, html=html, text=text)
