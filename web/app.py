"""The console as an ASGI app: its routes (the paths are part of the contract), security headers, static files,
and Chinese error pages; a page that does not exist sends a visitor who is not signed in to /login."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from core.settings import Settings
from store.session import SessionFactory
from web import accounts, auth, failures, pages, roster
from web.context import STATIC, Console
from web.security import SecurityHeaders

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # forms only: a note, a password


def routes() -> list[Route | Mount]:
    return [
        Route("/login", auth.login_page, methods=["GET"]),
        Route("/login", auth.login, methods=["POST"]),
        Route("/logout", auth.logout, methods=["POST"]),
        Route("/healthz", pages.healthz, methods=["GET"]),
        Route("/", pages.overview, methods=["GET"]),
        Route("/reports", pages.reports, methods=["GET"]),
        Route("/reports/{report_id:int}", pages.report, methods=["GET"]),
        Route("/failures", failures.failure_list, methods=["GET"]),
        Route("/failures/{failure_id:int}", failures.failure_detail, methods=["GET"]),
        Route("/failures/{failure_id:int}/resolve", failures.resolve, methods=["POST"]),
        Route("/failures/{failure_id:int}/ignore", failures.ignore, methods=["POST"]),
        Route("/failures/{failure_id:int}/reparse", failures.reparse, methods=["POST"]),
        Route("/attachments/{attachment_id:int}", pages.attachment, methods=["GET"]),
        Route("/messages/{message_id:int}/raw", pages.raw_message, methods=["GET"]),
        Route("/roster", roster.roster_page, methods=["GET"]),
        Route("/roster/alias", roster.confirm_alias, methods=["POST"]),
        Route("/digests", pages.digests, methods=["GET"]),
        Route("/digests/{run_id:int}", pages.digest_view, methods=["GET"]),
        Route("/export.xlsx", pages.export_xlsx, methods=["GET"]),
        Route("/users", accounts.user_list, methods=["GET"]),
        Route("/users", accounts.user_add, methods=["POST"]),
        Route("/users/{user_id:int}/disable", accounts.user_disable, methods=["POST"]),
        Route("/users/{user_id:int}/enable", accounts.user_enable, methods=["POST"]),
        Route("/users/{user_id:int}/password", accounts.user_password, methods=["POST"]),
        Route("/users/{user_id:int}/role", accounts.user_role, methods=["POST"]),
        Route("/account", accounts.account, methods=["GET"]),
        Route("/account/password", accounts.account_password, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


async def http_error(request: Request, exc: Exception) -> Response:
    """404 and 405 as Chinese pages; a visitor who is not signed in goes to /login instead (nothing to learn)."""
    code = exc.status_code if isinstance(exc, HTTPException) else 500
    if code in (404, 405) and await auth.current_visit(request) is None:
        return auth.to_login(request)
    title, message = {404: ("找不到", "没有这个页面。"), 405: ("无法完成", "这个页面不接受这种请求。")}.get(
        code, ("出错了", "请求无法完成。"))
    return auth.console_of(request).render(request, "error.html.j2", {"title": title, "message": message},
                                           status=code)


async def server_error(request: Request, exc: Exception) -> Response:
    log.error("console error on %s %s", request.method, request.url.path, exc_info=exc)
    message = "系统处理这个请求时出错，已记入日志，请稍后再试或联系管理员。"
    return auth.console_of(request).render(request, "error.html.j2", {"title": "出错了", "message": message},
                                           status=500)


def create_app(settings: Settings, session_factory: SessionFactory) -> Starlette:
    """The console for these settings and this store (already open, schema at head)."""
    app = Starlette(routes=routes(), middleware=[Middleware(SecurityHeaders)],
                    exception_handlers={HTTPException: http_error, Exception: server_error},
                    max_body_size=MAX_BODY)
    app.state.console = Console(settings, session_factory)
    return app
