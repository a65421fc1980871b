"""Ledger jobs: credit completed sales the hooks missed (imports, crashes), and the nightly check that
recomputes every household balance from the entries and alerts the county admins when one disagrees."""

from __future__ import annotations

from shop.db import read_session, unit_of_work
from shop.ledger.checks import alert_admins, check_balances, credit_missed, missed_orders
from shop.scheduling import JobContext, ScheduledJob

# Orders credited per write transaction: the write lock (SQLite) is held for one such step at a time.
CREDIT_STEP = 50


async def credit_completed_orders(ctx: JobContext) -> int:
    """The search is a read (no write lock while it looks); the crediting goes in short write transactions."""
    async with read_session(ctx.alchemy) as session:
        order_ids = await missed_orders(session)
    done = 0
    for start in range(0, len(order_ids), CREDIT_STEP):
        async with unit_of_work(ctx.alchemy) as session:
            done += await credit_missed(session, ctx.now, order_ids[start : start + CREDIT_STEP])
    return done


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
