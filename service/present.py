"""What the `intake` command prints: Chinese lines for staff, JSON-ready data (stored codes, English keys) for scripts.

One term per idea, as in the digest: 情况表, 更正, 重复, 待处理, 已解决, 已忽略. A failure kind is shown by its
Chinese label with the code in brackets, 附件已加密（encrypted）; times are local (the configured time zone).
Nothing here reads the store or the settings file: callers hand in the rows and outcomes they got.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from core.text import one_line
from core.vocab import FailureKind, FailureStatus, ReceiptKind, ReceiptStatus

if TYPE_CHECKING:
    from digest.run import DigestOutcome
    from ingest.poll import PollSummary
    from ingest.reparse import ReparseSummary
    from parsers import ParseResult
    from receipts.send import SendSummary
    from service.demo import DemoResult
    from service.status import Status
    from store.records import FailureRow, ReceiptRow, ReportRow, UserRow

DEFAULT_LIMIT = 50  # report lines `intake reports` prints unless told otherwise (the newest; 0 = all)


# ---- words ----------------------------------------------------------------------------------------------------
def _in(when: datetime, tz: ZoneInfo) -> datetime:
    """when in tz; a stored time at the edge of the calendar (year 9999 from an old store) stays as it is."""
    try:
        return when.astimezone(tz)
    except (OverflowError, ValueError):
        return when


def iso(when: datetime | None, tz: ZoneInfo) -> str | None:
    """ISO 8601 with the offset of tz, e.g. 2026-05-10T10:30:00+08:00."""
    return None if when is None else _in(when, tz).isoformat()


def local(when: datetime | None, tz: ZoneInfo) -> str:
    """A time as staff read it, e.g. 2026-05-10 10:30; empty for none."""
    return _in(when, tz).strftime("%Y-%m-%d %H:%M") if when is not None else ""


def cut(text: str, limit: int) -> str:
    """One line of outside text, at most limit characters, "…" when cut (core.text.one_line)."""
    return one_line(text, limit)


def kind_text(code: str) -> str:
    """A failure kind as staff read it: 附件已加密（encrypted）; an unknown code is shown as it is."""
    try:
        return f"{FailureKind(code).label}（{code}）"
    except ValueError:
        return code


def status_text(code: str) -> str:
    """A failure status as staff read it: 待处理, 已解决, 已忽略."""
    try:
        return FailureStatus(code).label
    except ValueError:
        return code


# What one poll or import made of its messages (ingest.pipeline.Counts.as_dict), in the digest's words.
COUNT_WORDS: tuple[tuple[str, str], ...] = (
    ("messages", "邮件 {} 封"),
    ("new_reports", "新情况表 {} 份"),
    ("new_versions", "更正 {} 份"),
    ("duplicates", "重复 {} 份"),
    ("failures", "待处理 {} 项"),
    ("ignored", "已忽略 {} 封"),
    ("skipped", "此前已收 {} 封"),
)


def counts_text(counts: Mapping[str, int]) -> str:
    """邮件 12 封，新情况表 6 份，更正 1 份，重复 1 份，待处理 2 项，已忽略 2 封，此前已收 0 封."""
    known = [words.format(counts[name]) for name, words in COUNT_WORDS if name in counts]
    others = [f"{name} {value}" for name, value in counts.items() if name not in dict(COUNT_WORDS)]
    return "，".join(known + others)


# ---- poll, import, reparse (administrators) -------------------------------------------------------------------
def poll_lines(summary: PollSummary) -> list[str]:
    """One line per folder and the total; a poll skipped for another process's lock says so."""
    if summary.skipped_locked:
        return ["另一个进程正在收取这个邮箱，本次跳过（poll skipped: another process holds the lock）"]
    lines = [f"{folder}：{counts_text(counts.as_dict())}" for folder, counts in summary.folders.items()]
    lines.append(f"合计：{counts_text(summary.counts.as_dict())}")
    return lines


def reparse_lines(summary: ReparseSummary) -> list[str]:
    lines = [f"#{failure_id}：{what}" for failure_id, what in summary.details]
    lines.append(
        f"重新解析 {summary.tried} 项：已解决 {summary.fixed} 项，仍待处理 {summary.still_failing} 项；"
        f"新情况表 {summary.counts.new_reports} 份，更正 {summary.counts.new_versions} 份，"
        f"重复 {summary.counts.duplicates} 份"
    )
    return lines


