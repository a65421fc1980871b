"""Low-stock alerts every five minutes (the rule is ``shop.catalogue.low_stock``)."""

from __future__ import annotations

from shop.catalogue.low_stock import low_stock_alerts
from shop.db import unit_of_work
from shop.scheduling import JobContext, ScheduledJob


async def alert_low_stock(ctx: JobContext) -> int:
    async with unit_of_work(ctx.alchemy) as session:
        return await low_stock_alerts(session)


JOBS = [ScheduledJob("catalogue.low_stock_alerts", alert_low_stock, every_seconds=300)]
