"""Case jobs: lift the cases whose level let a deadline pass, and close the answers nobody rated within
7 days as 未评价. (The deadline reminders are reminders in the outbox, delivered by its own job.)"""

from __future__ import annotations

from shop.cases.services import close_unrated, escalate_overdue
from shop.db import unit_of_work
from shop.scheduling import JobContext, ScheduledJob


async def lift_overdue_cases(ctx: JobContext) -> int:
    async with unit_of_work(ctx.alchemy) as session:
        return await escalate_overdue(session, ctx.now)


async def close_unrated_answers(ctx: JobContext) -> int:
    async with unit_of_work(ctx.alchemy) as session:
        return await close_unrated(session, ctx.now)


JOBS = [
    ScheduledJob("cases.escalate_overdue", lift_overdue_cases, every_seconds=300),
    ScheduledJob("cases.close_unrated", close_unrated_answers, every_seconds=3600),
]
