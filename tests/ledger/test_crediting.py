"""Crediting through the whole service: completion credits once, refunds reverse exactly, payouts never
exceed the balance, policies apply from when they were set, and the ledger cannot be edited."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from shop.ledger.checks import check_balances
from shop.ledger.models import HouseholdBalance, LedgerEntry, LedgerTransaction
from shop.ledger.posting import credit_order
from shop.orders.models import Order
from shop.timeutil import utcnow
from tests.conftest import World

pytestmark = pytest.mark.anyio

POLICY = {"platform_bp": {"douyin": 500, "direct": 0}, "operator_bp": 300, "collective_bp": 1000}
# A policy that keeps nothing back: the households get the whole sale (a village without a policy credits nothing).
NO_FEES = {"platform_bp": {}, "operator_bp": 0, "collective_bp": 0}


async def _sale(
    client, auth, world: World, *, quantity=3, price=3990, source="douyin", split=(("a1", 2), ("a2", 1)), external=None
):
    product = (
        await client.post(
            "/api/v1/products",
            json={"name": "朝阳小米", "category": "grain", "unit": "袋", "price_fen": price},
            headers=auth["secretary_a"],
        )
    ).json()
    await client.post(
        f"/api/v1/products/{product['id']}/lots",
        json={
            "quantity": sum(n for _, n in split),
            "contributions": [{"household_id": world.households[h], "quantity": n} for h, n in split],
        },
        headers=auth["secretary_a"],
    )
    body = {"items": [{"product_id": product["id"], "quantity": quantity}], "source": source}
    if external:
        body["external_id"] = external
    return (await client.post("/api/v1/orders", json=body, headers=auth["secretary_a"])).json()


async def _move(client, auth, order_id: int, *statuses: str) -> dict:
    response = None
    for status in statuses:
        response = await client.post(
            f"/api/v1/orders/{order_id}/status", json={"status": status}, headers=auth["secretary_a"]
        )
        assert response.status_code == 200, response.text
    return response.json()


async def _policy(client, auth, world: World, **changes) -> None:
    response = await client.put(
        f"/api/v1/villages/{world.villages['a']}/fee-policy", json={**POLICY, **changes}, headers=auth["secretary_a"]
    )
    assert response.status_code == 200, response.text


async def test_the_worked_example_through_the_service(client, world: World, auth, db) -> None:
    await _policy(client, auth, world)
    order = await _sale(client, auth, world, external="6930000000000000101")
    pending = (
        await client.get(f"/api/v1/households/{world.households['a1']}/earnings", headers=auth["household_a1"])
    ).json()
    assert pending["pending_fen"] == 6543
    assert pending["credited_fen"] == 0
    await _move(client, auth, order["id"], "shipped", "completed")
    a1 = (
        await client.get(f"/api/v1/households/{world.households['a1']}/earnings", headers=auth["household_a1"])
    ).json()
    a2 = (
        await client.get(f"/api/v1/households/{world.households['a2']}/earnings", headers=auth["household_a2"])
    ).json()
    assert (a1["credited_fen"], a1["pending_fen"], a1["balance_fen"]) == (6543, 0, 6543)
    assert a2["credited_fen"] == 3272
    assert a1["entries"][0]["units"] == 2
    amounts = sorted(a for (a,) in await db.rows(select(LedgerEntry.amount_fen)))
    assert amounts == sorted([-11970, 599, 359, 1197, 6543, 3272])
    assert await db.scalar(select(func.sum(LedgerEntry.amount_fen))) == 0


async def test_refund_after_credit_posts_exact_reverse(client, world: World, auth, db) -> None:
    await _policy(client, auth, world)
    order = await _sale(client, auth, world)
    await _move(client, auth, order["id"], "shipped", "completed", "refunded")
    per_account = await db.rows(
        select(LedgerEntry.account_kind, LedgerEntry.household_id, func.sum(LedgerEntry.amount_fen)).group_by(
            LedgerEntry.account_kind, LedgerEntry.household_id
        )
    )
    assert all(total == 0 for _, _, total in per_account)
    assert await db.scalar(select(func.count()).select_from(LedgerTransaction)) == 2
    earnings = (
        await client.get(f"/api/v1/households/{world.households['a1']}/earnings", headers=auth["household_a1"])
    ).json()
    assert earnings["credited_fen"] == 0
    assert [e["kind"] for e in earnings["entries"]] == ["sale_reversal", "sale_credit"]


async def test_partial_refunds_take_back_each_units_share_and_the_last_unit_refunds_the_order(
    client, world: World, auth, db
) -> None:
    await _policy(client, auth, world)
    order = await _sale(client, auth, world)
    await _move(client, auth, order["id"], "shipped", "completed")
    product_id = order["items"][0]["product_id"]
    refunds = f"/api/v1/orders/{order['id']}/refunds"

    one = await client.post(
        refunds, json={"items": [{"product_id": product_id, "quantity": 1}]}, headers=auth["secretary_a"]
    )
    assert one.status_code == 200, one.text
    assert one.json()["status"] == "completed"
    assert one.json()["items"][0]["refunded_quantity"] == 1
    households = select(func.sum(LedgerEntry.amount_fen)).where(LedgerEntry.household_id.is_not(None))
    # 9815 credited for three units; one unit's share (9815 / 3 = 3271.67, largest remainder) comes back
    assert 9815 - await db.scalar(households) in (3271, 3272)

    too_many = await client.post(
        refunds, json={"items": [{"product_id": product_id, "quantity": 3}]}, headers=auth["secretary_a"]
    )
    assert too_many.status_code == 409
    assert "2" in too_many.json()["detail"]
    not_in_order = await client.post(
        refunds, json={"items": [{"product_id": product_id + 999, "quantity": 1}]}, headers=auth["secretary_a"]
    )
    assert not_in_order.status_code == 400

    rest = await client.post(
        refunds, json={"items": [{"product_id": product_id, "quantity": 2}]}, headers=auth["secretary_a"]
    )
    assert rest.json()["status"] == "refunded"
    per_account = await db.rows(
        select(LedgerEntry.account_kind, LedgerEntry.household_id, func.sum(LedgerEntry.amount_fen)).group_by(
            LedgerEntry.account_kind, LedgerEntry.household_id
        )
    )
    assert all(total == 0 for _, _, total in per_account), per_account
    assert await check_balances_ok(db)
    again = await client.post(
        refunds, json={"items": [{"product_id": product_id, "quantity": 1}]}, headers=auth["secretary_a"]
    )
    assert again.status_code == 409


async def test_a_partial_refund_needs_a_completed_order(client, world: World, auth) -> None:
    order = await _sale(client, auth, world)
    response = await client.post(
        f"/api/v1/orders/{order['id']}/refunds",
        json={"items": [{"product_id": order["items"][0]["product_id"], "quantity": 1}]},
        headers=auth["secretary_a"],
    )
    assert response.status_code == 409
    assert "completed" in response.json()["detail"]


async def test_the_same_completion_credited_twice_is_credited_once(app, client, world: World, auth, db) -> None:
    await _policy(client, auth, world, **NO_FEES)
    order = await _sale(client, auth, world)
    await _move(client, auth, order["id"], "shipped", "completed")
    async with db.write() as session:
        row = await session.get(Order, order["id"])
        assert await credit_order(session, row, actor=None) == 0
        assert await credit_order(session, row, actor=None) == 0
    assert await db.scalar(select(func.count()).select_from(LedgerTransaction)) == 1


async def test_a_completion_and_a_refund_racing_end_consistent(client, world: World, auth, db) -> None:
    await _policy(client, auth, world, **NO_FEES)
    order = await _sale(client, auth, world)
    await _move(client, auth, order["id"], "shipped")
    path = f"/api/v1/orders/{order['id']}/status"
    complete, refund = await asyncio.gather(
        client.post(path, json={"status": "completed"}, headers=auth["secretary_a"]),
        client.post(path, json={"status": "refunded"}, headers=auth["secretary_a"]),
    )
    assert complete.status_code == 200
    final = (await client.get(f"/api/v1/orders/{order['id']}", headers=auth["secretary_a"])).json()["status"]
    total = await db.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0)).where(LedgerEntry.household_id.is_not(None))
    )
    if final == "refunded":
        assert refund.status_code == 200
        assert total == 0
    else:
        assert refund.status_code == 409
        assert total == 11970
    assert await check_balances_ok(db)


async def check_balances_ok(db) -> bool:
    from shop.db import read_session

    async with read_session(db.config) as session:
        return await check_balances(session) == []


async def test_payout_above_the_balance_is_409_and_moves_nothing(client, world: World, auth, db) -> None:
    await _policy(client, auth, world, **NO_FEES)
    order = await _sale(client, auth, world)
    await _move(client, auth, order["id"], "shipped", "completed")
    household = world.households["a1"]
    ok = await client.post(
        "/api/v1/payouts",
        json={"household_id": household, "amount_fen": 5000, "method": "wechat"},
        headers=auth["secretary_a"],
    )
    assert ok.status_code == 201
    too_much = await client.post(
        "/api/v1/payouts",
        json={"household_id": household, "amount_fen": 5000, "method": "cash"},
        headers=auth["secretary_a"],
    )
    assert too_much.status_code == 409
    assert too_much.json()["balance_fen"] == 7980 - 5000
    inbox = (await client.get("/api/v1/notifications", headers=auth["household_a1"])).json()
    assert inbox["items"][0]["title"].endswith("¥50.00")


async def test_thirty_two_concurrent_payouts_never_exceed_the_balance(client, world: World, auth, db) -> None:
    await _policy(client, auth, world, **NO_FEES)
    order = await _sale(client, auth, world, quantity=3, price=1000, split=(("a1", 3),))
    await _move(client, auth, order["id"], "shipped", "completed")
    household = world.households["a1"]  # balance 3000
    responses = await asyncio.gather(
        *(
            client.post(
                "/api/v1/payouts",
                json={"household_id": household, "amount_fen": 200, "method": "cash"},
                headers=auth["secretary_a"],
            )
            for _ in range(32)
        )
    )
    assert [r.status_code for r in responses].count(201) == 15
    balance = await db.scalar(select(HouseholdBalance.balance_fen).where(HouseholdBalance.household_id == household))
    assert balance == 0
    assert await check_balances_ok(db)


async def test_a_sale_uses_the_policy_in_force_when_it_completed(client, world: World, auth, db) -> None:
    await _policy(client, auth, world, collective_bp=1000)
    first = await _sale(client, auth, world, quantity=1, price=10000, split=(("a1", 1),))
    await _move(client, auth, first["id"], "shipped", "completed")
    await _policy(client, auth, world, collective_bp=2000)
    second = await _sale(client, auth, world, quantity=1, price=10000, split=(("a2", 1),))
    await _move(client, auth, second["id"], "shipped", "completed")
    collective = [
        a
        for (a,) in await db.rows(
            select(LedgerEntry.amount_fen).where(LedgerEntry.account_kind == "collective").order_by(LedgerEntry.id)
        )
    ]
    assert collective == [1000, 2000]


async def test_the_database_refuses_to_change_or_delete_ledger_rows(client, world: World, auth, db) -> None:
    await _policy(client, auth, world, **NO_FEES)
    order = await _sale(client, auth, world)
    await _move(client, auth, order["id"], "shipped", "completed")
    before = await db.rows(select(LedgerEntry.id, LedgerEntry.amount_fen).order_by(LedgerEntry.id))
    assert before
    for statement in (
        update(LedgerEntry).values(amount_fen=1),
        delete(LedgerEntry),
        update(LedgerTransaction).values(memo="x"),
        delete(LedgerTransaction),
    ):
        with pytest.raises((DBAPIError, IntegrityError)):
            async with db.write() as session:
                await session.execute(statement)
    assert await db.rows(select(LedgerEntry.id, LedgerEntry.amount_fen).order_by(LedgerEntry.id)) == before


async def test_refund_after_payout_leaves_the_balance_at_zero_and_records_what_is_owed(
    client, world: World, auth, db
) -> None:
    await _policy(client, auth, world, **NO_FEES)
    order = await _sale(client, auth, world, quantity=1, price=1000, split=(("a1", 1),))
    await _move(client, auth, order["id"], "shipped", "completed")
    await client.post(
        "/api/v1/payouts",
        json={"household_id": world.households["a1"], "amount_fen": 1000, "method": "cash"},
        headers=auth["secretary_a"],
    )
    await _move(client, auth, order["id"], "refunded")
    earnings = (
        await client.get(f"/api/v1/households/{world.households['a1']}/earnings", headers=auth["household_a1"])
    ).json()
    assert (earnings["balance_fen"], earnings["owed_fen"]) == (0, 1000)
    again = await _sale(client, auth, world, quantity=1, price=1500, split=(("a1", 1),))
    await _move(client, auth, again["id"], "shipped", "completed")
    earnings = (
        await client.get(f"/api/v1/households/{world.households['a1']}/earnings", headers=auth["household_a1"])
    ).json()
    assert (earnings["balance_fen"], earnings["owed_fen"]) == (500, 0)
    assert await check_balances_ok(db)


async def test_a_villager_asking_for_another_households_earnings_gets_404(client, world: World, auth) -> None:
    other = await client.get(f"/api/v1/households/{world.households['a2']}/earnings", headers=auth["household_a1"])
    assert other.status_code == 404
    other_village = await client.get(
        f"/api/v1/households/{world.households['b1']}/earnings", headers=auth["secretary_a"]
    )
    assert other_village.status_code == 404
    policy = await client.put(
        f"/api/v1/villages/{world.villages['b']}/fee-policy", json=POLICY, headers=auth["secretary_a"]
    )
    assert policy.status_code == 404
    assert (
        await client.post(
            "/api/v1/payouts",
            json={"household_id": world.households["b1"], "amount_fen": 1, "method": "cash"},
            headers=auth["secretary_a"],
        )
    ).status_code == 404


async def test_transparency_is_public_and_names_households_only_when_allowed(client, world: World, auth, db) -> None:
    await _policy(client, auth, world)
    order = await _sale(client, auth, world)
    await _move(client, auth, order["id"], "shipped", "completed")
    board = (await client.get(f"/api/v1/villages/{world.villages['a']}/transparency")).json()
    month = board["months"][0]
    assert (month["collective_income_fen"], month["credited_to_households_fen"], month["households_benefited"]) == (
        1197,
        9815,
        2,
    )
    assert month["households"] is None
    page = await client.get(f"/v/{world.villages['a']}/transparency")
    assert "户主a1" not in page.text
    async with db.write() as session:
        await session.execute(
            text("UPDATE village SET show_household_names = true WHERE id = :v"), {"v": world.villages["a"]}
        )
    named = (await client.get(f"/api/v1/villages/{world.villages['a']}/transparency")).json()
    assert {h["name"] for h in named["months"][0]["households"]} == {"户主a1", "户主a2"}


async def test_nightly_check_catches_a_balance_that_disagrees_with_the_entries(
    client, world: World, auth, db, app
) -> None:
    await _policy(client, auth, world, **NO_FEES)
    order = await _sale(client, auth, world)
    await _move(client, auth, order["id"], "shipped", "completed")
    assert await check_balances_ok(db)
    async with db.write() as session:
        await session.execute(
            update(HouseholdBalance)
            .where(HouseholdBalance.household_id == world.households["a1"])
            .values(credited_fen=HouseholdBalance.credited_fen + 1, balance_fen=HouseholdBalance.balance_fen + 1)
        )
    from shop.ledger.scheduled import check_ledger
    from shop.scheduling import JobContext

    problems = await check_ledger(
        JobContext(app.state.alchemy_config, app.state.settings, utcnow(), app.state.domains.events)
    )
    assert problems == 1
    inbox = (await client.get("/api/v1/notifications", headers=auth["admin"])).json()
    assert inbox["items"][0]["title"].startswith("Ledger check")
