"""Whose goods an order line sold: the one definition the ledger credits by and the reports count by.

A line took units from lots (its allocations), and a lot's units belong to the households who brought it
in, in proportion to what each contributed. So each household has a weight in the line: Σ over the lots
the line took from of (units taken × the household's part of that lot). The line's units are split over
those weights by the largest remainder (ties to the lower household id), so the households' units add up
to the units sold; the ledger splits the households' money over the same weights.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shop.catalogue.models import Contribution, Lot
from shop.orders.models import Allocation, OrderLine
from shop.split import split_by_largest_remainder


async def supplier_weights(session: AsyncSession, line_ids: Sequence[int]) -> dict[int, dict[int, int]]:
    """Each line's households and their integer weights (line id → household id → weight), in two queries.
    A line that took no units from lots (a backorder) has none."""
    if not line_ids:
        return {}
    allocations = (
        await session.execute(
            select(Allocation.line_id, Allocation.lot_id, Allocation.quantity, Lot.quantity)
            .join(Lot, Lot.id == Allocation.lot_id)
            .where(Allocation.line_id.in_(line_ids))
        )
    ).all()
    if not allocations:
        return {}
    contributions: dict[int, list[tuple[int, int]]] = defaultdict(list)
    rows = await session.execute(
        select(Contribution.lot_id, Contribution.household_id, Contribution.quantity).where(
            Contribution.lot_id.in_({lot_id for _, lot_id, _, _ in allocations})
        )
    )
    for lot_id, household_id, quantity in rows.all():
        contributions[lot_id].append((household_id, quantity))
    by_line: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for line_id, lot_id, taken, size in allocations:
        by_line[line_id].append((lot_id, taken, size))
    weights: dict[int, dict[int, int]] = {}
    for line_id, taken_from in by_line.items():
        # Over a common multiple of the lots' sizes, so every weight stays a whole number.
        common = math.lcm(*(size for _, _, size in taken_from))
        line_weights: dict[int, int] = defaultdict(int)
        for lot_id, taken, size in taken_from:
            for household_id, quantity in contributions[lot_id]:
                line_weights[household_id] += taken * quantity * (common // size)
        weights[line_id] = dict(line_weights)
    return weights


def units_by_household(weights: Mapping[int, int], units: int) -> dict[int, int]:
    """The line's ``units`` (those it took from lots) split over its households' weights."""
    if not weights or not sum(weights.values()):
        return {}
    return split_by_largest_remainder(units, weights)


async def units_sold(session: AsyncSession, lines: Sequence[OrderLine]) -> dict[int, dict[int, int]]:
    """Each line's units by household (line id → household id → units), for the units each took from lots."""
    weights = await supplier_weights(session, [line.id for line in lines])
    return {
        line.id: units_by_household(weights[line.id], line.quantity - line.short_quantity)
        for line in lines
        if line.id in weights
    }
