"""Signing in and out, and the gate in front of every other page: a session cookie (its sha256 in the store),
the role a page needs, and the CSRF token every POST must carry (403 without it)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from core.vocab import Role
from service import accounts
from store import roster, users
from store.records import SessionUser
from store.session import Session
from web.context import Console
from web.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    clear_cookie,
    new_token,
    safe_next,
    same_token,
    set_cookie,
    token_hash,
)

log = logging.getLogger(__name__)

LOGIN_CSRF_SECONDS = 3600
FORM_LIMITS = {"max_files": 0, "max_fields": 50, "max_part_size": 64 * 1024}


@dataclass(frozen=True)
class Visit:
    """A signed-in request: the account, its session's token hash, whether a roster is loaded and, for a POST,
    the form it sent."""

    user: SessionUser
    token_sha256: str
    form: FormData | None = None
    has_roster: bool = False  # a roster is loaded: the nav shows 报送情况

    @property
    def is_admin(self) -> bool:
        return self.user.role == Role.ADMIN

    def field(self, name: str) -> str:
        value = self.form.get(name, "") if self.form is not None else ""
        return value if isinstance(value, str) else ""


Endpoint = Callable[[Request, Visit], Awaitable[Response]]


def console_of(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def _visit(session: Session, token_sha256: str, now: datetime) -> Visit | None:
    user = users.session_user(session, token_sha256, now)
    return None if user is None else Visit(user, token_sha256, has_roster=roster.has_roster(session))


async def current_visit(request: Request) -> Visit | None:
    """The signed-in account of this request (session cookie valid, not expired, account enabled), else None."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token or len(token) > 200:
        return None
    console = console_of(request)
    return await console.read(_visit, token_hash(token), console.now())


def to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    where = "/login" if target == "/" or request.method != "GET" else f"/login?next={quote(target, safe='')}"
    return RedirectResponse(where, status_code=303)


def forbidden(request: Request, why: str) -> Response:
    return console_of(request).render(request, "error.html.j2", {"title": "无法完成", "message": why}, status=403)


def page(*, admin: bool = False) -> Callable[[Endpoint], Callable[[Request], Awaitable[Response]]]:
    """Wrap a page: no session → 303 to /login; not an admin where one is needed → 403; a POST whose csrf_token
    is not the session's → 403 before the page runs."""
    def wrap(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        async def handler(request: Request) -> Response:
            visit = await current_visit(request)
            if visit is None:
                return to_login(request)
            request.scope["intake.visit"] = visit
            if admin and not visit.is_admin:
                return forbidden(request, "只有管理员可以管理账号。")
            if request.method == "POST":
                form = await request.form(**FORM_LIMITS)
                token = form.get("csrf_token", "")
                if not isinstance(token, str) or not same_token(token, visit.user.csrf_token):
                    return forbidden(request, "表单已失效（缺少或不符的安全令牌），请返回上一页刷新后重试。")
                visit = Visit(visit.user, visit.token_sha256, form, visit.has_roster)
                request.scope["intake.visit"] = visit
            return await endpoint(request, visit)
        handler.__name__ = endpoint.__name__
        handler.__doc__ = endpoint.__doc__
        return handler
    return wrap


# ---- /login and /logout ------------------------------------------------------------------------------------------
def _login_form(request: Request, message: str = "", status: int = 200, username: str = "") -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not token or len(token) > 200:
        token = new_token()
    nxt = safe_next(request.query_params.get("next", "/"))
    response = console_of(request).render(request, "login.html.j2", {
        "csrf_token": token, "message": message, "next": nxt, "username": username}, status=status)
    set_cookie(response, request, LOGIN_CSRF_COOKIE, token, LOGIN_CSRF_SECONDS)
    return response


async def login_page(request: Request) -> Response:
    if await current_visit(request) is not None:
        return RedirectResponse(safe_next(request.query_params.get("next", "/")), status_code=303)
    return _login_form(request)


def _sign_in(session: Session, name: str, password: str, now: datetime, hours: float,
             token_sha256: str, csrf: str) -> accounts.LoginResult:
    result = accounts.authenticate(session, name, password, now)
    if result.user is not None:
        users.purge_sessions(session, now)
        users.add_session(session, result.user.id, token_sha256, csrf, now + timedelta(hours=hours))
    return result


async def login(request: Request) -> Response:
    form = await request.form(**FORM_LIMITS)
    given = form.get("csrf_token", "")
    if not isinstance(given, str) or not same_token(given, request.cookies.get(LOGIN_CSRF_COOKIE, "")):
        return forbidden(request, "登录表单已失效，请返回登录页刷新后重试。")
    name, password, nxt = (str(form.get(k, "")) for k in ("username", "password", "next"))
    console = console_of(request)
    token, now = new_token(), console.now()
    result = await console.write(_sign_in, name, password, now, console.settings.web_session_hours,
                                 token_hash(token), new_token())
    if result.user is None:
        if result.reason == "locked" and result.locked_until is not None:
            minutes = max(1, -(-int((result.locked_until - now).total_seconds()) // 60))
            message = (f"该账号因连续 {accounts.LOCK_AFTER} 次密码错误已锁定，请 {minutes} 分钟后再试，"
                       "或请管理员重设密码。")
        else:
            message = f"账号或密码不正确（连续 {accounts.LOCK_AFTER} 次错误将锁定 15 分钟）。"
        log.info("console sign-in refused for %r (%s)", name[:100], result.reason)
        return _login_form(request, message, status=401, username=name[:100])
    log.info("console sign-in: %s", result.user.name)
    response = RedirectResponse(safe_next(nxt or "/"), status_code=303)
    set_cookie(response, request, SESSION_COOKIE, token, console.session_seconds)
    return response


@page()
async def logout(request: Request, visit: Visit) -> Response:
    await console_of(request).write(users.delete_session, visit.token_sha256)
    response = RedirectResponse("/login", status_code=303)
    clear_cookie(response, request, SESSION_COOKIE)
    return response
