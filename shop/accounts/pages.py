"""Pages: the front door, staff and household logins, logout, and one's own account."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select

from shop import i18n
from shop.accounts.access import end_access
from shop.accounts.models import User
from shop.accounts.principal import Principal
from shop.accounts.services import (
    Logins,
    UserService,
    has_admin,
    principal_for_household,
    principal_for_user,
)
from shop.accounts.throttle import DEVICE_COOKIE
from shop.db import read_session
from shop.errors import N_, AuthenticationFailed, DomainError, InvalidInput
from shop.web.auth import PUBLIC, optional_principal, requires_account, session_payload
from shop.web.client import client_address
from shop.web.deps import Actor, DbSession, Hasher
from shop.web.forms import form_error, notify, read_form
from shop.web.links import public_base


def home_for(principal: Principal) -> str:
    if principal.kind == "household":
        return "/household"
    if principal.is_admin:
        return "/admin/villages"
    if principal.is_secretary:
        return "/village"
    if principal.role == "township":
        return "/township"
    if principal.role == "county":
        return "/county"
    return "/training"


def safe_next(target: str | None, default: str) -> str:
    """Only local paths: a login link must not bounce a villager to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


@get("/", opt=PUBLIC, name="home")
async def front_door(request: Request[Any, Any, Any]) -> Template | Redirect:
    principal = await optional_principal(request)
    if principal is not None:
        return Redirect(home_for(principal), status_code=303)
    return Template("home.html", context={"user": None})


async def needs_first_admin(request: Request[Any, Any, Any]) -> bool:
    """A fresh deployment has no administrator: the login page says how to create the first one. Once one
    is seen, this process stops asking (one indexed read per login page until then)."""
    state = request.app.state
    if state.get("admin_seen"):
        return False
    async with read_session(state.alchemy_config) as session:
        seen = await has_admin(session)
    if seen:
        state.admin_seen = True
    return not seen


@get("/login", opt=PUBLIC, name="login")
async def login_page(request: Request[Any, Any, Any], next: FromQuery[str | None] = None) -> Template:
    return Template(
        "accounts/login.html",
        context={
            "values": {},
            "errors": {},
            "next": next or "",
            "user": None,
            "first_admin": await needs_first_admin(request),
        },
    )


def _remember_device(request: Request[Any, Any, Any], response: Redirect, mark: str) -> Redirect:
    """This device logged in to the account: later it is not held to the account's ceiling of failures
    from every address (see shop.accounts.throttle)."""
    response.set_cookie(
        DEVICE_COOKIE,
        mark,
        max_age=400 * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.cookie_secure,
    )
    return response


def _login_error(template: str, exc: DomainError, **context: Any) -> Template:
    page = form_error(template, exc, **context)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        page.headers["Retry-After"] = str(retry_after)
    return page


@post("/login", opt=PUBLIC)
async def login_submit(request: Request[Any, Any, Any]) -> Template | Redirect:
    form = await read_form(request)
    next_path = str(form.get("next") or "")
    logins: Logins = request.app.state.logins
    try:
        user = await logins.user(
            str(form.get("username") or ""),
            str(form.get("password") or ""),
            client_address(request.scope),
            device=request.cookies.get(DEVICE_COOKIE, ""),
        )
    except DomainError as exc:
        values = {"username": str(form.get("username") or "")}
        first_admin = await needs_first_admin(request)
        return _login_error("accounts/login.html", exc, form=values, next=next_path, user=None, first_admin=first_admin)
    principal = principal_for_user(user)
    request.set_session(session_payload(principal))
    redirect = Redirect(safe_next(next_path, home_for(principal)), status_code=303)
    return _remember_device(request, redirect, logins.device_mark("u", user.username))


@get("/household/login", opt=PUBLIC, name="household_login")
async def household_login_page(code: FromQuery[str | None] = None, next: FromQuery[str | None] = None) -> Template:
    return Template(
        "accounts/household_login.html",
        context={"values": {"code": code or ""}, "errors": {}, "next": next or "", "user": None},
    )


