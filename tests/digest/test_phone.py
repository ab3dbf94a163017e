"""Phone numbers as the office writes them: landline area code + hyphen + local number, mobiles as typed."""

from __future__ import annotations

import pytest

from digest.links import tel_href
from digest.phone import display_phone


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("051265221234", "0512-65221234"),  # Suzhou: 4-digit area code, 8-digit number
        ("05126522123", "0512-6522123"),  # an older 7-digit local number
        ("02161234567", "021-61234567"),  # Shanghai: 3-digit area code
        ("01065221234", "010-65221234"),  # Beijing
        ("13812345678", "13812345678"),  # mobile: as staff type and dial it
        ("65221234", "65221234"),  # no area code written: never guessed
        ("0512652212", "0512652212"),  # no valid split: unchanged
        ("01012345678", "01012345678"),  # a local number cannot start with 1: unchanged
        ("0512-65221234", "0512-65221234"),  # already as written
        ("", ""),
        ("电话见附件", "电话见附件"),
    ],
)
def test_display_phone(stored: str, shown: str) -> None:
    assert display_phone(stored) == shown


def test_tel_links_dial_the_digits_and_skip_what_cannot_be_dialled() -> None:
    assert tel_href("0512-65221234") == "tel:051265221234"
    assert tel_href("+8613812345678") == "tel:+8613812345678"
    assert tel_href("12345") == "" and tel_href("电话见附件") == ""
