"""Shipped orders the buyer never confirmed complete after the village's auto-confirm days."""

from __future__ import annotations

from shop.db import unit_of_work
from shop.orders.services import auto_complete_shipped
from shop.scheduling import JobContext, ScheduledJob


async def complete_unconfirmed_orders(ctx: JobContext) -> int:
    from shop.ledger.policy import auto_complete_days_by_village

    async with unit_of_work(ctx.alchemy) as session:
        days = await auto_complete_days_by_village(session)
        return await auto_complete_shipped(session, ctx.now, days, events=ctx.events)


JOBS = [ScheduledJob("orders.complete_unconfirmed", complete_unconfirmed_orders, every_seconds=600)]