@post("/household/login", opt=PUBLIC)
async def household_login_submit(request: Request[Any, Any, Any]) -> Template | Redirect:
    form = await read_form(request)
    code = str(form.get("code") or "")
    next_path = str(form.get("next") or "")
    logins: Logins = request.app.state.logins
    try:
        household = await logins.household(
            code,
            str(form.get("pin") or ""),
            client_address(request.scope),
            device=request.cookies.get(DEVICE_COOKIE, ""),
        )
    except DomainError as exc:
        return _login_error("accounts/household_login.html", exc, form={"code": code}, next=next_path, user=None)
    principal = principal_for_household(household)
    request.set_session(session_payload(principal))
    redirect = Redirect(safe_next(next_path, "/household"), status_code=303)
    return _remember_device(request, redirect, logins.device_mark("h", household.code))


@post("/logout", opt=PUBLIC)
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    was_household = str(request.session.get("p", "")).startswith("h:")
    request.clear_session()
    return Redirect("/household/login" if was_household else "/login", status_code=303)


def calendar_url(request: Request[Any, Any, Any], secret: str) -> str:
    return f"{public_base(request)}/calendar/{secret}.ics"


@get("/account", guards=[requires_account], name="account")
async def account_page(request: Request[Any, Any, Any], actor: Actor, db_session: DbSession) -> Template:
    user = await UserService(session=db_session).get_for(actor, actor.id)
    return Template(
        "accounts/account.html",
        context={
            "account": user,
            "calendar_url": calendar_url(request, user.calendar_secret),
            "values": {},
            "errors": {},
            "user": actor,
        },
    )


@post("/account/password", guards=[requires_account])
async def change_password(
    request: Request[Any, Any, Any], actor: Actor, db_session: DbSession, hasher: Hasher
) -> Template | Redirect:
    form = await read_form(request)
    logins: Logins = request.app.state.logins
    # The current password is checked as a login is (counted, no transaction open while it is hashed),
    # before this request's own transaction starts.
    async with read_session(request.app.state.alchemy_config) as session:
        username = await session.scalar(select(User.username).where(User.id == actor.id))
    current_ok = True
    try:
        await logins.user(username or "", str(form.get("current") or ""), client_address(request.scope))
    except AuthenticationFailed:
        current_ok = False
    users = UserService(session=db_session)
    account = await users.get_for(actor, actor.id)
    try:
        if not current_ok:
            raise InvalidInput("current", N_("That is not your current password."))
        user = await users.set_password(actor, hasher, actor.id, str(form.get("password") or ""))
    except DomainError as exc:
        return form_error(
            "accounts/account.html",
            exc,
            db_session,
            account=account,
            calendar_url=calendar_url(request, account.calendar_secret),
            user=actor,
        )
    # Every other session and token of the account ended with the change; this one carries on.
    request.set_session(session_payload(principal_for_user(user)))
    notify(request, i18n.gettext_(N_("Your password was changed. You were signed out everywhere else.")))
    return Redirect("/account", status_code=303)


@post("/account/sign-out-everywhere", guards=[requires_account])
async def sign_out_everywhere(request: Request[Any, Any, Any], actor: Actor, db_session: DbSession) -> Redirect:
    """A lost phone, a shared computer: every session and token of the account ends, this one too."""
    await end_access(db_session, actor.kind, actor.id)
    request.clear_session()
    return Redirect("/login", status_code=303)


@post("/account/calendar", guards=[requires_account])
async def rotate_calendar(request: Request[Any, Any, Any], actor: Actor, db_session: DbSession) -> Redirect:
    """A new calendar feed address: the old one answers 404 from now on."""
    await UserService(session=db_session).rotate_calendar_secret(actor)
    notify(
        request,
        i18n.gettext_(N_("Your calendar has a new address: subscribe to it again; the old one no longer works.")),
    )
    return Redirect("/account", status_code=303)


ROUTES = [
    front_door,
    login_page,
    login_submit,
    household_login_page,
    household_login_submit,
    logout,
    account_page,
    change_password,
    sign_out_everywhere,
    rotate_calendar,
]
