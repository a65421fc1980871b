"""Lots: contributions are history once units were taken; public codes; receipts and labels."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from shop.accounts.principal import Principal
from shop.catalogue.models import Lot
from shop.catalogue.services import ContributionInput, LotService, ProductFields, ProductService
from shop.errors import Conflict
from tests.conftest import World

pytestmark = pytest.mark.anyio


async def _lot(db, world: World) -> int:
    secretary = Principal("user", world.users["secretary_a"], "secretary", world.villages["a"], "书记")
    async with db.write() as session:
        product = await ProductService(session=session).create_product(
            secretary, ProductFields(name="黑木耳", category="mushroom", unit="袋", price_fen=3600)
        )
        lot = await LotService(session).receive_lot(
            secretary,
            product.id,
            quantity=10,
            contributions=[ContributionInput(world.households["a1"], 6), ContributionInput(world.households["a2"], 4)],
        )
        return lot.id


async def test_contributions_can_be_fixed_while_nothing_was_taken(db, world: World) -> None:
    lot_id = await _lot(db, world)
    secretary = Principal("user", world.users["secretary_a"], "secretary", world.villages["a"], "书记")
    async with db.write() as session:
        lot = await LotService(session).replace_contributions(
            secretary, lot_id, [ContributionInput(world.households["a1"], 10)]
        )
        assert [(c.household_id, c.quantity) for c in lot.contributions] == [(world.households["a1"], 10)]


async def test_contributions_never_change_after_units_were_taken(db, world: World) -> None:
    lot_id = await _lot(db, world)
    async with db.write() as session:
        await session.execute(update(Lot).where(Lot.id == lot_id).values(remaining=9))
    secretary = Principal("user", world.users["secretary_a"], "secretary", world.villages["a"], "书记")
    async with db.write() as session:
        with pytest.raises(Conflict):
            await LotService(session).replace_contributions(
                secretary, lot_id, [ContributionInput(world.households["a1"], 10)]
            )


async def test_the_database_refuses_negative_remaining(db, world: World) -> None:
    from sqlalchemy.exc import IntegrityError

    lot_id = await _lot(db, world)
    with pytest.raises(IntegrityError):
        async with db.write() as session:
            await session.execute(update(Lot).where(Lot.id == lot_id).values(remaining=-1))


async def test_future_receiving_date_is_refused(db, world: World) -> None:
    from datetime import timedelta

    from shop.errors import InvalidInput
    from shop.timeutil import local_today

    lot_id = await _lot(db, world)
    secretary = Principal("user", world.users["secretary_a"], "secretary", world.villages["a"], "书记")
    async with db.write() as session:
        lot = await LotService(session).get_lot(secretary, lot_id)
        with pytest.raises(InvalidInput):
            await LotService(session).receive_lot(
                secretary,
                lot.product_id,
                quantity=1,
                contributions=[ContributionInput(world.households["a1"], 1)],
                received_on=local_today() + timedelta(days=2),
            )
