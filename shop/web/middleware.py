"""Per-request language, the security headers every answer carries, and logins turned away at the door."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from html import escape

import msgspec
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, HTTPResponseBodyEvent, HTTPResponseStartEvent, Message, Receive, Scope, Send

from shop import i18n
from shop.accounts.throttle import HashGate, HashingBusy
from shop.web.scope import scope_value, set_scope_value

# Every page meets this policy: scripts, styles and images come from this site only (files under /static,
# photos under /media, QR codes as data: images); no inline <script>, no on* handler, no style attribute.
# ``tests/web/test_headers.py`` crawls the demo and holds every page to it.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
SECURITY_HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
    ("content-security-policy", CONTENT_SECURITY_POLICY),
)
# Only when the cookies are marked Secure (the site is served over HTTPS): a year, this host only.
HSTS_HEADER = ("strict-transport-security", "max-age=31536000")


def _query_lang(scope: Scope) -> str | None:
    query = scope.get("query_string", b"").decode("latin-1")
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if key == "lang":
            return i18n.normalise_locale(value)
    return None


def _cookie_lang(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                if key == i18n.LANG_COOKIE:
                    return i18n.normalise_locale(val)
    return None


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return value.decode("latin-1")
    return None


LOCALE_SCOPE_KEY = "shop_locale"


def resolve_locale(scope: Scope) -> tuple[str, str | None]:
    """(the language for this request, the one ``?lang=`` asked for, if any)."""
    is_api = scope["path"].startswith("/api/")
    chosen = _query_lang(scope)
    locale = (
        chosen
        or _cookie_lang(scope)
        or (i18n.locale_from_accept_language(_header(scope, b"accept-language")) if is_api else None)
        or (i18n.DEFAULT_API_LOCALE if is_api else i18n.DEFAULT_PAGE_LOCALE)
    )
    return locale, chosen


def ensure_locale(scope: Scope) -> str:
    """For answers made outside the middleware (an unknown address): choose the language now."""
    locale: str | None = scope_value(scope, LOCALE_SCOPE_KEY)
    if locale is None:
        locale, _ = resolve_locale(scope)
        i18n.set_locale(locale)
    return locale


def _raw(headers: tuple[tuple[str, str], ...]) -> tuple[tuple[bytes, bytes], ...]:
    return tuple((name.encode("latin-1"), value.encode("latin-1")) for name, value in headers)


_CONTENT_LANGUAGE = b"content-language"


def standard_headers(*, https: bool) -> Callable[[Message, Scope], Awaitable[None]]:
    """The ``before_send`` hook that gives every answer its language and security headers (HSTS when
    ``https``, i.e. ``SHOP_COOKIE_SECURE`` is on)."""
    security_raw = _raw(SECURITY_HEADERS + ((HSTS_HEADER,) if https else ()))

    async def add_standard_headers(message: Message, scope: Scope) -> None:
        """Runs for every answer, including those for unknown addresses.

        Works on the raw header list: it runs on every answer, and decoding every header name for each of
        the five lookups cost more than the rest of this hook."""
        if message["type"] == "http.response.start":
            raw = MutableScopeHeaders.from_message(message).headers
            locale = scope_value(scope, LOCALE_SCOPE_KEY) or i18n.get_locale()
            present = {name.lower() for name, _ in raw}
            if _CONTENT_LANGUAGE in present:
                raw[:] = [header for header in raw if header[0].lower() != _CONTENT_LANGUAGE]
            raw.append((_CONTENT_LANGUAGE, b"zh-CN" if locale == "zh_CN" else b"en"))
            for name, value in security_raw:
                if name not in present:
                    raw.append((name, value))

    return add_standard_headers


class LocaleMiddleware(ASGIMiddleware):
    """Chooses the language for this request; ``?lang=`` also remembers the choice in a cookie."""

    def __init__(self, cookie_secure: bool = False) -> None:
        self.cookie_secure = cookie_secure

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        locale, chosen = resolve_locale(scope)
        is_api = scope["path"].startswith("/api/")
        i18n.set_locale(locale)
        set_scope_value(scope, LOCALE_SCOPE_KEY, locale)

        if not chosen or is_api:  # nothing to remember: the answer goes out as it is
            await next_app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = Cookie(
                    key=i18n.LANG_COOKIE,
                    value="zh" if chosen == "zh_CN" else "en",
                    max_age=60 * 60 * 24 * 365,
                    samesite="lax",
                    secure=self.cookie_secure,
                    httponly=True,
                )
                MutableScopeHeaders.from_message(message).add("set-cookie", cookie.to_header(header=""))
            await send(message)

        await next_app(scope, receive, send_wrapper)


security_log = logging.getLogger("shop.security")

# The doors that verify a password or PIN: what a flood of guesses knocks on.
LOGIN_DOORS = frozenset({"/api/v1/auth/token", "/api/v1/auth/household-token", "/login", "/household/login"})


class LoginShedMiddleware(ASGIMiddleware):
    """A login that would find every hashing slot of this worker taken and its queue full is answered 503 at
    the door, before its body is read or anything else is done for it: under a flood of guesses the refusals
    then cost the order path next to nothing (answered further in, each cost about as much as an order).
    The login itself makes the same check again (``HashGate.admit``) for the one that slips in between."""

    def __init__(self, gate: HashGate) -> None:
        self.gate = gate
        self.turned_away = 0
        self._told_at = 0.0

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope.get("method") != "POST" or scope["path"] not in LOGIN_DOORS or not self.gate.full:
            await next_app(scope, receive, send)
            return
        self._count()
        ensure_locale(scope)
        message = i18n.translate(HashingBusy.default_message)
        if scope["path"].startswith("/api/"):
            body = msgspec.json.encode({"status_code": 503, "detail": message})
            kind = b"application/json"
        else:
            body = f'<!doctype html><meta charset="utf-8"><title>503</title><p>{escape(message)}</p>'.encode()
            kind = b"text/html; charset=utf-8"
        start: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": 503,
            "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()), (b"retry-after", b"1")],
        }
        await send(start)
        end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
        await send(end)

    def _count(self) -> None:
        """One warning every ten seconds at most with how many were turned away (a line for each refusal would
        cost a flood's worth of log writing)."""
        self.turned_away += 1
        now = time.monotonic()
        if now - self._told_at >= 10:
            security_log.warning("logins turned away at the door", extra={"fields": {"turned_away": self.turned_away}})
            self.turned_away, self._told_at = 0, now
