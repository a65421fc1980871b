"""A village's first fee policy covers the past: nothing is credited before a village has one (the villager
sees the sale pending, the secretary's desk says the policy is missing), then its first policy credits every
sale completed before it; later versions apply from their moment on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from shop.accounts.principal import Principal
from shop.ledger.checks import credit_missed
from shop.ledger.models import FeePolicy, HouseholdBalance, LedgerEntry, LedgerTransaction
from shop.ledger.policy import set_policy
from shop.orders.models import Order
from shop.orders.services import change_status
from shop.timeutil import to_local, utcnow
from tests.conftest import World
from tests.forms import csrf_token
from tests.ledger.test_pages import _household_login
from tests.orders.import_files import Row, export_csv, upload
from tests.web.test_pages import login_page_client

pytestmark = pytest.mark.anyio

POLICY = {"platform_bp": {"douyin": 500, "direct": 0}, "operator_bp": 300, "collective_bp": 1000}


async def _millet(client, auth, world: World) -> int:
    """朝阳小米 at ¥39.90 (商家编码 XM-50), one lot of 3 bags that households a1 (2) and a2 (1) brought in."""
    product = (
        await client.post(
            "/api/v1/products",
            json={"name": "朝阳小米", "category": "grain", "unit": "袋", "price_fen": 3990, "merchant_code": "XM-50"},
            headers=auth["secretary_a"],
        )
    ).json()
    lot = await client.post(
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
    assert lot.status_code == 201, lot.text
    return int(product["id"])


def _last_week(days: int) -> str:
    return to_local(utcnow() - timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")


async def _balances(db, world: World) -> tuple[int, int]:
    rows = dict(await db.rows(select(HouseholdBalance.household_id, HouseholdBalance.credited_fen)))
    return rows.get(world.households["a1"], 0), rows.get(world.households["a2"], 0)


async def _earnings(client, auth, world: World, who: str) -> dict:
    response = await client.get(
        f"/api/v1/households/{world.households[who]}/earnings", headers=auth[f"household_{who}"]
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_last_weeks_export_waits_for_the_first_policy_which_credits_it_with_its_fees(
    app, client, world: World, auth, db
) -> None:
    """The worked example: 3 bags of millet at ¥39.90 sold on 抖店 last week and imported into a village that
    has no policy yet. It used to be credited whole (¥119.70 to the households, the platform's money
    included); now it waits, and the first policy (500 / 300 / 1000 bp) credits 6543 + 3272 = ¥98.15."""
    await _millet(client, auth, world)
    export = export_csv(
        [
            Row(
                "6930000000000000101",
                "6930000000000001011",
                quantity=3,
                price="39.90",
                created=_last_week(9),
                paid=_last_week(9),
                completed=_last_week(7),
            )
        ]
    )
    assert (await upload(client, auth["secretary_a"], export)).json()["created"] == 1
    async with db.write() as session:
        assert await credit_missed(session, utcnow()) == 0  # the crediting job leaves it waiting
    assert await db.scalar(select(func.count()).select_from(LedgerTransaction)) == 0
    a1 = await _earnings(client, auth, world, "a1")
    assert (a1["pending_fen"], a1["credited_fen"]) == (7980, 0)  # before fees: none are known yet

    await login_page_client(client, "secretary_a")
    desk = (await client.get("/village")).text
    assert "还没有设置扣费标准" in desk
    assert "有 1 笔已完成的订单在等它" in desk
    fees = await client.get("/village/fees")
    token = csrf_token(fees.text)
    saved = await client.post(
        "/village/fees",
        data={"platform_douyin": "500", "operator_bp": "300", "collective_bp": "1000", "auto_complete_days": "10"}
        | {"_csrf_token": token},
    )
    assert "它也适用于之前已完成的 1 笔订单" in saved.text
    assert "还没有设置扣费标准" not in (await client.get("/village")).text

    async with db.write() as session:
        assert await credit_missed(session, utcnow()) == 1
    assert await _balances(db, world) == (6543, 3272)
    amounts = sorted(a for (a,) in await db.rows(select(LedgerEntry.amount_fen)))
    assert amounts == sorted([-11970, 599, 359, 1197, 6543, 3272])
    policy_id = await db.scalar(select(FeePolicy.id))
    assert await db.scalar(select(LedgerTransaction.policy_id)) == policy_id
    a1 = await _earnings(client, auth, world, "a1")
    assert (a1["pending_fen"], a1["credited_fen"]) == (0, 6543)


async def test_the_villager_sees_a_sale_waiting_for_the_policy_as_pending(client, world: World, auth) -> None:
    product = await _millet(client, auth, world)
    order = (
        await client.post(
            "/api/v1/orders",
            json={"items": [{"product_id": product, "quantity": 3}], "source": "douyin"},
            headers=auth["secretary_a"],
        )
    ).json()
    for status in ("shipped", "completed"):
        moved = await client.post(
            f"/api/v1/orders/{order['id']}/status", json={"status": status}, headers=auth["secretary_a"]
        )
        assert moved.status_code == 200, moved.text
    a2 = await _earnings(client, auth, world, "a2")
    assert (a2["pending_fen"], a2["credited_fen"]) == (3990, 0)
    await _household_login(client, world, "a2")
    home = (await client.get("/household")).text
    assert "村里还没有定扣费标准" in home
    assert "¥39.90" in home


async def test_the_first_policy_covers_the_past_and_later_versions_apply_from_their_moment(
    app, client, world: World, auth, db
) -> None:
    product = await _millet(client, auth, world)
    lot = await client.post(
        f"/api/v1/products/{product}/lots",
        json={"quantity": 6, "contributions": [{"household_id": world.households["a1"], "quantity": 6}]},
        headers=auth["secretary_a"],
    )
    assert lot.status_code == 201
    orders = []
    for _ in range(3):
        placed = await client.post(
            "/api/v1/orders",
            json={"items": [{"product_id": product, "quantity": 3}], "source": "douyin"},
            headers=auth["secretary_a"],
        )
        orders.append(placed.json()["id"])
        await client.post(
            f"/api/v1/orders/{orders[-1]}/status", json={"status": "shipped"}, headers=auth["secretary_a"]
        )
    secretary = Principal(
        kind="user", id=world.users["secretary_a"], role="secretary", village_id=world.villages["a"], name="s"
    )
    now = utcnow()
    events = app.state.domains.events
    async with db.write() as session:
        # Completed ten days ago, before the village had any policy: it waits.
        await change_status(session, secretary, orders[0], "completed", now=now - timedelta(days=10), events=events)
        first = await set_policy(
            session, secretary, world.villages["a"], **POLICY, now=now - timedelta(days=5)
        )  # collective 10 %
        # Completed under the first version.
        await change_status(session, secretary, orders[1], "completed", now=now - timedelta(days=3), events=events)
        second = await set_policy(
            session, secretary, world.villages["a"], **{**POLICY, "collective_bp": 2000}, now=now - timedelta(days=2)
        )
        # Completed under the second.
        await change_status(session, secretary, orders[2], "completed", now=now - timedelta(days=1), events=events)
        # The first order is credited only now, after both versions: the first one covers it.
        assert await credit_missed(session, now) == 1
    policies = dict(await db.rows(select(LedgerTransaction.order_id, LedgerTransaction.policy_id)))
    assert policies == {orders[0]: first.id, orders[1]: first.id, orders[2]: second.id}
    collective = dict(
        await db.rows(
            select(LedgerTransaction.order_id, LedgerEntry.amount_fen)
            .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
            .where(LedgerEntry.account_kind == "collective")
        )
    )
    assert collective == {orders[0]: 1197, orders[1]: 1197, orders[2]: 2394}


async def test_a_village_without_a_policy_does_not_hold_up_the_others(
    client, world: World, auth, db, monkeypatch
) -> None:
    """The crediting job takes the oldest waiting orders first, a batch at a time: a village waiting for its
    policy must not fill every batch while another village's sales wait behind it."""
    import shop.ledger.checks

    monkeypatch.setattr(shop.ledger.checks, "CREDIT_BATCH", 1)
    waiting = await _completed_order(client, auth, db, world, "a")
    response = await client.put(
        f"/api/v1/villages/{world.villages['b']}/fee-policy", json=POLICY, headers=auth["secretary_b"]
    )
    assert response.status_code == 200, response.text
    other = await _completed_order(client, auth, db, world, "b")
    assert waiting < other
    async with db.write() as session:
        assert await credit_missed(session, utcnow()) == 1
    credited = await db.scalars(select(LedgerTransaction.order_id))
    assert credited == [other]


async def _completed_order(client, auth, db, world: World, village: str) -> int:
    """A sale of the village's own product, completed yesterday and not credited (as an import leaves it)."""
    who = f"secretary_{village}"
    product = (
        await client.post(
            "/api/v1/products",
            json={"name": "榛蘑", "category": "mushroom", "unit": "袋", "price_fen": 4500},
            headers=auth[who],
        )
    ).json()
    await client.post(
        f"/api/v1/products/{product['id']}/lots",
        json={"quantity": 1, "contributions": [{"household_id": world.households[f"{village}1"], "quantity": 1}]},
        headers=auth[who],
    )
    placed = await client.post(
        "/api/v1/orders", json={"items": [{"product_id": product["id"], "quantity": 1}]}, headers=auth[who]
    )
    order_id = int(placed.json()["id"])
    async with db.write() as session:
        await session.execute(
            update(Order)
            .where(Order.id == order_id)
            .values(status="completed", completed_at=utcnow() - timedelta(days=1))
        )
    return order_id
