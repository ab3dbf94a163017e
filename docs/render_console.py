"""Regenerate docs/console-*.png: the web console's 概览, 情况表, a 待处理 item and 报送情况, on a desktop and a phone.

Run from the repository root: `.venv/bin/python docs/render_console.py` (needs Debian's chromium and, for the
Chinese text, fonts-noto-cjk: `apt-get install -y chromium fonts-noto-cjk`). It builds a demo store in a temporary
folder from samples/roster.xlsx and samples/mail (the same roster and mails as `intake demo`), serves the
console on loopback with uvicorn and takes the screenshots with headless Chromium through Playwright. The test
suite never needs this.
"""

from __future__ import annotations

import socket
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from playwright.sync_api import Page, ViewportSize, sync_playwright  # noqa: E402

from core.settings import Settings  # noqa: E402
from ingest.poll import import_paths  # noqa: E402
from roster.load import import_roster  # noqa: E402
from service import accounts  # noqa: E402
from store.db import open_store  # noqa: E402
from store.failures import list_failures  # noqa: E402
from store.queries import current_reports  # noqa: E402
from store.session import SessionFactory  # noqa: E402
from web.server import ConsoleThread  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--font-render-hinting=none"]
SIZES: dict[str, ViewportSize] = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
USER, PASSWORD = "zhangsan", "demo password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def build(folder: Path) -> tuple[Settings, SessionFactory, datetime, int]:
    """The demo store: the sample roster and mails imported, an account; when to set the clock (the day the last mail
    came), and the corrupt attachment's 待处理 item."""
    settings = Settings(data_dir=folder, timezone="Asia/Shanghai")
    store = open_store(settings.effective_database_url)
    import_roster(store, REPO / "samples" / "roster.xlsx", replace=True)
    import_paths(settings, store, [REPO / "samples" / "mail"])
    with store.begin() as session:
        accounts.add_user(session, USER, PASSWORD, "admin", "docs")
    with store() as session:
        corrupt = next(f.id for f in list_failures(session) if f.kind == "corrupt")
        latest = max(r.received_at for r in current_reports(session))
    return settings, store, latest + timedelta(hours=2), corrupt


def sign_in(page: Page, base: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("账号").fill(USER)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        settings, store, now, corrupt = build(Path(tmp))
        port = free_port()
        console = ConsoleThread(settings, store, "127.0.0.1", port)
        console.console.now = lambda: now
        console.start()
        base = f"http://127.0.0.1:{port}"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for size, viewport in SIZES.items():
                    context = browser.new_context(viewport=viewport, device_scale_factor=1 if size == "desktop"
                                                  else 2, locale="zh-CN", is_mobile=size == "phone")
                    page = context.new_page()
                    sign_in(page, base)
                    for name, path in (("overview", "/"), ("reports", "/reports"),
                                       ("failure", f"/failures/{corrupt}"), ("roster", "/roster")):
                        page.goto(base + path)
                        out = REPO / "docs" / f"console-{name}-{size}.png"
                        page.screenshot(path=str(out), full_page=True)
                        print(f"wrote {out.relative_to(REPO)}")
                    context.close()
                browser.close()
        finally:
            console.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
