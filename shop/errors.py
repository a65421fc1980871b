"""Domain errors: services raise them, the API answers them as JSON and the pages in the page's language.

Messages are English msgids marked with ``N_`` and translated at the edge (see ``shop.i18n``).
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    return message


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
    status_code = 400
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

    status_code = 400

    def __init__(self, field: str, message: str, **params: Any) -> None:
        super().__init__(message, field=field, **params)


class NotFound(DomainError):
    status_code = 404
    default_message = N_("Not found.")


class PermissionDenied(DomainError):
    status_code = 403
    default_message = N_("You are not allowed to do this.")


class Conflict(DomainError):
    status_code = 409
    default_message = N_("This clashes with the current state.")


class Unprocessable(DomainError):
    status_code = 422


class TooLarge(DomainError):
    status_code = 413
    default_message = N_("The file is too large.")


class AuthenticationFailed(DomainError):
    status_code = 401
    default_message = N_("Wrong name or password, or the account is locked for a while after repeated mistakes.")
