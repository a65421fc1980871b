"""The accounts an operator or a secretary looks after: switch one off when its owner leaves, give it a new
password when they forgot theirs, move it to another role, village or area — through the API, the pages
and the console — and each of these ends every session and token of the account at once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD, World, token_for
from tests.forms import form_token

pytestmark = pytest.mark.anyio

ME = "/api/v1/me"


async def _login_page(client: Any, username: str, password: str = PASSWORD) -> Any:
    client.cookies.clear()
    token = await form_token(client, "/login")
    return await client.post(
        "/login", data={"username": username, "password": password, "_csrf_token": token}, follow_redirects=False
    )


async def test_switching_a_secretary_off_ends_their_token_and_their_logins_until_switched_on(
    client, world: World, auth
) -> None:
    theirs = await token_for(client, "secretary_a")
    user = f"/api/v1/users/{world.users['secretary_a']}"
    off = await client.patch(user, json={"active": False}, headers=auth["admin"])
    assert off.status_code == 200, off.text
    assert off.json()["active"] is False
    assert (await client.get(ME, headers=theirs)).status_code == 401
    refused = await client.post("/api/v1/auth/token", json={"username": "secretary_a", "password": PASSWORD})
    assert refused.status_code == 401
    on = await client.patch(user, json={"active": True}, headers=auth["admin"])
    assert on.status_code == 200
    assert (await client.get(ME, headers=await token_for(client, "secretary_a"))).status_code == 200


async def test_moving_a_secretary_to_another_village_ends_access_and_shows_them_only_the_new_village(
    client, world: World, auth
) -> None:
    theirs = await token_for(client, "secretary_a")
    moved = await client.patch(
        f"/api/v1/users/{world.users['secretary_a']}", json={"village_id": world.villages["b"]}, headers=auth["admin"]
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["village_id"] == world.villages["b"]
    assert (await client.get(ME, headers=theirs)).status_code == 401
    now = await token_for(client, "secretary_a")
    households = (await client.get("/api/v1/households", headers=now)).json()["items"]
    assert households
    assert {h["village_id"] for h in households} == {world.villages["b"]}
    assert (await client.get(f"/api/v1/households/{world.households['a1']}", headers=now)).status_code == 404


async def test_a_new_role_is_checked_as_a_new_account_would_be(client, world: World, auth) -> None:
    user = f"/api/v1/users/{world.users['trainee_a']}"
    no_area = await client.patch(user, json={"role": "township"}, headers=auth["admin"])
    assert no_area.status_code == 400
    assert no_area.json()["field"] == "township"
    nowhere = await client.patch(user, json={"village_id": 999_999}, headers=auth["admin"])
    assert nowhere.status_code == 400
    assert nowhere.json()["field"] == "village_id"
    promoted = await client.patch(user, json={"role": "secretary"}, headers=auth["admin"])
    assert promoted.status_code == 200
    assert (promoted.json()["role"], promoted.json()["village_id"]) == ("secretary", world.villages["a"])


async def test_a_secretary_switches_their_own_trainees_only(client, world: World, auth) -> None:
    mine = f"/api/v1/users/{world.users['trainee_a']}"
    trainee = await token_for(client, "trainee_a")
    assert (await client.patch(mine, json={"active": False}, headers=auth["secretary_a"])).status_code == 200
    assert (await client.get(ME, headers=trainee)).status_code == 401
    assert (await client.patch(mine, json={"role": "secretary"}, headers=auth["secretary_a"])).status_code == 403
    other_village = f"/api/v1/users/{world.users['trainee_b']}"
    assert (await client.patch(other_village, json={"active": False}, headers=auth["secretary_a"])).status_code == 404
    colleague = f"/api/v1/users/{world.users['secretary_b']}"
    assert (await client.patch(colleague, json={"active": False}, headers=auth["secretary_b"])).status_code == 403
    assert (await client.patch(mine, json={"active": True}, headers=auth["trainee_b"])).status_code in (403, 404)


async def test_nobody_switches_themselves_off_or_changes_their_own_role(client, world: World, auth) -> None:
    me = f"/api/v1/users/{world.admin_id}"
    for change in ({"active": False}, {"role": "secretary", "village_id": world.villages["a"]}):
        refused = await client.patch(me, json=change, headers=auth["admin"])
        assert refused.status_code == 403, change
    assert (await client.get(ME, headers=auth["admin"])).status_code == 200


async def test_a_new_password_from_the_operator_ends_the_old_token_and_opens_the_new_login(
    client, world: World, auth
) -> None:
    theirs = await token_for(client, "secretary_a")
    reset = await client.post(
        f"/api/v1/users/{world.users['secretary_a']}/password",
        json={"password": "a-fresh-password-9"},
        headers=auth["admin"],
    )
    assert reset.status_code == 200, reset.text
    assert (await client.get(ME, headers=theirs)).status_code == 401
    assert (
        await client.get(ME, headers=await token_for(client, "secretary_a", "a-fresh-password-9"))
    ).status_code == 200
    short = await client.post(
        f"/api/v1/users/{world.users['trainee_b']}/password", json={"password": "short"}, headers=auth["secretary_b"]
    )
    assert short.status_code == 400
    colleague = await client.post(
        f"/api/v1/users/{world.users['secretary_b']}/password",
        json={"password": "a-fresh-password-9"},
        headers=auth["trainee_b"],
    )
    assert colleague.status_code in (403, 404)


async def test_the_operator_switches_a_secretary_off_on_the_page(client, world: World) -> None:
    assert (await _login_page(client, "admin")).status_code == 303
    listing = await client.get("/staff")
    assert listing.status_code == 200
    assert f'href="/staff/{world.users["secretary_a"]}"' in listing.text
    page = f"/staff/{world.users['secretary_a']}"
    token = await form_token(client, page)
    off = await client.post(f"{page}/switch", data={"active": "off", "_csrf_token": token}, follow_redirects=False)
    assert off.status_code == 303
    shown = await client.get(page)
    assert "已停用" in shown.text
    assert 'value="on"' in shown.text
    assert (await _login_page(client, "secretary_a")).status_code == 401


async def test_a_secretary_gives_a_trainee_a_new_password_on_the_page_in_english(client, world: World) -> None:
    assert (await _login_page(client, "secretary_a")).status_code == 303
    page = f"/staff/{world.users['trainee_a']}?lang=en"
    shown = await client.get(page)
    assert "Switch off" in shown.text
    assert "New password" in shown.text
    token = await form_token(client, page)
    short = await client.post(
        f"/staff/{world.users['trainee_a']}/password", data={"password": "short", "_csrf_token": token}
    )
    assert short.status_code == 400
    assert "at least 8" in short.text
    done = await client.post(
        f"/staff/{world.users['trainee_a']}/password",
        data={"password": "a-fresh-password-9", "_csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert (await client.get(f"/staff/{world.users['trainee_b']}")).status_code == 404
    # Their colleague's page (a secretary) has nothing to switch.
    colleague = await client.get(f"/staff/{world.users['secretary_a']}?lang=en")
    assert colleague.status_code == 200
    assert "Switch off" not in colleague.text
    assert (await _login_page(client, "trainee_a", "a-fresh-password-9")).status_code == 303


async def test_the_operator_moves_an_account_on_the_page_and_a_bad_village_is_named(client, world: World) -> None:
    assert (await _login_page(client, "admin")).status_code == 303
    page = f"/staff/{world.users['trainee_a']}"
    token = await form_token(client, page)
    form = {"display_name": "小王", "phone": "", "role": "trainee", "township": "", "county": "", "_csrf_token": token}
    bad = await client.post(page, data={**form, "village_id": "abc"})
    assert bad.status_code == 400
    assert "village_id" in bad.text or "村" in bad.text
    moved = await client.post(page, data={**form, "village_id": str(world.villages["b"])}, follow_redirects=False)
    assert moved.status_code == 303
    listing = await client.get(f"/admin/villages/{world.villages['b']}")
    assert "小王" in listing.text
