"""The order write path over the API: oldest lots first, all or nothing, never oversold, idempotent."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from shop.catalogue.models import Lot
from shop.orders.models import Allocation, Order, OrderLine
from tests.conftest import World

pytestmark = pytest.mark.anyio


async def _stocked_product(client, auth, world: World, lots=(30, 20), price: int = 3990, name: str = "朝阳小米") -> int:
    product = (
        await client.post(
            "/api/v1/products",
            json={"name": name, "category": "grain", "unit": "袋", "price_fen": price},
            headers=auth["secretary_a"],
        )
    ).json()
    for days_ago, quantity in zip((9, 3, 1), lots, strict=False):
        from datetime import timedelta

        from shop.timeutil import local_today

        await client.post(
            f"/api/v1/products/{product['id']}/lots",
            json={
                "quantity": quantity,
                "received_on": (local_today() - timedelta(days=days_ago)).isoformat(),
                "contributions": [{"household_id": world.households["a1"], "quantity": quantity}],
            },
            headers=auth["secretary_a"],
        )
    return product["id"]


def _order(product_id: int, quantity: int = 1, **extra) -> dict:
    return {
        "items": [{"product_id": product_id, "quantity": quantity}],
        "buyer_name": "张三",
        "buyer_phone": "13812345678",
        "address": "辽宁省朝阳市双塔区某某街1号",
        **extra,
    }


async def test_order_takes_units_from_the_oldest_lot_first(client, world: World, auth, db) -> None:
    product_id = await _stocked_product(client, auth, world)
    response = await client.post("/api/v1/orders", json=_order(product_id, 35), headers=auth["secretary_a"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "placed"
    assert body["total_fen"] == 35 * 3990
    assert body["buyer_phone"] == "138****5678"
    remaining = [
        r for (r,) in await db.rows(select(Lot.remaining).where(Lot.product_id == product_id).order_by(Lot.received_on))
    ]
    assert remaining == [0, 15]
    takes = await db.rows(select(Allocation.lot_id, Allocation.quantity).order_by(Allocation.id))
    assert [q for _, q in takes] == [30, 5]


async def test_short_order_is_409_naming_the_item_and_takes_nothing(client, world: World, auth, db) -> None:
    millet = await _stocked_product(client, auth, world, lots=(5,))
    fungus = await _stocked_product(client, auth, world, lots=(50,), name="黑木耳")
    response = await client.post(
        "/api/v1/orders",
        json={"items": [{"product_id": fungus, "quantity": 3}, {"product_id": millet, "quantity": 6}]},
        headers=auth["secretary_a"],
    )
    assert response.status_code == 409
    assert "朝阳小米" in response.json()["detail"]
    assert await db.scalar(select(func.sum(Lot.remaining))) == 55
    assert await db.scalar(select(func.count()).select_from(Order)) == 0


async def test_two_hundred_concurrent_orders_for_fifty_units_sell_exactly_fifty(client, world: World, auth, db) -> None:
    product_id = await _stocked_product(client, auth, world, lots=(30, 20))
    responses = await asyncio.gather(
        *(client.post("/api/v1/orders", json=_order(product_id), headers=auth["secretary_a"]) for _ in range(200))
    )
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 50
    assert statuses.count(409) == 150
    assert await db.scalar(select(func.sum(Lot.remaining)).where(Lot.product_id == product_id)) == 0
    assert await db.scalar(select(func.sum(OrderLine.quantity))) == 50
    assert await db.scalar(select(func.sum(Allocation.quantity))) == 50
    per_lot = dict(await db.rows(select(Allocation.lot_id, func.sum(Allocation.quantity)).group_by(Allocation.lot_id)))
    quantities = dict(await db.rows(select(Lot.id, Lot.quantity).where(Lot.product_id == product_id)))
    assert per_lot == quantities  # every lot gave exactly what it had, no more


async def test_two_web_workers_sell_the_same_stock_exactly(client, app, settings, world: World, auth, db) -> None:
    """Two workers on one database, as ``SHOP_WORKERS=2`` runs them: each has its own order writer (on
    SQLite they take turns by a lock file beside the database); together they sell exactly the stock."""
    from litestar.testing import AsyncTestClient

    from shop.app import create_app

    product_id = await _stocked_product(client, auth, world, lots=(30, 20))
    async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as other:
        responses = await asyncio.gather(
            *(
                worker.post("/api/v1/orders", json=_order(product_id), headers=auth["secretary_a"])
                for _ in range(80)
                for worker in (client, other)
            )
        )
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 50, sorted(set(statuses))
    assert statuses.count(409) == 110
    assert await db.scalar(select(func.sum(Lot.remaining)).where(Lot.product_id == product_id)) == 0
    assert await db.scalar(select(func.sum(Allocation.quantity))) == 50
    assert await db.scalar(select(func.count()).select_from(Order)) == 50


async def test_on_sqlite_an_order_waits_for_the_writers_turn(client, app, settings, world: World, auth) -> None:
    """Another worker's writer holding the turn (the lock file) keeps ours from writing until it lets go."""
    import fcntl
    import os
    import threading
    import time

    writer = app.state.order_writer
    if not settings.is_sqlite:
        assert writer.turn_path is None  # PostgreSQL's row locks order the workers' writers
        return
    product_id = await _stocked_product(client, auth, world, lots=(5,))
    other_worker = os.open(writer.turn_path, os.O_RDWR | os.O_CREAT)
    released: list[float] = []

    def let_go() -> None:
        released.append(time.monotonic())
        fcntl.flock(other_worker, fcntl.LOCK_UN)

    fcntl.flock(other_worker, fcntl.LOCK_EX)
    timer = threading.Timer(0.5, let_go)
    timer.start()
    try:
        response = await client.post("/api/v1/orders", json=_order(product_id), headers=auth["secretary_a"])
        answered = time.monotonic()
    finally:
        timer.join()
        os.close(other_worker)
    assert response.status_code == 201, response.text
    assert released
    assert answered >= released[0]  # answered only after the other writer let go


