"""Turn report and failure rows into what the CLI prints: JSON objects and one-line texts, times in local tz."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from store.records import FailureRow, ReportRow

STATUS_ZH = {"open": "待处理", "resolved": "已解决", "ignored": "已忽略"}


def iso(when: datetime | None, tz: ZoneInfo) -> str | None:
    """ISO 8601 with the offset of tz, e.g. 2026-05-10T10:30:00+08:00."""
    return None if when is None else when.astimezone(tz).isoformat()


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
    }


def _local(when: datetime, tz: ZoneInfo) -> str:
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def report_line(row: ReportRow, tz: ZoneInfo) -> str:
    people = f"{row.headcount}人" if row.headcount is not None else (row.headcount_text or "人数未填")
    activity = row.activity_date.isoformat() if row.activity_date else "日期未填"
    late = "  【逾期】" if row.late else ""
    return (f"{row.id:>5}  第{row.version}版  {_local(row.received_at, tz)}  {row.org_name}  {people}  "
            f"活动 {activity}  {row.attachment or '-'}{late}")


def failure_line(row: FailureRow, tz: ZoneInfo) -> str:
    what = row.filename or row.subject or "-"
    return (f"{row.id:>5}  {STATUS_ZH.get(row.status, row.status)}  {_local(row.received_at, tz)}  {row.kind}  "
            f"{row.sender}  {what}\n       {row.message}")


def failure_details(row: FailureRow, tz: ZoneInfo) -> list[str]:
    lines = [
        f"失败记录 {row.id}（{STATUS_ZH.get(row.status, row.status)}）",
        f"类型：{row.kind}",
        f"说明：{row.message}",
        f"发件人：{row.sender}",
        f"主题：{row.subject}",
        f"附件：{row.filename or '（无）'}",
        f"收到时间：{_local(row.received_at, tz)}",
        f"技术细节：{row.detail or '（无）'}",
    ]
    if row.status != "open":
        when = _local(row.resolved_at, tz) if row.resolved_at else ""
        lines.append(f"处理：{row.resolved_by} {when}  备注：{row.note}")
    return lines
