"""Shipped orders the buyer never confirmed complete after the village's auto-confirm days; held uploads
past their day."""

from __future__ import annotations

import asyncio

from shop.db import unit_of_work
from shop.orders.imports.upload_stash import remove_expired
from shop.orders.services import auto_complete_shipped
from shop.scheduling import JobContext, ScheduledJob


async def complete_unconfirmed_orders(ctx: JobContext) -> int:
    from shop.ledger.policy import auto_complete_days_by_village

    async with unit_of_work(ctx.alchemy) as session:
        days = await auto_complete_days_by_village(session)
        return await auto_complete_shipped(session, ctx.now, days, events=ctx.events)


async def expire_held_uploads(ctx: JobContext) -> int:
    """Uploads waiting for their columns are removed a day after they came (the scheduler reads the same
    ``SHOP_VAR_DIR`` as the web workers that keep them)."""
    return await asyncio.to_thread(remove_expired, ctx.settings.var_dir, now=ctx.now.timestamp())


JOBS = [
    ScheduledJob("orders.complete_unconfirmed", complete_unconfirmed_orders, every_seconds=600),
    ScheduledJob("orders.expire_held_uploads", expire_held_uploads, every_seconds=3600),
]
