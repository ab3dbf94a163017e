"""What every response carries (CSP without inline script or style, nosniff, no framing, no caching), the session
and login cookies, tokens kept only as their sha256, and download headers (RFC 6266) for files branches sent."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from urllib.parse import quote

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "intake_session"
LOGIN_CSRF_COOKIE = "intake_login_csrf"

# No script at all (default-src 'none' covers it), styles only from our own static file, forms only to us.
CONSOLE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
               "base-uri 'none'")
# A past digest as it was mailed: its inline styles are the mail's own; still no script, sandboxed, no fetches.
DIGEST_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; "
              "frame-ancestors 'none'; base-uri 'none'; sandbox allow-popups allow-popups-to-escape-sandbox")

BASE_HEADERS = (
    ("content-security-policy", CONSOLE_CSP),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "same-origin"),
    ("cross-origin-opener-policy", "same-origin"),
)


class SecurityHeaders:
    """ASGI middleware: the base headers on every response (a response may set its own CSP first), no-store for
    everything but the static files, and Server-Timing with the time the app took (the bench reads it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in BASE_HEADERS:
                    headers.setdefault(name, value)
                if not static:
                    headers.setdefault("cache-control", "no-store")
                headers.append("server-timing", f"app;dur={(time.perf_counter() - started) * 1000:.1f}")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the store keeps of a session token: its sha256, so a copy of the database signs nobody in."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_token(given: str, expected: str) -> bool:
    return bool(given) and bool(expected) and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def over_tls(request: Request) -> bool:
    """Served over TLS: the request's own scheme, or the proxy's X-Forwarded-Proto: https. (Believing a forged
    header only makes the cookie stricter: a browser then withholds it over plain HTTP.)"""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=over_tls(request))


def clear_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=over_tls(request))


def _ascii_fallback(filename: str) -> str:
    kept = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\;%' else "_" for c in filename)
    return kept.strip(" .") or "file"


def download_headers(filename: str) -> dict[str, str]:
    """Content-Disposition: attachment with an ASCII fallback and filename*=UTF-8''… (RFC 6266, RFC 5987), so a
    file a branch sent is always saved, never shown by the browser; nosniff comes with every response."""
    name = filename.replace("\r", " ").replace("\n", " ").strip() or "file"
    encoded = quote(name, safe="")
    return {"content-disposition": f"attachment; filename=\"{_ascii_fallback(name)}\"; filename*=UTF-8''{encoded}",
            "x-content-type-options": "nosniff"}


def safe_next(target: str) -> str:
    """A path of ours to go to after signing in: a single leading slash, no scheme, no backslash; else /."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target or any(ord(c) < 0x20 for c in target):
        return "/"
    return target
