"""Hide the configured secrets in any text that leaves mailout/ (error messages, logs), even when a server echoes them.

SMTP's own forms (the whole AUTH PLAIN blob for the user, AUTH LOGIN's base64) are masked whole first; then
core.secrets.mask catches every other form (quoted, percent-encoded, base64 at any offset).
"""

from __future__ import annotations

import base64
import contextlib
from urllib.parse import quote, urlsplit

from core.secrets import mask as core_mask
from core.settings import SECRET_FIELDS, Settings

MASK = "****"
MIN_SECRET_LENGTH = 3  # shorter values would mask ordinary words; nobody's 授权码 is that short


def secrets_of(settings: Settings) -> tuple[str, ...]:
    """The secret values of the settings (IMAP and SMTP passwords, the database URL's password), longest first."""
    values = [str(getattr(settings, name)) for name in sorted(SECRET_FIELDS)]
    with contextlib.suppress(ValueError):  # a URL that does not parse has no password to find
        values.append(urlsplit(settings.database_url).password or "")
    return tuple(sorted({v for v in values if len(v) >= MIN_SECRET_LENGTH}, key=len, reverse=True))


def _forms(secret: str, user: str) -> list[str]:
    """How a server may echo a secret: as typed, base64 (AUTH LOGIN), the AUTH PLAIN blob, percent-encoded."""
    forms = [
        base64.b64encode(f"\0{user}\0{secret}".encode()).decode("ascii"),
        secret,
        base64.b64encode(secret.encode("utf-8")).decode("ascii"),
        quote(secret, safe=""),
    ]
    return [f for f in dict.fromkeys(forms) if len(f) >= MIN_SECRET_LENGTH]


def mask(text: str, secrets: tuple[str, ...], user: str = "") -> str:
    """text with every form of every secret (and, for user, the AUTH PLAIN blob) replaced by ****."""
    for secret in secrets:
        for form in _forms(secret, user):
            if form in text:
                text = text.replace(form, MASK)
    return core_mask(text, secrets)
