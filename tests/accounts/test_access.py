"""Access that ends: a new PIN or password, deactivation, a change of role or village, or "sign out
everywhere" ends every session and token of the account at once; a calendar feed address can be replaced."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from shop.accounts.models import User
from shop.villages.models import Household
from tests.conftest import PASSWORD, World, household_token_for, token_for

pytestmark = pytest.mark.anyio


async def _page_login(client: Any, path: str, form: dict[str, str]) -> str:
    """Signs in through the page; returns the session cookie (the jar is emptied for the next caller)."""
    client.cookies.clear()
    await client.get(path)
    response = await client.post(
        path, data=form, headers={"x-csrftoken": client.cookies.get("shop_csrf") or ""}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    cookie = response.cookies.get("shop_session")
    assert cookie
    client.cookies.clear()
    return str(cookie)


def _as(client: Any, session: str) -> None:
    client.cookies.clear()
    client.cookies.set("shop_session", session)


async def _page(client: Any, path: str, session: str) -> int:
    _as(client, session)
    response = await client.get(path, follow_redirects=False)
    client.cookies.clear()
    return int(response.status_code)


async def _post_form(client: Any, session: str, path: str, form: dict[str, str] | None = None) -> Any:
    """A form on /account, posted as the page's owner (with the page's CSRF token)."""
    _as(client, session)
    page = await client.get("/account")
    assert page.status_code == 200
    response = await client.post(
        path, data=form or {}, headers={"x-csrftoken": client.cookies.get("shop_csrf") or ""}, follow_redirects=False
    )
    renewed = response.cookies.get("shop_session")
    client.cookies.clear()
    response.renewed = renewed
    return response


async def test_a_pin_reset_ends_the_households_sessions_and_tokens(client, world: World, auth) -> None:
    token = await household_token_for(client, "CJD-001", world.pins["a1"])
    cookies = await _page_login(client, "/household/login", {"code": "CJD-001", "pin": world.pins["a1"]})
    assert (await client.get("/api/v1/me", headers=token)).status_code == 200
    assert await _page(client, "/household", cookies) == 200

    reset = await client.post(
        f"/api/v1/households/{world.households['a1']}/pin", json={"pin": "654321"}, headers=auth["secretary_a"]
    )
    assert reset.status_code == 200
    assert (await client.get("/api/v1/me", headers=token)).status_code == 401
    assert await _page(client, "/household", cookies) == 303  # back to the login page
    # The other household of the village is untouched.
    assert (await client.get("/api/v1/me", headers=auth["household_a2"])).status_code == 200


async def test_deactivating_a_household_ends_its_tokens(client, world: World, auth) -> None:
    token = await household_token_for(client, "CJD-001", world.pins["a1"])
    response = await client.patch(
        f"/api/v1/households/{world.households['a1']}", json={"active": False}, headers=auth["secretary_a"]
    )
    assert response.status_code == 200
    assert (await client.get("/api/v1/me", headers=token)).status_code == 401


async def test_a_password_change_ends_every_other_session_and_token(client, world: World) -> None:
    other_token = await token_for(client, "secretary_a")
    other_session = await _page_login(client, "/login", {"username": "secretary_a", "password": PASSWORD})
    mine = await _page_login(client, "/login", {"username": "secretary_a", "password": PASSWORD})
    changed = await _post_form(client, mine, "/account/password", {"current": PASSWORD, "password": "a-new-pass-1"})
    assert changed.status_code == 303, changed.text
    renewed = changed.renewed or mine
    assert (await client.get("/api/v1/me", headers=other_token)).status_code == 401
    assert await _page(client, "/account", other_session) == 303
    assert await _page(client, "/account", renewed) == 200  # the one who changed it carries on


async def test_a_change_of_role_or_village_ends_access(client, world: World, db) -> None:
    token = await token_for(client, "trainee_a")
    session = await _page_login(client, "/login", {"username": "trainee_a", "password": PASSWORD})
    async with db.write() as write:
        trainee = await write.get(User, world.users["trainee_a"])
        trainee.village_id = world.villages["b"]
    assert (await client.get("/api/v1/me", headers=token)).status_code == 401
    assert await _page(client, "/account", session) == 303
    token = await token_for(client, "trainee_a")
    async with db.write() as write:
        trainee = await write.get(User, world.users["trainee_a"])
        trainee.role = "secretary"
    assert (await client.get("/api/v1/me", headers=token)).status_code == 401


async def test_other_edits_do_not_end_access(client, world: World, db, auth) -> None:
    token = await household_token_for(client, "CJD-001", world.pins["a1"])
    response = await client.patch(
        f"/api/v1/households/{world.households['a1']}", json={"phone": "13900000099"}, headers=auth["secretary_a"]
    )
    assert response.status_code == 200
    assert (await client.get("/api/v1/me", headers=token)).status_code == 200


async def test_sign_out_everywhere_by_the_api_ends_every_token(client, world: World) -> None:
    first = await household_token_for(client, "CJD-001", world.pins["a1"])
    second = await household_token_for(client, "CJD-001", world.pins["a1"])
    session = await _page_login(client, "/household/login", {"code": "CJD-001", "pin": world.pins["a1"]})
    assert (await client.post("/api/v1/auth/sign-out-everywhere", headers=first)).status_code == 204
    assert (await client.get("/api/v1/me", headers=first)).status_code == 401
    assert (await client.get("/api/v1/me", headers=second)).status_code == 401
    assert await _page(client, "/household", session) == 303
    # A new login works as before.
    assert (
        await client.get("/api/v1/me", headers=await household_token_for(client, "CJD-001", world.pins["a1"]))
    ).status_code == 200


async def test_sign_out_everywhere_button_ends_the_accounts_sessions_and_tokens(client, world: World) -> None:
    token = await token_for(client, "secretary_a")
    elsewhere = await _page_login(client, "/login", {"username": "secretary_a", "password": PASSWORD})
    here = await _page_login(client, "/login", {"username": "secretary_a", "password": PASSWORD})
    _as(client, here)
    assert 'action="/account/sign-out-everywhere"' in (await client.get("/account")).text
    response = await _post_form(client, here, "/account/sign-out-everywhere")
    assert response.status_code == 303
    assert (await client.get("/api/v1/me", headers=token)).status_code == 401
    assert await _page(client, "/account", elsewhere) == 303
    assert await _page(client, "/account", here) == 303


async def test_the_calendar_address_can_be_replaced_and_the_old_one_ends(client, world: World, db) -> None:
    old = await db.scalar(select(User.calendar_secret).where(User.username == "secretary_a"))
    assert (await client.get(f"/calendar/{old}.ics")).status_code == 200
    here = await _page_login(client, "/login", {"username": "secretary_a", "password": PASSWORD})
    response = await _post_form(client, here, "/account/calendar")
    assert response.status_code == 303
    new = await db.scalar(select(User.calendar_secret).where(User.username == "secretary_a"))
    assert new != old
    assert (await client.get(f"/calendar/{old}.ics")).status_code == 404
    assert (await client.get(f"/calendar/{new}.ics")).status_code == 200
    _as(client, here)
    assert new in (await client.get("/account")).text


async def test_a_session_made_under_an_old_generation_is_refused(client, world: World, db) -> None:
    session = await _page_login(client, "/household/login", {"code": "CJD-001", "pin": world.pins["a1"]})
    async with db.write() as write:
        await write.execute(
            update(Household)
            .where(Household.code == "CJD-001")
            .values(credential_generation=Household.credential_generation + 1)
        )
    assert await _page(client, "/household", session) == 303
