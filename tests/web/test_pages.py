"""Every console page through the test client: what it shows, escaping of everything a branch wrote, the
filters, sorting and pagination of 情况表, 404s, downloads that are always downloads, CSP, /healthz."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy.engine import make_url

from digest.run import run_digest
from store.models import RosterEntry
from store.session import engine_of
from tests.web.helpers import Site, add_reports, import_samples

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def staff(site: Site) -> Site:
    import_samples(site)
    return site


def first_id(pattern: str, html: str) -> int:
    """The number the first match of pattern captures (the test fails when there is none)."""
    found = re.search(pattern, html)
    assert found, pattern
    return int(found.group(1))


def rows_of(html: str) -> list[int]:
    """The report ids a 情况表 page lists, in order."""
    return [int(n) for n in re.findall(r'<td data-label="编号"><a href="/reports/(\d+)">', html)]


def test_overview_shows_todays_numbers_open_items_and_health(staff: Site) -> None:
    client = staff.signed_in()
    html = client.get("/").text
    assert "今日新收" in html and "累计未处理" in html and "运行状况" in html and "本季累计" in html
    assert "附件已损坏（corrupt）" in html and "未带附件（no_attachment）" in html
    assert "数据库</th><td>正常" in html
    assert "情况表</th><td>6 份" in html


def test_reports_page_lists_current_reports_newest_first_with_a_count(staff: Site) -> None:
    html = staff.signed_in().get("/reports").text
    assert "共 6 份" in html
    ids = rows_of(html)
    assert len(ids) == 6 and len(set(ids)) == 6
    assert "第2版" in html  # the corrected report shows its current version


def test_reports_paginate_by_50_in_the_database(site: Site) -> None:
    add_reports(site, 123)
    client = site.signed_in()
    first, third = client.get("/reports").text, client.get("/reports?page=3").text
    assert "共 123 份" in first and "第 1 / 3 页" in first
    assert len(rows_of(first)) == 50 and len(rows_of(third)) == 23
    assert rows_of(first)[0] == 123 and rows_of(third)[-1] == 1  # newest received first
    assert 'href="?month=&' not in first and "page=2" in first
    assert len(rows_of(client.get("/reports?page=999").text)) == 0
    assert len(rows_of(client.get("/reports?page=abc").text)) == 50


def test_reports_sort_by_each_column_both_ways(site: Site) -> None:
    add_reports(site, 5, org=lambda i: f"{'EDCBA'[i]}党支部")
    client = site.signed_in()
    assert rows_of(client.get("/reports?sort=id&dir=asc").text) == [1, 2, 3, 4, 5]
    assert rows_of(client.get("/reports?sort=headcount&dir=desc").text) == [5, 4, 3, 2, 1]
    assert rows_of(client.get("/reports?sort=org&dir=asc").text) == [5, 4, 3, 2, 1]
    assert rows_of(client.get("/reports?sort=org&dir=desc").text) == [1, 2, 3, 4, 5]
    assert rows_of(client.get("/reports?sort=activity&dir=asc").text) == [1, 2, 3, 4, 5]
    assert rows_of(client.get("/reports?sort=nonsense").text) == [5, 4, 3, 2, 1]


def test_reports_filter_by_month_late_and_text(site: Site) -> None:
    add_reports(site, 4, activity=lambda i: [date(2026, 4, 20), date(2026, 5, 1), None, date(2026, 5, 3)][i],
                received=lambda i: datetime(2026, 5, 2, 2, 0, tzinfo=UTC) if i < 3
                else datetime(2026, 6, 20, 2, 0, tzinfo=UTC))
    client = site.signed_in()
    assert sorted(rows_of(client.get("/reports?month=2026-05").text)) == [2, 3, 4]  # no date: its received month
    assert rows_of(client.get("/reports?month=2026-04").text) == [1]
    assert rows_of(client.get("/reports?month=garbage").text) == [4, 3, 2, 1]
    assert rows_of(client.get("/reports?late=1").text) == [4, 1]  # 48 and 12 days after the activity
    assert rows_of(client.get("/reports?q=%E7%AC%AC2%E5%85%9A").text) == [3]  # 第2党
    assert rows_of(client.get("/reports?q=13912340001").text) == [2]
    assert rows_of(client.get("/reports?q=100%25").text) == []  # % is a character, not a wildcard


def test_the_group_filter_appears_only_with_a_roster(site: Site) -> None:
    add_reports(site, 2)
    client = site.signed_in()
    assert "所属单位" not in client.get("/reports").text
    with site.store.begin() as session:
        entry = RosterEntry(name="测试第1党支部", name_key="测试第1党支部", group_name="财政局")
        session.add(entry)
        session.flush()
        from store.models import Report

        session.get(Report, 2).roster_entry_id = entry.id  # type: ignore[union-attr]
    html = client.get("/reports").text
    assert "所属单位" in html and '<option value="财政局"' in html
    assert rows_of(client.get("/reports?group=%E8%B4%A2%E6%94%BF%E5%B1%80").text) == [2]


def test_everything_a_branch_wrote_is_shown_as_text(site: Site) -> None:
    add_reports(site, 1, org=lambda _i: SCRIPT)
    client = site.signed_in()
    for path in ("/reports", "/reports/1", "/reports?q=%3Cscript"):
        html = client.get(path).text
        assert SCRIPT not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path


def test_a_report_page_shows_every_version_with_the_changed_fields_marked(staff: Site) -> None:
    client = staff.signed_in()
    listing = client.get("/reports").text
    corrected = first_id(r'href="/reports/(\d+)">\d+</a> <span class="tag">第2版', listing)
    html = client.get(f"/reports/{corrected}").text
    assert "第 2 版" in html and "第 1 版" in html and "当前版本" in html
    assert 'class="changed"' in html and "与上一版相比改动" in html
    assert re.search(r'href="/attachments/\d+"', html) and re.search(r'href="/messages/\d+/raw"', html)
    assert "发件人" in html and "邮件主题" in html


@pytest.mark.parametrize("path", ["/reports/999", "/failures/999", "/attachments/999", "/messages/999/raw",
                                  "/digests/999", "/no/such/page"])
def test_unknown_ids_are_404_pages_in_chinese(staff: Site, path: str) -> None:
    response = staff.signed_in().get(path)
    assert response.status_code == 404
    assert "找不到" in response.text


def test_attachments_and_raw_mails_are_downloads_never_pages(staff: Site) -> None:
    client = staff.signed_in()
    att = client.get("/attachments/1")
    assert att.status_code == 200 and att.content.startswith(b"PK")
    disposition = att.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="') and "filename*=UTF-8''" in disposition
    assert att.headers["x-content-type-options"] == "nosniff"
    assert att.headers["content-type"] == "application/octet-stream"
    raw = client.get("/messages/1/raw")
    assert raw.status_code == 200 and b"Subject:" in raw.content
    assert raw.headers["content-disposition"].startswith("attachment;")
    assert raw.headers["x-content-type-options"] == "nosniff"


def test_a_file_name_with_quotes_and_line_breaks_stays_one_safe_header() -> None:
    from web.security import download_headers

    header = download_headers('情况"表\r\nX-Evil: 1;.docx')["content-disposition"]
    assert "\r" not in header and "\n" not in header
    fallback = re.search(r'filename="([^"]*)"', header)
    assert fallback and '"' not in fallback.group(1) and fallback.group(1).endswith(".docx")
    assert "filename*=UTF-8''%E6%83%85%E5%86%B5%22%E8%A1%A8" in header


def test_every_page_forbids_inline_script_and_style_and_framing(staff: Site) -> None:
    client = staff.signed_in()
    for path in ("/", "/reports", "/failures/1", "/login"):
        response = client.get(path)
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "script-src" not in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
        assert " style=" not in response.text and "<script" not in response.text
    css = client.get("/static/console.css")
    assert css.status_code == 200 and "@media" in css.text


def test_the_summary_download_is_the_xlsx_of_current_reports(staff: Site) -> None:
    response = staff.signed_in().get("/export.xlsx")
    assert response.status_code == 200
    assert "filename*=UTF-8''%E6%B1%87%E6%80%BB%E8%A1%A8-" in response.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None and sheet.max_row >= 7  # a title or header and six reports


def test_failures_list_open_by_default_and_all_on_request(staff: Site) -> None:
    client = staff.signed_in()
    html = client.get("/failures").text
    assert "2 项未处理" in html
    client.post("/failures/1/ignore", data={"note": "非本次活动", "csrf_token": _csrf(client)})
    assert "1 项未处理" in client.get("/failures").text
    every = client.get("/failures?status=all").text
    assert "全部 2 项" in every and "已忽略" in every


def _csrf(client: object) -> str:
    from tests.web.helpers import csrf_of

    return csrf_of(client)  # type: ignore[arg-type]


def test_a_failure_page_says_what_to_ask_the_branch_and_links_the_mail_and_file(staff: Site) -> None:
    client = staff.signed_in()
    html = client.get("/failures").text
    corrupt = first_id(r'href="/failures/(\d+)">附件已损坏', html)
    page = client.get(f"/failures/{corrupt}").text
    assert "请联系报送单位重新发送" in page and "附件已损坏" in page
    assert re.search(r'href="/attachments/\d+"', page) and re.search(r'href="/messages/\d+/raw"', page)
    assert 'href="mailto:' in page
    assert "用已保存的附件重新解析" in page


def test_resolving_with_a_note_closes_the_item_and_writes_the_audit_trail(staff: Site) -> None:
    client = staff.signed_in("limei")
    response = client.post("/failures/1/resolve", data={"note": f"已电话联系 {SCRIPT}", "csrf_token": _csrf(client)})
    assert response.status_code == 303 and response.headers["location"] == "/failures/1"
    page = client.get("/failures/1").text
    assert "已解决" in page and "标记为已解决" in page and "limei" in page
    assert SCRIPT not in page and "已电话联系 &lt;script&gt;" in page
    from store import audit

    with staff.store() as session:
        (entry,) = audit.entries_for(session, "failure", 1)
    assert (entry.actor, entry.action, entry.note) == ("limei", "resolve", f"已电话联系 {SCRIPT}")


def test_closing_without_a_note_asks_for_one_and_changes_nothing(staff: Site) -> None:
    client = staff.signed_in()
    response = client.post("/failures/1/resolve", data={"note": "  ", "csrf_token": _csrf(client)})
    assert response.headers["location"] == "/failures/1?error=note"
    assert "请填写备注" in client.get(response.headers["location"]).text
    assert "2 项未处理" in client.get("/failures").text


def test_closing_an_unknown_failure_is_404(staff: Site) -> None:
    client = staff.signed_in()
    assert client.post("/failures/999/ignore", data={"note": "x", "csrf_token": _csrf(client)}).status_code == 404


def test_reparse_runs_the_stored_file_again_and_says_so_in_the_trail(staff: Site) -> None:
    client = staff.signed_in()
    html = client.get("/failures").text
    corrupt = first_id(r'href="/failures/(\d+)">附件已损坏', html)
    response = client.post(f"/failures/{corrupt}/reparse", data={"csrf_token": _csrf(client)})
    assert response.status_code == 303
    page = client.get(f"/failures/{corrupt}").text
    assert "重新解析" in page and "仍无法解析" in page and "待处理" in page


def test_past_digests_are_listed_and_shown_as_sent(staff: Site) -> None:
    settings = staff.settings
    run_digest(settings, staff.store, date(2020, 5, 14), mode="outbox", out=None, force=False)
    client = staff.signed_in()
    listing = client.get("/digests").text
    assert "2020-05-14 的日报" in listing and "写入发件箱" in listing
    run_id = first_id(r'href="/digests/(\d+)"', listing)
    shown = client.get(f"/digests/{run_id}")
    assert shown.status_code == 200 and "日报" in shown.text
    csp = shown.headers["content-security-policy"]
    assert "sandbox" in csp and "script" not in csp and "default-src 'none'" in csp


def test_admins_manage_accounts_and_each_change_is_in_the_audit_log(site: Site) -> None:
    admin = site.signed_in("boss", "admin")
    token = _csrf(admin)
    assert admin.post("/users", data={"username": "limei", "password": "password9", "role": "staff",
                                      "csrf_token": token}).headers["location"] == "/users?done=added"
    assert admin.post("/users", data={"username": "limei", "password": "password9", "role": "staff",
                                      "csrf_token": token}).headers["location"] == "/users?error=exists"
    short = admin.post("/users", data={"username": "x2", "password": "short", "csrf_token": token})
    assert short.status_code == 400 and "密码至少 8 个字符" in short.text
    assert admin.post("/users/1/disable", data={"csrf_token": token}).headers["location"] == "/users?error=self"
    limei = 2
    admin.post(f"/users/{limei}/password", data={"password": "new password", "csrf_token": token})
    admin.post(f"/users/{limei}/role", data={"role": "admin", "csrf_token": token})
    admin.post(f"/users/{limei}/disable", data={"csrf_token": token})
    page = admin.get("/users").text
    for words in ("新建账号", "修改密码", "修改角色", "停用账号", "已停用"):
        assert words in page, words


def test_anyone_changes_their_own_password_with_the_current_one(site: Site) -> None:
    client = site.signed_in("limei")
    token = _csrf(client)
    wrong = client.post("/account/password", data={"password": "nope", "new_password": "brand new 1",
                                                   "new_password_again": "brand new 1", "csrf_token": token})
    assert wrong.headers["location"] == "/account?error=current"
    done = client.post("/account/password", data={"password": "correct horse 1", "new_password": "brand new 1",
                                                  "new_password_again": "brand new 1", "csrf_token": token})
    assert done.headers["location"] == "/account?done=password"
    assert client.get("/").status_code == 200  # this browser stays signed in
    from tests.web.helpers import login

    assert login(site.client(), "limei", "brand new 1").status_code == 303


def test_healthz_is_200_with_the_database_and_503_without(site: Site) -> None:
    client = site.client()
    ok = client.get("/healthz")
    assert ok.status_code == 200 and ok.json()["db"] == "ok" and ok.json()["open_failures"] == 0
    database = Path(make_url(site.settings.effective_database_url).database or "")
    for leftover in database.parent.glob(database.name + "*"):
        leftover.unlink()
    database.write_bytes(b"this is not a database any more" * 100)
    engine_of(site.store).dispose()  # the pooled connections go; the next one meets the broken file
    down = client.get("/healthz")
    assert down.status_code == 503 and down.json() == {"db": "unavailable"}


def test_a_digest_sent_before_its_html_was_kept_shows_from_the_outbox_or_says_it_was_not_kept(site: Site) -> None:
    from store.events import record_digest_run

    when = datetime(2020, 5, 15, 0, 0, tzinfo=UTC)
    with site.store.begin() as session:
        record_digest_run(session, date(2020, 5, 13), when, ["a@example.org"], "<a@x>", "outbox")
        record_digest_run(session, date(2020, 5, 14), when, ["a@example.org"], "<b@x>", "send")
    outbox = site.settings.data_dir / "outbox"
    outbox.mkdir(parents=True)
    (outbox / "digest-2020-05-13.html").write_text("<p>五月十三日的日报</p>", encoding="utf-8")
    client = site.signed_in()
    listing = client.get("/digests").text
    assert "2020-05-14 的日报 <span class=\"muted\">（内容未保存）</span>" in listing
    kept = first_id(r'href="/digests/(\d+)"', listing)
    shown = client.get(f"/digests/{kept}")
    assert shown.status_code == 200 and "五月十三日的日报" in shown.text
    assert client.get("/digests/2").status_code == 404


def test_pages_are_read_while_the_poll_holds_the_write_lock(staff: Site) -> None:
    """SQLite: a message's transaction (BEGIN IMMEDIATE) may last as long as a LibreOffice conversion; the
    console's reads begin deferred and read their snapshot meanwhile instead of waiting for it."""
    from store.models import Message

    client = staff.signed_in()
    with staff.store.begin() as writer:  # the poll, mid-message
        writer.get(Message, 1).subject = "改了一半"  # type: ignore[union-attr]
        writer.flush()
        for path in ("/", "/reports", "/failures", "/failures/1", "/healthz"):
            assert client.get(path).status_code == 200, path
