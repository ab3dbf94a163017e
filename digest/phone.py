"""Show a stored phone number the way the office writes it: landlines 0512-65221234, mobiles 13812345678.

The store and the JSON keep digits only (parsers.fields.parse_phone); this is for what people read: the
digest, the 汇总表, and later the web console. One rule:
- a landline with its area code: the area code, a hyphen, the local number. Area codes are 3 digits for
  Beijing (010) and the big cities 020–029, 4 digits everywhere else (0512 Suzhou): 0512-65221234, 021-61234567;
- a mobile: its 11 digits as they are, the way staff type and dial them (13812345678);
- anything else (a local number without area code, an unusual length, text the parser kept): unchanged.
"""

from __future__ import annotations

import re

_LANDLINE = re.compile(r"^(?P<area>0(?:10|2\d|[3-9]\d{2}))(?P<local>[2-9]\d{6,7})$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def display_phone(stored: str) -> str:
    """The stored number as staff write it; empty stays empty and anything not one known number is unchanged."""
    value = stored.strip()
    if _MOBILE.match(value):
        return value
    landline = _LANDLINE.match(value)
    if landline:
        return f"{landline['area']}-{landline['local']}"
    return value


def dial_digits(stored: str) -> str:
    """What a tel: link dials: the digits (and a leading +) of the number; empty when fewer than 7 digits."""
    value = stored.strip()
    digits = "".join(ch for ch in value if ch.isascii() and ch.isdigit())
    if len(digits) < 7:
        return ""
    return ("+" + digits) if value.startswith("+") else digits
