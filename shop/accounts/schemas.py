"""JSON shapes for logins, tokens and users."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from shop.accounts.models import User
from shop.web.params import DbId


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class HouseholdTokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    household_code: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    pin: Annotated[str, msgspec.Meta(min_length=1, max_length=12)]


class TokenOut(msgspec.Struct):
    access_token: str
    expires_at: datetime
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme name, not a secret


class UserIn(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=3, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=8, max_length=200)]
    role: Literal["admin", "secretary", "trainee", "township", "county"]
    village_id: DbId | None = None
    display_name: Annotated[str, msgspec.Meta(max_length=50)] = ""
    phone: Annotated[str, msgspec.Meta(max_length=20)] = ""
    # A township officer's township and county, a county supervisor's county, as the villages spell them.
    township: Annotated[str, msgspec.Meta(max_length=100)] = ""
    county: Annotated[str, msgspec.Meta(max_length=100)] = ""


class UserPatch(msgspec.Struct, forbid_unknown_fields=True):
    """What to change of an account (absent: unchanged). Role, village and area: the admin only; a secretary
    may set ``active``, ``display_name`` and ``phone`` of their village's trainees. ``active: false`` and a
    change of role, village or area end every session and token of the account."""

    role: Literal["admin", "secretary", "trainee", "township", "county"] | None = None
    village_id: DbId | None = None
    township: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    county: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    active: bool | None = None
    display_name: Annotated[str, msgspec.Meta(max_length=50)] | None = None
    phone: Annotated[str, msgspec.Meta(max_length=20)] | None = None


class PasswordReset(msgspec.Struct, forbid_unknown_fields=True):
    password: Annotated[str, msgspec.Meta(min_length=8, max_length=200)]


class UserOut(msgspec.Struct):
    id: int
    username: str
    display_name: str
    role: str
    village_id: int | None
    active: bool
    township: str = ""
    county: str = ""

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            user.id,
            user.username,
            user.display_name,
            user.role,
            user.village_id,
            user.active,
            township=user.township,
            county=user.county,
        )


class MeOut(msgspec.Struct):
    kind: str
    id: int
    role: str
    village_id: int | None
    name: str
