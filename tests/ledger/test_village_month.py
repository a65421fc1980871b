"""The village-month rows (``shop.ledger.summary``) move with the entries: after sales, refunds before and
after a payout, payouts and a corrected payout, in months on both sides of a Beijing month's edge, every row
equals a sum of the entries made here in Python; the nightly check says so and names a row that disagrees;
the migration fills the same rows from the entries of a database that had none."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select, update

from shop.accounts.principal import Principal
from shop.db import read_session, unit_of_work
from shop.ledger.checks import check_balances
from shop.ledger.models import LedgerEntry, LedgerTransaction, VillageMonth
from shop.ledger.posting import pay_out
from shop.orders.services import change_status, refund_units
from shop.timeutil import to_local
from shop.wiring import link_domains
from tests.conftest import World

pytestmark = pytest.mark.anyio

POLICY = {"platform_bp": {"douyin": 500}, "operator_bp": 300, "collective_bp": 1000}
FIGURES = ("sales_fen", "platform_fen", "operator_fen", "collective_fen", "credited_fen", "owed_fen", "paid_out_fen")
# 01:00 on 1 November in Beijing, still 31 October in UTC: the sale belongs to November.
FIRST_OF_NOVEMBER = datetime(2026, 10, 31, 17, 0, tzinfo=UTC)


def _figures_by_hand(rows: list[tuple[int, str, str, int, datetime]]) -> dict[tuple[int, str], tuple[int, ...]]:
    """(village, Beijing month) → the figures, from (village, account, transaction kind, amount, posted_at)."""
    table: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    for village_id, account, kind, amount, posted_at in rows:
        figures = table[(village_id, to_local(posted_at).strftime("%Y-%m"))]
        if account == "sales_clearing":
            figures["sales_fen"] -= amount
        elif account in ("platform", "operator", "collective"):
            figures[f"{account}_fen"] += amount
        elif account == "household" and kind != "payout":
            figures["credited_fen"] += amount
        elif account == "recovery":
            figures["owed_fen"] -= amount
        elif account == "payouts":
            figures["paid_out_fen"] += amount
    return {key: tuple(f[name] for name in FIGURES) for key, f in table.items()}


async def _stored_and_by_hand(config) -> tuple[dict, dict]:
    async with read_session(config) as session:
        entries = await session.execute(
            select(
                LedgerEntry.village_id,
                LedgerEntry.account_kind,
                LedgerTransaction.kind,
                LedgerEntry.amount_fen,
                LedgerEntry.posted_at,
            ).join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        )
        by_hand = _figures_by_hand([tuple(r) for r in entries.all()])
        stored = {
            (r.village_id, r.month): tuple(getattr(r, f) for f in FIGURES)
            for r in (await session.execute(select(VillageMonth))).scalars()
        }
    return stored, by_hand


async def _sale(client, auth, world: World, quantity: int) -> tuple[int, int]:
    """A lot of millet (a1 brought 2 of every 3 units, a2 1) and a Douyin order for ``quantity`` bags at ¥39.90."""
    headers = auth["secretary_a"]
    product = (
        await client.post(
            "/api/v1/products",
            json={"name": "朝阳小米", "category": "grain", "unit": "袋", "price_fen": 3990},
            headers=headers,
        )
    ).json()
    lot = await client.post(
        f"/api/v1/products/{product['id']}/lots",
        json={
            "quantity": quantity,
            "contributions": [
                {"household_id": world.households["a1"], "quantity": quantity * 2 // 3},
                {"household_id": world.households["a2"], "quantity": quantity - quantity * 2 // 3},
            ],
        },
        headers=headers,
    )
    assert lot.status_code == 201, lot.text
    order = await client.post(
        "/api/v1/orders",
        json={"items": [{"product_id": product["id"], "quantity": quantity}], "source": "douyin"},
        headers=headers,
    )
    assert order.status_code == 201, order.text
    return order.json()["id"], product["id"]


def _secretary(world: World) -> Principal:
    return Principal(
        kind="user", id=world.users["secretary_a"], role="secretary", village_id=world.villages["a"], name="书记"
    )


async def test_village_months_equal_the_entries_after_sales_refunds_payouts_and_a_corrected_payout(
    app, client, world: World, auth
) -> None:
    config, events, secretary = app.state.alchemy_config, link_domains().events, _secretary(world)
    village = world.villages["a"]
    put = await client.put(f"/api/v1/villages/{village}/fee-policy", json=POLICY, headers=auth["secretary_a"])
    assert put.status_code == 200, put.text
    order_id, product_id = await _sale(client, auth, world, 3)
    async with unit_of_work(config) as session:
        await change_status(session, secretary, order_id, "shipped", now=FIRST_OF_NOVEMBER, events=events)
    async with unit_of_work(config) as session:
        await change_status(session, secretary, order_id, "completed", now=FIRST_OF_NOVEMBER, events=events)
    stored, _ = await _stored_and_by_hand(config)
    # DESIGN.md's worked example, in November (Beijing), not October (UTC)
    assert stored == {(village, "2026-11"): (11970, 599, 359, 1197, 9815, 0, 0)}

    # a refund before any payout (December), a payout of everything a1 has (January), a refund after it:
    # a1 cannot give back from its balance and owes (February), and a second sale settles that (March)
    async with unit_of_work(config) as session:
        await refund_units(
            session, secretary, order_id, {product_id: 1}, now=datetime(2026, 12, 10, 4, tzinfo=UTC), events=events
        )
    async with read_session(config) as session:
        earnings = await session.execute(
            select(LedgerEntry.household_id, LedgerEntry.amount_fen).where(LedgerEntry.account_kind == "household")
        )
        a1_balance = sum(amount for h, amount in earnings.all() if h == world.households["a1"])
    async with unit_of_work(config) as session:
        payout = await pay_out(
            session,
            secretary,
            world.households["a1"],
            a1_balance,
            "wechat",
            now=datetime(2027, 1, 5, 4, tzinfo=UTC),
        )
        payout_id = payout.id
    async with unit_of_work(config) as session:
        await refund_units(
            session, secretary, order_id, {product_id: 2}, now=datetime(2027, 2, 1, 4, tzinfo=UTC), events=events
        )
    second, _ = await _sale(client, auth, world, 6)
    for status in ("shipped", "completed"):
        async with unit_of_work(config) as session:
            await change_status(
                session, secretary, second, status, now=datetime(2027, 3, 2, 4, tzinfo=UTC), events=events
            )

    # the payout never arrived: a villager's case, the secretary reverses it and pays again in cash (now)
    case = await client.post(
        "/api/v1/cases",
        json={"topic": "payout", "text": "没收到转账", "payout_id": payout_id},
        headers=auth["household_a1"],
    )
    assert case.status_code == 201, case.text
    corrected = await client.post(
        f"/api/v1/cases/{case.json()['id']}/corrections",
        json={"kind": "payout", "repay_method": "cash"},
        headers=auth["secretary_a"],
    )
    assert corrected.status_code in (200, 201), corrected.text

    stored, by_hand = await _stored_and_by_hand(config)
    assert stored == by_hand
    months = sorted(m for v, m in stored)
    assert months[:5] == ["2026-11", "2026-12", "2027-01", "2027-02", "2027-03"]
    assert stored[(village, "2027-01")][FIGURES.index("paid_out_fen")] == a1_balance
    assert stored[(village, "2027-02")][FIGURES.index("owed_fen")] > 0  # the refund after the payout
    assert stored[(village, "2027-03")][FIGURES.index("owed_fen")] < 0  # settled by the next sale
    async with read_session(config) as session:
        assert await check_balances(session) == []
        assert await check_balances(session, village) == []


async def test_the_nightly_check_names_a_village_month_that_disagrees_with_its_entries(
    app, client, world: World, auth
) -> None:
    config, events, secretary = app.state.alchemy_config, link_domains().events, _secretary(world)
    village = world.villages["a"]
    await client.put(f"/api/v1/villages/{village}/fee-policy", json=POLICY, headers=auth["secretary_a"])
    order_id, _ = await _sale(client, auth, world, 3)
    for status in ("shipped", "completed"):
        async with unit_of_work(config) as session:
            await change_status(session, secretary, order_id, status, now=FIRST_OF_NOVEMBER, events=events)
    async with read_session(config) as session:
        assert await check_balances(session) == []

    async with unit_of_work(config) as session:
        await session.execute(
            update(VillageMonth)
            .where(VillageMonth.village_id == village)
            .values(collective_fen=VillageMonth.collective_fen + 1)
        )
    async with read_session(config) as session:
        problems = await check_balances(session, village)
    assert problems == [
        f"village {village} month 2026-11: stored (11970, 599, 359, 1198, 9815, 0, 0), "
        "entries say (11970, 599, 359, 1197, 9815, 0, 0)"
    ]

    async with unit_of_work(config) as session:
        await session.execute(delete(VillageMonth))
    async with read_session(config) as session:
        problems = await check_balances(session)
    assert problems == [
        f"village {village} month 2026-11: stored (0, 0, 0, 0, 0, 0, 0), "
        "entries say (11970, 599, 359, 1197, 9815, 0, 0)"
    ]


async def test_the_migration_fills_village_months_from_the_entries(app, client, world: World, auth, settings) -> None:
    from shop.cli import _alembic

    config, events, secretary = app.state.alchemy_config, link_domains().events, _secretary(world)
    await client.put(f"/api/v1/villages/{world.villages['a']}/fee-policy", json=POLICY, headers=auth["secretary_a"])
    order_id, product_id = await _sale(client, auth, world, 3)
    for status in ("shipped", "completed"):
        async with unit_of_work(config) as session:
            await change_status(session, secretary, order_id, status, now=FIRST_OF_NOVEMBER, events=events)
    async with unit_of_work(config) as session:
        await pay_out(session, secretary, world.households["a2"], 1000, "cash", now=datetime(2026, 12, 1, tzinfo=UTC))
    async with unit_of_work(config) as session:
        await refund_units(
            session, secretary, order_id, {product_id: 3}, now=datetime(2027, 1, 1, tzinfo=UTC), events=events
        )
    kept, by_hand = await _stored_and_by_hand(config)
    assert kept == by_hand
    assert len(kept) == 3

    commands = _alembic(settings)  # alembic runs its own event loop: in a thread beside the test's
    await asyncio.to_thread(commands.downgrade, "0012_county_scale")
    await asyncio.to_thread(commands.upgrade, "head")
    filled, _ = await _stored_and_by_hand(config)
    assert filled == kept
