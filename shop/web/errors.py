"""Turning exceptions into answers: JSON with a ``detail`` under ``/api/``, a page in the page's language
elsewhere. Bad input is a 4xx that names the field; a 500 says nothing about the insides."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from shop import i18n
from shop.errors import (
    N_,
    AuthenticationFailed,
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TooLarge,
    TooManyTries,
    Unavailable,
    Unprocessable,
)
from shop.logs import safe_path
from shop.web.middleware import ensure_locale

log = logging.getLogger("shop.errors")

TITLES = {
    400: N_("That did not work"),
    401: N_("Please log in"),
    403: N_("Not allowed"),
    404: N_("Page not found"),
    405: N_("Not allowed"),
    409: N_("That clashes with something"),
    413: N_("The file is too large"),
    422: N_("That could not be accepted"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong on our side"),
    503: N_("Busy, please try again"),
}
MESSAGES = {
    401: N_("Please log in first."),
    403: N_("You are not allowed to open this page."),
    404: N_("This page does not exist, or it is not yours to see."),
    405: N_("This address does not accept that kind of request."),
    413: N_("The file is too large."),
    429: N_("Too many attempts. Please wait a minute and try again."),
    500: N_("The error has been recorded. Please try again in a moment."),
    503: N_("The system is busy. Please try again in a moment."),
}


# The HTTP status each kind of domain error is answered with; a kind not named here answers as its nearest
# named ancestor (``OutOfStock`` is a ``Conflict``: 409), and anything else as bad input (400).
STATUS_OF: dict[type[DomainError], int] = {
    InvalidInput: 400,
    AuthenticationFailed: 401,
    PermissionDenied: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    Unprocessable: 422,
    TooManyTries: 429,
    Unavailable: 503,
}


def status_of(exc: DomainError) -> int:
    """The HTTP status a domain error is answered with, on the API and on the pages alike."""
    for kind in type(exc).__mro__:
        if kind in STATUS_OF:
            return STATUS_OF[kind]
    return 400


def is_api(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/") or request.url.path.startswith("/schema")


def _json(status: int, detail: str, *, retry_after: int | None = None, **extra: Any) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"status_code": status, "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    if retry_after is None and status == 503:
        retry_after = 1
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)


def error_page(request: Request[Any, Any, Any], status: int, message: str | None = None) -> Template:
    ensure_locale(request.scope)
    title = i18n.translate(TITLES.get(status, TITLES[400]))
    text = message or i18n.translate(MESSAGES.get(status, TITLES[400]))
    return Template(
        template_name="errors/error.html",
        context={"status": status, "title": title, "message": text, "user": request.scope.get("user")},
        status_code=status,
    )


def login_redirect(request: Request[Any, Any, Any]) -> Redirect:
    path = request.url.path
    target = "/household/login" if path == "/household" or path.startswith("/household/") else "/login"
    return Redirect(f"{target}?next={quote(path)}", status_code=303)


def domain_error_handler(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    message = exc.render(i18n.translate)
    retry_after = getattr(exc, "retry_after", None)
    if is_api(request):
        return _json(status_of(exc), message, retry_after=retry_after, field=exc.field, **exc.details)
    page = error_page(request, status_of(exc), message)
    if retry_after is not None:
        page.headers["Retry-After"] = str(retry_after)
    return page


def _size_text(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def body_too_large_message(request: Request[Any, Any, Any]) -> str:
    """Litestar's 413 for a body over the route's ``request_max_body_size``, saying what that limit is: the
    file's own limit where the route names one (``opt={"file_limit": …}``; the body is a little larger for
    the form around the file), else the body's."""
    limit = request.route_handler.opt.get("file_limit") or request.route_handler.resolve_request_max_body_size()
    if not limit:
        return i18n.translate(MESSAGES[413])
    return i18n.gettext_(
        N_("The request is larger than this address takes: at most %(limit)s."), limit=_size_text(limit)
    )


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    ensure_locale(request.scope)
    status = exc.status_code
    if isinstance(exc, RequestEntityTooLarge):
        message = body_too_large_message(request)
        return _json(413, message) if is_api(request) else error_page(request, 413, message)
    if is_api(request):
        if isinstance(exc, ValidationException):
            return _json(status, _validation_detail(exc), extra=exc.extra)
        return _json(status, exc.detail or i18n.translate(MESSAGES.get(status, TITLES[400])))
    if isinstance(exc, NotAuthorizedException):
        return login_redirect(request)
    if isinstance(exc, ValidationException):
        return error_page(request, 400, _validation_detail(exc))
    if isinstance(exc, PermissionDeniedException) and "csrf" in (exc.detail or "").lower():
        return error_page(request, 403, i18n.translate(N_("The form expired. Please go back, reload and try again.")))
    return error_page(request, status)


def _validation_detail(exc: ValidationException) -> str:
    """Name the fields that are wrong: 'price_fen: Expected `int`, got `str`'."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    parts = []
    for item in extra:
        if isinstance(item, dict):
            key = item.get("key") or item.get("source") or ""
            parts.append(f"{key}: {item.get('message', '')}".strip(": "))
    return "; ".join(parts) or (exc.detail or "invalid input")


def integrity_error_handler(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
    # A uniqueness or constraint race the service could not see coming: the state changed under us.
    log.warning("integrity error on %s %s: %s", request.method, safe_path(request.url.path), type(exc.orig).__name__)
    message = i18n.translate(N_("This clashes with a change made at the same moment. Please reload and try again."))
    if is_api(request):
        return _json(409, message)
    return error_page(request, 409, message)


def operational_error_handler(request: Request[Any, Any, Any], exc: OperationalError) -> Response[Any]:
    text = str(exc.orig).lower()
    if "locked" in text or "busy" in text or "could not serialize" in text or "deadlock" in text:
        log.warning("database busy on %s %s", request.method, safe_path(request.url.path))
        if is_api(request):
            return _json(503, i18n.translate(MESSAGES[503]))
        return error_page(request, 503)
    return internal_error_handler(request, exc)


def database_error_handler(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    # PostgreSQL refuses a NUL character in text ("invalid byte sequence for encoding UTF8: 0x00"): the
    # input is wrong, wherever it came in (a search box, a query parameter, a pasted title).
    if "0x00" in str(exc.orig) or type(exc.orig).__name__ == "CharacterNotInRepertoireError":
        message = i18n.translate(N_("The text holds a character that cannot be stored; type it again."))
        if is_api(request):
            return _json(400, message)
        return error_page(request, 400, message)
    return internal_error_handler(request, exc)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, safe_path(request.url.path), exc_info=exc)
    if is_api(request):
        return _json(HTTP_500_INTERNAL_SERVER_ERROR, "internal server error")
    return error_page(request, HTTP_500_INTERNAL_SERVER_ERROR)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error_handler,
    HTTPException: http_exception_handler,
    IntegrityError: integrity_error_handler,
    OperationalError: operational_error_handler,
    DBAPIError: database_error_handler,
    Exception: internal_error_handler,
}
