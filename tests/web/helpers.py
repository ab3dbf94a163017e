"""Builders for the console tests: a store with real mails in it, accounts, and a signed-in test client."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from httpx2 import Response
from starlette.testclient import TestClient

from core.settings import Settings
from ingest.poll import import_paths
from service import accounts
from store.dedup import record_attachment, record_form
from store.messages import record_message
from store.session import SessionFactory
from tests.store.helpers import attachment_in, docx_bytes, form, message_in
from web.app import create_app
from web.context import Console

REPO = Path(__file__).resolve().parent.parent.parent
SAMPLES = REPO / "samples" / "mail"
PASSWORD = "correct horse 1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Clock:
    """The console's clock, moved by the tests (lockouts, expiring sessions)."""

    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta


@dataclass
class Site:
    settings: Settings
    store: SessionFactory
    clock: Clock

    def client(self, **kwargs: object) -> TestClient:
        app = create_app(self.settings, self.store)
        console: Console = app.state.console
        console.now = self.clock
        return TestClient(app, follow_redirects=False, **kwargs)  # type: ignore[arg-type]

    def add_user(self, name: str, role: str = "staff", password: str = PASSWORD) -> int:
        with self.store.begin() as session:
            return accounts.add_user(session, name, password, role, "test").id

    def signed_in(self, name: str = "staff1", role: str = "staff", **kwargs: object) -> TestClient:
        """A client signed in as a new account of that role."""
        self.add_user(name, role)
        client = self.client(**kwargs)
        response = login(client, name, PASSWORD)
        assert response.status_code == 303, response.text
        return client


def login_token(client: TestClient) -> str:
    page = client.get("/login")
    found = CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


def login(client: TestClient, name: str, password: str) -> Response:
    return client.post("/login", data={"username": name, "password": password, "csrf_token": login_token(client)})


def csrf_of(client: TestClient, path: str = "/account") -> str:
    """The session's CSRF token, as a page's forms carry it."""
    found = CSRF.search(client.get(path).text)
    assert found
    return found.group(1)


def import_samples(site: Site) -> None:
    """The twelve sample mails: six reports (one corrected), a duplicate, two 待处理 (corrupt, no_attachment)."""
    import_paths(site.settings, site.store, [SAMPLES])


def add_reports(site: Site, count: int, *, org: Callable[[int], str] = lambda i: f"测试第{i}党支部",
                activity: Callable[[int], date | None] = lambda i: date(2026, 5, 1 + i % 28),
                received: Callable[[int], datetime] = lambda i: datetime(2026, 5, 2, 2, 0, tzinfo=UTC)
                + timedelta(hours=i)) -> None:
    """count reports through the store's own writers (one mail, one .docx each)."""
    with site.store.begin() as session:
        for i in range(count):
            f = form(org=org(i), headcount=10 + i, activity=activity(i), phone=f"1391234{i:04d}",
                     summary=f"第{i}次活动")
            m = record_message(session, message_in(f"情况表{i}", received_at=received(i)))
            data = docx_bytes(f)
            a = record_attachment(session, m.message_pk, attachment_in(data, f"情况表{i}.docx"), "docx")
            record_form(session, m.message_pk, a.attachment_pk, f, False)
