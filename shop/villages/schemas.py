"""JSON shapes for villages and households."""

from __future__ import annotations

from typing import Annotated

import msgspec

from shop.privacy import mask_phone
from shop.villages.models import Household, Village
from shop.web.params import DbId

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Short = Annotated[str, msgspec.Meta(max_length=100)]


class VillageIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    township: Short = ""
    county: Short = ""
    code_prefix: Annotated[str, msgspec.Meta(max_length=12)] = ""


class VillageOut(msgspec.Struct):
    id: int
    name: str
    township: str
    county: str
    code_prefix: str

    @classmethod
    def of(cls, village: Village) -> VillageOut:
        return cls(village.id, village.name, village.township, village.county, village.code_prefix)


class HouseholdIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=2, max_length=32)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    phone: Annotated[str, msgspec.Meta(min_length=5, max_length=20)]
    pin: Annotated[str, msgspec.Meta(pattern=r"^\d{6}$", description="6 digits")]
    members: list[Annotated[str, msgspec.Meta(max_length=50)]] = []
    village_id: DbId | None = None


class HouseholdPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=50)] | None = None
    phone: Annotated[str, msgspec.Meta(min_length=5, max_length=20)] | None = None
    members: list[Annotated[str, msgspec.Meta(max_length=50)]] | None = None
    active: bool | None = None


class PinReset(msgspec.Struct, forbid_unknown_fields=True):
    pin: Annotated[str, msgspec.Meta(pattern=r"^\d{6}$", description="6 digits")]


class HouseholdOut(msgspec.Struct):
    id: int
    village_id: int
    code: str
    name: str
    phone: str
    members: list[str]
    active: bool

    @classmethod
    def of(cls, household: Household, *, masked: bool) -> HouseholdOut:
        return cls(
            id=household.id,
            village_id=household.village_id,
            code=household.code,
            name=household.head_name,
            phone=mask_phone(household.phone) if masked else household.phone,
            members=[m.name for m in household.members],
            active=household.active,
        )