# ---- reports ---------------------------------------------------------------------------------------------------
def report_json(row: ReportRow, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": row.id,
        "org_name": row.org_name,
        "headcount": row.headcount,
        "headcount_text": row.headcount_text,
        "agenda": list(row.agenda),
        "summary": row.summary,
        "contact_person": row.contact_person,
        "contact_phone": row.contact_phone,
        "activity_date": row.activity_date.isoformat() if row.activity_date else None,
        "received_at": iso(row.received_at, tz),
        "late": row.late,
        "sender": row.sender,
        "subject": row.subject,
        "message_id": row.message_id,
        "attachment": row.attachment,
        "version": row.version,
        "warnings": list(row.warnings),
    }


def report_line(row: ReportRow, tz: ZoneInfo) -> str:
    people = f"{row.headcount}人" if row.headcount is not None else (row.headcount_text or "人数未填")
    activity = row.activity_date.isoformat() if row.activity_date else "日期未填"
    late = "  【逾期】" if row.late else ""
    return (f"{row.id:>5}  第{row.version}版  {local(row.received_at, tz)}  {row.org_name}  {people}  "
            f"活动 {activity}  {row.attachment or '-'}{late}")


def report_lines(rows: Sequence[ReportRow], tz: ZoneInfo, *, all_versions: bool, limit: int,
                 total: int | None = None) -> list[str]:
    """The newest `limit` rows (all when limit is 0), oldest first so the newest is last, and a count line
    (of `total` when the rows given are only the newest ones)."""
    shown = rows[-limit:] if 0 < limit < len(rows) else rows
    count = len(rows) if total is None else total
    unit, what = ("个", "版本") if all_versions else ("份", "情况表")
    lines = [report_line(row, tz) for row in shown]
    total_line = f"共 {count} {unit}{what}"
    if len(shown) < count:
        total_line += f"，以上是最近收到的 {len(shown)} {unit}（--limit 0 列出全部）"
    lines.append(total_line)
    return lines


def export_line(path: Path, count: int) -> str:
    return f"汇总表已写入 {path}：{count} 份情况表"


# ---- failures (待处理事项) --------------------------------------------------------------------------------------
def failure_json(row: FailureRow, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "message": row.message,
        "status": row.status,
        "sender": row.sender,
        "subject": row.subject,
        "filename": row.filename,
        "received_at": iso(row.received_at, tz),
        "detail": row.detail,
        "note": row.note,
        "resolved_by": row.resolved_by,
        "resolved_at": iso(row.resolved_at, tz),
        "location": row.location,
    }


def failure_line(row: FailureRow, tz: ZoneInfo) -> str:
    what = cut(row.filename or row.subject or row.location or "-", 80)
    return (f"{row.id:>5}  {status_text(row.status)}  {local(row.received_at, tz)}  {kind_text(row.kind)}  "
            f"{cut(row.sender, 60)}  {what}\n       {row.message}")


def failure_lines(rows: Sequence[FailureRow], tz: ZoneInfo, *, show_all: bool) -> list[str]:
    lines = [failure_line(row, tz) for row in rows]
    if not show_all:
        lines.append(f"共 {len(rows)} 项待处理")
        return lines
    by_status = {code: sum(1 for r in rows if r.status == code) for code in FailureStatus}
    lines.append(f"共 {len(rows)} 项：" + "，".join(f"{code.label} {n} 项" for code, n in by_status.items()))
    return lines


def failure_details(row: FailureRow, tz: ZoneInfo) -> list[str]:
    lines = [
        f"待处理事项 {row.id}（{status_text(row.status)}）",
        f"类型：{kind_text(row.kind)}",
        f"说明：{row.message}",
        f"发件人：{cut(row.sender, 200)}",
        f"主题：{cut(row.subject, 500)}",
        f"附件：{cut(row.filename, 200) or '（无）'}",
        f"收到时间：{local(row.received_at, tz)}",
        f"技术细节：{cut(row.detail, 2000) or '（无）'}",
    ]
    if row.location:
        lines.insert(4, f"邮箱中的位置：{row.location}")
    if row.status != FailureStatus.OPEN:
        lines.append(f"处理：{row.resolved_by} {local(row.resolved_at, tz)}  备注：{row.note}")
    return lines


