"""Case jobs: lift the cases whose level let a deadline pass, and mark the answers nobody rated within
7 days as 未评价. (The deadline reminders are reminders in the outbox, delivered by its own job.)"""

from __future__ import annotations

from shop.cases.services import escalate_overdue, mark_unrated
from shop.db import unit_of_work
from shop.scheduling import JobContext, ScheduledJob


async def lift_overdue_cases(ctx: JobContext) -> int:
    async with unit_of_work(ctx.alchemy) as session:
        return await escalate_overdue(session, ctx.now)


async def mark_unrated_answers(ctx: JobContext) -> int:
    async with unit_of_work(ctx.alchemy) as session:
        return await mark_unrated(session, ctx.now)


JOBS = [
    ScheduledJob("cases.escalate_overdue", lift_overdue_cases, every_seconds=300),
    ScheduledJob("cases.mark_unrated", mark_unrated_answers, every_seconds=3600),
]
