"""What the orders say: a stream's report, and the packing lists for a day or a stream.

"Whose goods sold" is the ledger's own definition (``shop.orders.suppliers``): each line's units are split
over the households behind the lots it took from, so the report's households always match what the ledger
credits them for the same lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.principal import Principal
from shop.catalogue.models import Product
from shop.orders.models import HOLDS_STOCK, Order, OrderLine, OrderStatus
from shop.orders.suppliers import units_sold
from shop.streams.models import Stream, StreamStatus
from shop.timeutil import to_local
from shop.villages.models import Household

BUCKET = timedelta(minutes=10)
COMPARE_WITH = 5


@dataclass
class ProductSales:
    product_id: int
    name: str
    unit: str
    orders: int = 0
    units: int = 0
    gross_fen: int = 0


@dataclass
class HouseholdUnits:
    household_id: int
    code: str
    name: str
    units: int = 0
    by_product: dict[str, int] = field(default_factory=dict)


@dataclass
class StreamReport:
    stream: Stream
    orders: int
    units: int
    gross_fen: int
    products: list[ProductSales]
    households: list[HouseholdUnits]
    buckets: list[tuple[str, int]]
    previous_streams: int
    previous_avg_orders: float | None
    previous_avg_gross_fen: int | None


async def household_units(session: AsyncSession, lines: Sequence[OrderLine]) -> dict[int, dict[int, int]]:
    """household id → product id → units, for the given order lines (the ledger's definition: see
    ``shop.orders.suppliers``)."""
    by_line = await units_sold(session, lines)
    result: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for line in lines:
        for household_id, units in by_line.get(line.id, {}).items():
            if units:
                result[household_id][line.product_id] += units
    return result


async def _household_rows(
    session: AsyncSession, per_household: dict[int, dict[int, int]], products: dict[int, ProductSales]
) -> list[HouseholdUnits]:
    if not per_household:
        return []
    households = {
        h.id: h for h in (await session.execute(select(Household).where(Household.id.in_(per_household)))).scalars()
    }
    rows = []
    for household_id, by_product in per_household.items():
        household = households[household_id]
        rows.append(
            HouseholdUnits(
                household_id=household_id,
                code=household.code,
                name=household.head_name,
                units=sum(by_product.values()),
                by_product={products[p].name if p in products else str(p): n for p, n in sorted(by_product.items())},
            )
        )
    return sorted(rows, key=lambda r: (-r.units, r.code))


async def _product_names(session: AsyncSession, product_ids: set[int]) -> dict[int, ProductSales]:
    rows = await session.execute(select(Product.id, Product.name, Product.unit).where(Product.id.in_(product_ids)))
    return {row.id: ProductSales(row.id, row.name, row.unit) for row in rows.all()}


async def stream_report(session: AsyncSession, stream: Stream) -> StreamReport:
    orders = list(
        (
            await session.execute(
                select(Order)
                .where(Order.stream_id == stream.id, Order.status.in_(HOLDS_STOCK))
                .order_by(Order.placed_at)
            )
        ).scalars()
    )
    product_ids = {line.product_id for order in orders for line in order.lines}
    products = await _product_names(session, product_ids)
    for order in orders:
        for line in order.lines:
            sales = products[line.product_id]
            sales.orders += 1
            sales.units += line.quantity
            sales.gross_fen += line.quantity * line.unit_price_fen
    per_household = await household_units(session, [line for order in orders for line in order.lines])
    start = stream.went_live_at or stream.starts_at
    end = max([stream.ended_at or stream.ends_at, *(o.placed_at for o in orders)])
    buckets: list[tuple[str, int]] = []
    moment = start
    while moment < end and len(buckets) < 48:
        count = sum(1 for o in orders if moment <= o.placed_at < moment + BUCKET)
        buckets.append((to_local(moment).strftime("%H:%M"), count))
        moment += BUCKET
    previous = list(
        (
            await session.execute(
                select(Stream.id)
                .where(
                    Stream.village_id == stream.village_id,
                    Stream.id != stream.id,
                    Stream.status == StreamStatus.ENDED.value,
                    Stream.starts_at < stream.starts_at,
                )
                .order_by(Stream.starts_at.desc())
                .limit(COMPARE_WITH)
            )
        ).scalars()
    )
    avg_orders = avg_gross = None
    if previous:
        rows = (
            await session.execute(
                select(Order.stream_id, Order.total_fen).where(
                    Order.stream_id.in_(previous), Order.status.in_(HOLDS_STOCK)
                )
            )
        ).all()
        avg_orders = round(len(rows) / len(previous), 1)
        avg_gross = round(sum(r.total_fen for r in rows) / len(previous))
    return StreamReport(
        stream=stream,
        orders=len(orders),
        units=sum(p.units for p in products.values()),
        gross_fen=sum(o.total_fen for o in orders),
        products=sorted(products.values(), key=lambda p: -p.gross_fen),
        households=await _household_rows(session, per_household, products),
        buckets=buckets,
        previous_streams=len(previous),
        previous_avg_orders=avg_orders,
        previous_avg_gross_fen=avg_gross,
    )


@dataclass
class PackingList:
    orders: list[Order]
    products: list[ProductSales]
    households: list[HouseholdUnits]


TO_PACK = (OrderStatus.PLACED.value, OrderStatus.PAID.value)


async def packing_list(
    session: AsyncSession,
    village_id: int,
    *,
    stream_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> PackingList:
    """Orders still to ship (placed or paid) of one stream or one day, with what each household and
    each product contributes to them."""
    conditions = [Order.village_id == village_id, Order.status.in_(TO_PACK)]
    if stream_id is not None:
        conditions.append(Order.stream_id == stream_id)
    if since is not None:
        conditions.append(Order.placed_at >= since)
    if until is not None:
        conditions.append(Order.placed_at < until)
    orders = list(
        (await session.execute(select(Order).where(*conditions).order_by(Order.placed_at, Order.id))).scalars()
    )
    products = await _product_names(session, {line.product_id for o in orders for line in o.lines})
    for order in orders:
        for line in order.lines:
            products[line.product_id].orders += 1
            products[line.product_id].units += line.quantity
            products[line.product_id].gross_fen += line.quantity * line.unit_price_fen
    per_household = await household_units(session, [line for o in orders for line in o.lines])
    return PackingList(
        orders=orders,
        products=sorted(products.values(), key=lambda p: p.name),
        households=await _household_rows(session, per_household, products),
    )


def report_seen_by(report: StreamReport, viewer: Principal) -> StreamReport:
    """The report as ``viewer`` may see it: whose goods sold is the village staff's to know, not a trainee's
    (a trainee sees their practice stream's products and takings)."""
    return report if viewer.is_staff else replace(report, households=[])