def closed_line(failure_id: int, status: FailureStatus) -> str:
    return f"待处理事项 {failure_id} 已标记为{status.label}"


def no_such_failure(failure_id: int) -> str:
    return f"没有编号为 {failure_id} 的待处理事项（intake failures --all 列出全部）"


# ---- console accounts ------------------------------------------------------------------------------------------
def _role_text(code: str) -> str:
    from core.vocab import Role

    try:
        return Role(code).label
    except ValueError:
        return code


def user_json(row: UserRow, tz: ZoneInfo) -> dict[str, Any]:
    return {"name": row.name, "role": row.role, "disabled": row.disabled, "locked_until": iso(row.locked_until, tz),
            "created_at": iso(row.created_at, tz), "password_changed_at": iso(row.password_changed_at, tz)}


def user_lines(rows: Sequence[UserRow], tz: ZoneInfo, now: datetime) -> list[str]:
    """One line per account: name, role, state, when made; then how many."""
    lines = []
    for row in rows:
        state = "已停用" if row.disabled else (
            f"锁定至 {local(row.locked_until, tz)}" if row.locked_until and row.locked_until > now else "正常")
        lines.append(f"{row.name}  {_role_text(row.role)}（{row.role}）  {state}  建立于 {local(row.created_at, tz)}")
    lines.append(f"共 {len(rows)} 个账号" if rows else "还没有账号：用 intake user add 名字 --role admin 建立第一个")
    return lines


def user_added_line(row: UserRow) -> str:
    return f"账号 {row.name} 已建立（{_role_text(row.role)}）"


def user_changed_line(row: UserRow, what: str) -> str:
    return f"账号 {row.name} {what}"


# ---- digest ----------------------------------------------------------------------------------------------------
def digest_lines(outcome: DigestOutcome) -> list[str]:
    """What one digest run did, in a line or two: sent, written, or skipped and why."""
    day = outcome.day.isoformat()
    if outcome.skipped_reason == "busy":
        return [f"{day} 的日报正由另一个进程生成，本次未做任何事"]
    if outcome.skipped_reason:
        return [f"{day} 的日报已经发过，无需再发（--force 可再发一次）"]
    if outcome.sent:
        return [f"{day} 的日报已发送给 {'、'.join(outcome.recipients)}（{outcome.message_id}）", outcome.subject]
    where = "、".join(str(p) for p in outcome.paths)
    if outcome.mode == "dry-run":
        note = "（试运行：没有发送，也不算已发）"
    else:
        note = "（未设置 INTAKE_SMTP_HOST：写入发件箱，记为当天的日报）"
    return [f"{day} 的日报已写入 {where}{note}", outcome.subject]


# ---- status ----------------------------------------------------------------------------------------------------
# The totals of `intake status` (store.queries.counts), in the same words.
TOTAL_WORDS: tuple[tuple[str, str], ...] = (
    ("messages", "邮件 {} 封"),
    ("reports", "情况表 {} 份"),
    ("versions", "版本 {} 个"),
    ("attachments", "附件 {} 个"),
    ("duplicates", "重复 {} 份"),
    ("failures", "待处理事项（含已解决、已忽略）{} 项"),
    ("ignored", "已忽略邮件 {} 封"),
    ("polls", "收信 {} 次"),
    ("poll_errors", "收信出错 {} 次"),
    ("digests_sent", "日报已发 {} 次"),
)


