"""The console's shared state: settings, the store, the templates, the clock; store calls off the event loop."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse

from core.settings import Settings
from core.vocab import AuditAction, FailureKind, FailureStatus, Role
from store.db import reader_of
from store.session import Session, SessionFactory

P = ParamSpec("P")
R = TypeVar("R")

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Console:
    """Everything a request handler needs. now is a seam: tests move the clock past a lockout."""

    settings: Settings
    store: SessionFactory
    templates: Environment = field(init=False)
    reader: SessionFactory = field(init=False)
    now: Callable[[], datetime] = _now

    def __post_init__(self) -> None:
        self.templates = make_templates(self.settings)
        self.reader = reader_of(self.store)

    @property
    def session_seconds(self) -> int:
        return max(60, round(self.settings.web_session_hours * 3600))

    def today(self) -> date:
        return self.now().astimezone(self.settings.tz).date()

    async def read(self, fn: Callable[Concatenate[Session, P], R], *args: P.args, **kwargs: P.kwargs) -> R:
        """fn(session, …) in a worker thread, in a reading session of its own (on SQLite it does not wait for
        the poll's write lock), closed (never committed) after."""
        def run() -> R:
            with self.reader() as session:
                return fn(session, *args, **kwargs)
        return await run_in_threadpool(run)

    async def write(self, fn: Callable[Concatenate[Session, P], R], *args: P.args, **kwargs: P.kwargs) -> R:
        """fn(session, …) in a worker thread, committed when it returns, rolled back when it raises."""
        def run() -> R:
            with self.store.begin() as session:
                return fn(session, *args, **kwargs)
        return await run_in_threadpool(run)

    def render(self, request: Request, name: str, context: Mapping[str, Any], status: int = 200,
               headers: Mapping[str, str] | None = None) -> HTMLResponse:
        visit = request.scope.get("intake.visit")
        html = self.templates.get_template(name).render(
            request=request, visit=visit, user=visit.user if visit else None, **context)
        return HTMLResponse(html, status_code=status, headers=dict(headers or {}))


def local_time(when: datetime | None, tz: Any) -> str:
    if when is None:
        return ""
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return aware.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def kind_label(code: str) -> str:
    try:
        return f"{FailureKind(code).label}（{code}）"
    except ValueError:
        return code


def status_label(code: str) -> str:
    try:
        return FailureStatus(code).label
    except ValueError:
        return code


def action_label(code: str) -> str:
    try:
        return AuditAction(code).label
    except ValueError:
        return code


def role_label(code: str) -> str:
    try:
        return Role(code).label
    except ValueError:
        return code


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def make_templates(settings: Settings) -> Environment:
    """Jinja2 with autoescape on for every template (all are HTML), undefined names an error."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True,
                      default_for_string=True), undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    tz = settings.tz
    env.filters["local"] = lambda when: local_time(when, tz)
    env.filters["kind"] = kind_label
    env.filters["status"] = status_label
    env.filters["action"] = action_label
    env.filters["role"] = role_label
    env.filters["size"] = size_text
    return env
