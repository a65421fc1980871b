"""Households over the API: registration rules, masked phones in lists, PIN reset, bad input named."""

from __future__ import annotations

import pytest

from tests.conftest import World

pytestmark = pytest.mark.anyio


async def test_list_masks_phones_but_detail_shows_them_to_staff(client, world: World, auth) -> None:
    listing = (await client.get("/api/v1/households", headers=auth["secretary_a"])).json()
    phones = {h["phone"] for h in listing["items"]}
    assert all("****" in p for p in phones)
    detail = (await client.get(f"/api/v1/households/{world.households['a1']}", headers=auth["secretary_a"])).json()
    assert detail["phone"] == "13904210001"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "CJD-011", "name": "户", "phone": "13900000000", "pin": "12345"}, "pin"),
        ({"code": "CJD-011", "name": "户", "phone": "13900000000", "pin": "12a456"}, "pin"),
        ({"code": "CJD-011", "name": "", "phone": "13900000000", "pin": "123456"}, "name"),
        ({"code": "CJD 011!", "name": "户", "phone": "13900000000", "pin": "123456"}, "code"),
        ({"code": "CJD-011", "name": "户", "phone": "not-a-phone", "pin": "123456"}, "phone"),
        ({"code": "CJD-011", "name": "户", "phone": "13900000000", "pin": 123456}, "pin"),
        ({"name": "户", "phone": "13900000000", "pin": "123456"}, "code"),
        ({"code": "CJD-011", "name": "户", "phone": "13900000000", "pin": "123456", "extra": 1}, "extra"),
    ],
)
async def test_bad_household_input_is_400_naming_the_field(client, world: World, auth, body, field) -> None:
    response = await client.post("/api/v1/households", json=body, headers=auth["secretary_a"])
    assert response.status_code == 400, response.text
    payload = response.json()
    assert field in (payload.get("field") or "") + str(payload.get("extra", "")) + payload["detail"]


async def test_duplicate_household_code_is_409_and_changes_nothing(client, world: World, auth) -> None:
    response = await client.post(
        "/api/v1/households",
        json={"code": "cjd-001", "name": "重复", "phone": "13900000000", "pin": "123456"},
        headers=auth["secretary_a"],
    )
    assert response.status_code == 409
    assert response.json()["field"] == "code"
    listing = (await client.get("/api/v1/households?q=重复", headers=auth["admin"])).json()
    assert listing["total"] == 0


async def test_pin_reset_lets_the_household_in_with_the_new_pin_only(client, world: World, auth) -> None:
    household_id = world.households["a2"]
    reset = await client.post(
        f"/api/v1/households/{household_id}/pin", json={"pin": "246810"}, headers=auth["secretary_a"]
    )
    assert reset.status_code == 200
    old = await client.post("/api/v1/auth/household-token", json={"household_code": "CJD-002", "pin": world.pins["a2"]})
    assert old.status_code == 401
    new = await client.post("/api/v1/auth/household-token", json={"household_code": "CJD-002", "pin": "246810"})
    assert new.status_code == 200


async def test_members_list_keeps_the_head_first(client, world: World, auth) -> None:
    response = await client.patch(
        f"/api/v1/households/{world.households['a1']}",
        json={"members": ["小儿子", "大女儿"]},
        headers=auth["secretary_a"],
    )
    assert response.json()["members"] == ["户主a1", "小儿子", "大女儿"]


async def test_paging_returns_items_and_total(client, world: World, auth) -> None:
    page = (await client.get("/api/v1/households?limit=1&offset=1", headers=auth["admin"])).json()
    assert len(page["items"]) == 1
    assert page["total"] == 4
    assert (await client.get("/api/v1/households?limit=0", headers=auth["admin"])).status_code == 400
    assert (await client.get("/api/v1/households?limit=abc", headers=auth["admin"])).status_code == 400
