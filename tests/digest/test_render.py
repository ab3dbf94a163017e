"""The digest's words: subject, every section of the HTML and text, built from store records alone."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser
from urllib.parse import parse_qs, unquote, urlsplit

from digest.render import digest_subject, render_digest, split_staff_message
from store.records import Correction, DuplicateRow
from tests.digest.factories import DIGEST_AT, SHANGHAI, at, facts, failure, health, quiet_facts, report, season


def test_subject_counts_new_reports_corrections_and_open_failures() -> None:
    subject = digest_subject(facts(season=season(open_failures=5)))
    assert subject == "【主题党日活动情况表】2020-05-14 日报：新收2份，更正1份，待处理5项"


def test_each_new_report_shows_its_fields_and_received_time_in_html_and_text() -> None:
    out = render_digest(facts(), SHANGHAI, DIGEST_AT, 2)
    for body in (out.html, out.text):
        assert "苏州市财政局离退休干部第一党支部" in body
        assert "23人" in body
        assert "2020年5月12日" in body
        assert "王建国" in body
        assert "13912345678" in body
        assert "05-14 09:32" in body
        assert "三十余人" in body  # headcount kept as written when it is not a number
    assert 'href="tel:13912345678"' in out.html


def test_late_mark_only_on_reports_received_more_than_seven_days_after_activity() -> None:
    out = render_digest(facts(), SHANGHAI, DIGEST_AT, 2)
    assert "吴中区老干部局机关离退休党支部【逾期 16 天】" in out.text
    assert "苏州市财政局离退休干部第一党支部【逾期" not in out.text
    assert out.html.count("逾期 16 天") == 1


def test_corrections_show_organisation_and_each_changed_field_old_to_new() -> None:
    out = render_digest(facts(), SHANGHAI, DIGEST_AT, 2)
    assert "姑苏区离退休干部第二党支部（第 2 版，05-14 11:00 收到）" in out.text
    assert "人数：18 → 21" in out.text
    assert "联系方式：13800000000 → 13811112222" in out.text
    assert "13800000000</span> → <b>13811112222</b>" in out.html


def test_long_changed_text_is_shortened_for_the_phone() -> None:
    long_old, long_new = "旧" * 300, "新" * 300
    corr = Correction(report_id=1, org_name="某支部", version=3, received_at=at(9),
                      changes=(("summary", long_old, long_new),))
    out = render_digest(facts(corrections=(corr,)), SHANGHAI, DIGEST_AT, 2)
    line = next(line for line in out.text.splitlines() if line.strip().startswith("简介："))
    assert len(line) < 200 and "…" in line


def test_failures_show_sender_subject_attachment_reason_and_what_to_ask() -> None:
    out = render_digest(facts(), SHANGHAI, DIGEST_AT, 2)
    text = out.text
    assert "待处理（今日新增 1 项，累计未处理 2 项）" in text
    assert "1. 附件已加密" in text
    assert "请处理：请联系报送单位去掉密码后重新发送" in text
    assert "发件人：李梅 <limei@example.com>" in text
    assert "邮件主题：教育局退休第三支部活动情况" in text
    assert "附件：情况表（加密）.docx" in text
    assert 'href="mailto:limei@example.com?subject=' in out.html


def test_failure_kinds_split_into_reason_and_action() -> None:
    assert split_staff_message("附件已损坏，无法打开，请联系报送单位重新发送") == (
        "附件已损坏，无法打开", "请联系报送单位重新发送")
    converter = "旧版文档需要转换组件（LibreOffice），管理员安装后可重新解析，无需报送单位重发"
    reason, action = split_staff_message(converter)
    assert reason == "旧版文档需要转换组件（LibreOffice）"
    assert action.startswith("管理员安装后")


def test_unknown_failure_kind_falls_back_to_stored_message() -> None:
    row = failure(kind="something_new", message="某种新问题，请联系管理员")
    out = render_digest(facts(new_failures=(row,)), SHANGHAI, DIGEST_AT, 2)
    assert "1. 某种新问题" in out.text
    assert "请处理：请联系管理员" in out.text


def test_duplicates_show_how_many_and_of_what() -> None:
    dup2 = DuplicateRow(kind="message", sender="x@example.com", subject="情况表", filename="",
                        of_what="与 5月13日 收到的邮件相同", received_at=at(12))
    out = render_digest(facts(duplicates=(*facts().duplicates, dup2)), SHANGHAI, DIGEST_AT, 2)
    assert "重复报送（已自动忽略 2 份）" in out.text
    assert "附件与之前收到的相同：1 份" in out.text
    assert "与 5月14日 收到的苏州市财政局离退休干部第一党支部情况表相同" in out.text
    assert "同一封邮件重复收到：1 份" in out.text


def test_season_to_date_shows_reports_participants_late_and_months() -> None:
    out = render_digest(facts(), SHANGHAI, DIGEST_AT, 2)
    assert "情况表 41 份，参加人数 812 人次，逾期报送 3 份" in out.text
    assert "2020年4月：9 份" in out.text
    assert "2020年5月：32 份" in out.text


def test_health_shows_last_poll_ignored_mail_and_count_received() -> None:
    out = render_digest(facts(), SHANGHAI, DIGEST_AT, 2)
    assert "当日收信 6 封" in out.text
    assert "已忽略：自动回复 1 封" in out.text
    assert "邮箱 szlgbjdjc@163.com / INBOX：最近成功收信 05-15 07:55" in out.text
    assert "异常" not in out.text


def test_expired_auth_code_errors_are_grouped_and_explained() -> None:
    errors = tuple((at(h, day=date(2020, 5, 15)), "LOGIN failed: [AUTHENTICATIONFAILED] Invalid credentials")
                   for h in range(0, 7))
    sick = health(last_ok_at=at(23, 50), errors_since=errors, last_error=errors[-1][1])
    out = render_digest(facts(health=(sick,)), SHANGHAI, DIGEST_AT, 2)
    assert "⚠ 收信服务存在异常" in out.text
    assert "超过 2 小时未成功收信" in out.text
    assert out.text.count("LOGIN failed") == 1  # seven identical errors shown once, with a count
    assert "7 次，05-15 00:00 至 05-15 06:00" in out.text
    assert "授权码已过期" in out.text and "授权码已过期" in out.html


def test_a_recovered_network_error_is_listed_without_alarm_or_blaming_the_auth_code() -> None:
    errors = ((at(3, day=date(2020, 5, 15)), "connection timed out to imap.163.com:993"),)
    out = render_digest(facts(health=(health(errors_since=errors),)), SHANGHAI, DIGEST_AT, 2)
    assert "错误：connection timed out to imap.163.com:993（05-15 03:00）" in out.text
    assert "授权码" not in out.text
    assert "⚠" not in out.text  # polling recovered (last success 07:55): listed, not alarmed


def test_no_poll_ever_is_reported_as_a_problem() -> None:
    out = render_digest(facts(health=(health(last_ok_at=None, last_run_at=None),)), SHANGHAI, DIGEST_AT, 2)
    assert "最近成功收信 无记录" in out.text
    assert "⚠ 收信服务存在异常" in out.text


def test_mail_only_imported_from_files_says_so_without_an_alarm() -> None:
    out = render_digest(facts(health=()), SHANGHAI, DIGEST_AT, 2)
    assert "尚无邮箱收信记录（邮件仅通过文件导入）" in out.text
    assert "⚠" not in out.text and "⚠" not in out.html


def test_quiet_day_still_makes_a_short_digest_saying_the_service_is_alive() -> None:
    out = render_digest(quiet_facts(), SHANGHAI, DIGEST_AT, 0)
    assert out.subject.endswith("新收0份，更正0份，待处理0项")
    assert "当日没有新的情况表、更正或待处理事项。收信服务运行正常" in out.text
    assert "新收情况表（" not in out.text and "更正（" not in out.text and "重复报送（" not in out.text
    assert len(out.text) < len(render_digest(facts(), SHANGHAI, DIGEST_AT, 2).text) / 2


def test_branch_text_is_escaped_in_html() -> None:
    evil = report(org_name='<script>alert(1)</script>党支部', contact_person='"><img src=x>')
    out = render_digest(facts(new_reports=(evil,)), SHANGHAI, DIGEST_AT, 1)
    assert "<script>" not in out.html and "<img" not in out.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;党支部" in out.html
    assert "<script>alert(1)</script>党支部" in out.text  # plain text stays as written


def test_html_needs_nothing_from_outside_the_mail() -> None:
    html = render_digest(facts(), SHANGHAI, DIGEST_AT, 2).html
    assert "<link" not in html and "<img" not in html and "<script" not in html and "@import" not in html
    assert not re.search(r"(src|href)=\"https?:", html)
    assert 'name="viewport"' in html and "max-width:640px" in html


def test_times_are_shown_in_the_office_time_zone() -> None:
    from datetime import UTC, datetime

    utc_row = report(received_at=datetime(2020, 5, 14, 1, 32, tzinfo=UTC))
    out = render_digest(facts(new_reports=(utc_row,)), SHANGHAI, DIGEST_AT, 1)
    assert "收到时间：05-14 09:32" in out.text


def test_received_exactly_seven_days_after_activity_is_not_late() -> None:
    row = report(activity_date=date(2020, 5, 7), late=False)
    out = render_digest(facts(new_reports=(row,)), SHANGHAI, DIGEST_AT, 1)
    assert "逾期" not in out.text.split("“逾期”指")[0]


def test_stale_mailbox_threshold_follows_the_poll_interval() -> None:
    from datetime import timedelta

    five_hours_ago = facts(health=(health(last_ok_at=at(3, 0, date(2020, 5, 15))),))
    assert "超过 2 小时未成功收信" in render_digest(five_hours_ago, SHANGHAI, DIGEST_AT, 2).text
    relaxed = render_digest(five_hours_ago, SHANGHAI, DIGEST_AT, 2, stale_after=timedelta(hours=6)).text
    assert "未成功收信" not in relaxed and "⚠" not in relaxed


def test_a_quiet_day_without_any_mailbox_poll_never_claims_the_service_is_running_normally() -> None:
    from dataclasses import replace

    out = render_digest(replace(quiet_facts(), health=()), SHANGHAI, DIGEST_AT, 0)
    assert "当日没有新的情况表、更正或待处理事项。" in out.text
    assert "收信服务运行正常" not in out.text and "收信服务运行正常" not in out.html
    assert "尚无邮箱收信记录" in out.text


class Page(HTMLParser):
    """What a mail client sees in the HTML: the tags, every href, and the text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.texts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs.extend(value or "" for name, value in attrs if name == "href")

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