async def test_idempotency_key_replays_and_refuses_another_body(client, world: World, auth, db) -> None:
    product_id = await _stocked_product(client, auth, world)
    headers = {**auth["secretary_a"], "Idempotency-Key": "order-abc-1"}
    first = await client.post("/api/v1/orders", json=_order(product_id, 2), headers=headers)
    again = await client.post("/api/v1/orders", json=_order(product_id, 2), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    other = await client.post("/api/v1/orders", json=_order(product_id, 3), headers=headers)
    assert other.status_code == 422
    assert await db.scalar(select(func.count()).select_from(Order)) == 1
    other_user = await client.post(
        "/api/v1/orders", json=_order(product_id, 2), headers={**auth["admin"], "Idempotency-Key": "order-abc-1"}
    )
    assert other_user.status_code == 201  # keys belong to their caller


async def test_concurrent_replays_of_one_key_create_one_order(client, world: World, auth, db) -> None:
    product_id = await _stocked_product(client, auth, world)
    headers = {**auth["secretary_a"], "Idempotency-Key": "burst-1"}
    responses = await asyncio.gather(
        *(client.post("/api/v1/orders", json=_order(product_id), headers=headers) for _ in range(10))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert await db.scalar(select(func.count()).select_from(Order)) == 1


async def test_external_id_seen_before_answers_with_the_existing_order(client, world: World, auth, db) -> None:
    product_id = await _stocked_product(client, auth, world)
    body = _order(product_id, 1, source="douyin", external_id="6930000000000000101")
    first = await client.post("/api/v1/orders", json=body, headers=auth["secretary_a"])
    second = await client.post("/api/v1/orders", json=body, headers=auth["secretary_a"])
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert await db.scalar(select(func.sum(OrderLine.quantity))) == 1


async def test_lifecycle_and_cancel_returns_units_to_the_exact_lots(client, world: World, auth, db) -> None:
    product_id = await _stocked_product(client, auth, world, lots=(3, 10))
    order = (await client.post("/api/v1/orders", json=_order(product_id, 5), headers=auth["secretary_a"])).json()
    path = f"/api/v1/orders/{order['id']}/status"
    assert (await client.post(path, json={"status": "completed"}, headers=auth["secretary_a"])).status_code == 409
    assert (await client.post(path, json={"status": "refunded"}, headers=auth["secretary_a"])).status_code == 409
    assert (await client.post(path, json={"status": "paid"}, headers=auth["secretary_a"])).json()["status"] == "paid"
    cancelled = await client.post(path, json={"status": "cancelled"}, headers=auth["secretary_a"])
    assert cancelled.json()["status"] == "cancelled"
    remaining = [
        r for (r,) in await db.rows(select(Lot.remaining).where(Lot.product_id == product_id).order_by(Lot.received_on))
    ]
    assert remaining == [3, 10]
    again = await client.post(path, json={"status": "paid"}, headers=auth["secretary_a"])
    assert again.status_code == 409
    assert "cancelled" in again.json()["detail"]


async def test_shipped_then_completed_then_refunded(client, world: World, auth) -> None:
    product_id = await _stocked_product(client, auth, world)
    order = (await client.post("/api/v1/orders", json=_order(product_id), headers=auth["secretary_a"])).json()
    path = f"/api/v1/orders/{order['id']}/status"
    shipped = await client.post(
        path, json={"status": "shipped", "tracking_no": "SF1234567890"}, headers=auth["secretary_a"]
    )
    assert shipped.json()["tracking_no"] == "SF1234567890"
    assert (await client.post(path, json={"status": "cancelled"}, headers=auth["secretary_a"])).status_code == 409
    assert (await client.post(path, json={"status": "completed"}, headers=auth["secretary_a"])).status_code == 200
    assert (await client.post(path, json={"status": "refunded"}, headers=auth["secretary_a"])).json()[
        "status"
    ] == "refunded"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"items": []}, 400),
        ({"items": [{"product_id": 1, "quantity": 0}]}, 400),
        ({"items": [{"product_id": 1, "quantity": "两"}]}, 400),
        ({"items": [{"product_id": 999999, "quantity": 1}]}, 404),
        ({"items": [{"product_id": 1, "quantity": 1}], "source": "taobao"}, 400),
    ],
)
async def test_bad_orders_are_4xx(client, world: World, auth, body, status) -> None:
    await _stocked_product(client, auth, world)
    response = await client.post("/api/v1/orders", json=body, headers=auth["secretary_a"])
    assert response.status_code == status, response.text


