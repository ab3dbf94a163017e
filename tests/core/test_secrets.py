"""core.secrets.mask: a configured secret never survives in text, however a server or a library echoed it."""

from __future__ import annotations

import base64
import json
import traceback
import urllib.parse

import pytest

from core.secrets import MASK, mask, mask_exception

CODE = "XKQJZPWBRTNMLHGF"  # a 163 授权码 looks like this
ODD = 'p@ss "w0rd"\\+/=%授权'  # every character that an encoding changes


@pytest.mark.parametrize("secret", [CODE, ODD])
@pytest.mark.parametrize(
    "echo",
    [
        lambda s: s,
        lambda s: s.lower(),
        lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"',  # an IMAP quoted string
        lambda s: urllib.parse.quote(s, safe=""),
        lambda s: urllib.parse.quote_plus(s),
        lambda s: repr(s.encode()),  # b'...' as an exception about bytes prints it
        lambda s: json.dumps(s),
        lambda s: base64.b64encode(s.encode()).decode(),
        lambda s: base64.b64encode(b"\0user@163.com\0" + s.encode()).decode(),  # AUTHENTICATE PLAIN
        lambda s: base64.b64encode(b"\0u\0" + s.encode() + b"xyz").decode(),
        lambda s: base64.urlsafe_b64encode(b"\0ab\0" + s.encode()).decode(),
    ],
    ids=["plain", "lower", "quoted", "url", "url-plus", "bytes-repr", "json", "b64", "auth-plain", "b64-shift",
         "b64url"],
)
def test_every_echo_of_a_secret_is_masked(secret: str, echo: object) -> None:
    assert callable(echo)
    echoed = echo(secret)
    text = f"a001 NO [AUTHENTICATIONFAILED] Invalid credentials for user x password {echoed} (try again)"
    masked = mask(text, [secret, "other-secret"])
    assert MASK in masked
    assert masked.startswith("a001 NO [AUTHENTICATIONFAILED] Invalid credentials for user x password ")
    assert masked.endswith(" (try again)") or masked.endswith(MASK + " (try again)")
    for form in (secret, urllib.parse.quote(secret, safe=""), base64.b64encode(secret.encode()).decode()[2:-4]):
        assert form.lower() not in masked.lower()


def test_text_without_a_secret_is_unchanged_and_short_or_empty_secrets_are_ignored() -> None:
    text = "IMAP user@163.com@imap.163.com:993: LOGIN failed"
    assert mask(text, [CODE, "", "ab", None]) == text
    assert mask("", [CODE]) == ""
    assert mask(f"x {CODE} y {CODE}", [CODE]) == f"x {MASK} y {MASK}"


def test_an_exception_and_its_cause_are_masked_in_place() -> None:
    try:
        try:
            raise ValueError(f"server said: password {CODE}", 3, CODE.encode())
        except ValueError as inner:
            raise RuntimeError(f"login failed: {CODE}") from inner
    except RuntimeError as outer:
        mask_exception(outer, [CODE])
        rendered = "".join(traceback.format_exception(outer))
    assert CODE not in rendered
    assert "login failed: ****" in rendered and "server said: password ****" in rendered
