"""Masking the configured secrets in text: every setting that is a secret, in the forms a server echoes them."""

from __future__ import annotations

import base64

from core.settings import Settings
from mailout.mask import MASK, mask, secrets_of

SETTINGS = Settings(imap_password="imap-code-123", smtp_password="smtp-code-456",
                    database_url="postgresql+psycopg://intake:db-pass-789@db/intake")


def test_every_secret_setting_is_found_and_short_values_are_left_alone() -> None:
    assert set(secrets_of(SETTINGS)) == {"imap-code-123", "smtp-code-456", "db-pass-789"}
    assert secrets_of(Settings(smtp_password="ab")) == ()


def test_secrets_are_masked_as_typed_in_base64_and_in_an_auth_plain_blob() -> None:
    secrets = secrets_of(SETTINGS)
    b64 = base64.b64encode(b"smtp-code-456").decode()
    blob = base64.b64encode(b"\0szlgbjdjc@163.com\0smtp-code-456").decode()
    text = f"535 bad smtp-code-456 / imap-code-123 / {b64} / AUTH PLAIN {blob} / db-pass-789"
    masked = mask(text, secrets, user="szlgbjdjc@163.com")
    assert masked == f"535 bad {MASK} / {MASK} / {MASK} / AUTH PLAIN {MASK} / {MASK}"
