"""Masks the configured secrets (IMAP 授权码, SMTP password) as **** in any text before it is logged, stored or shown.

A server may echo a login back in its refusal ("NO Invalid credentials for user x password <授权码>"), and libraries
print what they sent, so a secret is looked for in every form it travels in: as written and in any letter case,
as an IMAP/JSON/Python quoted string, percent-encoded (quote and quote_plus), HTML-escaped, and base64-encoded at
any byte offset (AUTHENTICATE PLAIN sends base64("\\0user\\0password"), so the password may start anywhere in a
longer base64 stream; the characters that depend only on the password are masked). Secrets shorter than
MIN_LENGTH characters are ignored: masking "ab" everywhere would destroy the text and protect nothing.

One function for every path (logs via core.logs.RedactSecrets, the IMAP adapter's errors, status, digest):
``mask(text, secrets)``; ``mask_exception(exc, secrets)`` rewrites an exception chain in place before it is raised
further or printed as a traceback.
"""

from __future__ import annotations

import base64
import html
import json
import re
import urllib.parse
from collections.abc import Iterable
from functools import lru_cache

MASK = "****"
MIN_LENGTH = 4


def _base64_cores(data: bytes) -> set[str]:
    """The base64 characters that depend only on data, for data starting at each of the 3 byte offsets mod 3."""
    cores = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + data).decode("ascii")
        first = -(-8 * shift // 6)  # first character whose 6 bits all come from data
        last = 8 * (shift + len(data)) // 6  # one past the last such character
        core = encoded[first:last]
        cores.add(core)
        cores.add(core.replace("+", "-").replace("/", "_"))  # base64url
    return cores


def variants(secret: str) -> set[str]:
    """Every form in which secret may appear in a message (see the module docstring)."""
    raw = secret.encode("utf-8")
    quoted = {
        secret,
        secret.replace("\\", "\\\\").replace('"', '\\"'),  # IMAP quoted string
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    forms = set(quoted)
    for form in quoted:  # each as printed inside a Python str or bytes repr (server lines are bytes)
        forms |= {repr(form)[1:-1], repr(form.encode("utf-8"))[2:-1]}
    forms |= {
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote(secret),
        urllib.parse.quote_plus(secret),
        html.escape(secret),
        *_base64_cores(raw),
    }
    return {form for form in forms if len(form) >= MIN_LENGTH}


@lru_cache(maxsize=16)
def _pattern(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    forms = set()
    for secret in secrets:
        forms |= variants(secret)
    if not forms:
        return None
    alternatives = sorted(forms, key=len, reverse=True)  # the longest form first, so it is masked whole
    return re.compile("|".join(re.escape(form) for form in alternatives), re.IGNORECASE)


def _usable(secrets: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(sorted({s for s in secrets if s and len(s) >= MIN_LENGTH}))


def mask(text: str, secrets: Iterable[str | None]) -> str:
    """text with every form of every secret (of at least MIN_LENGTH characters) replaced by ****."""
    if not text:
        return text
    pattern = _pattern(_usable(secrets))
    return pattern.sub(MASK, text) if pattern is not None else text


def mask_exception(exc: BaseException, secrets: Iterable[str | None]) -> BaseException:
    """Mask the secrets in exc, its __cause__ / __context__ chain and their notes, in place; returns exc.

    Text arguments are masked (bytes ones as UTF-8 text); an OSError's strerror and filename too.
    """
    usable = _usable(secrets)
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        current.args = tuple(_mask_arg(arg, usable) for arg in current.args)
        if isinstance(current, OSError):
            for attr in ("strerror", "filename"):
                value = getattr(current, attr, None)
                if isinstance(value, str):
                    setattr(current, attr, mask(value, usable))
        notes = getattr(current, "__notes__", None)
        if isinstance(notes, list):
            notes[:] = [mask(str(note), usable) for note in notes]
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return exc


def _mask_arg(arg: object, secrets: tuple[str, ...]) -> object:
    if isinstance(arg, str):
        return mask(arg, secrets)
    if isinstance(arg, bytes):
        text = arg.decode("utf-8", "replace")
        masked = mask(text, secrets)
        return arg if masked == text else masked.encode("utf-8")
    return arg
