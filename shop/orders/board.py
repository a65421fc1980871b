"""What the orders domain adds to a stream's live board: orders, units and takings so far, the latest
orders (buyers' names masked), and how many units of a capped lineup item were already sold; and the
board's watchers woken when an order of the stream changes (``wake_the_board``, in the web process)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shop.events import DomainEvents
from shop.money import format_fen
from shop.orders.events import OrderCancelled, OrderCompleted, OrderRefunded, UnitsRefunded
from shop.orders.models import HOLDS_STOCK, Order, OrderLine
from shop.privacy import mask_name
from shop.streams.live import BoardSources, LiveHub
from shop.streams.models import LineupItem, Stream
from shop.timeutil import to_local

LATEST = 5


async def board_sales(session: AsyncSession, stream: Stream) -> dict[str, Any]:
    totals = (
        await session.execute(
            select(
                func.count(func.distinct(Order.id)), func.coalesce(func.sum(OrderLine.quantity), 0), func.max(Order.id)
            )
            .select_from(Order)
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(Order.stream_id == stream.id, Order.status.in_(HOLDS_STOCK))
        )
    ).one()
    takings = (
        await session.execute(
            select(func.coalesce(func.sum(Order.total_fen), 0)).where(
                Order.stream_id == stream.id, Order.status.in_(HOLDS_STOCK)
            )
        )
    ).scalar_one()
    latest = (
        await session.execute(select(Order).where(Order.stream_id == stream.id).order_by(Order.id.desc()).limit(LATEST))
    ).scalars()
    names = {item.product_id: item.product.name for item in stream.lineup}
    lines = []
    for order in latest:
        what = "、".join(f"{names.get(li.product_id, f'#{li.product_id}')}×{li.quantity}" for li in order.lines)
        lines.append(f"{to_local(order.placed_at).strftime('%H:%M')} {mask_name(order.buyer_name) or '—'} {what}")
    return {
        "orders": int(totals[0] or 0),
        "units": int(totals[1] or 0),
        "takings": format_fen(int(takings or 0)),
        "last_order_id": totals[2],
        "latest": lines,
    }


async def sold_under_cap(session: AsyncSession, item: LineupItem) -> int:
    total = await session.execute(
        select(func.coalesce(func.sum(OrderLine.quantity), 0))
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.stream_id == item.stream_id, OrderLine.product_id == item.product_id, Order.status.in_(HOLDS_STOCK)
        )
    )
    return int(total.scalar_one())


BOARD_SALES = BoardSources(sales=board_sales, sold_under_cap=sold_under_cap)

OrderChanged = OrderCompleted | OrderCancelled | OrderRefunded | UnitsRefunded


def wake_the_board(events: DomainEvents, hub: LiveHub) -> None:
    """Every change to an order of a stream wakes that stream's watchers in this process once it commits."""

    async def wake(session: AsyncSession, changed: OrderChanged) -> None:
        if changed.order.stream_id is not None:
            hub.notify_after_commit(session, changed.order.stream_id)

    events.listen(OrderCompleted, wake)
    events.listen(OrderCancelled, wake)
    events.listen(OrderRefunded, wake)
    events.listen(UnitsRefunded, wake)
