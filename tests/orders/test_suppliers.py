"""Who sold what has one definition (``shop.orders.suppliers``): the stream report and the packing list count
each household's units exactly as the ledger credits them, line by line."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from shop.accounts.models import User
from shop.accounts.principal import Principal
from shop.catalogue.models import Contribution, Lot, Product
from shop.db import create_alchemy_config, unit_of_work
from shop.ledger.models import LedgerEntry, LedgerTransaction
from shop.ledger.policy import set_policy
from shop.orders.models import Order, OrderLine
from shop.orders.placing import ItemRequest, OrderRequest, PlacedOrder, place_batch
from shop.orders.reports import household_units
from shop.orders.services import change_status
from shop.orders.suppliers import units_by_household
from shop.settings import Settings
from shop.timeutil import local_today
from shop.villages.models import Household, Village
from shop.wiring import link_domains
from tests.conftest import World

POLICY = {"platform_bp": {"douyin": 500, "direct": 0}, "operator_bp": 300, "collective_bp": 1000}


def test_a_lines_units_follow_the_weights_and_add_up() -> None:
    assert units_by_household({7: 2, 9: 1}, 3) == {7: 2, 9: 1}
    # Two households with equal weights and one unit: the lower id gets it.
    assert units_by_household({7: 1, 9: 1}, 1) == {7: 1, 9: 0}
    assert units_by_household({}, 3) == {}


@pytest.mark.anyio
async def test_a_line_from_two_lots_counts_in_the_report_as_the_ledger_credits_it(client, world: World, auth) -> None:
    """Two lots of two bags, each brought by households a1 and a2 half and half. The first order takes one
    bag of the first lot, the second the other bag of the first lot and one of the second. Counted lot by
    lot, the second line's two single bags would both go to a1 (each a tie, to the lower id); the ledger
    weighs the line as a whole and credits one bag each. The report now says what the ledger says."""
    headers = auth["secretary_a"]
    product = (
        await client.post(
            "/api/v1/products",
            json={"name": "朝阳小米", "category": "grain", "unit": "袋", "price_fen": 3990},
            headers=headers,
        )
    ).json()
    for days_ago in (3, 1):
        await client.post(
            f"/api/v1/products/{product['id']}/lots",
            json={
                "quantity": 2,
                "received_on": (local_today() - timedelta(days=days_ago)).isoformat(),
                "contributions": [
                    {"household_id": world.households["a1"], "quantity": 1},
                    {"household_id": world.households["a2"], "quantity": 1},
                ],
            },
            headers=headers,
        )
    await client.put(f"/api/v1/villages/{world.villages['a']}/fee-policy", json=POLICY, headers=headers)
    stream = (
        await client.post(
            "/api/v1/streams",
            json={
                "title": "新米直播",
                "platform": "douyin",
                "starts_at": "2031-12-01T19:30:00+08:00",
                "ends_at": "2031-12-01T21:00:00+08:00",
                "lineup": [{"product_id": product["id"]}],
            },
            headers=headers,
        )
    ).json()
    for quantity in (1, 2):
        order = (
            await client.post(
                "/api/v1/orders",
                json={"items": [{"product_id": product["id"], "quantity": quantity}], "stream_id": stream["id"]},
                headers=headers,
            )
        ).json()
        for status in ("shipped", "completed"):
            await client.post(f"/api/v1/orders/{order['id']}/status", json={"status": status}, headers=headers)
    report = (await client.get(f"/api/v1/streams/{stream['id']}/report", headers=headers)).json()
    reported = {h["household_id"]: h["units"] for h in report["households"]}
    assert reported == {world.households["a1"]: 2, world.households["a2"]: 1}
    for who in ("a1", "a2"):
        earnings = (
            await client.get(f"/api/v1/households/{world.households[who]}/earnings", headers=auth[f"household_{who}"])
        ).json()
        assert sum(entry["units"] for entry in earnings["entries"]) == reported[world.households[who]]


lots_strategy = st.lists(
    st.lists(st.integers(0, 4), min_size=3, max_size=3).filter(lambda parts: sum(parts) > 0), min_size=1, max_size=3
)
orders_strategy = st.lists(st.integers(1, 5), min_size=1, max_size=4)


def test_the_reports_households_always_match_the_ledgers_credits(settings: Settings) -> None:
    config = create_alchemy_config(dataclasses.replace(settings, db_null_pool=False))
    events = link_domains().events
    counter = itertools.count(1)
    runner = asyncio.Runner()

    @given(lots=lots_strategy, quantities=orders_strategy)
    @hypothesis_settings(
        max_examples=12, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    def check(lots: list[list[int]], quantities: list[int]) -> None:
        reported, credited = runner.run(_sell(config, events, next(counter), lots, quantities))
        assert reported == credited

    try:
        check()
    finally:
        runner.run(config.get_engine().dispose())
        runner.close()


async def _sell(
    config, events, n: int, lots: list[list[int]], quantities: list[int]
) -> tuple[dict[int, int], dict[int, int]]:
    """A fresh village sells from ``lots`` (each household's part of each lot), one order per quantity while
    stock lasts, every order completed; then each household's units as the report counts them and as the
    ledger credits them."""
    now = datetime(2026, 3, 1, tzinfo=UTC)
    async with unit_of_work(config) as session:
        village = Village(name=f"性质村{n}", code_prefix=f"P{n}")
        session.add(village)
        await session.flush()
        homes = [Household(village_id=village.id, code=f"P{n}-{i}", head_name=f"户{i}", pin_hash="-") for i in range(3)]
        product = Product(village_id=village.id, name=f"小米{n}", category="grain", unit="袋", price_fen=3990)
        secretary = User(
            username=f"p{n}", role="secretary", village_id=village.id, password_hash="-", calendar_secret=f"p{n}"
        )
        session.add_all([*homes, product, secretary])
        await session.flush()
        for number, parts in enumerate(lots):
            lot = Lot(
                product_id=product.id,
                village_id=village.id,
                public_code=f"P{n}L{number}",
                received_on=date(2026, 2, 1) + timedelta(days=number),
                quantity=sum(parts),
                remaining=sum(parts),
            )
            session.add(lot)
            await session.flush()
            session.add_all(
                Contribution(lot_id=lot.id, household_id=home.id, quantity=q, receipt_no=f"R{lot.id}-{home.id}")
                for home, q in zip(homes, parts, strict=True)
                if q
            )
        actor = Principal(kind="user", id=secretary.id, role="secretary", village_id=village.id, name="书记")
        await set_policy(session, actor, village.id, **POLICY, now=now)
    order_ids = []
    left = sum(map(sum, lots))
    async with unit_of_work(config) as session:
        conn = await session.connection()
        for quantity in quantities:
            if quantity > left:
                break
            left -= quantity
            request = OrderRequest(actor=actor, items=[ItemRequest(product.id, quantity)], source="douyin")
            (placed,) = await conn.run_sync(place_batch, [request], now)
            assert isinstance(placed, PlacedOrder), placed
            order_ids.append(placed.id)
        for order_id in order_ids:
            for status in ("shipped", "completed"):
                await change_status(session, actor, order_id, status, now=now + timedelta(days=1), events=events)
    async with unit_of_work(config) as session:
        lines = list((await session.execute(select(OrderLine).where(OrderLine.order_id.in_(order_ids)))).scalars())
        reported: dict[int, int] = defaultdict(int)
        for household_id, by_product in (await household_units(session, lines)).items():
            reported[household_id] += sum(by_product.values())
        rows = await session.execute(
            select(LedgerEntry.household_id, func.sum(LedgerEntry.units))
            .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
            .join(Order, Order.id == LedgerTransaction.order_id)
            .where(Order.id.in_(order_ids), LedgerEntry.household_id.is_not(None))
            .group_by(LedgerEntry.household_id)
        )
        credited = {household_id: int(units) for household_id, units in rows.all() if units}
    return {h: u for h, u in reported.items() if u}, credited
