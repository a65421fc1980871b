"""Low-stock alerts: the secretaries hear once when a product runs down to its threshold, not again on
every run, and again after new stock came in and ran down once more."""

from __future__ import annotations

import pytest

from shop.catalogue.low_stock import low_stock_alerts
from tests.conftest import World

pytestmark = pytest.mark.anyio


async def _inbox(client, auth) -> list[dict]:
    items = (await client.get("/api/v1/notifications", headers=auth["secretary_a"])).json()
    items = items["items"] if isinstance(items, dict) else items
    return [n for n in items if n["kind"] == "catalogue.low_stock"]


async def _run(db) -> int:
    async with db.write() as session:
        return await low_stock_alerts(session)


async def test_a_product_running_low_is_announced_once_per_restock(client, world: World, auth, db) -> None:
    headers = auth["secretary_a"]
    fields = {"name": "野生榛蘑", "category": "mushroom", "unit": "袋", "price_fen": 6800, "low_stock_threshold": 3}
    product = (await client.post("/api/v1/products", json=fields, headers=headers)).json()
    lot = {"quantity": 5, "contributions": [{"household_id": world.households["a1"], "quantity": 5}]}
    await client.post(f"/api/v1/products/{product['id']}/lots", json=lot, headers=headers)
    await _run(db)
    assert await _inbox(client, auth) == []  # 5 left, above the threshold of 3

    order = {"items": [{"product_id": product["id"], "quantity": 2}]}
    assert (await client.post("/api/v1/orders", json=order, headers=headers)).status_code == 201
    assert await _run(db) == 1
    alerts = await _inbox(client, auth)
    assert len(alerts) == 1
    assert "野生榛蘑" in alerts[0]["title"]
    assert "3" in alerts[0]["title"]
    assert await _run(db) == 0  # said once

    await client.post(f"/api/v1/products/{product['id']}/lots", json=lot, headers=headers)
    assert await _run(db) == 0  # 8 left: fine again
    order["items"][0]["quantity"] = 6
    assert (await client.post("/api/v1/orders", json=order, headers=headers)).status_code == 201
    assert await _run(db) == 1
    assert len(await _inbox(client, auth)) == 2
    other_village = (await client.get("/api/v1/notifications", headers=auth["secretary_b"])).json()
    other_village = other_village["items"] if isinstance(other_village, dict) else other_village
    assert [n for n in other_village if n["kind"] == "catalogue.low_stock"] == []
