"""The request scope's own entries: what this application keeps in the ASGI scope beside Litestar's.

Litestar types the scope as a TypedDict of its own keys; an ASGI scope is a plain dict, and the session
backend and the language middleware keep a few entries of their own in it. These two functions are the
one place that says so to the type checker.
"""

from __future__ import annotations

from typing import Any, TypeAlias, cast

from litestar.connection import ASGIConnection
from litestar.types import Scope

# A connection whatever its handler, user, auth and state types (the guards and the session backend see them all).
AnyConnection: TypeAlias = ASGIConnection[Any, Any, Any, Any]


def scope_value(scope: Scope, key: str) -> Any:
    """The application's own entry ``key`` in the scope, or None."""
    return cast(dict[str, Any], scope).get(key)


def set_scope_value(scope: Scope, key: str, value: object) -> None:
    cast(dict[str, Any], scope)[key] = value
