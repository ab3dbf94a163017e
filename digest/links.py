"""Links built from outside data, percent-encoded so that a value can only ever be itself (RFC 6068, RFC 3966).

A sender address may legally hold ? & = % # (limei?cc=x%40evil&body=…@example.com): put into a mailto: link
as it is, a mail client would read a Cc and a body out of it. Every piece of a link is percent-encoded here,
and the templates' HTML escaping then applies on top, for the attribute.
"""

from __future__ import annotations

from urllib.parse import quote

from digest.phone import dial_digits

# RFC 6068 §2: in the address part, only unreserved characters, "@" and these delimiters may stay as they are.
_MAILTO_SAFE = "@!$'()*+,;:"


def mailto_href(address: str, subject: str = "") -> str:
    """mailto: one address, with a subject; empty when address is no address (no "@")."""
    address = address.strip()
    if "@" not in address:
        return ""
    href = "mailto:" + quote(address, safe=_MAILTO_SAFE)
    if subject:
        href += "?subject=" + quote(subject, safe="")
    return href


def tel_href(phone: str) -> str:
    """tel: the number's digits; empty when it has too few to dial."""
    digits = dial_digits(phone)
    return f"tel:{quote(digits, safe='+')}" if digits else ""