def status_json(status: Status, tz: ZoneInfo) -> dict[str, Any]:
    """The status as JSON-ready data, times ISO 8601 in the configured time zone."""

    def convert(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.astimezone(tz).isoformat(timespec="seconds")
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [convert(v) for v in value]
        return value

    data: dict[str, Any] = convert(asdict(status))
    return data


def _mailbox_line(status: Status) -> str:
    from service.status import MAILBOX_NOT_CHECKED, MAILBOX_NOT_CONFIGURED  # loaded already by whoever gathered it

    if status.mailbox_ok:
        return "邮箱：正常"
    if status.mailbox_ok is False:
        return f"邮箱：无法登录或读取：{status.mailbox_error}"
    if status.mailbox_error == MAILBOX_NOT_CHECKED:
        return "邮箱：未检查（--no-mailbox）"
    if status.mailbox_error == MAILBOX_NOT_CONFIGURED:
        return "邮箱：未设置（INTAKE_IMAP_HOST、INTAKE_IMAP_USER、INTAKE_IMAP_PASSWORD）"
    return f"邮箱：{status.mailbox_error}"


def status_lines(status: Status, tz: ZoneInfo) -> list[str]:
    """The status as lines staff and the administrator read; a folder never polled says 尚未收信."""
    lines = ["数据库：正常" if status.database_ok else f"数据库：无法打开：{status.database_error}",
             _mailbox_line(status)]
    for f in status.folders:
        if f.last_poll_at is None:
            lines.append(f"文件夹 {f.folder}：尚未收信")
            continue
        outcome = f"正常，邮件 {f.counts.get('messages', 0)} 封" if f.ok else f"出错：{f.error}"
        lines.append(f"文件夹 {f.folder}：最近收信 {local(f.last_poll_at, tz)}（{outcome}）")
    lines.append(f"下次收信：{local(status.next_poll_at, tz)}；下次发日报：{local(status.next_digest_at, tz)}")
    lines.append(f"待处理：{status.open_failures} 项")
    if any(status.receipts.values()):
        r = status.receipts
        lines.append(f"回执：已发送 {r.get('sent', 0)} 封，排队 {r.get('queued', 0)} 封，"
                     f"发送失败 {r.get('failed', 0)} 封，不发送 {r.get('suppressed', 0)} 封")
    if status.last_digest_day:
        lines.append(f"最近日报：{status.last_digest_day} 的日报，{local(status.last_digest_sent_at, tz)} "
                     f"发给 {'、'.join(status.last_digest_to) or '-'}")
    else:
        lines.append("最近日报：尚无")
    if status.counts:
        lines.append("累计：" + "，".join(words.format(status.counts[name]) for name, words in TOTAL_WORDS
                                          if name in status.counts))
    return lines


# ---- parse (administrators) -------------------------------------------------------------------------------------
def parse_json(path: Path, result: ParseResult) -> dict[str, Any]:
    forms = [
        {
            "org_name": f.org_name,
            "headcount": f.headcount,
            "headcount_text": f.headcount_text,
            "agenda": list(f.agenda),
            "summary": f.summary,
            "contact_person": f.contact_person,
            "contact_phone": f.contact_phone,
            "activity_date": f.activity_date.isoformat() if f.activity_date else None,
            "warnings": list(f.warnings),
        }
        for f in result.forms
    ]
    failure = {"kind": result.failure.kind.value, "message": result.failure.message} if result.failure else None
    return {"file": str(path), "forms": forms, "failure": failure}


def parse_lines(path: Path, result: ParseResult) -> list[str]:
    lines = [f"== {path}  [{result.detected_format}]"]
    if result.failure is not None:
        lines.append(f"   未读出情况表：{kind_text(result.failure.kind)}：{result.failure.message}")
    for number, form in enumerate(result.forms, 1):
        lines.append(f"   情况表 {number}")
        for label, value in (
            ("党组织名称", form.org_name),
            ("人数", form.headcount_text),
            ("活动日期", form.activity_date.isoformat() if form.activity_date else ""),
            ("联系人", form.contact_person),
            ("联系方式", form.contact_phone),
        ):
            lines.append(f"     {label:<6}\t{value}")
        lines.extend(f"     议程  \t{item}" for item in form.agenda)
        lines.append(f"     简介  \t{form.summary}")
        lines.extend(f"     注意  \t{warning}" for warning in form.warnings)
    return lines


# ---- demo ------------------------------------------------------------------------------------------------------
def command_line(program: str, env: Iterable[tuple[str, str]], args: Iterable[str]) -> str:
    """A shell command as the user types it: VAR=value … program args, each word quoted where the shell needs it."""
    words = [f"{name}={shlex.quote(value)}" for name, value in env] + [program] + [shlex.quote(a) for a in args]
    return " ".join(words)


def demo_lines(result: DemoResult, program: str) -> list[str]:
    """What the demo found, as `intake reports` and `intake failures` show it, then the commands that show it again."""
    tz = result.settings.tz
    lines = [f"导入示例邮件 {result.mails} 封：{counts_text(result.counts)}", "", f"情况表 {len(result.reports)} 份："]
    lines += [report_line(row, tz) for row in result.reports]
    lines += ["", f"待处理 {len(result.failures)} 项："]
    lines += [failure_line(row, tz) for row in result.failures]
    lines += demo_roster_lines(result)
    if result.digest_day is not None:
        written = "、".join(str(p) for p in result.digest_paths)
        lines += ["", f"{result.digest_day.isoformat()} 的日报（试运行，未发送）已写入：{written}"]
    lines += ["", f"示例数据在 {result.settings.data_dir}/，与正式数据分开。用下面的命令查看："]
    lines += ["  " + command_line(program, result.env, args) for args in result.commands]
    return lines


def demo_roster_lines(result: DemoResult) -> list[str]:
    """The demo's roster: how many branches, who has not reported in the digest's month, the names to confirm."""
    if result.roster is None:
        return []
    month = f"{result.digest_day.year}年{result.digest_day.month}月" if result.digest_day else "本月"
    lines = ["", f"名册 {result.roster.rows} 个党组织（{result.roster.path.name}）：{month}尚未报送 "
                 f"{len(result.missing)} 个，名称待确认 {len(result.unmatched)} 个"]
    for u in result.unmatched:
        maybe = f"，可能是「{u.candidates[0]}」" if u.candidates else ""
        lines.append(f"  名称待确认：「{u.org_name}」{u.reports} 份{maybe}")
    return lines


def config_lines(masked: Mapping[str, str]) -> list[str]:
    """Settings.masked() as `INTAKE_NAME = value` lines."""
    return [f"INTAKE_{name.upper()} = {value}" for name, value in masked.items()]


def joined(lines: Iterable[str]) -> str:
    """Lines as one text, so that a long listing is written at once rather than a line at a time."""
    return "\n".join(lines)


# ---- receipts -------------------------------------------------------------------------------------------------
RECEIPT_KINDS = {ReceiptKind.REPORT: "已读取", ReceiptKind.DUPLICATE: "重复", ReceiptKind.FAILURE: "未能读取"}
RECEIPT_STATUSES = {ReceiptStatus.QUEUED: "排队中", ReceiptStatus.SENT: "已发送", ReceiptStatus.FAILED: "发送失败",
                    ReceiptStatus.SUPPRESSED: "不发送"}
SUPPRESS_REASONS = {
    "auto_submitted": "自动发出的邮件", "precedence": "群发邮件", "mailing_list": "邮件列表",
    "null_return_path": "退信地址为空", "our_mail": "本服务发出的邮件", "no_address": "没有可回复的地址",
    "robot_address": "系统地址（noreply 等）", "own_address": "本邮箱自己的地址", "too_old": "邮件收到已久",
    "daily_limit": "已达当日回执上限",
}


def receipt_json(row: ReceiptRow, tz: ZoneInfo) -> dict[str, Any]:
    return {"id": row.id, "to": row.to, "subject": row.subject, "kind": row.kind.value, "status": row.status.value,
            "reason": row.reason, "in_reply_to": row.in_reply_to, "queued_at": iso(row.queued_at, tz),
            "sent_at": iso(row.sent_at, tz)}


def receipt_lines(rows: Sequence[ReceiptRow], tz: ZoneInfo) -> list[str]:
    lines = []
    for row in rows:
        why = SUPPRESS_REASONS.get(row.reason, row.reason) if row.status is ReceiptStatus.SUPPRESSED else row.reason
        lines.append(f"{row.id:>5}  {local(row.queued_at, tz)}  {RECEIPT_STATUSES[row.status]}  "
                     f"{RECEIPT_KINDS[row.kind]}  {row.to}  {cut(row.subject, 60)}" + (f"（{why}）" if why else ""))
    lines.append(f"共 {len(rows)} 封回执")
    return lines


def receipts_sent_lines(summary: SendSummary) -> list[str]:
    if summary.busy:
        return ["回执：另一个进程正在发送，稍后由它发出"]
    if not summary.sent and not summary.failed:
        return []
    return [f"回执：已发送 {summary.sent} 封，发送失败 {summary.failed} 封（稍后重试）", *summary.errors[:5]]