HOSTILE_ADDRESS = "limei?cc=thief%40evil.example&body=hello&bcc=boss@example.com"


def test_hostile_values_render_as_text_and_every_link_carries_one_address_and_a_subject_only() -> None:
    evil_org = "<script>alert(1)</script>党支部"
    evil_name = '"><a href="javascript:alert(2)">李梅</a>'
    row = failure(sender=f"{evil_name} <{HOSTILE_ADDRESS}>", subject="情况表&body=<b>x</b>#frag")
    out = render_digest(facts(new_reports=(report(org_name=evil_org, contact_person=evil_name),),
                              new_failures=(row,)), SHANGHAI, DIGEST_AT, 1)
    page = Page(out.html)
    assert "script" not in page.tags
    assert page.tags.count("a") == len(page.hrefs)  # no anchor came from the branch's text
    text = "".join(page.texts)
    assert "1. " + evil_org in text and evil_name in text

    mailtos = [h for h in page.hrefs if h.startswith("mailto:")]
    assert len(mailtos) == 1 and all(h.startswith(("mailto:", "tel:")) for h in page.hrefs)
    link = urlsplit(mailtos[0])
    assert unquote(link.path) == HOSTILE_ADDRESS
    query = parse_qs(link.query, keep_blank_values=True)
    assert list(query) == ["subject"] and query["subject"] == ["回复：情况表&body=<b>x</b>#frag"]
    assert link.fragment == ""


def test_landlines_show_with_the_area_code_hyphenated_and_mobiles_as_typed() -> None:
    rows = (report(contact_phone="051265221234"), report(id=2, org_name="第二党支部", contact_phone="13912345678"))
    corr = Correction(report_id=3, org_name="某支部", version=2, received_at=at(9),
                      changes=(("contact_phone", "051265221234", "02161234567"),))
    out = render_digest(facts(new_reports=rows, corrections=(corr,)), SHANGHAI, DIGEST_AT, 2)
    assert "联系方式：0512-65221234" in out.text and "联系方式：13912345678" in out.text
    assert "联系方式：0512-65221234 → 021-61234567" in out.text
    assert 'href="tel:051265221234"' in out.html and ">0512-65221234</a>" in out.html
    assert "051265221234" not in "".join(Page(out.html).texts)
