"""INTAKE_WEB_URL: the digest sends staff to the web console ("在网页中处理", each item's own page) instead of
telling them to run a command; without it the digest is exactly as before."""

from __future__ import annotations

import re

from core.settings import SettingsError, load_settings
from digest.render import render_digest
from tests.digest.factories import DIGEST_AT, SHANGHAI, facts, failure, season

WEB = "https://intake.example.gov.cn"


def test_with_a_console_each_failure_links_to_its_page_and_no_command_is_asked_for() -> None:
    out = render_digest(facts(new_failures=(failure(id=7),)), SHANGHAI, DIGEST_AT, 2, web_url=WEB + "/")
    assert f'<a href="{WEB}/failures/7"' in out.html and "在网页中处理" in out.html
    assert f'href="{WEB}/failures"' in out.html
    assert "intake failures resolve" not in out.html and "intake failures resolve" not in out.text
    assert f"在网页中处理：{WEB}/failures/7" in out.text


def test_without_a_console_the_digest_still_names_the_command() -> None:
    out = render_digest(facts(), SHANGHAI, DIGEST_AT, 2)
    assert "intake failures resolve" in out.html
    assert "在网页中处理" not in out.html and "在网页中处理" not in out.text


def test_a_quiet_day_with_nothing_open_has_no_console_link() -> None:
    out = render_digest(facts(new_failures=(), season=season(open_failures=0)), SHANGHAI, DIGEST_AT, 2, web_url=WEB)
    assert "在网页中处理" not in out.html


def test_the_console_address_must_be_http_or_https_without_quotes_or_spaces() -> None:
    assert load_settings(environ={"INTAKE_WEB_URL": "https://a.example/x/"}).web_url == "https://a.example/x"
    for bad in ("javascript:alert(1)", "intake.example.gov.cn", 'https://a.example/"onmouseover=x', "ftp://a"):
        try:
            load_settings(environ={"INTAKE_WEB_URL": bad})
        except SettingsError as exc:
            assert re.match(r"INTAKE_WEB_URL: expected an address", str(exc))
        else:
            raise AssertionError(f"{bad!r} was accepted")
