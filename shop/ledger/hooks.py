"""Where orders meet the ledger: a completed order is credited, a refunded one reversed, in the same
transaction as the status change (wired into shop.orders.services.STATUS_HOOKS by shop.app)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.principal import Principal
from shop.ledger.posting import credit_order, reverse_line, reverse_order
from shop.orders.models import Order, OrderLine, OrderStatus


async def on_order_status(
    session: AsyncSession, order: Order, from_status: str, to_status: str, actor: Principal | None, now: datetime
) -> None:
    if to_status == OrderStatus.COMPLETED.value:
        await credit_order(session, order, actor=actor, now=now)
    elif to_status == OrderStatus.REFUNDED.value:
        await credit_order(session, order, actor=actor, now=now)  # a no-op unless the credit was missed
        await reverse_order(session, order, actor=actor, now=now)


async def on_partial_refund(
    session: AsyncSession, order: Order, line: OrderLine, actor: Principal | None, now: datetime
) -> None:
    await reverse_line(session, order, line, line.refunded_quantity, actor=actor, now=now)
