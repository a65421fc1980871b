"""JSON API: villages and households."""

from __future__ import annotations

from typing import Annotated

from advanced_alchemy.extensions.litestar.providers import create_service_provider
from litestar import Controller, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, Parameter

from shop.paging import Page
from shop.villages.schemas import HouseholdIn, HouseholdOut, HouseholdPatch, PinReset, VillageIn, VillageOut
from shop.villages.services import HouseholdService, VillageService
from shop.web.auth import requires_staff, requires_user
from shop.web.deps import Actor, Hasher, PageParams
from shop.web.params import IdPath, IdQuery


class VillageController(Controller):
    path = "/villages"
    tags = ["villages"]
    guards = [requires_user]
    dependencies = {"villages": Provide(create_service_provider(VillageService))}

    @post("/")
    async def create_village(
        self, data: JSONBody[VillageIn], villages: NamedDependency[VillageService], actor: Actor
    ) -> VillageOut:
        """Create a village (county operators only)."""
        village = await villages.create_village(
            actor, name=data.name, township=data.township, county=data.county, code_prefix=data.code_prefix
        )
        return VillageOut.of(village)

    @get("/")
    async def list_villages(
        self, villages: NamedDependency[VillageService], actor: Actor, paging: PageParams
    ) -> Page[VillageOut]:
        """Every village for an admin; one's own village otherwise."""
        rows, total = await villages.list_for(actor, paging)
        return Page([VillageOut.of(v) for v in rows], total, paging.limit, paging.offset)

    @get("/{village_id:int}")
    async def get_village(
        self, village_id: IdPath, villages: NamedDependency[VillageService], actor: Actor
    ) -> VillageOut:
        return VillageOut.of(await villages.get_for(actor, village_id))


class HouseholdController(Controller):
    path = "/households"
    tags = ["households"]
    dependencies = {"households": Provide(create_service_provider(HouseholdService))}

    @post("/", guards=[requires_staff])
    async def register_household(
        self, data: JSONBody[HouseholdIn], households: NamedDependency[HouseholdService], actor: Actor, hasher: Hasher
    ) -> HouseholdOut:
        """Register a household of the secretary's village (an admin names ``village_id``)."""
        household = await households.register(
            actor,
            hasher,
            code=data.code,
            head_name=data.name,
            phone=data.phone,
            pin=data.pin,
            members=data.members,
            village_id=data.village_id,
        )
        return HouseholdOut.of(household, masked=False)

    @get("/")
    async def list_households(
        self,
        households: NamedDependency[HouseholdService],
        actor: Actor,
        paging: PageParams,
        q: Annotated[str | None, Parameter(description="code or name contains", max_length=50)] = None,
        village_id: IdQuery = None,
    ) -> Page[HouseholdOut]:
        """Households the caller may see, phones masked."""
        rows, total = await households.list_for(actor, paging, search=q, village_id=village_id)
        return Page([HouseholdOut.of(h, masked=True) for h in rows], total, paging.limit, paging.offset)

    @get("/{household_id:int}")
    async def get_household(
        self, household_id: IdPath, households: NamedDependency[HouseholdService], actor: Actor
    ) -> HouseholdOut:
        household = await households.get_for(actor, household_id)
        return HouseholdOut.of(household, masked=False)

    @patch("/{household_id:int}", guards=[requires_staff])
    async def update_household(
        self,
        household_id: IdPath,
        data: JSONBody[HouseholdPatch],
        households: NamedDependency[HouseholdService],
        actor: Actor,
    ) -> HouseholdOut:
        household = await households.update_household(
            actor, household_id, head_name=data.name, phone=data.phone, members=data.members, active=data.active
        )
        return HouseholdOut.of(household, masked=False)

    @post("/{household_id:int}/pin", guards=[requires_staff], status_code=200)
    async def reset_pin(
        self,
        household_id: IdPath,
        data: JSONBody[PinReset],
        households: NamedDependency[HouseholdService],
        actor: Actor,
        hasher: Hasher,
    ) -> HouseholdOut:
        """Set a new PIN (e.g. the villager forgot it); also lifts a lockout."""
        household = await households.reset_pin(actor, hasher, household_id, data.pin)
        return HouseholdOut.of(household, masked=False)
