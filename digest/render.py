"""Render one day's DigestFacts as the subject, the phone-friendly HTML body and the plain-text alternative."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined

from core.vocab import FailureKind
from digest import limits
from digest.limits import Shown, cut, first, listed
from digest.links import mailto_href, tel_href
from digest.phone import display_phone
from store.records import (
    Correction,
    DigestFacts,
    DuplicateRow,
    FailureRow,
    MissingRow,
    PollHealth,
    ReportRow,
    RosterFacts,
    UnmatchedName,
)

log = logging.getLogger(__name__)

SUBJECT_PREFIX = "【主题党日活动情况表】"
LATE_AFTER_DAYS = 7
STALE_POLL_AFTER = timedelta(hours=2)  # no successful poll for this long (at least) is a problem
WEEKDAYS = "一二三四五六日"
MISSING_LIST_FROM_DAY = 20  # before this day of the month the digest gives only the count of entries not reported

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
    from_pixels: bool = False  # the new version was read from a picture: staff check it against the original


@dataclass(frozen=True)
class FailureView:
    sender: str
    subject: str
    filename: str
    received: str
    reason: str
    ask: str
    reply_href: str
    web_href: str = ""  # this item in the web console, when INTAKE_WEB_URL is set


@dataclass(frozen=True)
class AutoResolvedView:
    sender: str
    subject: str
    reason: str
    note: str


@dataclass(frozen=True)
class DuplicateGroup:
    label: str
    count: int
    of_what: Shown[str]


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
    errors: Shown[ErrorGroup]
    login_problem: bool


@dataclass(frozen=True)
class MissingView:
    name: str
    contact_person: str
    contact_phone: str
    tel_href: str


@dataclass(frozen=True)
class MissingGroup:
    group: str
    entries: tuple[MissingView, ...]


@dataclass(frozen=True)
class UnmatchedView:
    org_name: str
    reports: int
    candidate: str


@dataclass(frozen=True)
class RosterView:
    """The roster's part: the month's entries without a report (listed by group from MISSING_LIST_FROM_DAY on),
    and the report names that match no entry with their best candidate."""

    month: str  # 2020年11月
    month_code: str  # 2020-11, for the command that lists them all
    in_season: bool
    entries: int
    missing_total: int
    listed: bool
    list_from_day: int
    missing: Shown[MissingGroup]  # more: entries not listed
    unmatched_total: int
    unmatched: Shown[UnmatchedView]


@dataclass(frozen=True)
class DigestView:
    """Everything the templates show, already formatted as Chinese text and cut to size (see digest.limits).

    The *_total counts are of everything that happened; the Shown lists hold the first items of each.
    """

    subject: str
    day: str
    weekday: str
    summary_line: str
    quiet: bool
    healthy: bool
    reports_total: int
    reports: Shown[ReportView]
    corrections_total: int
    corrections: Shown[CorrectionView]
    failures_total: int
    failures: Shown[FailureView]
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
    auto_resolved_total: int
    auto_resolved: Shown[AutoResolvedView]
    receipts_line: str
    generated: str
    xlsx_name: str
    xlsx_rows: int
    roster: RosterView | None = None
    web_url: str = ""  # the web console (INTAKE_WEB_URL): staff handle items there instead of with a command


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


def _change_text(field: str, text: str) -> str:
    shown = display_phone(text) if field == "contact_phone" else text
    return cut(shown, limits.CHANGE) or "（空）"


def _report_view(row: ReportRow, tz: ZoneInfo) -> ReportView:
    phone = row.contact_phone.strip()
    warnings = [cut(w, limits.WARNING) for w in row.warnings[: limits.WARNINGS_SHOWN]]
    if len(row.warnings) > limits.WARNINGS_SHOWN:
        warnings.append(f"另有 {len(row.warnings) - limits.WARNINGS_SHOWN} 条提示未列出")
    return ReportView(
        org_name=cut(row.org_name, limits.ORG_NAME) or "（未填写党组织名称）",
        headcount=cut(headcount_text(row), limits.HEADCOUNT),
        activity_date=date_text(row.activity_date),
        contact_person=cut(row.contact_person, limits.PERSON) or "未填写",
        contact_phone=cut(display_phone(phone), limits.PHONE) or "未填写",
        tel_href=tel_href(phone[: limits.PHONE]),
        received=local_text(row.received_at, tz),
        late=row.late,
        late_days=late_days(row, tz),
        sender=cut(row.sender, limits.SENDER),
        warnings=tuple(warnings),
    )


def _correction_view(corr: Correction, tz: ZoneInfo) -> CorrectionView:
    changes = tuple(
        ChangeView(FIELD_LABELS.get(name, name), _change_text(name, old), _change_text(name, new))
        for name, old, new in corr.changes
    )
    return CorrectionView(cut(corr.org_name, limits.ORG_NAME), corr.version, local_text(corr.received_at, tz), changes,
                          corr.from_pixels)


def sender_address(sender: str) -> str:
    """The address in 'Name <a@b>' (the last <…>), or the whole value when it has no angle brackets; empty when
    longer than an address can be (320 characters, as the store keeps it)."""
    address = sender.rpartition("<")[2].partition(">")[0] if "<" in sender else sender
    address = address.strip()
    return address if len(address) <= 320 else ""


def console_href(web_url: str, path: str) -> str:
    """A page of the web console: web_url (INTAKE_WEB_URL, checked by the settings) and a path of our own."""
    return f"{web_url.rstrip('/')}{path}" if web_url else ""


def _failure_view(row: FailureRow, tz: ZoneInfo, web_url: str = "") -> FailureView:
    reason, ask = split_staff_message(cut(failure_message(row), limits.REASON))
    subject = cut(row.subject, limits.SUBJECT)
    return FailureView(
        sender=cut(row.sender, limits.SENDER) or "（未知发件人）",
        subject=subject or "（无主题）",
        filename=cut(row.filename, limits.FILENAME) or "（无附件）",
        received=local_text(row.received_at, tz),
        reason=reason,
        ask=ask,
        reply_href=mailto_href(sender_address(row.sender), "回复：" + cut(row.subject, limits.REPLY_SUBJECT)),
        web_href=console_href(web_url, f"/failures/{int(row.id)}"),
    )


def _auto_resolved_view(row: FailureRow) -> AutoResolvedView:
    return AutoResolvedView(sender=cut(row.sender, limits.SENDER) or "（未知发件人）",
                            subject=cut(row.subject, limits.SUBJECT) or "（无主题）",
                            reason=cut(failure_message(row), limits.REASON), note=cut(row.note, limits.REASON))


RECEIPT_WORDS = (("sent", "已发送 {} 封"), ("queued", "排队 {} 封"), ("failed", "发送失败 {} 封"),
                 ("suppressed", "按规则不发 {} 封"))


def _receipts_line(counts: tuple[tuple[str, int], ...]) -> str:
    found = dict(counts)
    parts = [words.format(found[status]) for status, words in RECEIPT_WORDS if found.get(status)]
    return "回执：" + "，".join(parts) if parts else ""


def _duplicate_groups(rows: tuple[DuplicateRow, ...]) -> tuple[DuplicateGroup, ...]:
    groups: list[DuplicateGroup] = []
    for kind in [*DUPLICATE_LABELS, *sorted({r.kind for r in rows} - set(DUPLICATE_LABELS))]:
        mine = [r for r in rows if r.kind == kind]
        if mine:
            descr = list(dict.fromkeys(cut(r.of_what or r.filename or r.subject, limits.DUPLICATE_OF) for r in mine))
            groups.append(DuplicateGroup(cut(DUPLICATE_LABELS.get(kind, kind), 40), len(mine), first(descr)))
    return tuple(groups)


def _health_view(h: PollHealth, tz: ZoneInfo, now: datetime, stale_after: timedelta) -> HealthView:
    counts: Counter[str] = Counter()
    first_at: dict[str, datetime] = {}
    last_at: dict[str, datetime] = {}
    for when, line in h.errors_since:
        counts[line] += 1
        first_at[line] = min(first_at.get(line, when), when)
        last_at[line] = max(last_at.get(line, when), when)
    errors = first([
        ErrorGroup(cut(line, limits.ERROR_LINE), n, local_text(first_at[line], tz), local_text(last_at[line], tz))
        for line, n in counts.most_common()
    ])
    last_ok = h.last_ok_at
    if last_ok is not None and last_ok.tzinfo is None:
        last_ok = last_ok.replace(tzinfo=ZoneInfo("UTC"))
    stale = last_ok is None or now - last_ok > stale_after
    lines = [line.lower() for line in counts] + ([h.last_error.lower()] if h.last_error else [])
    login_problem = any(word in line for line in lines for word in LOGIN_ERROR_WORDS)
    return HealthView(
        mailbox=cut(f"{h.account} / {h.folder}" if h.account else h.folder, limits.MAILBOX),
        last_ok=local_text(h.last_ok_at, tz),
        stale=stale,
        errors=errors,
        login_problem=login_problem,
    )


def _missing_view(row: MissingRow) -> MissingView:
    phone = row.contact_phone.strip()
    return MissingView(
        name=cut(row.name, limits.ORG_NAME),
        contact_person=cut(row.contact_person, limits.PERSON) or "联系人未填",
        contact_phone=cut(display_phone(phone), limits.PHONE),
        tel_href=tel_href(phone[: limits.PHONE]),
    )


def _missing_groups(rows: tuple[MissingRow, ...]) -> Shown[MissingGroup]:
    """The first LIST_LIMIT entries (they come ordered by group), grouped by 所属单位; more: the rest."""
    shown = listed(rows, lambda r: (cut(r.group, limits.GROUP) or "未分组", _missing_view(r)))
    groups: dict[str, list[MissingView]] = {}
    for group, view in shown.items:
        groups.setdefault(group, []).append(view)
    return Shown(tuple(MissingGroup(g, tuple(v)) for g, v in groups.items()), shown.more)


def _roster_view(roster: RosterFacts, day: date) -> RosterView:
    def unmatched_view(u: UnmatchedName) -> UnmatchedView:
        return UnmatchedView(cut(u.org_name, limits.ORG_NAME) or "（未填写党组织名称）", u.reports,
                             cut(u.candidates[0], limits.ORG_NAME) if u.candidates else "")

    show_list = day.day >= MISSING_LIST_FROM_DAY
    return RosterView(
        month=_month_text(roster.month),
        month_code=roster.month,
        in_season=roster.in_season,
        entries=roster.entries,
        missing_total=len(roster.missing),
        listed=show_list,
        list_from_day=MISSING_LIST_FROM_DAY,
        missing=_missing_groups(roster.missing) if show_list else Shown((), len(roster.missing)),
        unmatched_total=len(roster.unmatched),
        unmatched=listed(roster.unmatched, unmatched_view),
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
    facts: DigestFacts, tz: ZoneInfo, now: datetime, xlsx_rows: int, stale_after: timedelta = STALE_POLL_AFTER,
    web_url: str = "",
) -> DigestView:
    """Turn the store's facts into formatted Chinese text for the templates; web_url links items to the console."""
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
        reports_total=len(facts.new_reports),
        reports=listed(facts.new_reports, lambda r: _report_view(r, tz)),
        corrections_total=len(facts.corrections),
        corrections=listed(facts.corrections, lambda c: _correction_view(c, tz)),
        failures_total=len(facts.new_failures),
        failures=listed(facts.new_failures, lambda f: _failure_view(f, tz, web_url)),
        open_failures=facts.season.open_failures,
        duplicate_total=dup_total,
        duplicates=duplicates,
        season_reports=facts.season.reports,
        season_participants=facts.season.participants,
        season_late=facts.season.late,
        per_month=tuple((_month_text(m), n) for m, n in facts.season.per_month),
        messages_received=facts.messages_received,
        ignored=tuple((cut(IGNORED_LABELS.get(reason, reason), 40), n) for reason, n in facts.ignored if n),
        health=health,
        auto_resolved_total=len(facts.auto_resolved),
        auto_resolved=listed(facts.auto_resolved, _auto_resolved_view),
        receipts_line=_receipts_line(facts.receipts),
        generated=now.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        xlsx_name=xlsx_filename(facts.day),
        xlsx_rows=xlsx_rows,
        roster=_roster_view(facts.roster, facts.day) if facts.roster is not None else None,
        web_url=web_url.rstrip("/"),
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
    facts: DigestFacts, tz: ZoneInfo, now: datetime, xlsx_rows: int, stale_after: timedelta = STALE_POLL_AFTER,
    web_url: str = "",
) -> RenderedDigest:
    """Subject, HTML and text for one day; now is when the digest is built (aware), xlsx_rows the 汇总表 size.

    stale_after: how long without a successful poll before the mailbox is flagged at the top of the digest.
    web_url (INTAKE_WEB_URL): when set, each 待处理 item links to its page in the web console ("在网页中处理")
    instead of the digest telling staff to run a command.
    """
    view = build_view(facts, tz, now, xlsx_rows, stale_after, web_url)
    hours = f"{stale_after.total_seconds() / 3600:g}"
    html = _ENV.get_template("digest.html.j2").render(v=view, late_after=LATE_AFTER_DAYS, stale_hours=hours)
    text = _ENV.get_template("digest.txt.j2").render(v=view, late_after=LATE_AFTER_DAYS, stale_hours=hours)
    log.debug("rendered digest for %s: %d reports, %d failures", facts.day, view.reports_total, view.failures_total)
    return RenderedDigest(subject=view.subject, html=html, text=text)
