"""Pages: the secretary's SMS page (this month, failures, opted-out households, a test to their own
phone), and the switches: a villager's on their home page, a secretary's for a household, a staff
member's own on the account page. Nothing here sends: the scheduler's job does."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect, Template

from shop import i18n
from shop.accounts.models import User
from shop.accounts.principal import Principal
from shop.errors import N_, DomainError
from shop.sms.preferences import queue_test_message, set_household_sms, set_own_sms
from shop.sms.report import month_report
from shop.timeutil import utcnow
from shop.web.auth import requires_account, requires_household, requires_staff
from shop.web.deps import Actor, DbSession
from shop.web.forms import form_error, notify, read_form
from shop.web.params import IdPath


async def requires_secretary(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    user = connection.scope.get("user")
    if not isinstance(user, Principal) or not user.is_secretary:
        raise PermissionDeniedException("village secretaries only")


def _switch(form: Any) -> bool:
    return str(form.get("sms") or "") == "on"


async def _page_context(request: Request[Any, Any, Any], actor: Principal, db_session: Any) -> dict[str, Any]:
    assert actor.village_id is not None
    settings = request.app.state.settings
    me = await db_session.get(User, actor.id)
    return {
        "report": await month_report(db_session, settings, actor.village_id, utcnow()),
        "me": me,
        "config_cap": settings.sms_daily_cap,
        "user": actor,
        "values": {},
        "errors": {},
    }


@get("/sms", guards=[requires_secretary], name="sms_village")
async def sms_page(request: Request[Any, Any, Any], actor: Actor, db_session: DbSession) -> Template:
    return Template("sms/village.html", context=await _page_context(request, actor, db_session))


@post("/sms/test", guards=[requires_secretary])
async def sms_test(request: Request[Any, Any, Any], actor: Actor, db_session: DbSession) -> Template | Redirect:
    try:
        await queue_test_message(db_session, actor, utcnow())
    except DomainError as exc:
        context = await _page_context(request, actor, db_session)
        return form_error("sms/village.html", exc, db_session, **{k: v for k, v in context.items() if k != "errors"})
    notify(request, i18n.gettext_(N_("Test message queued: it is sent within a minute (not at night).")))
    return Redirect("/sms", status_code=303)


@post("/households/{household_id:int}/sms", guards=[requires_staff])
async def household_sms_by_secretary(
    household_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Redirect:
    form = await read_form(request)
    household = await set_household_sms(db_session, actor, household_id, on=_switch(form))
    message = N_("SMS switched on for %(code)s.") if _switch(form) else N_("SMS switched off for %(code)s.")
    notify(request, i18n.gettext_(message, code=household.code))
    back = "/sms" if form.get("back") == "/sms" else f"/households/{household_id}"
    return Redirect(back, status_code=303)


@post("/household/sms", guards=[requires_household])
async def own_household_sms(request: Request[Any, Any, Any], actor: Actor, db_session: DbSession) -> Redirect:
    form = await read_form(request)
    await set_household_sms(db_session, actor, actor.id, on=_switch(form))
    notify(request, i18n.gettext_(N_("Text messages on.") if _switch(form) else N_("Text messages off.")))
    return Redirect("/household", status_code=303)


@post("/account/sms", guards=[requires_account])
async def own_account_sms(request: Request[Any, Any, Any], actor: Actor, db_session: DbSession) -> Template | Redirect:
    form = await read_form(request)
    try:
        await set_own_sms(db_session, actor, phone=str(form.get("phone") or ""), on=_switch(form))
    except DomainError as exc:
        from shop.accounts.pages import calendar_url

        account = await db_session.get(User, actor.id)
        assert account is not None
        return form_error(
            "accounts/account.html",
            exc,
            db_session,
            form=form,
            account=account,
            calendar_url=calendar_url(request, account.calendar_secret),
            user=actor,
        )
    notify(request, i18n.gettext_(N_("Saved.")))
    return Redirect("/account", status_code=303)


ROUTES = [sms_page, sms_test, household_sms_by_secretary, own_household_sms, own_account_sms]
