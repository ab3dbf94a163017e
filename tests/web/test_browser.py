"""A person's round trip in a real browser: Debian's headless Chromium, driven by Playwright, against the console
served by uvicorn on loopback — sign in, open a 待处理 item, resolve it with a note, see it leave the open list,
download the 汇总表. No JavaScript on our side: this checks the forms, redirects, cookies and CSP as a browser
applies them. Playwright never downloads a browser here: it is given /usr/bin/chromium."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from tests.fixtures.services import require_binary
from tests.web.helpers import PASSWORD, Site, import_samples
from web.server import ConsoleThread

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.slow


def chromium_path() -> str:
    """Debian's Chromium (tests/run.sh installs it); a test fails with how to install it when it is missing."""
    path = require_binary("chromium", "chromium")
    return path


@pytest.fixture
def browser() -> Iterator[Browser]:
    path = chromium_path()
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def served(site: Site) -> Iterator[str]:
    import_samples(site)
    site.add_user("limei")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    console = ConsoleThread(site.settings, site.store, "127.0.0.1", port)
    console.start()
    yield f"http://127.0.0.1:{port}"
    console.stop()


def test_staff_sign_in_resolve_a_failure_with_a_note_and_download_the_summary(
        browser: Browser, served: str, tmp_path: Path) -> None:
    context = browser.new_context(accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)  # e.g. a CSP violation

    page.goto(served + "/failures")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Ffailures$"))
    page.get_by_label("账号").fill("limei")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(served + "/failures")
    expect(page.get_by_role("heading", level=1)).to_contain_text("2 项未处理")

    page.get_by_role("link", name=re.compile("附件已损坏")).first.click()
    expect(page).to_have_url(re.compile(r"/failures/\d+$"))
    item = page.url
    expect(page.locator("tr.ask")).to_contain_text("请联系报送单位重新发送")
    page.get_by_label("备注").fill("已电话联系，对方已重发")
    page.get_by_role("button", name="标记为已解决").click()
    expect(page).to_have_url(item)
    expect(page.get_by_role("heading", level=1)).to_contain_text("已解决")
    expect(page.locator(".trail")).to_contain_text("已电话联系，对方已重发")
    expect(page.locator(".trail")).to_contain_text("limei")

    page.get_by_role("link", name="待处理", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("1 项未处理")
    expect(page.get_by_role("link", name=re.compile("附件已损坏"))).to_have_count(0)

    with page.expect_download() as info:
        page.get_by_role("link", name="下载汇总表").click()
    download = info.value
    assert re.fullmatch(r"汇总表-\d{4}-\d{2}-\d{2}\.xlsx", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    sheet = openpyxl.load_workbook(saved).active
    assert sheet is not None and sheet.max_row == 7  # the header and six reports
    assert errors == []
    context.close()


def test_the_console_fits_a_phone_screen(browser: Browser, served: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    page.goto(served + "/login")
    page.get_by_label("账号").fill("limei")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    for path in ("/", "/reports", "/failures"):
        page.goto(served + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide on a 390 px phone"
    context.close()
