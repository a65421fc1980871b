"""Switching text messages off and on (a villager for their household, a secretary for a household of
the village on its request, a staff member for themselves), the staff's own phone, and the secretary's
test message (queued like any other: the scheduler's job sends it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.models import User
from shop.accounts.principal import Principal
from shop.errors import N_, InvalidInput, NotFound, PermissionDenied
from shop.sms.models import SmsKind
from shop.sms.services import queue_sms
from shop.villages.models import Household
from shop.villages.services import HouseholdService, clean_phone


async def set_household_sms(session: AsyncSession, actor: Principal, household_id: int, *, on: bool) -> Household:
    """The household's own switch, or the secretary's for a household of their village."""
    if actor.kind == "household":
        if actor.id != household_id:
            raise NotFound()
        household = await session.get(Household, household_id)
        if household is None:
            raise NotFound()
    else:
        household = await HouseholdService(session=session).get_for(actor, household_id)
    household.sms_opt_out = not on
    await session.flush()
    return household


async def set_own_sms(session: AsyncSession, actor: Principal, *, phone: str, on: bool) -> User:
    if actor.kind != "user":
        raise PermissionDenied()
    user = await session.get(User, actor.id)
    if user is None:
        raise NotFound()
    user.phone = clean_phone(phone, "phone")
    user.sms_opt_out = not on
    await session.flush()
    return user


async def queue_test_message(session: AsyncSession, actor: Principal, now: datetime) -> bool:
    """A test to the secretary's own phone; a second press within the same minute is the same message."""
    user = await session.get(User, actor.id) if actor.kind == "user" else None
    if user is None:
        raise PermissionDenied()
    if not user.phone:
        raise InvalidInput("phone", N_("Add your phone number on your account page first."))
    return await queue_sms(
        session,
        SmsKind.TEST,
        subject_type="user",
        subject_id=user.id,
        recipient_kind="user",
        recipient_id=user.id,
        params={"name": user.name[:20]},
        version=now.strftime("%Y%m%d%H%M"),
    )
