"""The console's settings: INTAKE_WEB_PORT (0 = off), INTAKE_WEB_HOST, INTAKE_WEB_SESSION_HOURS, INTAKE_WEB_URL;
a value that cannot work is one line naming the variable."""

from __future__ import annotations

import pytest

from core.settings import SettingsError, load_settings


def test_defaults_keep_the_console_off_on_loopback_for_eight_hours() -> None:
    s = load_settings(environ={})
    assert (s.web_port, s.web_host, s.web_session_hours, s.web_url) == (0, "127.0.0.1", 8.0, "")
    assert s.masked()["web_port"] == "0" and s.masked()["web_session_hours"] == "8"


def test_values_are_read_from_the_environment() -> None:
    s = load_settings(environ={"INTAKE_WEB_PORT": "8080", "INTAKE_WEB_HOST": "0.0.0.0",
                               "INTAKE_WEB_SESSION_HOURS": "0.5", "INTAKE_WEB_URL": "http://10.1.2.3:8080/"})
    assert (s.web_port, s.web_host, s.web_session_hours, s.web_url) == (8080, "0.0.0.0", 0.5, "http://10.1.2.3:8080")


@pytest.mark.parametrize(("name", "value", "words"), [
    ("INTAKE_WEB_PORT", "70000", "not a TCP port"),
    ("INTAKE_WEB_PORT", "-1", "at least 0"),
    ("INTAKE_WEB_PORT", "web", "whole number"),
    ("INTAKE_WEB_SESSION_HOURS", "0", "must be positive"),
    ("INTAKE_WEB_SESSION_HOURS", "100000", "at most"),
    ("INTAKE_WEB_URL", "intake.local", "expected an address"),
])
def test_a_value_that_cannot_work_is_one_line_naming_the_variable(name: str, value: str, words: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ={name: value})
    assert str(caught.value).startswith(f"{name}: ") and words in str(caught.value)
    assert "\n" not in str(caught.value)
