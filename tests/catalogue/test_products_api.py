"""Products over the API: validation, merchant codes unique per village, stock from lots, reach."""

from __future__ import annotations

import pytest

from tests.conftest import World

pytestmark = pytest.mark.anyio

MILLET = {"name": "朝阳小米 5kg装", "category": "粮食", "unit": "袋", "price_fen": 7500, "merchant_code": "XM-50"}


async def _product(client, auth, who: str = "secretary_a", **changes) -> dict:
    response = await client.post("/api/v1/products", json={**MILLET, **changes}, headers=auth[who])
    assert response.status_code == 201, response.text
    return response.json()


async def test_new_product_has_no_stock_until_a_lot_arrives(client, world: World, auth) -> None:
    product = await _product(client, auth)
    assert product["stock"] == 0
    assert product["category"] == "grain"
    assert product["village_id"] == world.villages["a"]
    lot = await client.post(
        f"/api/v1/products/{product['id']}/lots",
        json={
            "quantity": 40,
            "contributions": [
                {"household_id": world.households["a1"], "quantity": 25},
                {"household_id": world.households["a2"], "quantity": 15},
            ],
        },
        headers=auth["secretary_a"],
    )
    assert lot.status_code == 201, lot.text
    body = lot.json()
    assert body["remaining"] == 40
    assert len(body["public_code"]) == 8
    assert body["trace_url"] == f"/t/{body['public_code']}"
    assert {c["quantity"] for c in body["contributions"]} == {25, 15}
    again = await client.get(f"/api/v1/products/{product['id']}", headers=auth["secretary_a"])
    assert again.json()["stock"] == 40


async def test_stock_is_the_sum_of_every_lot(client, world: World, auth) -> None:
    product = await _product(client, auth)
    for quantity in (10, 7, 3):
        await client.post(
            f"/api/v1/products/{product['id']}/lots",
            json={
                "quantity": quantity,
                "contributions": [{"household_id": world.households["a1"], "quantity": quantity}],
            },
            headers=auth["secretary_a"],
        )
    listing = await client.get("/api/v1/products", headers=auth["secretary_a"])
    assert listing.json()["items"][0]["stock"] == 20


@pytest.mark.parametrize(
    ("contributions", "quantity"),
    [
        ([("a1", 25), ("a2", 10)], 40),  # short of the lot
        ([("a1", 30), ("a2", 15)], 40),  # more than the lot
        ([("a1", 20), ("a1", 20)], 40),  # the same household twice
        ([], 40),
        ([("b1", 40)], 40),  # another village's household
        ([("a1", 0), ("a2", 40)], 40),
    ],
)
async def test_contributions_must_add_up_to_the_lot_from_this_village(
    client, world: World, auth, contributions, quantity
) -> None:
    product = await _product(client, auth)
    body = {
        "quantity": quantity,
        "contributions": [{"household_id": world.households[k], "quantity": q} for k, q in contributions],
    }
    response = await client.post(f"/api/v1/products/{product['id']}/lots", json=body, headers=auth["secretary_a"])
    assert response.status_code == 400, response.text
    assert "contributions" in (response.json().get("field") or "") + response.text
    lots = await client.get(f"/api/v1/products/{product['id']}/lots", headers=auth["secretary_a"])
    assert lots.json() == []


async def test_merchant_code_is_unique_per_village_not_across_villages(client, world: World, auth) -> None:
    await _product(client, auth)
    clash = await client.post("/api/v1/products", json={**MILLET, "name": "别的"}, headers=auth["secretary_a"])
    assert clash.status_code == 409
    assert clash.json()["field"] == "merchant_code"
    other_village = await client.post("/api/v1/products", json=MILLET, headers=auth["secretary_b"])
    assert other_village.status_code == 201


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"price_fen": -1}, "price_fen"),
        ({"price_fen": "39.90"}, "price_fen"),
        ({"price_fen": 12.5}, "price_fen"),
        ({"category": "vegetables"}, "category"),
        ({"name": ""}, "name"),
        ({"unit": ""}, "unit"),
        ({"merchant_code": "XM 50!"}, "merchant_code"),
    ],
)
async def test_bad_product_input_is_400_naming_the_field(client, world: World, auth, changes, field) -> None:
    response = await client.post("/api/v1/products", json={**MILLET, **changes}, headers=auth["secretary_a"])
    assert response.status_code == 400, response.text
    assert field in str(response.json())


async def test_other_villages_products_and_lots_are_404(client, world: World, auth) -> None:
    product = await _product(client, auth)
    for path in (f"/api/v1/products/{product['id']}", f"/api/v1/products/{product['id']}/lots"):
        assert (await client.get(path, headers=auth["secretary_b"])).status_code == 404
    patch = await client.patch(f"/api/v1/products/{product['id']}", json={"price_fen": 1}, headers=auth["secretary_b"])
    assert patch.status_code == 404
    lot = await client.post(
        f"/api/v1/products/{product['id']}/lots",
        json={"quantity": 1, "contributions": [{"household_id": world.households["b1"], "quantity": 1}]},
        headers=auth["secretary_b"],
    )
    assert lot.status_code == 404
    listing = await client.get("/api/v1/products", headers=auth["secretary_b"])
    assert listing.json()["total"] == 0


async def test_household_cannot_change_products(client, world: World, auth) -> None:
    product = await _product(client, auth)
    response = await client.patch(
        f"/api/v1/products/{product['id']}", json={"price_fen": 1}, headers=auth["household_a1"]
    )
    assert response.status_code == 403


async def test_patch_changes_only_what_is_sent_and_archives(client, world: World, auth) -> None:
    product = await _product(client, auth, description="旧的描述")
    changed = await client.patch(
        f"/api/v1/products/{product['id']}", json={"price_fen": 6900, "active": False}, headers=auth["secretary_a"]
    )
    assert changed.status_code == 200
    body = changed.json()
    assert body["price_fen"] == 6900
    assert body["description"] == "旧的描述"
    assert body["active"] is False
    cleared = await client.patch(
        f"/api/v1/products/{product['id']}", json={"merchant_code": None}, headers=auth["secretary_a"]
    )
    assert cleared.json()["merchant_code"] is None


async def test_list_filters_category_text_active_and_low_stock(client, world: World, auth) -> None:
    millet = await _product(client, auth, low_stock_threshold=10)
    await _product(client, auth, name="黑木耳", category="菌菇", merchant_code="MEB-250", low_stock_threshold=5)
    await client.post(
        f"/api/v1/products/{millet['id']}/lots",
        json={"quantity": 8, "contributions": [{"household_id": world.households["a1"], "quantity": 8}]},
        headers=auth["secretary_a"],
    )
    h = auth["secretary_a"]
    assert [p["name"] for p in (await client.get("/api/v1/products?category=mushroom", headers=h)).json()["items"]] == [
        "黑木耳"
    ]
    assert (await client.get("/api/v1/products?q=XM", headers=h)).json()["total"] == 1
    low = (await client.get("/api/v1/products?low_stock=true", headers=h)).json()["items"]
    assert {p["name"] for p in low} == {"朝阳小米 5kg装", "黑木耳"}
    assert all(p["low_stock"] for p in low)
    await client.patch(f"/api/v1/products/{millet['id']}", json={"active": False}, headers=h)
    assert (await client.get("/api/v1/products?active=true", headers=h)).json()["total"] == 1
