"""Domain errors: services raise them, the API answers them as JSON and the pages in the page's language.

They say what went wrong in the domain's words (not found, a clash, out of stock, try again later); which
HTTP status each is answered with is decided at the web edge (``shop.web.errors.status_of``), not here.
Messages are English msgids marked with ``N_`` and translated at the edge (see ``shop.i18n``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


def N_(message: str) -> str:
    return message


@dataclass(frozen=True, slots=True)
class Fault:
    """Something for a person to read that is not an error: an ``N_`` msgid with its parameters, kept
    untranslated so the page or file that shows it translates it (a spreadsheet row's fault, a problem with
    a buyer's comment)."""

    message: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, translate: Callable[[str], str] | None = None) -> str:
        text = translate(self.message) if translate else self.message
        return text % self.params if self.params else text


class Label(str):
    """A message parameter that is itself a msgid (a status, a method): shown in the page's language."""

    __slots__ = ()


# Field names as people read them; a message's ``%(name)s`` shows the label in the page's language.
FIELD_LABELS = {
    "name": N_("Name"),
    "display_name": N_("Name"),
    "phone": N_("Phone"),
    "code": N_("Household code"),
    "username": N_("Username"),
    "password": N_("Password"),
    "members": N_("Members"),
    "township": N_("Township"),
    "county": N_("County"),
    "code_prefix": N_("Household code prefix"),
    "village_id": N_("Village"),
    "pin": N_("PIN"),
}


class DomainError(Exception):
    """Something the request asked for cannot be done; the message says why."""

    default_message = N_("The request could not be carried out.")

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        details: dict[str, Any] | None = None,
        **params: Any,
    ) -> None:
        self.message = message or self.default_message
        self.field = field
        self.params = params
        # Machine-readable facts for API clients (e.g. the id of the clashing stream).
        self.details = details or {}
        super().__init__(self.render())

    def render(self, translate: Any = None) -> str:
        text = translate(self.message) if translate else self.message
        if not self.params:
            return text.replace("%%", "%")
        params = dict(self.params)
        label = params.get("name")
        if isinstance(label, str) and label in FIELD_LABELS:
            params["name"] = translate(FIELD_LABELS[label]) if translate else FIELD_LABELS[label]
        if translate:
            params = {k: translate(v) if isinstance(v, Label) else v for k, v in params.items()}
        return text % params


class InvalidInput(DomainError):
    """Bad input: names the field that is wrong."""

    def __init__(self, field: str, message: str, **params: Any) -> None:
        super().__init__(message, field=field, **params)


class NotFound(DomainError):
    """Absent, or not the caller's to see (another village's records are answered as absent)."""

    default_message = N_("Not found.")


class PermissionDenied(DomainError):
    """The caller may see this but not do it."""

    default_message = N_("You are not allowed to do this.")


class Conflict(DomainError):
    """The request clashes with the current state (a move the lifecycle forbids, a double booking)."""

    default_message = N_("This clashes with the current state.")


class Unprocessable(DomainError):
    """Well-formed but unusable (a file whose columns or ids cannot be read)."""


class TooLarge(DomainError):
    """An upload over its limit."""

    default_message = N_("The file is too large.")


class AuthenticationFailed(DomainError):
    """The credentials do not match (or the account is locked for a while)."""

    default_message = N_("Wrong name or password, or the account is locked for a while after repeated mistakes.")


class TooManyTries(DomainError):
    """Refused for a while after too many failed tries (logins, check-in codes)."""


class OutOfStock(Conflict):
    """Fewer units are left (in the lots, or under a stream's cap) than an order asks for; nothing was taken."""


class Unavailable(DomainError):
    """The work could not be done just now (the database is unreachable or kept failing): try again."""

    default_message = N_("The system is busy. Please try again in a moment.")
