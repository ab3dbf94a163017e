"""Accounts in the console: admins add, disable, enable, re-password and re-role accounts (/users); everyone
changes their own password (/account). Every change is in the audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.vocab import AuditTarget, Role
from service import accounts
from store import audit, users
from store.errors import AlreadyExists
from store.session import Session
from web.auth import Visit, console_of, page

MESSAGES = {
    "added": "账号已建立。", "disabled": "账号已停用，该账号已在所有浏览器上退出。", "enabled": "账号已启用。",
    "password": "密码已修改。", "role": "角色已修改。", "self": "不能停用自己的账号或取消自己的管理员角色。",
    "exists": "这个账号名已被使用。", "current": "当前密码不正确。", "mismatch": "两次输入的新密码不一致。",
}


def _users(session: Session) -> dict[str, Any]:
    return {"accounts": users.list_users(session), "trail": audit.recent(session, AuditTarget.USER, 50)}


async def _user_page(request: Request, message: str, status: int = 200) -> Response:
    c = console_of(request)
    found = await c.read(_users)
    return c.render(request, "users.html.j2", {**found, "roles": list(Role), "message": message, "now": c.now()},
                    status=status)


@page(admin=True)
async def user_list(request: Request, visit: Visit) -> Response:
    code = request.query_params.get("done", "") or request.query_params.get("error", "")
    return await _user_page(request, MESSAGES.get(code, ""))  # only our own words: nothing from the URL is shown


def _back(code: str, error: bool = False) -> RedirectResponse:
    return RedirectResponse(f"/users?{'error' if error else 'done'}={code}", status_code=303)


@page(admin=True)
async def user_add(request: Request, visit: Visit) -> Response:
    try:
        await console_of(request).write(accounts.add_user, visit.field("username"), visit.field("password"),
                                        visit.field("role") or Role.STAFF, visit.user.name)
    except accounts.AccountError as exc:
        return await _user_page(request, str(exc), status=400)
    except AlreadyExists:
        return _back("exists", error=True)
    return _back("added")


async def _change(request: Request, visit: Visit, change: Callable[[Session, str], object], code: str) -> Response:
    c = console_of(request)
    user_id = int(request.path_params["user_id"])
    row = await c.read(users.get_user_by_id, user_id)
    if row is None:
        return c.render(request, "error.html.j2", {"title": "找不到", "message": f"没有编号为 {user_id} 的账号。"},
                        status=404)
    try:
        await c.write(change, row.name)
    except accounts.AccountError as exc:
        return await _user_page(request, str(exc), status=400)
    return _back(code)


@page(admin=True)
async def user_disable(request: Request, visit: Visit) -> Response:
    if int(request.path_params["user_id"]) == visit.user.user_id:
        return _back("self", error=True)
    return await _change(request, visit, lambda s, name: accounts.set_disabled(s, name, True, visit.user.name),
                         "disabled")


@page(admin=True)
async def user_enable(request: Request, visit: Visit) -> Response:
    return await _change(request, visit, lambda s, name: accounts.set_disabled(s, name, False, visit.user.name),
                         "enabled")


@page(admin=True)
async def user_password(request: Request, visit: Visit) -> Response:
    password = visit.field("password")
    return await _change(request, visit, lambda s, name: accounts.change_password(s, name, password, visit.user.name),
                         "password")


@page(admin=True)
async def user_role(request: Request, visit: Visit) -> Response:
    if int(request.path_params["user_id"]) == visit.user.user_id:
        return _back("self", error=True)
    role = visit.field("role")
    return await _change(request, visit, lambda s, name: accounts.set_role(s, name, role, visit.user.name), "role")


# ---- one's own account -----------------------------------------------------------------------------------------
@page()
async def account(request: Request, visit: Visit) -> Response:
    code = request.query_params.get("done", "") or request.query_params.get("error", "")
    return console_of(request).render(request, "account.html.j2", {"message": MESSAGES.get(code, "")})


def _own_password(session: Session, visit: Visit, current: str, new: str) -> str:
    row = users.get_user_by_id(session, visit.user.user_id)
    if row is None or not accounts.verify(row.password_hash, current):
        return "current"
    accounts.change_password(session, row.name, new, visit.user.name, keep_token_sha256=visit.token_sha256)
    return ""


@page()
async def account_password(request: Request, visit: Visit) -> Response:
    new, again = visit.field("new_password"), visit.field("new_password_again")
    if new != again:
        return RedirectResponse("/account?error=mismatch", status_code=303)
    try:
        problem = await console_of(request).write(_own_password, visit, visit.field("password"), new)
    except accounts.AccountError as exc:
        return console_of(request).render(request, "account.html.j2", {"message": str(exc)}, status=400)
    if problem:
        return RedirectResponse(f"/account?error={problem}", status_code=303)
    return RedirectResponse("/account?done=password", status_code=303)

