"""Where orders meet the ledger: a completed order is credited, a refunded one reversed, part of one reversed
for the units refunded, in the same unit of work as the change (``listen_to_orders`` registers them on a
process's ``DomainEvents``; see ``shop.wiring``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shop.events import DomainEvents
from shop.ledger.posting import credit_order, reverse_line, reverse_order
from shop.orders.events import OrderCompleted, OrderRefunded, UnitsRefunded


async def credit_completed(session: AsyncSession, event: OrderCompleted) -> None:
    await credit_order(session, event.order, actor=event.actor, now=event.at)


async def reverse_refunded(session: AsyncSession, event: OrderRefunded) -> None:
    await credit_order(session, event.order, actor=event.actor, now=event.at)  # a no-op unless the credit was missed
    await reverse_order(session, event.order, actor=event.actor, now=event.at)


async def reverse_refunded_units(session: AsyncSession, event: UnitsRefunded) -> None:
    await reverse_line(session, event.order, event.line, event.line.refunded_quantity, actor=event.actor, now=event.at)


def listen_to_orders(events: DomainEvents) -> None:
    events.listen(OrderCompleted, credit_completed)
    events.listen(OrderRefunded, reverse_refunded)
    events.listen(UnitsRefunded, reverse_refunded_units)
