"""Pages: villages (county operator), the secretary's village desk, households and their login cards,
and the villager's own home."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from shop import i18n
from shop.accounts.models import Role, User
from shop.accounts.services import UserService
from shop.errors import N_, DomainError
from shop.paging import Paging, page_count
from shop.timeutil import utcnow
from shop.villages.services import HouseholdService, VillageService, household_logins_paused
from shop.web.auth import requires_admin, requires_staff
from shop.web.deps import Actor, DbSession, Hasher
from shop.web.forms import form_error, form_int, notify, read_form
from shop.web.links import public_base
from shop.web.params import IdPath

PAGE_SIZE = 30


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").replace("，", "\n").replace(",", "\n").splitlines() if line.strip()]


# --- county operator -------------------------------------------------------------------------------


@get("/admin/villages", guards=[requires_admin], name="admin_villages")
async def admin_villages(actor: Actor, db_session: DbSession, page: FromQuery[int] = 1) -> Template:
    paging = Paging(limit=PAGE_SIZE, offset=(max(page, 1) - 1) * PAGE_SIZE)
    villages, total = await VillageService(session=db_session).list_for(actor, paging)
    return Template(
        "villages/admin_list.html",
        context={"villages": villages, "total": total, "page": page, "values": {}, "errors": {}, "user": actor},
    )


@post("/admin/villages", guards=[requires_admin])
async def admin_create_village(
    request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Template | Redirect:
    form = await read_form(request)
    service = VillageService(session=db_session)
    try:
        village = await service.create_village(
            actor,
            name=str(form.get("name") or ""),
            township=str(form.get("township") or ""),
            county=str(form.get("county") or ""),
            code_prefix=str(form.get("code_prefix") or ""),
        )
    except DomainError as exc:
        villages, total = await service.list_for(actor, Paging(limit=PAGE_SIZE))
        return form_error(
            "villages/admin_list.html", exc, db_session, form=form, villages=villages, total=total, page=1, user=actor
        )
    notify(request, i18n.gettext_(N_("Village %(name)s created."), name=village.name))
    return Redirect(f"/admin/villages/{village.id}", status_code=303)


async def _staff_of(db_session: DbSession, village_id: IdPath) -> list[User]:
    return await UserService(session=db_session).staff_of_village(village_id)


@get("/admin/villages/{village_id:int}", guards=[requires_admin], name="admin_village")
async def admin_village(village_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    village = await VillageService(session=db_session).get_for(actor, village_id)
    households = await HouseholdService(session=db_session).count_in_village(village_id)
    return Template(
        "villages/admin_detail.html",
        context={
            "village": village,
            "staff": await _staff_of(db_session, village_id),
            "household_count": households,
            "values": {},
            "errors": {},
            "user": actor,
        },
    )


@post("/admin/villages/{village_id:int}/secretaries", guards=[requires_admin])
async def admin_create_secretary(
    village_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession, hasher: Hasher
) -> Template | Redirect:
    form = await read_form(request)
    village = await VillageService(session=db_session).get_for(actor, village_id)
    try:
        user = await UserService(session=db_session).create_user(
            actor,
            hasher,
            username=str(form.get("username") or ""),
            password=str(form.get("password") or ""),
            role=Role.SECRETARY.value,
            village_id=village.id,
            display_name=str(form.get("display_name") or ""),
            phone=str(form.get("phone") or ""),
        )
    except DomainError as exc:
        return form_error(
            "villages/admin_detail.html",
            exc,
            db_session,
            form=form,
            village=village,
            staff=await _staff_of(db_session, village_id),
            household_count=await HouseholdService(session=db_session).count_in_village(village_id),
            user=actor,
        )
    notify(request, i18n.gettext_(N_("Secretary %(name)s can now log in."), name=user.name))
    return Redirect(f"/admin/villages/{village.id}", status_code=303)


# --- households ------------------------------------------------------------------------------------


@get("/households", guards=[requires_staff], name="households")
async def household_list(
    actor: Actor, db_session: DbSession, q: FromQuery[str | None] = None, page: FromQuery[int] = 1
) -> Template:
    paging = Paging(limit=PAGE_SIZE, offset=(max(page, 1) - 1) * PAGE_SIZE)
    rows, total = await HouseholdService(session=db_session).list_for(actor, paging, search=q)
    return Template(
        "households/list.html",
        context={
            "households": rows,
            "total": total,
            "page": max(page, 1),
            "pages": page_count(total, PAGE_SIZE),
            "q": q or "",
            "user": actor,
        },
    )


async def _new_form_context(actor: Actor, db_session: DbSession) -> dict[str, Any]:
    villages, _ = await VillageService(session=db_session).list_for(actor, Paging(limit=200))
    suggestion = ""
    if not actor.is_admin and villages:
        suggestion = await HouseholdService(session=db_session).next_code_for(villages[0])
    return {
        "village_options": [(v.id, v.name) for v in villages],
        "suggested_code": suggestion,
        "user": actor,
    }


@get("/households/new", guards=[requires_staff], name="household_new")
async def household_new(actor: Actor, db_session: DbSession) -> Template:
    context = await _new_form_context(actor, db_session)
    return Template(
        "households/new.html",
        context={"values": {"code": context["suggested_code"]}, "errors": {}, **context},
    )


@post("/households/new", guards=[requires_staff])
async def household_create(
    request: Request[Any, Any, Any], actor: Actor, db_session: DbSession, hasher: Hasher
) -> Template | Redirect:
    form = await read_form(request)
    service = HouseholdService(session=db_session)
    try:
        household = await service.register(
            actor,
            hasher,
            code=str(form.get("code") or ""),
            head_name=str(form.get("name") or ""),
            phone=str(form.get("phone") or ""),
            pin=str(form.get("pin") or ""),
            members=_lines(str(form.get("members") or "")),
            village_id=form_int(form.get("village_id"), "village_id"),
        )
    except DomainError as exc:
        context = await _new_form_context(actor, db_session)
        return form_error("households/new.html", exc, db_session, form=form, **context)
    notify(
        request, i18n.gettext_(N_("Household %(code)s registered. Print its login card below."), code=household.code)
    )
    return Redirect(f"/households/{household.id}", status_code=303)


@get("/households/{household_id:int}", guards=[requires_staff], name="household_detail")
async def household_detail(household_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    household = await HouseholdService(session=db_session).get_for(actor, household_id)
    values = {
        "name": household.head_name,
        "phone": household.phone,
        "members": "\n".join(m.name for m in household.members),
    }
    return Template(
        "households/detail.html",
        context={
            "household": household,
            "values": values,
            "errors": {},
            "user": actor,
            "locked": await household_logins_paused(db_session, household, utcnow()),
        },
    )


@post("/households/{household_id:int}", guards=[requires_staff])
async def household_update(
    household_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Template | Redirect:
    form = await read_form(request)
    service = HouseholdService(session=db_session)
    try:
        await service.update_household(
            actor,
            household_id,
            head_name=str(form.get("name") or ""),
            phone=str(form.get("phone") or ""),
            members=_lines(str(form.get("members") or "")),
        )
    except DomainError as exc:
        household = await service.get_for(actor, household_id)
        return form_error(
            "households/detail.html",
            exc,
            db_session,
            form=form,
            household=household,
            user=actor,
            locked=await household_logins_paused(db_session, household, utcnow()),
        )
    notify(request, i18n.gettext_(N_("Saved.")))
    return Redirect(f"/households/{household_id}", status_code=303)


@post("/households/{household_id:int}/pin", guards=[requires_staff])
async def household_reset_pin(
    household_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession, hasher: Hasher
) -> Template | Redirect:
    form = await read_form(request)
    service = HouseholdService(session=db_session)
    try:
        household = await service.reset_pin(actor, hasher, household_id, str(form.get("pin") or ""))
    except DomainError as exc:
        household = await service.get_for(actor, household_id)
        values = {
            "name": household.head_name,
            "phone": household.phone,
            "members": "\n".join(m.name for m in household.members),
        }
        return form_error(
            "households/detail.html",
            exc,
            db_session,
            form=values,
            household=household,
            user=actor,
            locked=await household_logins_paused(db_session, household, utcnow()),
        )
    notify(
        request,
        i18n.gettext_(N_("New PIN set for %(code)s. Tell it to the household in person."), code=household.code),
    )
    return Redirect(f"/households/{household_id}", status_code=303)


@get("/households/{household_id:int}/card", guards=[requires_staff], name="household_card")
async def household_card(
    household_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Template:
    household = await HouseholdService(session=db_session).get_for(actor, household_id)
    village = await VillageService(session=db_session).get_for(actor, household.village_id)
    login_url = f"{public_base(request)}/household/login?code={household.code}"
    return Template(
        "households/card.html",
        context={"household": household, "village": village, "login_url": login_url, "user": actor},
    )


ROUTES = [
    admin_villages,
    admin_create_village,
    admin_village,
    admin_create_secretary,
    household_list,
    household_new,
    household_create,
    household_detail,
    household_update,
    household_reset_pin,
    household_card,
]
