"""Pages: the accounts a county operator or a secretary looks after — switch one off when its owner leaves,
set a new password when they forgot theirs, move an account to another role, village or area (operator).
Each of these ends every session and token of the account (``shop.accounts.access``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from shop import i18n
from shop.accounts.models import User
from shop.accounts.principal import Principal
from shop.accounts.services import UserChanges, UserService
from shop.errors import N_, DomainError
from shop.paging import Paging, page_count
from shop.villages.models import Village
from shop.villages.services import VillageService
from shop.web.auth import requires_staff
from shop.web.deps import Actor, DbSession, Hasher
from shop.web.forms import form_error, form_int, notify, read_form
from shop.web.params import IdPath

PAGE_SIZE = 30


@get("/staff", guards=[requires_staff], name="staff")
async def staff_list(actor: Actor, db_session: DbSession, page: FromQuery[int] = 1) -> Template:
    """Every account the caller looks after: all of them (operator), the village's (secretary)."""
    page = max(1, page)
    rows, total = await UserService(session=db_session).list_for(
        actor, Paging(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    )
    return Template(
        "accounts/staff_list.html",
        context={"accounts": rows, "page": page, "pages": page_count(total, PAGE_SIZE), "user": actor},
    )


async def _villages(session: AsyncSession, actor: Principal) -> list[Village]:
    if not actor.is_admin:
        return []
    rows, _total = await VillageService(session=session).list_for(actor, Paging(limit=1000, offset=0))
    return list(rows)


async def _context(session: AsyncSession, actor: Principal, account: User) -> dict[str, Any]:
    villages = await _villages(session, actor)
    home = await session.get(Village, account.village_id) if account.village_id else None
    return {
        "account": account,
        "village_name": home.name if home else "",
        "villages": villages,
        "village_options": [("", "—"), *((v.id, f"{v.name} · {v.township}") for v in villages)],
        "user": actor,
    }


def _values_of(account: User) -> dict[str, str]:
    return {
        "display_name": account.display_name,
        "phone": account.phone,
        "role": account.role,
        "village_id": str(account.village_id or ""),
        "township": account.township,
        "county": account.county,
    }


@get("/staff/{user_id:int}", guards=[requires_staff], name="staff_account")
async def staff_account(user_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    account = await UserService(session=db_session).get_for(actor, user_id)
    context = await _context(db_session, actor, account)
    return Template("accounts/staff.html", context={"values": _values_of(account), "errors": {}, **context})


async def _refused(
    session: AsyncSession, actor: Principal, account: User, exc: DomainError, form: Any = None
) -> Template:
    """The account's page again, the error beside its field and what was typed kept (never a password)."""
    context = await _context(session, actor, account)
    return form_error("accounts/staff.html", exc, session, form=form or _values_of(account), **context)


def _text(form: Any, name: str) -> str | None:
    value = form.get(name)
    return None if value is None else str(value)


def _move_of(form: Any, account: User) -> dict[str, Any]:
    """The operator's form's role, village and area, as far as they differ from the account's."""
    role = _text(form, "role") or account.role  # an unknown one is refused by the service, naming the field
    village_id = form_int(form.get("village_id"), "village_id")
    township, county = _text(form, "township") or "", _text(form, "county") or ""
    move: dict[str, Any] = {}
    if role != account.role:
        move["role"] = role
    if village_id is not None and village_id != account.village_id:
        move["village_id"] = village_id
    if (township, county) != (account.township, account.county):
        move["township"], move["county"] = township, county
    return move


@post("/staff/{user_id:int}", guards=[requires_staff])
async def staff_change(
    user_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Template | Redirect:
    """Name and phone (operator, or a secretary for their trainees); role, village and area (operator)."""
    form = await read_form(request)
    users = UserService(session=db_session)
    account = await users.get_for(actor, user_id)
    try:
        changes = UserChanges(display_name=_text(form, "display_name"), phone=_text(form, "phone"))
        if actor.is_admin and "role" in form:
            changes = replace(changes, **_move_of(form, account))
        await users.change_user(actor, user_id, changes)
    except DomainError as exc:
        return await _refused(db_session, actor, account, exc, form)
    notify(request, i18n.gettext_(N_("Saved.")))
    return Redirect(f"/staff/{user_id}", status_code=303)


@post("/staff/{user_id:int}/switch", guards=[requires_staff])
async def staff_switch(
    user_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Template | Redirect:
    """Switch an account off (its owner left: it can no longer log in, its sessions end) or back on."""
    form = await read_form(request)
    users = UserService(session=db_session)
    account = await users.get_for(actor, user_id)
    on = form.get("active") == "on"
    try:
        await users.change_user(actor, user_id, UserChanges(active=on))
    except DomainError as exc:
        return await _refused(db_session, actor, account, exc)
    if on:
        notify(request, i18n.gettext_(N_("%(name)s can log in again."), name=account.name))
    else:
        notify(request, i18n.gettext_(N_("%(name)s is switched off and signed out everywhere."), name=account.name))
    return Redirect(f"/staff/{user_id}", status_code=303)


@post("/staff/{user_id:int}/password", guards=[requires_staff])
async def staff_password(
    user_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession, hasher: Hasher
) -> Template | Redirect:
    """A new password for someone who forgot theirs; tell it to them in person."""
    form = await read_form(request)
    users = UserService(session=db_session)
    account = await users.get_for(actor, user_id)
    try:
        await users.set_password(actor, hasher, user_id, str(form.get("password") or ""))
    except DomainError as exc:
        return await _refused(db_session, actor, account, exc)
    notify(
        request,
        i18n.gettext_(
            N_("New password set for %(name)s. Tell it to them in person; they were signed out everywhere."),
            name=account.name,
        ),
    )
    return Redirect(f"/staff/{user_id}", status_code=303)


ROUTES = [staff_list, staff_account, staff_change, staff_switch, staff_password]