async def test_other_villages_products_and_orders_are_404(client, world: World, auth) -> None:
    product_id = await _stocked_product(client, auth, world)
    assert (
        await client.post("/api/v1/orders", json=_order(product_id), headers=auth["secretary_b"])
    ).status_code == 404
    order = (await client.post("/api/v1/orders", json=_order(product_id), headers=auth["secretary_a"])).json()
    assert (await client.get(f"/api/v1/orders/{order['id']}", headers=auth["secretary_b"])).status_code == 404
    assert (await client.get("/api/v1/orders", headers=auth["secretary_b"])).json()["total"] == 0
    assert (await client.get("/api/v1/orders", headers=auth["household_a1"])).status_code == 403
    assert (await client.post("/api/v1/orders", json=_order(product_id), headers=auth["trainee_a"])).status_code == 403


async def test_orders_during_a_live_stream_are_attributed_and_capped(client, world: World, auth) -> None:
    product_id = await _stocked_product(client, auth, world)
    stream = (
        await client.post(
            "/api/v1/streams",
            json={
                "title": "直播",
                "platform": "douyin",
                "starts_at": "2031-12-01T19:30:00+08:00",
                "ends_at": "2031-12-01T21:00:00+08:00",
                "lineup": [{"product_id": product_id, "live_price_fen": 2990, "quantity_cap": 3}],
            },
            headers=auth["secretary_a"],
        )
    ).json()
    await client.post(f"/api/v1/streams/{stream['id']}/status", json={"status": "live"}, headers=auth["secretary_a"])
    first = (await client.post("/api/v1/orders", json=_order(product_id, 2), headers=auth["secretary_a"])).json()
    assert first["stream_id"] == stream["id"]
    assert first["items"][0]["unit_price_fen"] == 2990
    over = await client.post("/api/v1/orders", json=_order(product_id, 2), headers=auth["secretary_a"])
    assert over.status_code == 409
    assert "cap" in over.json()["detail"]
    listed = (await client.get(f"/api/v1/orders?stream_id={stream['id']}", headers=auth["secretary_a"])).json()
    assert listed["total"] == 1
