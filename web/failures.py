"""The 待处理 pages: the list (open by default, ?status=all), one item with its mail, files and audit trail, and
the three things staff do to an item: resolve, ignore (each with a note) and reparse. Each is written to the
audit log."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.vocab import AuditAction, AuditTarget, FailureKind, FailureStatus
from digest.links import mailto_href
from digest.render import failure_message, sender_address, split_staff_message
from ingest.poll import context_for
from ingest.reparse import ReparseSummary
from ingest.reparse import reparse as reparse_failures
from store import audit, console, failures
from store.errors import NotFound
from store.session import Session
from web.auth import Visit, console_of, page
from web.pages import _int, not_found

NOTE_KEPT = 2000


@page()
async def failure_list(request: Request, visit: Visit) -> Response:
    c = console_of(request)
    show_all = request.query_params.get("status") == "all"
    number = _int(request.query_params.get("page"), 1)
    found = await c.read(console.failure_page, not show_all, number)
    base = "status=all&" if show_all else ""
    pages = {"prev": f"{base}page={found.page - 1}" if found.page > 1 else "",
             "next": f"{base}page={found.page + 1}" if found.page < found.pages else ""}
    return c.render(request, "failures.html.j2", {"result": found, "show_all": show_all, "pages": pages})


def reparseable(kind: str, attachment_pk: int | None) -> bool:
    """Whether a reparse can do anything: a stored file, or a whole mail the system failed on."""
    return attachment_pk is not None or kind == FailureKind.INTERNAL_ERROR


def _failure(session: Session, failure_id: int) -> dict[str, Any] | None:
    row = failures.get_failure(session, failure_id)
    if row is None:
        return None
    mail = console.mail_info(session, row.message_pk) if row.message_pk is not None else None
    return {"f": row, "mail": mail, "trail": audit.entries_for(session, AuditTarget.FAILURE, failure_id)}


@page()
async def failure_detail(request: Request, visit: Visit) -> Response:
    c = console_of(request)
    failure_id = int(request.path_params["failure_id"])
    found = await c.read(_failure, failure_id)
    if found is None:
        return not_found(request, f"没有编号为 {failure_id} 的待处理事项。")
    row = found["f"]
    reason, ask = split_staff_message(failure_message(row))
    reply = mailto_href(sender_address(row.sender), "回复：" + row.subject[:200])
    return c.render(request, "failure.html.j2", {
        **found, "reason": reason, "ask": ask, "reply_href": reply, "open": row.status == FailureStatus.OPEN,
        "can_reparse": reparseable(row.kind, row.attachment_pk), "error": request.query_params.get("error", "")})


def _close(session: Session, failure_id: int, action: AuditAction, note: str, actor: str) -> None:
    close = failures.resolve_failure if action is AuditAction.RESOLVE else failures.ignore_failure
    close(session, failure_id, note, by=actor)
    audit.record(session, actor, action, AuditTarget.FAILURE, failure_id, note)


async def _close_endpoint(request: Request, visit: Visit, action: AuditAction) -> Response:
    c = console_of(request)
    failure_id = int(request.path_params["failure_id"])
    note = visit.field("note").strip()[:NOTE_KEPT]
    back = f"/failures/{failure_id}"
    if not note:
        return RedirectResponse(f"{back}?error=note", status_code=303)
    try:
        await c.write(_close, failure_id, action, note, visit.user.name)
    except NotFound:
        return not_found(request, f"没有编号为 {failure_id} 的待处理事项。")
    return RedirectResponse(back, status_code=303)


@page()
async def resolve(request: Request, visit: Visit) -> Response:
    return await _close_endpoint(request, visit, AuditAction.RESOLVE)


@page()
async def ignore(request: Request, visit: Visit) -> Response:
    return await _close_endpoint(request, visit, AuditAction.IGNORE)


def reparse_note(summary: ReparseSummary) -> str:
    """What a reparse of one item came to, for the audit trail (the staff's only feedback)."""
    if not summary.tried:
        return "没有可重新解析的附件或邮件"
    return "；".join(what for _id, what in summary.details) or "已重新解析"


@page()
async def reparse(request: Request, visit: Visit) -> Response:
    c = console_of(request)
    failure_id = int(request.path_params["failure_id"])
    settings = c.settings
    try:  # the pipeline runs its own transactions: off the event loop, it may take a while (LibreOffice)
        summary = await run_in_threadpool(reparse_failures, c.store, [failure_id],
                                          context_for(settings, settings.imap_user or "local"))
    except NotFound:
        return not_found(request, f"没有编号为 {failure_id} 的待处理事项。")
    await c.write(audit.record, visit.user.name, AuditAction.REPARSE, AuditTarget.FAILURE, failure_id,
                  reparse_note(summary))
    return RedirectResponse(f"/failures/{failure_id}", status_code=303)
