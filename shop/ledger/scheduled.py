"""Ledger jobs: credit completed sales the hooks missed (imports, crashes), and the nightly check that
recomputes every household balance from the entries and alerts the county admins when one disagrees."""

from __future__ import annotations

from shop.db import read_session, unit_of_work
from shop.ledger.checks import alert_admins, check_balances, credit_missed
from shop.scheduling import JobContext, ScheduledJob


async def credit_completed_orders(ctx: JobContext) -> int:
    async with unit_of_work(ctx.alchemy) as session:
        return await credit_missed(session, ctx.now)


async def check_ledger(ctx: JobContext) -> int:
    async with read_session(ctx.alchemy) as session:
        problems = await check_balances(session)
    if problems:
        async with unit_of_work(ctx.alchemy) as session:
            await alert_admins(session, problems)
    return len(problems)


JOBS = [
    ScheduledJob("ledger.credit_completed_orders", credit_completed_orders, every_seconds=120),
    ScheduledJob("ledger.check_balances", check_ledger, daily_at="02:30"),
]
