"""The admin UI's security model: who may connect, who may look, and what a POST must carry.

- Bound to loopback, only a loopback Host header is served (no DNS rebinding).
- With a token (``--token-from-env VAR``; required for any other address), every request
  needs ``Authorization: Bearer <token>`` or the session cookie the login form sets
  (HttpOnly, SameSite=Strict; it holds an HMAC of the token, never the token).
- Every POST carries the CSRF token (a form field or the X-CSRF-Token header) and, when the
  browser sends one, an Origin equal to the page's own.
- Every response carries a Content-Security-Policy with no inline script, and is never
  framed or cached.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

__all__ = ["COOKIE", "Guard", "is_loopback", "security_headers"]

COOKIE = "reconciler_ui"
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
security_headers = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),  # no-referrer would make Chromium send Origin: null
    (b"cache-control", b"no-store"),
]
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
PUBLIC_PATHS = ("/login", "/static/")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_name(value: str) -> str:
    """The name part of a Host header (``[::1]:8765`` -> ``::1``)."""
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class Guard:
    """ASGI middleware enforcing the Host check and the token; adds the security headers."""

    def __init__(self, app: ASGIApp, *, token: str | None, loopback_only: bool) -> None:
        self.app = app
        self.token = token
        self.loopback_only = loopback_only
        self.csrf = secrets.token_urlsafe(32)
        self.session = (
            hmac.new(token.encode(), b"reconciler-ui-session", hashlib.sha256).hexdigest()
            if token
            else None
        )

    def token_ok(self, given: str) -> bool:
        return bool(self.token) and hmac.compare_digest(given.encode(), (self.token or "").encode())

    def csrf_ok(self, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest((given or "").encode(), self.csrf.encode())

    def _authorised(self, headers: dict[str, str]) -> bool:
        if self.token is None:
            return True
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer ") and self.token_ok(auth[7:].strip()):
            return True
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE and self.session and hmac.compare_digest(value, self.session):
                return True
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}

        async def secured(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + security_headers
            await send(message)

        host = headers.get("host", "")
        if self.loopback_only and _host_name(host) not in LOOPBACK_NAMES:
            await _plain(secured, 421, "this UI answers only to localhost / 127.0.0.1")
            return
        if scope["method"] == "POST":
            origin = headers.get("origin")
            if origin and origin != "null" and urlsplit(origin).netloc != host:
                await _plain(secured, 403, "refused: the request came from another origin")
                return
            if origin == "null":
                await _plain(secured, 403, "refused: the request came from an opaque origin")
                return
        path = scope["path"]
        if not any(path == p or path.startswith(p) for p in PUBLIC_PATHS) and not self._authorised(
            headers
        ):
            if scope["method"] == "GET" and "text/html" in headers.get("accept", ""):
                await _redirect(secured, "/login")
            else:
                await _plain(secured, 401, "authentication required: a bearer token or a login")
            return
        scope.setdefault("state", {})["guard"] = self
        await self.app(scope, receive, secured)


async def _plain(send: Send, status: int, text: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": text.encode()})


async def _redirect(send: Send, where: str) -> None:
    await send(
        {"type": "http.response.start", "status": 303, "headers": [(b"location", where.encode())]}
    )
    await send({"type": "http.response.body", "body": b""})
