"""Village and household rules: who may create, see and change which village's records."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from datetime import datetime

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.principal import Principal
from shop.accounts.secrets import SecretHasher, is_valid_pin
from shop.accounts.throttle import HOUSEHOLD_LIMITS, is_locked
from shop.errors import N_, Conflict, InvalidInput, NotFound, PermissionDenied
from shop.paging import Paging
from shop.text import clean_text
from shop.villages.models import Household, HouseholdMember, Village

HOUSEHOLD_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 -]{4,19}$")
MAX_MEMBERS = 20


def clean_phone(value: str | None, field: str = "phone", *, required: bool = False) -> str:
    phone = clean_text(value, field, max_len=20, required=required)
    if phone and not PHONE_RE.match(phone):
        raise InvalidInput(field, N_("%(name)s is not a phone number."), name=field)
    return phone


def clean_pin(pin: str | None) -> str:
    if not is_valid_pin(pin or ""):
        raise InvalidInput("pin", N_("The PIN must be exactly 6 digits."))
    return str(pin)


def clean_members(names: Sequence[str] | None) -> list[str]:
    members = [n.strip() for n in (names or []) if n and n.strip()]
    if len(members) > MAX_MEMBERS:
        raise InvalidInput("members", N_("A household lists at most %(max)d members."), max=MAX_MEMBERS)
    for name in members:
        clean_text(name, "members", max_len=50)
    return members


class VillageService(SQLAlchemyAsyncRepositoryService[Village, SQLAlchemyAsyncRepository[Village]]):
    class Repo(SQLAlchemyAsyncRepository[Village]):
        model_type = Village

    repository_type = Repo

    async def create_village(
        self, actor: Principal, *, name: str, township: str = "", county: str = "", code_prefix: str = ""
    ) -> Village:
        actor.require_admin()
        village = Village(
            name=clean_text(name, "name", max_len=100, required=True),
            township=clean_text(township, "township", max_len=100),
            county=clean_text(county, "county", max_len=100),
            code_prefix=clean_text(code_prefix, "code_prefix", max_len=12).upper(),
        )
        exists = await self.repository.exists(name=village.name, township=village.township, county=village.county)
        if exists:
            raise Conflict(N_("A village with this name already exists in this township."), field="name")
        return await self.repository.add(village)

    async def list_for(self, actor: Principal, paging: Paging) -> tuple[Sequence[Village], int]:
        filters = [] if actor.is_admin else [Village.id == actor.village_id]
        return await self.get_many_and_count(*filters, paging.filter, order_by=[(Village.id, False)])

    async def get_for(self, actor: Principal, village_id: int) -> Village:
        actor.ensure_village(village_id)
        village = await self.repository.get_one_or_none(id=village_id)
        if village is None:
            raise NotFound()
        return village

    async def get_public(self, village_id: int) -> Village:
        village = await self.repository.get_one_or_none(id=village_id)
        if village is None:
            raise NotFound()
        return village


class HouseholdService(SQLAlchemyAsyncRepositoryService[Household, SQLAlchemyAsyncRepository[Household]]):
    class Repo(SQLAlchemyAsyncRepository[Household]):
        model_type = Household

    repository_type = Repo

    async def register(
        self,
        actor: Principal,
        hasher: SecretHasher,
        *,
        code: str,
        head_name: str,
        phone: str,
        pin: str,
        members: Sequence[str] | None = None,
        village_id: int | None = None,
    ) -> Household:
        actor.require_staff()
        target = actor.target_village(village_id)
        code = clean_text(code, "code", max_len=32, required=True).upper()
        if not HOUSEHOLD_CODE_RE.match(code):
            raise InvalidInput("code", N_("The household code may hold only letters, digits and '-', e.g. CJD-007."))
        head = clean_text(head_name, "name", max_len=50, required=True)
        phone = clean_phone(phone, required=True)
        pin = clean_pin(pin)
        member_names = clean_members(members)
        if head not in member_names:
            member_names.insert(0, head)
        if await self.repository.exists(code=code):
            raise Conflict(N_("The household code %(code)s is already taken."), field="code", code=code)
        pin_hash = await asyncio.to_thread(hasher.hash_pin, pin)
        household = Household(
            village_id=target,
            code=code,
            head_name=head,
            phone=phone,
            pin_hash=pin_hash,
            members=[HouseholdMember(name=n, position=i) for i, n in enumerate(member_names)],
        )
        try:
            return await self.repository.add(household)
        except IntegrityError as exc:  # a concurrent registration took the code first
            raise Conflict(N_("The household code %(code)s is already taken."), field="code", code=code) from exc

    def _scope(self, actor: Principal) -> list[ColumnElement[bool]]:
        if actor.kind == "household":
            return [Household.id == actor.id]
        if actor.is_admin:
            return []
        if actor.is_secretary:
            return [Household.village_id == actor.village_id]
        raise PermissionDenied()

    async def list_for(
        self, actor: Principal, paging: Paging, *, search: str | None = None, village_id: int | None = None
    ) -> tuple[Sequence[Household], int]:
        filters = self._scope(actor)
        if village_id is not None:
            actor.ensure_village(village_id)
            filters.append(Household.village_id == village_id)
        if search:
            like = f"%{search.strip()}%"
            filters.append(or_(Household.code.ilike(like), Household.head_name.ilike(like)))
        return await self.get_many_and_count(*filters, paging.filter, order_by=[(Household.code, False)])

    async def get_for(self, actor: Principal, household_id: int) -> Household:
        if actor.kind == "user" and not actor.is_staff:
            raise NotFound()
        household = await self.repository.get_one_or_none(id=household_id)
        if household is None:
            raise NotFound()
        if actor.kind == "household":
            if household.id != actor.id:
                raise NotFound()
        else:
            actor.ensure_village(household.village_id)
        return household

    async def update_household(
        self,
        actor: Principal,
        household_id: int,
        *,
        head_name: str | None = None,
        phone: str | None = None,
        members: Sequence[str] | None = None,
        active: bool | None = None,
    ) -> Household:
        actor.require_staff()
        household = await self.get_for(actor, household_id)
        if head_name is not None:
            household.head_name = clean_text(head_name, "name", max_len=50, required=True)
        if phone is not None:
            household.phone = clean_phone(phone, required=True)
        if active is not None:
            household.active = active
        if members is not None:
            names = clean_members(members)
            if household.head_name not in names:
                names.insert(0, household.head_name)
            household.members = [HouseholdMember(name=n, position=i) for i, n in enumerate(names)]
        await self.repository.session.flush()
        return household

    async def reset_pin(self, actor: Principal, hasher: SecretHasher, household_id: int, pin: str) -> Household:
        actor.require_staff()
        household = await self.get_for(actor, household_id)
        # A new PIN also ends the household's sessions and tokens and clears its failed-login counts
        # (shop.accounts.access).
        household.pin_hash = await asyncio.to_thread(hasher.hash_pin, clean_pin(pin))
        await self.repository.session.flush()
        return household

    async def active_in_village(self, village_id: int) -> list[Household]:
        """The village's active households by code: who may bring in a lot."""
        rows = await self.repository.session.execute(
            select(Household)
            .where(Household.village_id == village_id, Household.active.is_(True))
            .order_by(Household.code)
        )
        return list(rows.scalars())

    async def count_in_village(self, village_id: int) -> int:
        stmt = select(func.count()).select_from(Household).where(Household.village_id == village_id)
        return int((await self.repository.session.execute(stmt)).scalar_one())

    async def next_code_for(self, village: Village) -> str:
        """A suggestion for the registration form: the village prefix and the next free number."""
        prefix = village.code_prefix or "HH"
        count = await self.count_in_village(village.id)
        for n in range(count + 1, count + 1000):
            candidate = f"{prefix}-{n:03d}"
            if not await self.repository.exists(code=candidate):
                return candidate
        return f"{prefix}-{datetime.now().strftime('%H%M%S')}"


async def household_logins_paused(session: AsyncSession, household: Household, now: datetime) -> bool:
    """Whether the household's logins are paused because wrong PINs came from many places at once."""
    return await is_locked(session, "h", household.code, HOUSEHOLD_LIMITS, now)
