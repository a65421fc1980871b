"""Helpers for HTML forms: read them, and answer a mistake by showing the form again with what was typed."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import FormMultiDict
from litestar.plugins.flash import flash
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from shop import i18n
from shop.db import mark_for_rollback
from shop.errors import N_, DomainError, InvalidInput

MAX_DIGITS = 18  # a whole number typed into a form always fits the database's 64-bit integers


async def read_form(request: Request[Any, Any, Any]) -> FormMultiDict:
    return await request.form()


def form_int(value: Any, field: str, *, default: int | None = None) -> int | None:
    """A whole number typed into a form (digits 0-9 only, spaces around allowed); empty is ``default``.

    Anything else is a 400 naming ``field``: a sign, a decimal point, full-width or other digits, or more
    digits than the database's integers hold.
    """
    text = str(value or "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_DIGITS:
        raise InvalidInput(field, N_("%(name)s must be a whole number."), name=field)
    return int(text)


def form_values(form: FormMultiDict) -> dict[str, str]:
    """The typed values, minus the CSRF token, to fill the form again after a mistake."""
    return {k: v for k, v in form.items() if k != "_csrf_token" and isinstance(v, str)}


def form_error(
    template: str,
    exc: DomainError,
    db_session: AsyncSession | None = None,
    *,
    form: FormMultiDict | dict[str, str] | None = None,
    **context: Any,
) -> Template:
    """Re-render ``template`` with the error beside its field; nothing half-done is committed."""
    if db_session is not None:
        mark_for_rollback(db_session)
    message = exc.render(i18n.translate)
    values = form_values(form) if isinstance(form, FormMultiDict) else dict(form or {})
    errors = {exc.field or "_form": message}
    return Template(
        template_name=template,
        context={"errors": errors, "values": values, **context},
        status_code=exc.status_code,
    )


def notify(request: Request[Any, Any, Any], message: str, category: str = "success") -> None:
    flash(request, message, category=category)
