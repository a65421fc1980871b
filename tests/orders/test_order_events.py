"""What an order change sets off is the same whichever door it came through: a page, the API, an import,
the command line or a scheduled job. Each process builds its own links between the domains when it starts;
the ledger credits a completed order and reverses a refunded one in the same unit of work, and the live
board's watchers wake once the change is committed."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from shop.events import DomainEvents
from shop.ledger.models import HouseholdBalance, LedgerTransaction
from shop.orders.events import OrderCompleted, OrderRefunded, UnitsRefunded
from shop.orders.models import Order
from shop.timeutil import utcnow
from shop.wiring import link_domains
from tests.conftest import World
from tests.forms import csrf_token
from tests.orders.import_files import Row, export_csv, upload
from tests.web.test_pages import login_page_client

pytestmark = pytest.mark.anyio

POLICY = {"platform_bp": {"douyin": 500, "direct": 0}, "operator_bp": 300, "collective_bp": 1000}
ORDER_NO = "6930000000000009001"


async def _sold_on_douyin(client, auth, world: World) -> dict:
    """DESIGN.md's worked example as a placed 抖店 order: 3 bags at ¥39.90 from a lot that households a1 (2)
    and a2 (1) brought in, under a policy of 500 / 300 / 1000 bp."""
    response = await client.put(
        f"/api/v1/villages/{world.villages['a']}/fee-policy", json=POLICY, headers=auth["secretary_a"]
    )
    assert response.status_code == 200, response.text
    product = (
        await client.post(
            "/api/v1/products",
            json={"name": "朝阳小米", "category": "grain", "unit": "袋", "price_fen": 3990, "merchant_code": "XM-50"},
            headers=auth["secretary_a"],
        )
    ).json()
    await client.post(
        f"/api/v1/products/{product['id']}/lots",
        json={
            "quantity": 3,
            "contributions": [
                {"household_id": world.households["a1"], "quantity": 2},
                {"household_id": world.households["a2"], "quantity": 1},
            ],
        },
        headers=auth["secretary_a"],
    )
    order = await client.post(
        "/api/v1/orders",
        json={"items": [{"product_id": product["id"], "quantity": 3}], "source": "douyin", "external_id": ORDER_NO},
        headers=auth["secretary_a"],
    )
    assert order.status_code == 201, order.text
    return order.json()


async def _credited(db, world: World) -> tuple[int, int]:
    rows = dict(await db.rows(select(HouseholdBalance.household_id, HouseholdBalance.credited_fen)))
    return rows.get(world.households["a1"], 0), rows.get(world.households["a2"], 0)


async def _move(client, auth, order_id: int, *statuses: str) -> None:
    for status in statuses:
        response = await client.post(
            f"/api/v1/orders/{order_id}/status", json={"status": status}, headers=auth["secretary_a"]
        )
        assert response.status_code == 200, response.text


def _export(status: str = "已完成", after_sale: str = "-") -> bytes:
    return export_csv([Row(ORDER_NO, ORDER_NO + "1", quantity=3, price="39.90", status=status, after_sale=after_sale)])


async def test_completing_an_order_on_its_page_credits_the_households(client, world: World, auth, db) -> None:
    order = await _sold_on_douyin(client, auth, world)
    await _move(client, auth, order["id"], "shipped")
    await login_page_client(client, "secretary_a")
    page = await client.get(f"/orders/{order['id']}")
    token = csrf_token(page.text)
    response = await client.post(
        f"/orders/{order['id']}/status", data={"status": "completed", "_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    assert await _credited(db, world) == (6543, 3272)


async def test_completing_and_refunding_through_the_api_credit_then_reverse(client, world: World, auth, db) -> None:
    order = await _sold_on_douyin(client, auth, world)
    await _move(client, auth, order["id"], "shipped", "completed")
    assert await _credited(db, world) == (6543, 3272)
    await _move(client, auth, order["id"], "refunded")
    assert await _credited(db, world) == (0, 0)


async def test_an_import_that_completes_a_known_order_credits_it_in_the_same_request(
    client, world: World, auth, db
) -> None:
    order = await _sold_on_douyin(client, auth, world)
    body = (await upload(client, auth["secretary_a"], _export())).json()
    assert body["updated"] == 1
    assert await db.scalar(select(Order.status).where(Order.id == order["id"])) == "completed"
    assert await _credited(db, world) == (6543, 3272)
    # The platform refunded it later: the next export takes the households' share back.
    body = (await upload(client, auth["secretary_a"], _export(after_sale="退款成功"))).json()
    assert body["updated"] == 1
    assert await _credited(db, world) == (0, 0)


async def test_the_command_line_import_credits_and_reverses_as_the_upload_page_does(
    client, world: World, auth, db, settings, tmp_path
) -> None:
    """``shop import-orders`` builds its own links: before, it had none, so an export that refunded a credited
    order left the households' money where it was (the crediting job only credits, it never reverses)."""
    order = await _sold_on_douyin(client, auth, world)
    env = {
        "SHOP_DATABASE_URL": settings.database_url,
        "SHOP_VAR_DIR": str(settings.var_dir),
        "SHOP_SECRET_KEY": settings.secret_key,
        "PATH": "/usr/bin:/bin",
    }

    def import_file(data: bytes, name: str) -> None:
        path = tmp_path / name
        path.write_bytes(data)
        command = [sys.executable, "-m", "shop", "import-orders", str(path), "--platform", "douyin", "--village"]
        result = subprocess.run(
            [*command, str(world.villages["a"])], env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert result.returncode == 0, result.stderr
        assert "1 updated" in result.stdout

    await asyncio.to_thread(import_file, _export(), "completed.csv")
    assert await db.scalar(select(Order.status).where(Order.id == order["id"])) == "completed"
    assert await _credited(db, world) == (6543, 3272)
    await asyncio.to_thread(import_file, _export(after_sale="退款成功"), "refunded.csv")
    assert await _credited(db, world) == (0, 0)


async def test_the_auto_confirm_job_credits_through_the_schedulers_own_links(
    client, world: World, auth, db, settings
) -> None:
    from scheduler.runner import make_runner
    from shop.orders.scheduled import JOBS

    order = await _sold_on_douyin(client, auth, world)
    await _move(client, auth, order["id"], "shipped")
    async with db.write() as session:
        await session.execute(
            update(Order).where(Order.id == order["id"]).values(shipped_at=utcnow() - timedelta(days=11))
        )
    runner = make_runner(settings)
    runner.is_leader = True  # as if it held the lease
    try:
        (complete,) = [job for job in JOBS if job.id == "orders.complete_unconfirmed"]
        assert await runner.run_job(complete) == 1
    finally:
        await runner.alchemy.get_engine().dispose()
    assert await _credited(db, world) == (6543, 3272)
    credits = select(func.count()).select_from(LedgerTransaction).where(LedgerTransaction.kind == "sale_credit")
    assert await db.scalar(credits) == 1


async def test_the_live_board_wakes_only_once_an_order_change_is_committed(client, app, world: World, auth) -> None:
    product = (
        await client.post(
            "/api/v1/products",
            json={"name": "榛蘑", "category": "mushroom", "unit": "袋", "price_fen": 4500},
            headers=auth["secretary_a"],
        )
    ).json()
    await client.post(
        f"/api/v1/products/{product['id']}/lots",
        json={"quantity": 5, "contributions": [{"household_id": world.households["a1"], "quantity": 5}]},
        headers=auth["secretary_a"],
    )
    stream = (
        await client.post(
            "/api/v1/streams",
            json={
                "title": "榛蘑专场",
                "platform": "douyin",
                "starts_at": "2031-12-01T19:30:00+08:00",
                "ends_at": "2031-12-01T21:00:00+08:00",
                "lineup": [{"product_id": product["id"]}],
            },
            headers=auth["secretary_a"],
        )
    ).json()
    order = (
        await client.post(
            "/api/v1/orders",
            json={"items": [{"product_id": product["id"], "quantity": 1}], "stream_id": stream["id"]},
            headers=auth["secretary_a"],
        )
    ).json()
    woken: list[int] = []
    app.state.live_hub.notify = woken.append
    refused = await client.post(
        f"/api/v1/orders/{order['id']}/status", json={"status": "completed"}, headers=auth["secretary_a"]
    )
    assert refused.status_code == 409
    assert woken == []
    await _move(client, auth, order["id"], "cancelled")
    assert woken == [stream["id"]]


def test_each_process_builds_its_own_links_and_importing_registers_nothing() -> None:
    import shop.app
    import shop.orders.services

    assert not hasattr(shop.orders.services, "STATUS_HOOKS")
    assert not hasattr(shop.app, "connect_domains")
    one, two = link_domains(), link_domains()
    assert one.events is not two.events
    for event_type in (OrderCompleted, OrderRefunded, UnitsRefunded):
        assert len(one.events.listeners(event_type)) == 1
    assert DomainEvents().listeners(OrderCompleted) == ()
