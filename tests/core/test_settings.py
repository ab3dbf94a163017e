"""Every INTAKE_* value that cannot work is refused at load with one line naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from core.settings import SettingsError, load_settings


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("INTAKE_POLL_MINUTES", "nan"),
        ("INTAKE_POLL_MINUTES", "inf"),
        ("INTAKE_POLL_MINUTES", "1e300"),
        ("INTAKE_IMAP_TIMEOUT", "nan"),
        ("INTAKE_IMAP_TIMEOUT", "-inf"),
        ("INTAKE_SMTP_TIMEOUT", "inf"),
        ("INTAKE_DIGEST_TO", "notanemail"),
        ("INTAKE_DIGEST_TO", "office@szlgb.cn,oops"),
        ("INTAKE_DIGEST_FROM", "bad"),
        ("INTAKE_IMAP_CA_FILE", "/no/such/ca.pem"),
        ("INTAKE_SEASON", "11-04"),
        ("INTAKE_SEASON", "04-13"),
        ("INTAKE_SEASON", "April-November"),
        ("INTAKE_SEASON", "04"),
    ],
)
def test_an_unusable_value_is_refused_naming_its_variable(tmp_path: Path, variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings(environ={variable: value, "INTAKE_CONFIG": ""}, config_path=None)
    result = CliRunner().invoke(main, ["config"], env={variable: value, "INTAKE_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0]


def test_a_nan_poll_interval_never_reaches_the_scheduler() -> None:
    with pytest.raises(SettingsError, match="INTAKE_POLL_MINUTES: expected a number"):
        load_settings(environ={"INTAKE_POLL_MINUTES": "NaN"})


def test_good_addresses_ca_file_and_padded_host_are_accepted(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n", encoding="ascii")
    settings = load_settings(environ={
        "INTAKE_DIGEST_TO": "组织指导处 <zzzdc@szlgb.cn>, szlgbjdjc@163.com",
        "INTAKE_DIGEST_FROM": "szlgbjdjc@163.com",
        "INTAKE_IMAP_CA_FILE": str(ca),
        "INTAKE_IMAP_HOST": " imap.163.com ",
        "INTAKE_POLL_MINUTES": "0.5",
    })
    assert settings.digest_to == ("组织指导处 <zzzdc@szlgb.cn>", "szlgbjdjc@163.com")
    assert settings.imap_host == "imap.163.com"
    assert settings.poll_minutes == 0.5


def test_receipt_settings_are_read_and_checked() -> None:
    settings = load_settings(environ={"INTAKE_RECEIPTS": "Failures", "INTAKE_RECEIPT_DAILY_LIMIT": "3"})
    assert (settings.receipts, settings.receipt_daily_limit, settings.office_phone) == ("failures", 3, "65158951")
    for variable, value in (("INTAKE_RECEIPTS", "sometimes"), ("INTAKE_RECEIPT_MAX_AGE_HOURS", "-1"),
                            ("INTAKE_RECEIPT_DAILY_LIMIT", "many")):
        with pytest.raises(SettingsError, match=variable):
            load_settings(environ={variable: value})


def test_season_is_the_notices_april_to_november_unless_set_as_mm_mm() -> None:
    assert load_settings(environ={}).season_months == (4, 11)
    settings = load_settings(environ={"INTAKE_SEASON": " 5-10 "})
    assert (settings.season, settings.season_months) == ("05-10", (5, 10))
    assert settings.masked()["season"] == "05-10"
